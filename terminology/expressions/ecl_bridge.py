"""ECL evaluation for the FHIR layer and the MRCM checks, with or without the ECL engine.

The project's ECL evaluator (``terminology.ecl.evaluator.evaluate(t, text)``) is
used whenever it is importable.  Until then (and for releases it cannot handle) a
small evaluator here covers what value sets and MRCM range constraints actually
use: concept references, ``*``, the hierarchy operators, ``^`` member-of,
``AND``/``OR``/``MINUS`` and attribute refinements with ``=``/``!=`` on concepts
(grouped or not, with cardinality).  Anything else raises
:class:`EclUnsupportedError`, so a constraint is never silently half-evaluated.

Evaluated sets are cached per release (MRCM range constraints are few and reused
for every attribute of every expression).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from ..ecl import ast as ecl_ast
from ..ecl import parse_ecl
from ..terminology import Terminology

__all__ = ["EclTooCostlyError", "EclUnsupportedError", "concept_in_ecl", "evaluate_ecl", "evaluate_ecl_rows"]

_CACHE: weakref.WeakKeyDictionary[Terminology, dict[str, np.ndarray]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_CACHE_LIMIT = 256


class EclUnsupportedError(ValueError):
    """A constraint using ECL features the available evaluator does not implement."""


class EclTooCostlyError(EclUnsupportedError):
    """The ECL engine gave up on its time budget (the FHIR layer answers ``too-costly``)."""


def _engine() -> Callable[[Terminology, str], Any] | None:
    try:
        from ..ecl.evaluator import evaluate  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return evaluate  # type: ignore[no-any-return]


def evaluate_ecl_rows(t: Terminology, text: str) -> np.ndarray:
    """The concept rows (sorted, unique, int32) an ECL constraint denotes; cached per release."""
    key = " ".join(text.split())
    with _LOCK:
        cached = _CACHE.setdefault(t, {}).get(key)
    if cached is not None:
        return cached
    engine = _engine()
    rows = None
    if engine is not None:
        from ..ecl.evaluator import EclEvaluationError, EclTimeoutError  # type: ignore[attr-defined,unused-ignore]

        try:
            rows = _as_rows(t, engine(t, text))
        except EclTimeoutError as exc:
            raise EclTooCostlyError(str(exc)) from None
        except EclEvaluationError as exc:
            raise EclUnsupportedError(str(exc)) from None
        except (TypeError, AttributeError, NotImplementedError):
            rows = None  # an engine whose API differs from evaluate(t, text): use the fallback
    if rows is None:
        rows = _Fallback(t).rows(parse_ecl(text))
    rows.setflags(write=False)
    with _LOCK:
        cache = _CACHE.setdefault(t, {})
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = rows
    return rows


def evaluate_ecl(t: Terminology, text: str) -> np.ndarray:
    """The concept ids (sorted int64) an ECL constraint denotes."""
    return t.ids[evaluate_ecl_rows(t, text)]


def concept_in_ecl(t: Terminology, text: str, sctid: int) -> bool:
    """Whether a concept is in the set an ECL constraint denotes."""
    i = t.index_of(sctid)
    if i is None:
        return False
    rows = evaluate_ecl_rows(t, text)
    k = int(rows.searchsorted(i))
    return k < len(rows) and int(rows[k]) == i


def _as_rows(t: Terminology, result: Any) -> np.ndarray:
    """Adapt the engine's result (ids, rows, or an object carrying either) to sorted int32 rows."""
    for attr in ("rows", "concept_rows"):
        if hasattr(result, attr):
            return np.unique(np.asarray(getattr(result, attr), np.int64)).astype(np.int32)
    for attr in ("ids", "concept_ids"):
        if hasattr(result, attr):
            value = getattr(result, attr)
            result = value() if callable(value) else value
            break
    arr = np.asarray(sorted(result) if isinstance(result, set | frozenset) else result)
    if arr.dtype == np.int32:
        return np.unique(arr)
    ids = np.unique(arr.astype(np.int64))
    pos = np.searchsorted(t.ids, ids).clip(0, max(len(t.ids) - 1, 0))
    hit = t.ids[pos] == ids if len(t.ids) else np.zeros(len(ids), bool)
    return np.unique(pos[hit]).astype(np.int32)


class _Fallback:
    """Set evaluation over concept rows with the index's CSR arrays (see the module docstring)."""

    def __init__(self, t: Terminology):
        self.t = t
        self.s = t.store
        self.n = len(t.ids)

    def _row(self, sctid: int) -> np.ndarray:
        i = self.t.index_of(sctid)
        return np.array([i] if i is not None else [], np.int32)

    def _gather(self, ptr_name: str, name: str, rows: np.ndarray) -> np.ndarray:
        ptr, data = self.s.array(ptr_name), self.s.array(name)
        if len(rows) == 0:
            return np.zeros(0, np.int32)
        parts = [data[ptr[r] : ptr[r + 1]] for r in rows.tolist()]
        return np.unique(np.concatenate(parts)).astype(np.int32) if parts else np.zeros(0, np.int32)

    def rows(self, e: ecl_ast.Expression) -> np.ndarray:
        if isinstance(e, ecl_ast.ConceptReference):
            return self._row(e.id)
        if isinstance(e, ecl_ast.Wildcard):
            return np.arange(self.n, dtype=np.int32)
        if isinstance(e, ecl_ast.MemberOf):
            if e.fields is not None or e.filters:
                raise EclUnsupportedError("member-of with field selection or member filters")
            refsets = self.t.ids[self.rows(e.refset)].tolist()
            known = set(self.t.refsets())
            parts = [self.t.refset_members(r) for r in refsets if r in known]
            ids = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
            return np.searchsorted(self.t.ids, ids).astype(np.int32)
        if isinstance(e, ecl_ast.Hierarchy):
            return self._hierarchy(e.operator, self.rows(e.operand))
        if isinstance(e, ecl_ast.Compound):
            sets = [self.rows(o) for o in e.operands]
            if e.operator is ecl_ast.BinaryOperator.AND:
                out = sets[0]
                for s in sets[1:]:
                    out = np.intersect1d(out, s, assume_unique=True)
                return out.astype(np.int32)
            if e.operator is ecl_ast.BinaryOperator.OR:
                return np.unique(np.concatenate(sets)).astype(np.int32)
            return np.setdiff1d(sets[0], sets[1], assume_unique=True).astype(np.int32)
        if isinstance(e, ecl_ast.Refined):
            base = self.rows(e.operand)
            matched = self._refinement(e.refinement, grouped=False)
            return np.intersect1d(base, matched).astype(np.int32)
        raise EclUnsupportedError(f"{type(e).__name__} constraints")

    def _hierarchy(self, op: ecl_ast.HierarchyOperator, base: np.ndarray) -> np.ndarray:
        hop = ecl_ast.HierarchyOperator
        table = {
            hop.DESCENDANT_OF: ("descendants_ptr", "descendants", False),
            hop.DESCENDANT_OR_SELF_OF: ("descendants_ptr", "descendants", True),
            hop.CHILD_OF: ("children_ptr", "children", False),
            hop.CHILD_OR_SELF_OF: ("children_ptr", "children", True),
            hop.ANCESTOR_OF: ("ancestors_ptr", "ancestors", False),
            hop.ANCESTOR_OR_SELF_OF: ("ancestors_ptr", "ancestors", True),
            hop.PARENT_OF: ("parents_ptr", "parents", False),
            hop.PARENT_OR_SELF_OF: ("parents_ptr", "parents", True),
        }
        if op in table:
            ptr, data, self_too = table[op]
            out = self._gather(ptr, data, base)
            return np.union1d(out, base).astype(np.int32) if self_too else out
        # top/bottom of a set: members with no ancestor (descendant) in the set
        key = ("ancestors_ptr", "ancestors") if op is hop.TOP else ("descendants_ptr", "descendants")
        ptr, data = self.s.array(key[0]), self.s.array(key[1])
        keep = [r for r in base.tolist() if not np.isin(data[ptr[r] : ptr[r + 1]], base).any()]
        return np.array(keep, np.int32)

    # ----- refinements: sets of source rows (or of group units inside { })
    def _units(self, src: np.ndarray, group: np.ndarray, rel_index: np.ndarray) -> np.ndarray:
        """Group units: (row, group) for grouped relationships; group 0 relationships are units alone."""
        g = np.where(group > 0, group.astype(np.int64), (1 << 20) + rel_index.astype(np.int64))
        return (src.astype(np.int64) << 32) | g

    def _refinement(self, r: ecl_ast.Refinement, grouped: bool) -> np.ndarray:
        if isinstance(r, ecl_ast.Attribute):
            return self._attribute(r, grouped)
        if isinstance(r, ecl_ast.AttributeGroup):
            if r.cardinality is not None and not (r.cardinality.min <= 1 and r.cardinality.max is None):
                raise EclUnsupportedError("attribute group cardinality")
            units = self._refinement(r.refinement, grouped=True)
            rows = np.unique(units >> 32).astype(np.int32)
            return rows if not grouped else units
        sets = [self._refinement(o, grouped) for o in r.operands]
        if r.operator is ecl_ast.BinaryOperator.AND:
            out = sets[0]
            for s in sets[1:]:
                out = np.intersect1d(out, s)
            return out
        return np.unique(np.concatenate(sets))

    def _attribute(self, a: ecl_ast.Attribute, grouped: bool) -> np.ndarray:
        s = self.s
        types = self.rows(a.name) if not isinstance(a.name, ecl_ast.Wildcard) else None
        if not isinstance(a.value, ecl_ast.Node) or isinstance(
            a.value, ecl_ast.NumericValue | ecl_ast.StringValue | ecl_ast.BooleanValue
        ):
            raise EclUnsupportedError("concrete value refinements")
        values = self.rows(a.value)
        src, typ, dest = s.rel_src, s.rel_type, s.rel_dest
        mask = np.ones(len(src), bool) if types is None else np.isin(typ, types)
        side, other = (dest, src) if a.reverse else (src, dest)
        if a.comparison is ecl_ast.Comparison.EQ:
            mask &= np.isin(other, values)
        elif a.comparison is ecl_ast.Comparison.NE:
            mask &= ~np.isin(other, values)
        else:
            raise EclUnsupportedError(f"attribute comparison {a.comparison.value}")
        hits = np.flatnonzero(mask)
        card = a.cardinality
        if grouped and not a.reverse:
            if card is not None and card.min == 0:
                raise EclUnsupportedError("zero cardinality inside an attribute group")
            return np.unique(self._units(src[hits], s.rel_group[hits], hits))
        found, counts = np.unique(side[hits], return_counts=True)
        if card is None:
            return found.astype(np.int32)
        lo, hi = card.min, card.max
        ok = (counts >= max(lo, 1)) & (counts <= (hi if hi is not None else np.iinfo(np.int64).max))
        rows = found[ok].astype(np.int32)
        if lo == 0:
            everyone = np.arange(self.n, dtype=np.int32)
            too_many = found[counts > hi] if hi is not None else np.zeros(0, np.int32)
            rows = np.setdiff1d(everyone, too_many).astype(np.int32)
        return rows
