"""The concept model as compositional mapping needs it: attribute slots, structural cover, MRCM checks.

* Slots: the attributes a clinical finding is defined with (Associated morphology, Finding site,
  Causative agent, ...) and the concepts each may take as a value, read from the release's MRCM
  attribute range refset (evaluated once per process with the ECL engine) so that a span naming
  "ilium" is known to be a finding-site value and "metastasis" a morphology. Releases without an
  MRCM fall back to the top-level hierarchies the concept model names (FALLBACK_RANGES).
* Cover: whether a precoordinated concept's role groups are each matched by the phrase's groups
  with values that subsume the phrase's (then the concept subsumes what the phrase says, as far as
  its definition goes); vectorised over the relationship arrays so thousands of candidates cost
  milliseconds.
* MRCM validation: `mrcm_problems` checks an expression with `terminology.expressions`
  (`parse_expression` + `validate_expression(mrcm=True)`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from loaders.snomed import (
    ASSOCIATED_MORPHOLOGY,
    CAUSATIVE_AGENT,
    CLINICAL_COURSE,
    CLINICAL_FINDING,
    FINDING_SITE,
    LATERALITY,
    OCCURRENCE,
    PATHOLOGICAL_PROCESS,
    SEVERITY,
)

from ..ecl import EclEvaluationError, EclSyntaxError, evaluate
from ..expressions import parse_expression, validate_expression
from ..terminology import Terminology, warmed

# Attributes of clinical findings that a phrase can name a value of, most telling first. Attributes
# whose values are findings, events or procedures (Due to, After, Associated with, ...) are left out:
# a span naming a finding is read as the focus concept instead.
SLOT_ATTRIBUTES: tuple[int, ...] = (
    ASSOCIATED_MORPHOLOGY,
    FINDING_SITE,
    CAUSATIVE_AGENT,
    PATHOLOGICAL_PROCESS,
    CLINICAL_COURSE,
    SEVERITY,
    OCCURRENCE,
)
# Ranges used when the release has no MRCM rows for an attribute (the sample has a few, the real
# edition and the synthetic release have them all).
FALLBACK_RANGES: dict[int, str] = {
    ASSOCIATED_MORPHOLOGY: "<< 49755003",
    FINDING_SITE: "<< 123037004 MINUS << 49755003",
    CAUSATIVE_AGENT: "<< 410607006 OR << 105590001",
    CLINICAL_COURSE: "<< 288524001",
    SEVERITY: "<< 272141005",
    OCCURRENCE: "<< 282032007",
    LATERALITY: "<< 182353008",
}


@dataclass(frozen=True)
class Slot:
    """An attribute and the concept rows (sorted) its MRCM range allows."""

    attribute_id: int
    rows: np.ndarray
    grouped: bool = True  # False when the MRCM says it is never in a role group (in-group 0..0)

    def __contains__(self, row: object) -> bool:
        k = int(np.searchsorted(self.rows, row))  # type: ignore[call-overload]
        return k < len(self.rows) and int(self.rows[k]) == row


def ecl_rows(t: Terminology, ecl: str) -> np.ndarray:
    """Sorted concept rows of an ECL expression (an empty array when it cannot be evaluated)."""
    try:
        return np.asarray(evaluate(t, ecl, time_budget_s=None).rows, np.int64)
    except (EclSyntaxError, EclEvaluationError, ValueError):
        return np.zeros(0, np.int64)


@warmed
class ConceptModel:
    """Slots and hierarchies of one release, built on first use and shared by every request."""

    def __init__(self, t: Terminology):
        self.t = t
        self.finding_rows = (
            ecl_rows(t, f"<< {CLINICAL_FINDING}") if t.has_concept(CLINICAL_FINDING) else np.zeros(0, np.int64)
        )
        ranges, grouped = _mrcm_ranges(t)
        self.slots: list[Slot] = []
        for a in SLOT_ATTRIBUTES:
            if not t.has_concept(a):
                continue
            ecl = ranges.get(a) or FALLBACK_RANGES.get(a)
            rows = ecl_rows(t, ecl) if ecl else np.zeros(0, np.int64)
            if len(rows):
                self.slots.append(Slot(a, rows, grouped.get(a, True)))
        lat = ranges.get(LATERALITY) or FALLBACK_RANGES[LATERALITY]
        rows = ecl_rows(t, lat) if t.has_concept(LATERALITY) else np.zeros(0, np.int64)
        self.laterality = Slot(LATERALITY, rows, grouped.get(LATERALITY, False)) if len(rows) else None

    @functools.cached_property
    def value_mask(self) -> np.ndarray:
        """Concept rows that are attribute values (any slot) or lateralities: where parts are looked for."""
        mask = np.zeros(len(self.t.ids), bool)
        for s in self.slots:
            mask[s.rows] = True
        if self.laterality is not None:
            mask[self.laterality.rows] = True
        return mask & self.t.active_mask

    @functools.cached_property
    def finding_mask(self) -> np.ndarray:
        """Concept rows of clinical findings: what a focus part may be."""
        mask = np.zeros(len(self.t.ids), bool)
        mask[self.finding_rows] = True
        return mask

    @functools.cached_property
    def _slot_of_row(self) -> np.ndarray:
        """Per concept row: the index in `slots` of the narrowest range holding it, or -1."""
        out = np.full(len(self.t.ids), -1, np.int8)
        for k in sorted(range(len(self.slots)), key=lambda k: -len(self.slots[k].rows)):
            out[self.slots[k].rows] = k  # narrower ranges are written last and win
        return out

    def slot_for(self, row: int) -> Slot | None:
        """The slot whose range holds the concept; the narrowest range wins (a morphology is also a
        body structure in some releases, and Associated morphology's range is the smaller one)."""
        k = int(self._slot_of_row[row])
        return self.slots[k] if k >= 0 else None

    def is_finding(self, row: int) -> bool:
        return bool(self.finding_mask[row])

    @functools.cached_property
    def _laterality_mask(self) -> np.ndarray:
        mask = np.zeros(len(self.t.ids), bool)
        if self.laterality is not None:
            mask[self.laterality.rows] = True
        return mask

    def is_laterality(self, row: int) -> bool:
        return bool(self._laterality_mask[row])


def _mrcm_ranges(t: Terminology) -> tuple[dict[int, str], dict[int, bool]]:
    """Attribute -> range ECL (alternatives joined with OR), and whether it is grouped, from the MRCM."""
    ranges: dict[int, list[str]] = {}
    grouped: dict[int, bool] = {}
    if t.has_table("rf2_mrcm_attribute_range"):
        for attr, constraint in t.sql(
            'SELECT "referencedComponentId", "rangeConstraint" FROM rf2_mrcm_attribute_range'
        ):
            text = str(constraint).strip()
            if text and not text.startswith(("int(", "dec(", "str(")):
                ranges.setdefault(int(attr), []).append(text)
    if t.has_table("rf2_mrcm_attribute_domain"):
        for attr, gcard in t.sql(
            'SELECT "referencedComponentId", "attributeInGroupCardinality" FROM rf2_mrcm_attribute_domain'
        ):
            grouped[int(attr)] = grouped.get(int(attr), False) or str(gcard).strip() != "0..0"
    joined = {
        a: " OR ".join(f"({c})" for c in sorted(set(cs))) if len(set(cs)) > 1 else cs[0] for a, cs in ranges.items()
    }
    return joined, grouped


def concept_model(t: Terminology) -> ConceptModel:
    """The ConceptModel of a Terminology (built once, before a server forks, and kept on it)."""
    return t.derived(ConceptModel)


# ----- structural cover and specificity

Group = dict[int, int]  # attribute SCTID -> value SCTID


def covered_by(
    t: Terminology, candidates: np.ndarray, groups: Sequence[Group], ignore: Iterable[int] = ()
) -> np.ndarray:
    """The candidate rows every one of whose role groups is matched by one of `groups`.

    A role group of the candidate is matched by a group g when each of its attributes has the same
    type in g with a value the candidate's value subsumes (an ungrouped attribute is a group of its
    own). Then the candidate says nothing the phrase does not: it subsumes the phrase as far as its
    definition goes. Candidates with concrete values are never matched (a phrase names no numbers).
    """
    cand = np.unique(np.asarray(candidates, np.int64))
    if not len(cand) or not groups:
        return np.zeros(0, np.int64)
    ptr = t.array("rel_ptr")
    starts = np.asarray(ptr[cand], np.int64)
    counts = np.asarray(ptr[cand + 1], np.int64) - starts
    total = int(counts.sum())
    cv_ptr = t.array("cv_ptr")
    no_cv = (np.asarray(cv_ptr[cand + 1]) - np.asarray(cv_ptr[cand])) == 0
    if not total:
        return cand[no_cv]
    owner = np.repeat(np.arange(len(cand)), counts)
    local = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    rel = np.repeat(starts, counts) + local
    typ = np.asarray(t.array("rel_type")[rel], np.int64)
    dest = np.asarray(t.array("rel_dest")[rel], np.int64)
    grp = np.asarray(t.array("rel_group")[rel], np.int64)
    unit_key = owner * (1 << 20) + np.where(grp > 0, grp, (1 << 16) + local)
    units, unit_of = np.unique(unit_key, return_inverse=True)
    unit_ok = np.zeros(len(units), bool)
    ignored = np.isin(typ, [r for r in (t.index_of(a) for a in ignore) if r is not None])
    for g in groups:
        ok = ignored.copy()
        for attr, value in g.items():
            ai, vi = t.index_of(attr), t.index_of(value)
            if ai is None or vi is None:
                continue
            above = np.append(np.asarray(t.ancestor_rows(vi), np.int64), vi)
            ok |= (typ == ai) & np.isin(dest, above)
        bad = np.bincount(unit_of, weights=~ok, minlength=len(units))
        unit_ok |= bad == 0
    unit_owner = units >> 20
    bad_units = np.bincount(unit_owner, weights=~unit_ok, minlength=len(cand))
    return cand[(bad_units == 0) & no_cv]


def most_specific(t: Terminology, rows: Iterable[int]) -> list[int]:
    """The rows that subsume no other row of the set (sorted)."""
    rs = np.unique(np.fromiter(rows, np.int64))
    if len(rs) < 2:
        return rs.tolist()
    above = np.unique(np.concatenate([np.asarray(t.ancestor_rows(r), np.int64) for r in rs.tolist()]))
    return np.setdiff1d(rs, above).tolist()


def concept_groups(t: Terminology, sctid: int) -> list[frozenset[tuple[int, int]]]:
    """A concept's role groups as sets of (attribute, value); each ungrouped attribute is its own group."""
    out: list[frozenset[tuple[int, int]]] = []
    by_group: dict[int, set[tuple[int, int]]] = {}
    for r in t.relationships(sctid):
        if r.group == 0:
            out.append(frozenset([(r.type_id, r.destination_id)]))
        else:
            by_group.setdefault(r.group, set()).add((r.type_id, r.destination_id))
    return out + [frozenset(g) for _, g in sorted(by_group.items())]


# ----- MRCM validation


def mrcm_problems(t: Terminology, expression: str) -> list[str]:
    """Why `expression` breaks the release's concept model (empty when it conforms)."""
    expr = parse_expression(expression)
    return [p.message for p in validate_expression(t, expr, mrcm=True)]
