"""The MRCM (Machine Readable Concept Model) rules of a release: attribute domains and ranges.

The rows come from the index's ``rf2_mrcm_attribute_domain`` and
``rf2_mrcm_attribute_range`` tables (RF2 column names).  Range constraints are ECL
text and are evaluated by the ECL engine (:mod:`terminology.ecl`); the concrete-domain forms
(``dec(>#0..)``, ``int(#1..#5)``, ``str()``) are not ECL and are checked here.

Only rows that apply to post-coordinated content are used for expressions: content
types "all SNOMED CT content" (723596005) and "all postcoordinated content"
(723595009); when a release has neither for an attribute, every row is used,
because a subset may carry just one kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..ecl import EclResult, evaluate
from ..terminology import Terminology, warmed

__all__ = ["DomainRule", "Mrcm", "RangeRule", "concrete_in_range", "mrcm_for"]

ALL_CONTENT = 723596005
POSTCOORDINATED = 723595009
EXPRESSION_CONTENT = (ALL_CONTENT, POSTCOORDINATED)


@dataclass(frozen=True)
class DomainRule:
    attribute_id: int
    domain_id: int
    grouped: bool
    attribute_cardinality: str
    in_group_cardinality: str
    content_type_id: int
    domain_constraint: str  # ECL (from the MRCM domain refset when present, else << domainId)


@dataclass(frozen=True)
class RangeRule:
    attribute_id: int
    constraint: str
    content_type_id: int


class Mrcm:
    """Domain and range rules by attribute, read once per release (``mrcm_for``), with their evaluated constraints."""

    def __init__(self, t: Terminology):
        self.t = t
        self.available = t.has_table("rf2_mrcm_attribute_domain") and t.has_table("rf2_mrcm_attribute_range")
        # Constraint text -> the concepts it denotes: the rules are few and asked about for every attribute.
        self._denoted: dict[str, EclResult] = {}
        domains: dict[int, str] = {}
        if t.has_table("rf2_mrcm_domain"):
            for rid, constraint in t.sql('SELECT "referencedComponentId", "domainConstraint" FROM rf2_mrcm_domain'):
                domains[int(rid)] = str(constraint)
        refsets = set(t.refsets())
        self._domains: dict[int, list[DomainRule]] = {}
        self._ranges: dict[int, list[RangeRule]] = {}
        if not self.available:
            return
        sql = (
            'SELECT "referencedComponentId", "domainId", "grouped", "attributeCardinality", '
            '"attributeInGroupCardinality", "contentTypeId" FROM rf2_mrcm_attribute_domain'
        )
        for attr, dom, grouped, card, gcard, content in t.sql(sql):
            dom = int(dom)
            constraint = domains.get(dom) or (f"^ {dom}" if dom in refsets else f"<< {dom}")
            rule = DomainRule(int(attr), dom, bool(int(grouped)), str(card), str(gcard), int(content), constraint)
            self._domains.setdefault(int(attr), []).append(rule)
        for attr, constraint, content in t.sql(
            'SELECT "referencedComponentId", "rangeConstraint", "contentTypeId" FROM rf2_mrcm_attribute_range'
        ):
            self._ranges.setdefault(int(attr), []).append(RangeRule(int(attr), str(constraint), int(content)))

    @staticmethod
    def _for_expressions(rules: list) -> list:
        chosen = [r for r in rules if r.content_type_id in EXPRESSION_CONTENT]
        return chosen or rules

    def domains(self, attribute_id: int) -> list[DomainRule]:
        return self._for_expressions(self._domains.get(attribute_id, []))

    def ranges(self, attribute_id: int) -> list[RangeRule]:
        return self._for_expressions(self._ranges.get(attribute_id, []))

    def in_domain(self, rule: DomainRule, sctid: int) -> bool:
        return self.denotes(rule.domain_constraint, sctid)

    def in_range(self, rule: RangeRule, sctid: int) -> bool:
        if _CONCRETE.match(rule.constraint.strip()):
            return False
        return self.denotes(rule.constraint, sctid)

    def denotes(self, constraint: str, sctid: int) -> bool:
        """Whether the concept is in the set an MRCM constraint (ECL) denotes.

        Raises the ECL engine's errors (``EclSyntaxError``, ``EclEvaluationError``) for a
        constraint it cannot evaluate; callers decide what an unevaluable rule means.
        """
        result = self._denoted.get(constraint)
        if result is None:
            result = self._denoted[constraint] = evaluate(self.t, constraint)
        return sctid in result


_CONCRETE = re.compile(r"^(int|dec|str)\((.*)\)$", re.S)
_BOUND = re.compile(r"^(>)?#(-?[0-9.]+)$")


def concrete_in_range(constraint: str, kind: str, value: object) -> bool | None:
    """Whether a concrete value satisfies an MRCM concrete range (None when the rule is not concrete).

    The MRCM writes these as ``int(#1..#5)``, ``dec(>#0..)``, ``str()``: a type and an
    optional range whose ends may be exclusive (``>#0``) or open (nothing).
    """
    m = _CONCRETE.match(constraint.strip())
    if not m:
        return None
    want, body = m.group(1), m.group(2).strip()
    if want == "str":
        return kind == "string"
    if kind not in ("integer", "decimal") or (want == "int" and kind != "integer"):
        return False
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return False
    if not body:
        return True
    for alternative in body.split(","):
        lo_text, _, hi_text = alternative.strip().partition("..")
        if _within(number, lo_text.strip(), low=True) and _within(number, hi_text.strip(), low=False):
            return True
    return False


def _within(number: Decimal, bound: str, low: bool) -> bool:
    if not bound:
        return True
    m = _BOUND.match(bound.replace("<", ">"))
    if not m:
        return False
    exclusive, limit = bool(m.group(1)), Decimal(m.group(2))
    if low:
        return number > limit if exclusive else number >= limit
    return number < limit if exclusive else number <= limit


@warmed
def mrcm_for(t: Terminology) -> Mrcm:
    """The MRCM rules of a release (read on first use and kept on the Terminology)."""
    return t.derived(Mrcm)
