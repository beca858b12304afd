"""ECL refinements: attributes, attribute groups, cardinality, reverse attributes, concrete values and dotted attributes.

Relationships are found through the engine index (``_index``): by source through
``rel_ptr``, by (type, destination) through ``ecl_td_*``, whichever is estimated cheaper;
attribute groups are matched per *group unit* (one role group, or one ungrouped
relationship), and ``116680003 |Is a|`` as an attribute reads the hierarchy arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from loaders import snomed

from ..index import format as fmt
from ..text.normalise import fold
from . import _sets as sets
from ._index import GROUP0_ISA, UNIT_SHIFT
from .ast import (
    Attribute,
    AttributeGroup,
    BinaryOperator,
    BooleanValue,
    Cardinality,
    Comparison,
    CompoundRefinement,
    ConceptReference,
    Dotted,
    Expression,
    NumericValue,
    Refined,
    Refinement,
    SearchTerm,
    SearchType,
    StringValue,
    Wildcard,
)
from .errors import EclEvaluationError
from .filters import compare, term_matcher
from .members import Members

__all__ = ["Refinements"]

IS_A = snomed.IS_A
_ONE_OR_MORE = Cardinality(1, None)


class Refinements(Members):
    """Evaluation of ``:`` refinements and ``.`` dotted attributes (is-a attributes read the hierarchy of ``Members``)."""

    def _refined(self, e: Refined) -> np.ndarray:
        return self.refine(self.expr(e.operand), e.refinement)

    def refine(self, focus: np.ndarray, r: Refinement) -> np.ndarray:
        """The focus concepts that satisfy the refinement."""
        self.check()
        if isinstance(r, CompoundRefinement):
            if r.operator is BinaryOperator.OR:
                return sets.union([self.refine(focus, o) for o in r.operands], self.n)
            out = focus
            for o in r.operands:  # each operand narrows the focus: same answer, less work
                out = self.refine(out, o)
            return out
        if isinstance(r, AttributeGroup):
            units = self.refine_units(focus, r.refinement, _Units(self, focus, self.names_is_a(r.refinement)))
            return self.cardinality((units >> UNIT_SHIFT).astype(np.int32), r.cardinality, focus, self.n)
        return self.cardinality(self.attribute_keys(focus, r, group=False), r.cardinality, focus, self.n)

    def names_is_a(self, r: Refinement) -> bool:
        """Whether some attribute of the refinement names 116680003 |Is a| (alone or in a set)."""
        if isinstance(r, CompoundRefinement):
            return any(self.names_is_a(o) for o in r.operands)
        if isinstance(r, AttributeGroup):
            return self.names_is_a(r.refinement)
        return self.attribute_types(r.name)[1]

    @staticmethod
    def needs_all_units(r: Refinement) -> bool:
        """Whether the refinement can hold in a unit with no matching attribute (a ``[0..n]`` in it)."""
        if isinstance(r, CompoundRefinement):
            return any(Refinements.needs_all_units(o) for o in r.operands)
        if isinstance(r, Attribute):
            return (r.cardinality or _ONE_OR_MORE).min == 0
        return False

    def refine_units(self, focus: np.ndarray, r: Refinement, units: _Units) -> np.ndarray:
        """The role groups (units, see ``_index``) of the focus concepts in which the refinement holds."""
        self.check()
        if isinstance(r, CompoundRefinement):
            if r.operator is BinaryOperator.OR:
                return sets.union([self.refine_units(focus, o, units) for o in r.operands], None)
            # AND: the operands that need every unit of the focus ([0..n]) go last and only look at the
            # units the others left (the answer is inside those anyway), instead of all of them.
            out: np.ndarray | None = None
            for o in sorted(r.operands, key=self.needs_all_units):
                part = self.refine_units(focus, o, units if out is None else units.within(out))
                out = part if out is None else sets.intersect(out, part, None)
            assert out is not None
            return out
        if isinstance(r, AttributeGroup):
            raise EclEvaluationError("an attribute group cannot be nested inside another attribute group")
        keys = self.attribute_keys(focus, r, group=True)
        card = r.cardinality or _ONE_OR_MORE
        return self.cardinality(keys, card, units.all() if card.min == 0 else keys[:0], None)

    def cardinality(
        self, keys: np.ndarray, card: Cardinality | None, universe: np.ndarray, n: int | None
    ) -> np.ndarray:
        """The universe members whose number of matching keys lies within ``card`` (default ``[1..*]``)."""
        card = card or _ONE_OR_MORE
        if card.min == 1 and card.max is None:
            return sets.unique(keys, n)
        if card.min == 0 and card.max is None:
            return universe
        values, counts = sets.unique_counts(keys)
        if card.min == 0:
            return sets.difference(universe, values[counts > card.max], n)
        ok = counts >= card.min
        if card.max is not None:
            ok &= counts <= card.max
        return values[ok]

    def attribute_types(self, name: Expression) -> tuple[np.ndarray | None, bool]:
        """(Defining attribute type rows, None for any; whether 116680003 |Is a| is among the names).

        Is-a is split off because its relationships live in the hierarchy's ``parents`` and
        ``children`` rows, not in ``rel_*``.  ``*`` is any *defining* attribute: it leaves is-a
        out (docs/ecl.md), while a constraint whose set holds 116680003 (``<< 116680003``) takes it in.
        """
        if isinstance(name, Wildcard):
            return None, False
        if isinstance(name, ConceptReference) and name.id == IS_A:
            return sets.EMPTY, True  # the is-a arrays exist even when the release lacks the concept itself
        types = self.expr(name)
        isa = self.ix.is_a_row
        if isa is not None and len(types):
            k = int(np.searchsorted(types, isa))
            if k < len(types) and int(types[k]) == isa:
                return np.delete(types, k), True
        return types, False

    def attribute_keys(self, focus: np.ndarray, a: Attribute, group: bool) -> np.ndarray:
        """One key per matching relationship (or concrete value): its focus concept, or its group unit."""
        types, isa = self.attribute_types(a.name)
        negate = a.comparison is Comparison.NE
        value = a.value
        if isinstance(value, NumericValue | StringValue | BooleanValue):
            if a.reverse:
                raise EclEvaluationError("a reverse attribute (R) cannot have a concrete value")
            cv = self.ix.concrete
            sel = self.concrete(focus, types, a.comparison, value)
            return cv["unit"][sel] if group else cv["src"][sel]
        if a.comparison not in (Comparison.EQ, Comparison.NE):
            raise EclEvaluationError(
                f'the comparison {a.comparison.value} needs a concrete value (#number, "string", true/false)'
            )
        values = None if isinstance(value, Wildcard) else self.expr(value)
        if negate and values is None:
            return sets.EMPTY
        st = self.t.array
        if a.reverse:
            if group:
                raise EclEvaluationError("a reverse attribute (R) inside an attribute group is not supported")
            rels = self.select(values, types, focus, negate_src=negate)
            keys = np.asarray(st("rel_dest"))[rels].astype(np.int32)
        else:
            rels = self.select(focus, types, values, negate_dest=negate)
            keys = (
                np.asarray(self.ix.array("ecl_rel_unit"))[rels]
                if group
                else np.asarray(st("rel_src"))[rels].astype(np.int32)
            )
        if values is None and not a.reverse:
            # ``= *`` is any value: a concrete one too (``* : 1142135004 = *`` is every concept with a
            # concrete 1142135004 |Has presentation strength numerator value|; ECL 2.2 section 6.3
            # allows ``*`` wherever an attribute value may stand).
            cv = self.ix.concrete
            sel = self.concrete_of(focus, types)
            keys = np.concatenate((keys, (cv["unit"][sel] if group else cv["src"][sel]).astype(keys.dtype)))
        if isa:
            keys = np.concatenate((keys, self.isa_keys(focus, values, negate=negate, reverse=a.reverse, group=group)))
        return keys

    def isa_keys(
        self, focus: np.ndarray, values: np.ndarray | None, *, negate: bool, reverse: bool, group: bool
    ) -> np.ndarray:
        """``attribute_keys`` for 116680003 |Is a|: one key per is-a relationship of a focus concept that matches.

        Forward the focus concept is the child and the value its parent (so ``[n..m]`` counts
        parents in the value set); reverse the focus is the parent and the value a child.  The
        hierarchy's CSR rows are these relationships; they are read from the smaller side: the
        focus concepts' rows, or (``=`` with a value set) the values' rows in the other direction.
        """
        st = self.t.array
        out_ptr, out = (st("children_ptr"), st("children")) if reverse else (st("parents_ptr"), st("parents"))
        back_ptr, back = (st("parents_ptr"), st("parents")) if reverse else (st("children_ptr"), st("children"))
        by_values = False
        if values is not None and not negate:
            cost = sets.segment_lengths(back_ptr, values)
            by_values = cost < len(focus) or cost < sets.segment_lengths(out_ptr, focus)
        self.check()
        if by_values:
            assert values is not None
            pos = sets.positions(back_ptr[values], back_ptr[values + 1])
            owner = np.asarray(back)[pos]
            inside = self.member(focus, owner)
            owner = owner[inside]
            if not group:
                return owner
            parent = np.repeat(values, back_ptr[values + 1] - back_ptr[values])[inside]
            return self.isa_units(owner, self.isa_slot(owner, parent))
        pos = sets.positions(out_ptr[focus], out_ptr[focus + 1])
        owner = np.repeat(focus, out_ptr[focus + 1] - out_ptr[focus])
        if values is not None:
            inside = self.member(values, np.asarray(out)[pos])
            keep = ~inside if negate else inside
            pos, owner = pos[keep], owner[keep]
        if not group:
            return owner
        return self.isa_units(owner, pos - np.asarray(out_ptr)[owner])

    @staticmethod
    def isa_units(child: np.ndarray, slot: np.ndarray) -> np.ndarray:
        """Group units of is-a relationships (``_index``): each is a group-0 relationship, so a group of its own."""
        return (child.astype(np.int64) << UNIT_SHIFT) | (GROUP0_ISA + slot.astype(np.int64))

    def isa_slot(self, child: np.ndarray, parent: np.ndarray) -> np.ndarray:
        """Each parent's position in its child's sorted ``parents`` row (a vectorised binary search per row).

        Gives the same unit as reading the relationship from the child's side, without gathering
        every parent of every child (rows are short, so this is a handful of numpy passes).
        """
        st = self.t.array
        data = np.asarray(st("parents"))
        start = np.asarray(st("parents_ptr"))[child].astype(np.int64)
        lo, hi = start.copy(), np.asarray(st("parents_ptr"))[child + 1].astype(np.int64)
        while True:
            open_ = lo < hi
            if not open_.any():
                return lo - start
            mid = (lo + hi) // 2
            right = open_ & (data[np.minimum(mid, len(data) - 1)] < parent)
            lo = np.where(right, mid + 1, lo)
            hi = np.where(open_ & ~right, mid, hi)

    def select(
        self,
        sources: np.ndarray | None,
        types: np.ndarray | None,
        dests: np.ndarray | None,
        *,
        negate_src: bool = False,
        negate_dest: bool = False,
    ) -> np.ndarray:
        """Rows (into ``rel_*``) of the active attribute relationships with source, type and destination in the sets.

        None means any; ``negate_*`` turns "in" into "not in".  Three plans, picked by
        estimated work: (source, type) through ``rel_ptr``; (type, destination) pairs
        through ``ecl_td_key``; or the type slices of ``ecl_td_*`` with mask lookups.
        """
        ix, st = self.ix, self.t.array
        key = ix.array("ecl_td_key")
        m = len(key)
        if m == 0 or (types is not None and len(types) == 0):
            return np.zeros(0, np.int64)
        trows, tstart, tend = ix.type_bounds
        if types is None:
            starts, ends = tstart, tend
            types_present = trows
        else:
            k = np.searchsorted(trows, types).clip(0, max(len(trows) - 1, 0))
            hit = trows[k] == types
            starts, ends, types_present = tstart[k[hit]], tend[k[hit]], trows[k[hit]]
        slice_size = int((ends - starts).sum())
        if slice_size == 0:
            return np.zeros(0, np.int64)
        by_source = sources is not None and not negate_src
        cost_source = (
            sets.segment_lengths(st("rel_ptr"), sources)
            if by_source and sources is not None and len(sources) < self.n // 4
            else (int(len(sources) * m / max(self.n, 1)) if by_source and sources is not None else None)
        )
        by_pairs = dests is not None and not negate_dest and len(types_present) * len(dests) * 4 < slice_size
        cost_pairs = len(types_present) * len(dests) * 4 if by_pairs and dests is not None else None
        options = [(slice_size, "slices")]
        if cost_source is not None:
            options.append((cost_source, "source"))
        if cost_pairs is not None:
            options.append((cost_pairs, "pairs"))
        plan = min(options)[1]
        self.check()
        if plan == "source":
            assert sources is not None
            rels = sets.positions(st("rel_ptr")[sources], st("rel_ptr")[sources + 1])
            ok = np.ones(len(rels), bool)
            if types is not None:
                ok &= sets.mask(types_present, self.n)[np.asarray(st("rel_type"))[rels]]
            if dests is not None:
                inside = self.member(dests, np.asarray(st("rel_dest"))[rels])
                ok &= ~inside if negate_dest else inside
            return rels[ok]
        if plan == "pairs":
            assert dests is not None
            pairs = (types_present.astype(np.int64)[:, None] * self.n + dests.astype(np.int64)[None, :]).ravel()
            pos = sets.positions(np.searchsorted(key, pairs, "left"), np.searchsorted(key, pairs, "right"))
        else:
            pos = sets.positions(starts, ends)
            if dests is not None:
                inside = self.member(dests, np.asarray(ix.array("ecl_td_dest"))[pos]) if len(pos) else np.zeros(0, bool)
                pos = pos[~inside if negate_dest else inside]
        if sources is not None and len(pos):
            inside = self.member(sources, np.asarray(ix.array("ecl_td_src"))[pos])
            pos = pos[~inside if negate_src else inside]
        return np.asarray(ix.array("ecl_td_rel"))[pos].astype(np.int64)

    def concrete_of(self, focus: np.ndarray, types: np.ndarray | None) -> np.ndarray:
        """Positions (in ``EclIndex.concrete`` order) of the focus concepts' concrete values of ``types`` (None: any)."""
        cv = self.ix.concrete
        if types is None:
            sel = np.arange(len(cv["type"]), dtype=np.int64)
        else:
            sel = sets.positions(
                np.searchsorted(cv["type"], types, "left"), np.searchsorted(cv["type"], types, "right")
            )
        return sel[self.member(focus, cv["src"][sel])]

    def concrete(self, focus: np.ndarray, types: np.ndarray | None, comparison: Comparison, value: Any) -> np.ndarray:
        """Positions (in ``EclIndex.concrete`` order) of the focus concepts' concrete values that compare true."""
        cv = self.ix.concrete
        sel = self.concrete_of(focus, types)
        kind = cv["kind"][sel]
        if isinstance(value, NumericValue):
            sel = sel[(kind == fmt.CV_INTEGER) | (kind == fmt.CV_DECIMAL)]
            return sel[compare(cv["number"][sel], comparison, float(value.value))]
        if isinstance(value, BooleanValue):
            sel = sel[kind == fmt.CV_BOOLEAN]
            return sel[compare(cv["number"][sel] == 1.0, comparison, value.value)]
        if comparison not in (Comparison.EQ, Comparison.NE):
            raise EclEvaluationError(f"strings compare with = or != only, not {comparison.value}")
        sel = sel[kind == fmt.CV_STRING]
        texts = self.ix.concrete_text(cv["row"][sel])
        tests = [self._string_test(term) for term in value.terms]
        ok = np.zeros(len(texts), bool)
        for part in self.chunks(len(texts)):
            ok[part] = [any(test(x) for test in tests) for x in texts[part]]
        return sel[ok if comparison is Comparison.EQ else ~ok]

    @staticmethod
    def _string_test(term: SearchTerm) -> Callable[[str], bool]:
        """Concrete and member strings: ``match`` is exact equality, ``wild`` a case-insensitive pattern."""
        if term.type is SearchType.WILD:
            wild = term_matcher(term)
            return lambda s: wild(fold(s))
        exact = term.decoded()
        return lambda s: s == exact

    # ----- dotted attributes
    def _dotted(self, e: Dotted) -> np.ndarray:
        rows = self.expr(e.operand)
        for name in e.attributes:
            types, isa = self.attribute_types(name)
            rels = self.select(rows, types, None)
            values = sets.unique(self.t.array("rel_dest")[rels].astype(np.int32), self.n)
            rows = (
                sets.union([values, self.step(rows, down=False)], self.n) if isa else values
            )  # X . 116680003: parents
        return rows


class _Units:
    """All role-group units of the focus concepts, computed only when a ``[0..n]`` inside a group needs them.

    Is-a relationships count as groups (one each) only when the group names 116680003: like
    ``*``, a group that does not name is-a sees the defining attributes only (docs/ecl.md).
    """

    def __init__(self, run: Refinements, focus: np.ndarray, isa: bool = False):
        self.run = run
        self.focus = focus
        self.isa = isa
        self._all: np.ndarray | None = None

    def within(self, universe: np.ndarray) -> _Units:
        """The same focus with its units narrowed to ``universe`` (sorted units)."""
        out = _Units(self.run, self.focus, self.isa)
        out._all = universe
        return out

    def all(self) -> np.ndarray:
        if self._all is None:
            st, ix = self.run.t.array, self.run.ix
            rels = sets.positions(st("rel_ptr")[self.focus], st("rel_ptr")[self.focus + 1])
            cv = ix.concrete
            cvs = sets.positions(st("cv_ptr")[self.focus], st("cv_ptr")[self.focus + 1])
            units = [np.asarray(ix.array("ecl_rel_unit"))[rels], cv["unit_by_row"][cvs]]
            if self.isa:  # numbered as in Refinements.isa_keys
                pptr = np.asarray(st("parents_ptr"))
                isa = sets.positions(pptr[self.focus], pptr[self.focus + 1])
                child = np.repeat(self.focus, pptr[self.focus + 1] - pptr[self.focus])
                units.append(Refinements.isa_units(child, isa - pptr[child]))
            self._all = sets.unique(np.concatenate(units))
        return self._all
