"""SNOMED CT post-coordinated expressions (compositional grammar 2.4).

Parse with :func:`parse_expression`, check against a release with
:func:`validate_expression` (concepts, attribute names, optionally the MRCM), show
with :func:`render`, and compare with :func:`subsumes` / :func:`subsumption` /
:func:`expression_in_ecl` (structural, normal-form based, conservative).

ECL constraints (MRCM rules, value set filters) are evaluated by the one ECL engine,
:mod:`terminology.ecl`; ``EclUnsupportedError`` and ``EclTooCostlyError`` are its
``EclEvaluationError`` and ``EclTimeoutError`` under the names this package has used.
"""

from ..ecl import EclEvaluationError as EclUnsupportedError
from ..ecl import EclTimeoutError as EclTooCostlyError
from .ast import Attribute, ConceptRef, Concrete, Expression, Refinement, SubExpression, canonical, concept_refs
from .mrcm import Mrcm, mrcm_for
from .parser import ExpressionSyntaxError, looks_like_expression, parse_expression
from .render import render
from .subsumption import (
    NormalForm,
    concept_in_ecl,
    evaluate_ecl,
    evaluate_ecl_rows,
    expression_in_ecl,
    normal_form,
    normal_form_text,
    subsumes,
    subsumption,
)
from .validate import ExpressionProblem, validate_expression

__all__ = [
    "Attribute",
    "ConceptRef",
    "Concrete",
    "EclTooCostlyError",
    "EclUnsupportedError",
    "Expression",
    "ExpressionProblem",
    "ExpressionSyntaxError",
    "Mrcm",
    "NormalForm",
    "Refinement",
    "SubExpression",
    "canonical",
    "concept_in_ecl",
    "concept_refs",
    "evaluate_ecl",
    "evaluate_ecl_rows",
    "expression_in_ecl",
    "looks_like_expression",
    "mrcm_for",
    "normal_form",
    "normal_form_text",
    "parse_expression",
    "render",
    "subsumes",
    "subsumption",
    "validate_expression",
]
