"""Focus concepts of ECL: concept references, ``*``, the hierarchy operators, member-of and history supplements.

Also the boolean operators (AND, OR, MINUS) over the sets these give.  Member-of with
field selection or member filters reads the refset tables through ``t.sql``, with column
names checked against the table before they reach the query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from loaders import snomed

from . import _sets as sets
from ._run import Run
from .ast import (
    ALL_FIELDS,
    ActiveFilter,
    AlternateIdentifier,
    BinaryOperator,
    BooleanValue,
    Comparison,
    Compound,
    ConceptReference,
    EffectiveTimeFilter,
    Expression,
    Hierarchy,
    HierarchyOperator,
    History,
    HistoryProfile,
    MemberFieldFilter,
    MemberFilters,
    MemberOf,
    ModuleFilter,
    NumericValue,
    SearchType,
    StringValue,
    TimeValue,
    Wildcard,
)
from .errors import EclEvaluationError
from .filters import wild_parts

__all__ = ["HISTORY_PROFILES", "Members"]

# History supplement profiles: the association refsets followed back from the result. As the ECL
# specification's profiles and SNOMED International's reference server (Snowstorm ECLContentService)
# define them: MIN is SAME AS; MOD adds REPLACED BY, WAS A and PARTIALLY EQUIVALENT TO; MAX (and a
# bare +HISTORY) is every descendant of 900000000000522004 |Historical association reference set|.
HISTORY_PROFILES: dict[HistoryProfile, frozenset[int] | None] = {
    HistoryProfile.MIN: frozenset({snomed.SAME_AS}),
    HistoryProfile.MOD: frozenset({snomed.SAME_AS, snomed.REPLACED_BY, snomed.WAS_A, snomed.PARTIALLY_EQUIVALENT_TO}),
    HistoryProfile.MAX: None,  # the release's historical association refsets: see Members._history_refsets
}


class Members(Run):
    """Evaluation of the constructs that name sets of concepts directly."""

    # ----- focus concepts
    def _concept(self, e: ConceptReference) -> np.ndarray:
        row = self.row_of(e)
        return sets.EMPTY if row is None else np.array([row], np.int32)

    def _alternate(self, e: AlternateIdentifier) -> np.ndarray:
        self.warn(
            f"alternate identifier {e.scheme}#{e.code} is not in the release (the index holds no alternate identifiers)"
        )
        return sets.EMPTY

    def _wildcard(self, e: Wildcard) -> np.ndarray:
        return self.ix.active_rows

    def _compound(self, e: Compound) -> np.ndarray:
        parts = [self.expr(o) for o in e.operands]
        if e.operator is BinaryOperator.OR:
            return sets.union(parts, self.n)
        if e.operator is BinaryOperator.MINUS:
            return sets.difference(parts[0], parts[1], self.n)
        parts.sort(key=len)
        out = parts[0]
        for p in parts[1:]:
            if len(out) == 0:
                break
            out = sets.intersect(out, p, self.n)
        return out

    # ----- hierarchy
    def _hierarchy(self, e: Hierarchy) -> np.ndarray:
        rows = self.expr(e.operand)
        op = e.operator
        if op is HierarchyOperator.DESCENDANT_OF:
            return self.closure(rows, down=True)
        if op is HierarchyOperator.DESCENDANT_OR_SELF_OF:
            return sets.union([rows, self.closure(rows, down=True)], self.n)
        if op is HierarchyOperator.ANCESTOR_OF:
            return self.closure(rows, down=False)
        if op is HierarchyOperator.ANCESTOR_OR_SELF_OF:
            return sets.union([rows, self.closure(rows, down=False)], self.n)
        if op is HierarchyOperator.CHILD_OF:
            return self.step(rows, down=True)
        if op is HierarchyOperator.CHILD_OR_SELF_OF:
            return sets.union([rows, self.step(rows, down=True)], self.n)
        if op is HierarchyOperator.PARENT_OF:
            return self.step(rows, down=False)
        if op is HierarchyOperator.PARENT_OR_SELF_OF:
            return sets.union([rows, self.step(rows, down=False)], self.n)
        if op is HierarchyOperator.TOP:  # members with no ancestor in the set
            return sets.difference(rows, self.closure(rows, down=True), self.n)
        return sets.difference(rows, self.closure(rows, down=False), self.n)  # BOTTOM: no descendant in the set

    def step(self, rows: np.ndarray, down: bool) -> np.ndarray:
        st = self.t.array
        ptr, data = (st("children_ptr"), st("children")) if down else (st("parents_ptr"), st("parents"))
        return sets.unique(sets.gather(ptr, data, rows), self.n)

    def closure(self, rows: np.ndarray, down: bool) -> np.ndarray:
        """Strict descendants (or ancestors) of a set: closure rows when few, else a breadth-first walk."""
        st = self.t.array
        ptr, data = (st("descendants_ptr"), st("descendants")) if down else (st("ancestors_ptr"), st("ancestors"))
        if len(rows) == 0:
            return sets.EMPTY
        if len(rows) == 1:
            return sets.rows(sets.gather(ptr, data, rows))
        total = sets.segment_lengths(ptr, rows)
        edges = len(st("parents"))
        if total <= 2 * edges:
            return sets.unique(sets.gather(ptr, data, rows), self.n)
        step_ptr, step = (st("children_ptr"), st("children")) if down else (st("parents_ptr"), st("parents"))
        seen = np.zeros(self.n, bool)
        frontier = sets.unique(sets.gather(step_ptr, step, rows), self.n)
        while len(frontier):
            self.check()
            seen[frontier] = True
            nxt = sets.gather(step_ptr, step, frontier)
            frontier = sets.unique(nxt[~seen[nxt]], self.n)
        return np.flatnonzero(seen).astype(np.int32)

    # ----- member of
    def _member_of(self, e: MemberOf) -> np.ndarray:
        refsets = self.refsets_of(e.refset)
        if e.fields is None and not e.filters:
            mr, mc = self.ix.row_of_refset_member
            lo, hi = np.searchsorted(mr, refsets, "left"), np.searchsorted(mr, refsets, "right")
            return sets.unique(mc[sets.positions(lo, hi)], self.n)
        if e.fields is None:
            parts = [self.member_components(refsets, block) for block in e.filters]
            out = parts[0]
            for p in parts[1:]:
                out = sets.intersect(out, p, self.n)
            return out
        fields, records = self.member_records(e, refsets)
        if len(fields) != 1:
            raise EclEvaluationError(
                f"a field selection of {len(fields)} fields cannot be used as a set of concepts; select one field"
            )
        return self.concept_rows([r[0] for r in records], f"field {fields[0]}")

    def refsets_of(self, e: Expression) -> np.ndarray:
        refsets = self.ids_of(self.expr(e))
        if isinstance(e, ConceptReference) and len(refsets):
            mr = self.ix.row_of_refset_member[0]
            k = int(np.searchsorted(mr, e.id))
            if (k >= len(mr) or int(mr[k]) != e.id) and self.ix.refset_table(e.id) is None:
                self.warn(f"concept {e.id} is not a reference set with members in the release")
        return refsets

    def concept_rows(self, values: Sequence[Any], what: str) -> np.ndarray:
        """Rows of the concepts among some refset field values (other values are ignored with a warning)."""
        ids = np.asarray(self.t.ids)
        try:
            arr = np.array([int(v) for v in values if v is not None], np.int64)
        except (TypeError, ValueError):
            raise EclEvaluationError(
                f"{what} does not hold concept ids, so it cannot be used as a set of concepts"
            ) from None
        pos = np.searchsorted(ids, arr).clip(0, max(len(ids) - 1, 0))
        hit = ids[pos] == arr if len(ids) else np.zeros(len(arr), bool)
        if (~hit).any():
            self.warn(f"{int((~hit).sum())} value(s) of {what} are not concepts of the release")
        return sets.unique(pos[hit].astype(np.int32), self.n)

    def _tables(self, refsets: np.ndarray) -> list[tuple[str, list[int]]]:
        by_table: dict[str, list[int]] = {}
        for r in refsets.tolist():
            table = self.ix.refset_table(int(r))
            if table is not None:
                by_table.setdefault(table, []).append(int(r))
        return sorted(by_table.items())

    def _column(self, name: str, columns: list[str], refsets: list[int]) -> str:
        if name in columns:
            return name
        lowered = {c.lower(): c for c in columns}
        if name.lower() in lowered:
            return lowered[name.lower()]
        shown = ", ".join(c for c in columns if c != "id")
        raise EclEvaluationError(f"reference set {refsets[0]} has no field {name!r} (its fields: {shown})")

    def member_conditions(
        self, blocks: Sequence[MemberFilters], columns: list[str], refsets: list[int]
    ) -> tuple[list[str], list[Any], list[tuple[str, bool, np.ndarray]]]:
        """SQL conditions (validated column names only) and concept-set tests applied afterwards in numpy."""
        where: list[str] = []
        params: list[Any] = []
        post: list[tuple[str, bool, np.ndarray]] = []
        for block in blocks:
            for f in block.filters:
                self.check()
                if isinstance(f, MemberFieldFilter):
                    col = self._column(f.field, columns, refsets)
                    self._member_field(col, f.comparison, f.value, where, params, post)
                elif isinstance(f, ModuleFilter):
                    post.append(("moduleId", f.comparison is Comparison.EQ, self.filter_ids(f.value)))
                elif isinstance(f, EffectiveTimeFilter):
                    self._member_field("effectiveTime", f.comparison, TimeValue(f.times), where, params, post)
                elif isinstance(f, ActiveFilter) and f.active != (f.comparison is Comparison.EQ):
                    where.append("0")  # the index keeps active members only
        return where, params, post

    def _member_field(
        self,
        col: str,
        comparison: Comparison,
        value: Any,
        where: list[str],
        params: list[Any],
        post: list[tuple[str, bool, np.ndarray]],
    ) -> None:
        q = f'"{col}"'
        op = comparison.value
        if isinstance(value, NumericValue):
            where.append(f"{q} {op} ?")
            params.append(float(value.value) if isinstance(value.value, Decimal) else value.value)
        elif isinstance(value, BooleanValue):
            where.append(f"{q} {'=' if comparison is Comparison.EQ else '!='} ?")
            params.append(1 if value.value else 0)
        elif isinstance(value, TimeValue):
            times = [int(x) for x in value.times if x]
            if comparison is Comparison.NE:
                where.append(f"CAST({q} AS INTEGER) NOT IN ({','.join('?' * len(times))})")
                params += times
            else:
                where.append("(" + " OR ".join(f"CAST({q} AS INTEGER) {op} ?" for _ in times) + ")" if times else "0")
                params += times
        elif isinstance(value, StringValue):
            alts = []
            for term in value.terms:
                if term.type is SearchType.WILD:
                    pattern = "".join(
                        "%" if p is None else p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                        for p in wild_parts(term)
                    )
                    alts.append(f"{q} LIKE ? ESCAPE '\\'")
                    params.append(pattern)
                else:
                    alts.append(f"{q} = ?")
                    params.append(term.decoded())
            cond = "(" + " OR ".join(alts) + ")"
            where.append(cond if comparison is Comparison.EQ else f"NOT {cond}")
        else:
            post.append((col, comparison is Comparison.EQ, self.filter_ids(value)))

    def _member_query(
        self, refsets: np.ndarray, blocks: Sequence[MemberFilters], select: Callable[[list[str], list[int]], list[str]]
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Rows of the selected columns of every member (of every refset) that meets all blocks."""
        out: list[tuple[Any, ...]] = []
        names: list[str] = []
        for table, ids in self._tables(refsets):
            columns = self.ix.table_columns(table)
            chosen = select(columns, ids)
            names = names or chosen
            where, params, post = self.member_conditions(blocks, columns, ids)
            post_cols = [c for c, _, _ in post]
            cols = ", ".join(f'"{c}"' for c in [*post_cols, *chosen])
            # With other conditions, "+" keeps SQLite off the refsetId index (one refset is every row) so that
            # an index on the filtered column (mapTarget, targetComponentId) can be used.
            plus = "+" if where else ""
            sql = f'SELECT {cols} FROM {table} WHERE {plus}"refsetId" IN ({",".join("?" * len(ids))})'
            sql += "".join(f" AND {w}" for w in where)
            self.check()
            rows = self.sql(sql, [*ids, *params])
            if post and rows:
                keep = np.ones(len(rows), bool)
                for k, (_, equal, values) in enumerate(post):
                    col = np.array([r[k] if isinstance(r[k], int) else -1 for r in rows], np.int64)
                    hit = np.isin(col, values)
                    keep &= hit if equal else ~hit
                rows = [r for r, ok in zip(rows, keep.tolist(), strict=True) if ok]
            out += [r[len(post_cols) :] for r in rows]
        return names, out

    def member_components(self, refsets: np.ndarray, block: MemberFilters) -> np.ndarray:
        _, rows = self._member_query(refsets, [block], lambda cols, ids: ["referencedComponentId"])
        return self.concept_rows([r[0] for r in rows], "referencedComponentId")

    def member_records(self, e: MemberOf, refsets: np.ndarray) -> tuple[list[str], list[tuple[Any, ...]]]:
        assert e.fields is not None

        def select(columns: list[str], ids: list[int]) -> list[str]:
            if e.fields == ALL_FIELDS:
                return list(columns)
            return [self._column(f, columns, ids) for f in e.fields or ()]

        names, rows = self._member_query(refsets, e.filters, select)
        if not names:
            names = list(e.fields) if e.fields != ALL_FIELDS else []
        distinct = sorted(set(rows), key=lambda r: tuple((x is None, str(x)) for x in r))
        return names, distinct

    # ----- history
    def _history(self, e: History) -> np.ndarray:
        rows = self.expr(e.operand)
        if e.subset is not None:
            refsets: frozenset[int] = frozenset(self.ids_of(self.expr(e.subset)).tolist())
        else:
            refsets = HISTORY_PROFILES[e.profile or HistoryProfile.MAX] or self._history_refsets()
        target = self.ix.array("ecl_assoc_target")
        pos = sets.positions(np.searchsorted(target, rows, "left"), np.searchsorted(target, rows, "right"))
        sources = np.asarray(self.ix.array("ecl_assoc_source"))[pos]
        sources = sources[np.isin(np.asarray(self.ix.array("ecl_assoc_refset"))[pos], list(refsets))]
        return sets.union([rows, sets.unique(sources.astype(np.int32), self.n)], self.n)

    def _history_refsets(self) -> frozenset[int]:
        """HISTORY-MAX: the descendants of |Historical association reference set| in the release, and the
        well-known historical association refsets by id (a subset or sample may lack the metadata hierarchy)."""
        found = set(snomed.HISTORY_REFSETS)
        if self.t.has_concept(snomed.HISTORICAL_ASSOCIATION_REFSET):
            found.update(int(i) for i in self.t.descendants(snomed.HISTORICAL_ASSOCIATION_REFSET).tolist())
        return frozenset(found)
