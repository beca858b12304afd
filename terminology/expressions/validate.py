"""Checking an expression against a release: concepts, attribute names and (optionally) the MRCM.

Three levels, each reported as :class:`ExpressionProblem` rows rather than raised,
so a caller can show every problem at once:

1. every concept exists in the release and is active;
2. every attribute name is an attribute: a descendant of 410662002 |Concept model
   attribute| or 106237007 |Linkage concept| (the test HL7's terminology servers
   apply, with their wording);
3. with ``mrcm=True``: each attribute is allowed for the focus concepts it refines
   (MRCM attribute domain), its value is in the MRCM attribute range (ECL, or a
   concrete range), and attributes the MRCM says are never grouped
   (``attributeInGroupCardinality`` 0..0) are not written inside braces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..ecl import EclEvaluationError, parse_ecl
from ..terminology import Terminology
from .ast import Attribute, ConceptRef, Concrete, Expression, SubExpression, concept_refs
from .mrcm import Mrcm, concrete_in_range, mrcm_for
from .render import render
from .subsumption import expression_in_ecl

__all__ = ["ATTRIBUTE_ROOTS", "ExpressionProblem", "validate_expression"]

CONCEPT_MODEL_ATTRIBUTE = 410662002
LINKAGE_CONCEPT = 106237007
ATTRIBUTE_ROOTS = (CONCEPT_MODEL_ATTRIBUTE, LINKAGE_CONCEPT)

ProblemKind = Literal[
    "not-found", "inactive", "not-attribute", "mrcm-domain", "mrcm-range", "mrcm-grouping", "mrcm-missing"
]


@dataclass(frozen=True)
class ExpressionProblem:
    """One reason an expression is not valid in a release."""

    kind: ProblemKind
    message: str
    concept_id: int | None = None


def validate_expression(t: Terminology, expr: Expression, mrcm: bool = False) -> list[ExpressionProblem]:
    """Every problem of ``expr`` in ``t``: an empty list means the expression is valid at the chosen level."""
    problems: list[ExpressionProblem] = []
    seen: set[tuple[str, int]] = set()
    roots = [r for r in ATTRIBUTE_ROOTS if t.has_concept(r)]
    for role, ref, _sub in concept_refs(expr):
        key = (role, ref.id)
        if key in seen:
            continue
        seen.add(key)
        if not t.has_concept(ref.id):
            problems.append(ExpressionProblem("not-found", f"Concept {ref.id} not found", ref.id))
            continue
        if not t.is_active(ref.id):
            problems.append(ExpressionProblem("inactive", f"Concept {ref.id} is not active", ref.id))
            continue
        if role == "attribute" and roots and not any(t.subsumes(r, ref.id) for r in roots):
            allowed = ",".join(str(r) for r in ATTRIBUTE_ROOTS)
            problems.append(
                ExpressionProblem(
                    "not-attribute",
                    f"Concept {ref.id} is not valid in this context (must be a descendent of one of {allowed})",
                    ref.id,
                )
            )
    if mrcm and not problems:
        problems.extend(_mrcm_problems(t, mrcm_for(t), expr.sub))
    return problems


def _name(t: Terminology, sctid: int) -> str:
    term = t.preferred_term(sctid) if t.has_concept(sctid) else None
    return f"{sctid} |{term}|" if term else str(sctid)


def _mrcm_problems(t: Terminology, rules: Mrcm, sub: SubExpression) -> list[ExpressionProblem]:
    out: list[ExpressionProblem] = []
    if sub.refinement is None:
        return out
    if not rules.available:
        return [ExpressionProblem("mrcm-missing", "The release has no MRCM attribute domain and range reference sets")]
    focus = [c.id for c in sub.focus]
    grouped_attrs = {id(a) for g in sub.refinement.groups for a in g}
    for a in sub.refinement.attributes():
        out.extend(_check_attribute(t, rules, focus, a, id(a) in grouped_attrs))
        if isinstance(a.value, SubExpression):
            out.extend(_mrcm_problems(t, rules, a.value))
    return out


def _check_attribute(
    t: Terminology, rules: Mrcm, focus: list[int], a: Attribute, in_group: bool
) -> list[ExpressionProblem]:
    attr = a.name.id
    domains = rules.domains(attr)
    if not domains:
        return [ExpressionProblem("mrcm-domain", f"Attribute {_name(t, attr)} has no MRCM attribute domain", attr)]
    out: list[ExpressionProblem] = []
    applicable = [d for d in domains if any(rules.in_domain(d, f) for f in focus)]
    if not applicable:
        where = " + ".join(_name(t, f) for f in focus)
        allowed = ", ".join(d.domain_constraint for d in domains)
        out.append(
            ExpressionProblem(
                "mrcm-domain", f"Attribute {_name(t, attr)} is not allowed for {where} (MRCM domain: {allowed})", attr
            )
        )
    elif in_group and all(d.in_group_cardinality.strip() == "0..0" for d in applicable):
        out.append(
            ExpressionProblem("mrcm-grouping", f"Attribute {_name(t, attr)} must not be in an attribute group", attr)
        )
    ranges = rules.ranges(attr)
    if not ranges:
        out.append(ExpressionProblem("mrcm-range", f"Attribute {_name(t, attr)} has no MRCM attribute range", attr))
        return out
    if not any(_in_range(t, rules, r.constraint, a.value) for r in ranges):
        shown = _value_text(t, a.value)
        allowed = " OR ".join(f"({r.constraint})" if len(ranges) > 1 else r.constraint for r in ranges)
        out.append(
            ExpressionProblem(
                "mrcm-range", f"Value {shown} is not in the MRCM range of attribute {_name(t, attr)} ({allowed})", attr
            )
        )
    return out


def _in_range(t: Terminology, rules: Mrcm, constraint: str, value: ConceptRef | SubExpression | Concrete) -> bool:
    if isinstance(value, Concrete):
        return bool(concrete_in_range(constraint, value.kind, value.value))
    if concrete_in_range(constraint, "", None) is not None:
        return False  # a concept where a concrete value is required
    try:
        if isinstance(value, ConceptRef):
            return rules.denotes(constraint, value.id)
        return expression_in_ecl(t, value, parse_ecl(constraint))
    except EclEvaluationError:
        return False  # a range the engine cannot answer admits nothing (reported as out of range)


def _value_text(t: Terminology, value: ConceptRef | SubExpression | Concrete) -> str:
    if isinstance(value, ConceptRef):
        return _name(t, value.id)
    if isinstance(value, Concrete):
        return value.scg
    return f"({render(t, value)})"
