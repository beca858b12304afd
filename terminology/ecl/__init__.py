"""SNOMED CT Expression Constraint Language (ECL 2.2): parser, AST, serializer and evaluator."""

from ._index import build_arrays as build_engine_arrays
from .ast import *  # noqa: F403
from .ast import __all__ as _ast_all
from .errors import EclInvalidIdError, EclSyntaxError
from .evaluator import (
    MAX_PAGE,
    EclEvaluationError,
    EclLimitError,
    EclResult,
    EclTimeoutError,
    ecl_concepts,
    ecl_count,
    evaluate,
)
from .parser import parse_ecl
from .serializer import to_ecl

__all__ = [
    "MAX_PAGE",
    "build_engine_arrays",
    "EclEvaluationError",
    "EclInvalidIdError",
    "EclLimitError",
    "EclResult",
    "EclSyntaxError",
    "EclTimeoutError",
    "ecl_concepts",
    "ecl_count",
    "evaluate",
    "parse_ecl",
    "to_ecl",
    *_ast_all,
]
