"""ECL 2.2 evaluation over an opened index: ``evaluate(t, "<< 404684003 : 363698007 = << 39057004")``.

Every set is a sorted, duplicate-free int32 array of concept ROWS (row i is
``t.ids[i]``).  Rows rather than SCTIDs because they are dense (a boolean mask of
``n`` bytes is always an option, see ``_sets``) and index every per-concept array
directly; since ``t.ids`` is sorted, ``t.ids[rows]`` is the same set as sorted SCTIDs.

Semantics chosen where the specification leaves room (docs/ecl.md lists them all):

* substrate: ``*`` and the hierarchy operators range over ACTIVE concepts (the is-a
  closure holds active concepts only).  A concept named explicitly, a refset member
  and a history supplement can bring an inactive concept in; ``{{ C active = ... }}``
  then tells them apart.  ``<< inactive`` is just the concept (it has no is-a);
* a concept that is not in the release denotes the empty set (as Snowstorm does), and
  the result's ``warnings`` says so ("concept X is not in the release"); an inactive
  concept in a focus position adds "concept X is inactive";
* attribute refinements read the active inferred relationships; cardinality counts
  matching relationships (per concept, or per role group inside ``{ }``), default
  ``[1..*]``; ``[0..n]`` keeps the focus concepts with at most n, so ``[0..0]`` means
  "no such attribute"; ``!=`` matches an attribute of the type whose value is NOT in
  the set; ungrouped (group 0) attributes are each a group of their own;
* ``116680003 |Is a|`` as an attribute name is the concept's active inferred is-a
  relationships (its parents; reverse: its children), read from the hierarchy arrays;
  each is a group-0 relationship, so a group of its own inside ``{ }``.  Is-a is seen
  only where it is named: ``*`` as an attribute name means any *defining* attribute, and
  a group that does not name is-a does not count is-a relationships among its groups;
* description filters look at active descriptions unless the block has its own
  ``active`` filter; ``match`` is word-prefix matching of every search word in any
  order, ``wild`` a whole-term pattern, both case- and diacritic-insensitive.
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from loaders import rf2_format as rf2

from ..errors import TerminologyError
from ..index import format as fmt
from ..text.normalise import WORD, fold, words
from . import _sets as sets
from ._index import GROUP0_ISA, UNIT_SHIFT, EclIndex
from .ast import (
    ALL_FIELDS,
    Acceptability,
    ActiveFilter,
    AlternateIdentifier,
    Attribute,
    AttributeGroup,
    BinaryOperator,
    BooleanValue,
    Cardinality,
    Comparison,
    Compound,
    CompoundRefinement,
    ConceptFilters,
    ConceptReference,
    ConceptSet,
    DefinitionStatus,
    DefinitionStatusFilter,
    DefinitionStatusIdFilter,
    DescriptionFilters,
    DescriptionIdFilter,
    DescriptionTypeFilter,
    DescriptionTypeIdFilter,
    DialectAliasFilter,
    DialectIdFilter,
    Dotted,
    EffectiveTimeFilter,
    Expression,
    Filtered,
    FilterValue,
    Hierarchy,
    HierarchyOperator,
    History,
    HistoryProfile,
    LanguageFilter,
    MemberFieldFilter,
    MemberFilters,
    MemberOf,
    ModuleFilter,
    NumericValue,
    Refined,
    Refinement,
    SearchTerm,
    SearchType,
    StringValue,
    TermFilter,
    TimeValue,
    Wildcard,
)
from .parser import parse_ecl

if TYPE_CHECKING:
    from ..terminology import Terminology

__all__ = [
    "DEFAULT_TIME_BUDGET_S",
    "DIALECT_ALIASES",
    "HISTORY_PROFILES",
    "MAX_PAGE",
    "EclEvaluationError",
    "EclLimitError",
    "EclResult",
    "EclTimeoutError",
    "ecl_concepts",
    "ecl_count",
    "evaluate",
]

MAX_PAGE = 1000
DEFAULT_TIME_BUDGET_S = 5.0
IS_A = rf2.IS_A

# History supplement profiles: association refsets followed back from the result (docs/ecl.md).
SAME_AS, REPLACED_BY = 900000000000527005, 900000000000526001
POSSIBLY_EQUIVALENT_TO, PARTIALLY_EQUIVALENT_TO, POSSIBLY_REPLACED_BY = 900000000000523009, 1186924009, 1186921001
HISTORY_PROFILES: dict[HistoryProfile, frozenset[int] | None] = {
    HistoryProfile.MIN: frozenset({SAME_AS, REPLACED_BY}),
    HistoryProfile.MOD: frozenset({SAME_AS, REPLACED_BY, POSSIBLY_EQUIVALENT_TO, PARTIALLY_EQUIVALENT_TO, POSSIBLY_REPLACED_BY}),
    HistoryProfile.MAX: None,  # every association refset of the release
}

# Dialect aliases of the ECL specification's table that snomap knows the language refset of.
DIALECT_ALIASES: dict[str, int] = {
    "en-us": rf2.EN_US,
    "en-gb": rf2.EN_GB,
    "en-au": 32570271000036106,
    "en-ca": 19491000087109,
    "en-nz": 271000210107,
    "en-ie": 21000220103,
}
_ACCEPTABILITY_CODES = {
    Acceptability.ACCEPT.concept_id: fmt.ACCEPTABLE_CODE,
    Acceptability.PREFER.concept_id: fmt.PREFERRED_CODE,
}
_ONE_OR_MORE = Cardinality(1, None)
# Above this many candidate descriptions a term filter asks the FTS index instead of reading terms.
_FTS_FROM = 2000
_CHECK_EVERY = 20000
# FTS instead of testing a concept set's descriptions when the estimated hits are below this many per description
_FTS_WILD_RATIO = 0.2  # wild terms are tested vectorised (wild_ascii)
_FTS_MATCH_RATIO = 8.0  # match terms are tested one description at a time


# --------------------------------------------------------------------------- errors


class EclEvaluationError(TerminologyError):
    """A well-formed expression the evaluator cannot answer (unknown refset field, unsupported nesting, ...)."""

    status = 422

    def __init__(self, message: str, field: str | None = "ecl"):
        self.field = field
        super().__init__(message)


class EclTimeoutError(EclEvaluationError):
    """The evaluation ran past its time budget (checked between AST nodes): narrow the expression."""

    def __init__(self, budget_s: float, elapsed_s: float):
        self.budget_s = budget_s
        self.elapsed_s = elapsed_s
        super().__init__(f"ECL evaluation exceeded its time budget of {budget_s:g} s (stopped after {elapsed_s:.2f} s)")


class EclLimitError(TerminologyError):
    """A page larger than ``MAX_PAGE`` (or a negative offset) was asked for."""

    status = 400

    def __init__(self, message: str, field: str = "limit"):
        self.field = field
        super().__init__(message)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class EclResult:
    """The concepts an expression denotes, as sorted rows and SCTIDs, with warnings for the caller.

    ``fields``/``records`` are set only for a top-level refset field selection
    (``^ [referencedComponentId, mapTarget] 447562003``): one dict per distinct selected
    tuple; ``rows`` then holds the concepts named by the first selected field, if any.
    """

    rows: np.ndarray
    ids: np.ndarray
    warnings: tuple[str, ...] = ()
    fields: tuple[str, ...] | None = None
    records: tuple[dict[str, Any], ...] | None = None
    elapsed_ms: float = 0.0

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids.tolist())

    def __contains__(self, sctid: object) -> bool:
        if not isinstance(sctid, int | np.integer):
            return False
        k = int(np.searchsorted(self.ids, sctid))
        return k < len(self.ids) and int(self.ids[k]) == sctid

    @property
    def total(self) -> int:
        return len(self.records) if self.records is not None else len(self.rows)


# --------------------------------------------------------------------------- text matching


def _wild_parts(term: SearchTerm) -> list[str | None]:
    """A wild pattern as literal characters and None for each unescaped ``*``."""
    out: list[str | None] = []
    chars = iter(term.text)
    for ch in chars:
        if ch == "\\":
            out.append(next(chars, "\\"))
        elif ch == "*":
            out.append(None)
        else:
            out.append(ch)
    return out


def term_matcher(term: SearchTerm) -> Callable[[str], bool]:
    """A predicate over a (folded) description term for one search term."""
    if term.type is SearchType.WILD:
        pattern = "".join(".*" if p is None else re.escape(fold(p)) for p in _wild_parts(term))
        rx = re.compile(pattern, re.DOTALL)
        return lambda folded: rx.fullmatch(folded) is not None
    wanted = words(term.decoded())

    def match(folded: str) -> bool:
        have = WORD.findall(folded)
        return all(any(w.startswith(q) for w in have) for q in wanted)

    return match


def _runs(term: SearchTerm) -> list[tuple[str, bool]]:
    """Literal word runs of a wild pattern, folded, each with whether it starts a word.

    A run starts a word when the pattern has it at its start or after a literal
    non-word character (not after ``*``): then every matching term has a word that
    begins with the run.
    """
    out: list[tuple[str, bool]] = []
    parts = _wild_parts(term)
    i = 0
    while i < len(parts):
        p = parts[i]
        if p is None or not WORD.fullmatch(fold(p)):
            i += 1
            continue
        j = i
        while j < len(parts) and parts[j] is not None and WORD.fullmatch(fold(parts[j] or "")):
            j += 1
        before = parts[i - 1] if i else ""
        text = fold("".join(x for x in parts[i:j] if x is not None))
        out.append((text, before is not None))
        i = j
    return out


def fts_plan(term: SearchTerm) -> tuple[str, str] | None:
    """How the FTS index can find a superset of the descriptions a search term matches.

    ``("prefix", query)``: an FTS5 query, exact for ``match`` (each word a prefix of a
    word) and a superset for ``wild`` (the runs that start a word); ``("contains", run)``:
    descriptions with a token containing the run (a ``wild`` pattern with no word start,
    such as ``*itis``).  None when the pattern has no literal word at all.
    """
    if term.type is SearchType.MATCH:
        anchors = words(term.decoded())
    else:
        runs = _runs(term)
        anchors = [w for text, starts in runs if starts for w in words(text)[:1]]
        if not anchors:
            longest = max((text for text, _ in runs), key=len, default="")
            return ("contains", longest) if longest else None
    if not anchors:
        return None
    return "prefix", " AND ".join('"' + a.replace('"', '""') + '"*' for a in anchors)


# --------------------------------------------------------------------------- comparisons


def _compare(values: np.ndarray, comparison: Comparison, x: Any) -> np.ndarray:
    if comparison is Comparison.EQ:
        return values == x
    if comparison is Comparison.NE:
        return values != x
    if comparison is Comparison.LT:
        return values < x
    if comparison is Comparison.LE:
        return values <= x
    if comparison is Comparison.GT:
        return values > x
    return values >= x


def _times_ok(values: np.ndarray, comparison: Comparison, times: Sequence[str]) -> np.ndarray:
    """Any of the times satisfies the comparison (``!=`` with several: equal to none of them)."""
    ts = [int(t) for t in times if t]
    if comparison is Comparison.NE:
        return ~np.isin(values, ts)
    ok = np.zeros(len(values), bool)
    for x in ts:
        ok |= _compare(values, comparison, x)
    return ok


# --------------------------------------------------------------------------- evaluation


class _Run:
    """One evaluation: the budget, the warnings and a memo of sub-expressions."""

    def __init__(self, ev: Evaluator, budget_s: float | None):
        self.ev = ev
        self.t = ev.t
        self.ix = ev.index
        self.n = ev.index.n
        self.started = time.monotonic()
        self.budget_s = budget_s
        self.deadline = None if budget_s is None else self.started + budget_s
        self.warnings: dict[str, None] = {}
        self.memo: dict[Expression, np.ndarray] = {}

    # ----- guards and helpers
    def check(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            assert self.budget_s is not None
            raise EclTimeoutError(self.budget_s, time.monotonic() - self.started)

    def warn(self, message: str) -> None:
        self.warnings[message] = None

    def ids_of(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.t.ids)[rows]

    def member(self, sorted_set: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Which ``values`` (rows) are in ``sorted_set``: binary search, or a mask when both are large."""
        if len(values) > 4096 and len(sorted_set) > 4096:
            return sets.mask(sorted_set, self.n)[values]
        return sets.contains(sorted_set, values)

    def row_of(self, e: ConceptReference) -> int | None:
        row = self.t.index_of(e.id)
        if row is None:
            self.warn(f"concept {e.id} is not in the release")
        elif not bool(self.t.store.concept_active[row]):
            self.warn(f"concept {e.id} is inactive")
        return row

    # ----- expressions
    def expr(self, e: Expression) -> np.ndarray:
        self.check()
        hit = self.memo.get(e)
        if hit is not None:
            return hit
        method = _DISPATCH.get(type(e))
        if method is None:  # pragma: no cover - every AST expression type has a method
            raise EclEvaluationError(f"cannot evaluate {type(e).__name__}")
        out = method(self, e)
        self.memo[e] = out
        return out

    def _concept(self, e: ConceptReference) -> np.ndarray:
        row = self.row_of(e)
        return sets.EMPTY if row is None else np.array([row], np.int32)

    def _alternate(self, e: AlternateIdentifier) -> np.ndarray:
        self.warn(f"alternate identifier {e.scheme}#{e.code} is not in the release (the index holds no alternate identifiers)")
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
        st = self.t.store
        ptr, data = (st.children_ptr, st.children) if down else (st.parents_ptr, st.parents)
        return sets.unique(sets.gather(ptr, data, rows), self.n)

    def closure(self, rows: np.ndarray, down: bool) -> np.ndarray:
        """Strict descendants (or ancestors) of a set: closure rows when few, else a breadth-first walk."""
        st = self.t.store
        ptr, data = (st.descendants_ptr, st.descendants) if down else (st.ancestors_ptr, st.ancestors)
        if len(rows) == 0:
            return sets.EMPTY
        if len(rows) == 1:
            return sets.rows(sets.gather(ptr, data, rows))
        total = sets.segment_lengths(ptr, rows)
        edges = len(st.parents)
        if total <= 2 * edges:
            return sets.unique(sets.gather(ptr, data, rows), self.n)
        step_ptr, step = (st.children_ptr, st.children) if down else (st.parents_ptr, st.parents)
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
            raise EclEvaluationError(f"a field selection of {len(fields)} fields cannot be used as a set of concepts; select one field")
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
            raise EclEvaluationError(f"{what} does not hold concept ids, so it cannot be used as a set of concepts") from None
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
        self, col: str, comparison: Comparison, value: Any, where: list[str], params: list[Any], post: list[tuple[str, bool, np.ndarray]]
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
                    pattern = "".join("%" if p is None else p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for p in _wild_parts(term))
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
            rows = self.t.store.db.execute(sql, [*ids, *params]).fetchall()
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

    # ----- refinements
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
            return any(_Run.needs_all_units(o) for o in r.operands)
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

    def cardinality(self, keys: np.ndarray, card: Cardinality | None, universe: np.ndarray, n: int | None) -> np.ndarray:
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
            raise EclEvaluationError(f"the comparison {a.comparison.value} needs a concrete value (#number, \"string\", true/false)")
        values = None if isinstance(value, Wildcard) else self.expr(value)
        if negate and values is None:
            return sets.EMPTY
        rel = self.t.store
        if a.reverse:
            if group:
                raise EclEvaluationError("a reverse attribute (R) inside an attribute group is not supported")
            rels = self.select(values, types, focus, negate_src=negate)
            keys = np.asarray(rel.rel_dest)[rels].astype(np.int32)
        else:
            rels = self.select(focus, types, values, negate_dest=negate)
            keys = np.asarray(self.ix.array("ecl_rel_unit"))[rels] if group else np.asarray(rel.rel_src)[rels].astype(np.int32)
        if isa:
            keys = np.concatenate((keys, self.isa_keys(focus, values, negate=negate, reverse=a.reverse, group=group)))
        return keys

    def isa_keys(self, focus: np.ndarray, values: np.ndarray | None, *, negate: bool, reverse: bool, group: bool) -> np.ndarray:
        """``attribute_keys`` for 116680003 |Is a|: one key per is-a relationship of a focus concept that matches.

        Forward the focus concept is the child and the value its parent (so ``[n..m]`` counts
        parents in the value set); reverse the focus is the parent and the value a child.  The
        hierarchy's CSR rows are these relationships; they are read from the smaller side: the
        focus concepts' rows, or (``=`` with a value set) the values' rows in the other direction.
        """
        st = self.t.store
        out_ptr, out = (st.children_ptr, st.children) if reverse else (st.parents_ptr, st.parents)
        back_ptr, back = (st.parents_ptr, st.parents) if reverse else (st.children_ptr, st.children)
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
        st = self.t.store
        data = np.asarray(st.parents)
        start = np.asarray(st.parents_ptr)[child].astype(np.int64)
        lo, hi = start.copy(), np.asarray(st.parents_ptr)[child + 1].astype(np.int64)
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
        ix, st = self.ix, self.t.store
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
        cost_source = sets.segment_lengths(st.rel_ptr, sources) if by_source and sources is not None and len(sources) < self.n // 4 else (
            int(len(sources) * m / max(self.n, 1)) if by_source and sources is not None else None
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
            rels = sets.positions(st.rel_ptr[sources], st.rel_ptr[sources + 1])
            ok = np.ones(len(rels), bool)
            if types is not None:
                ok &= sets.mask(types_present, self.n)[np.asarray(st.rel_type)[rels]]
            if dests is not None:
                inside = self.member(dests, np.asarray(st.rel_dest)[rels])
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

    def concrete(self, focus: np.ndarray, types: np.ndarray | None, comparison: Comparison, value: Any) -> np.ndarray:
        """Positions (in ``EclIndex.concrete`` order) of the focus concepts' concrete values that compare true."""
        cv = self.ix.concrete
        if types is None:
            sel = np.arange(len(cv["type"]), dtype=np.int64)
        else:
            sel = sets.positions(np.searchsorted(cv["type"], types, "left"), np.searchsorted(cv["type"], types, "right"))
        sel = sel[self.member(focus, cv["src"][sel])]
        kind = cv["kind"][sel]
        if isinstance(value, NumericValue):
            sel = sel[(kind == fmt.CV_INTEGER) | (kind == fmt.CV_DECIMAL)]
            return sel[_compare(cv["number"][sel], comparison, float(value.value))]
        if isinstance(value, BooleanValue):
            sel = sel[kind == fmt.CV_BOOLEAN]
            return sel[_compare(cv["number"][sel] == 1.0, comparison, value.value)]
        if comparison not in (Comparison.EQ, Comparison.NE):
            raise EclEvaluationError(f"strings compare with = or != only, not {comparison.value}")
        sel = sel[kind == fmt.CV_STRING]
        texts = self.ix.concrete_text(cv["row"][sel])
        tests = [self._string_test(term) for term in value.terms]
        ok = np.array([any(test(x) for test in tests) for x in texts], bool)
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
            values = sets.unique(np.asarray(self.t.store.rel_dest)[rels].astype(np.int32), self.n)
            rows = sets.union([values, self.step(rows, down=False)], self.n) if isa else values  # X . 116680003: parents
        return rows

    # ----- filters
    def _filtered(self, e: Filtered) -> np.ndarray:
        rows = self.expr(e.operand)
        for block in e.filters:
            if len(rows) == 0:
                break
            rows = self.concept_block(rows, block) if isinstance(block, ConceptFilters) else self.description_block(rows, block)
        return rows

    def filter_ids(self, value: FilterValue) -> np.ndarray:
        """SCTIDs a filter value stands for: an explicit ``(id id)`` set, or an expression's concepts."""
        if isinstance(value, ConceptSet):
            return np.array(sorted({c.id for c in value.concepts}), np.int64)
        return self.ids_of(self.expr(value))

    def concept_block(self, rows: np.ndarray, block: ConceptFilters) -> np.ndarray:
        st = self.t.store
        keep = np.ones(len(rows), bool)
        for f in block.filters:
            self.check()
            if isinstance(f, DefinitionStatusFilter | DefinitionStatusIdFilter):
                if isinstance(f, DefinitionStatusFilter):
                    wanted = {s is DefinitionStatus.DEFINED for s in f.statuses}
                else:
                    ids = set(self.filter_ids(f.value).tolist())
                    wanted = {True for i in ids if i == rf2.FULLY_DEFINED} | {False for i in ids if i == rf2.PRIMITIVE}
                ok = np.isin(np.asarray(st.concept_defined)[rows], list(wanted))
            elif isinstance(f, ModuleFilter):
                ok = np.isin(np.asarray(st.concept_module)[rows], self.filter_ids(f.value))
                ok = ok if f.comparison is Comparison.EQ else ~ok
                keep &= ok
                continue
            elif isinstance(f, EffectiveTimeFilter):
                keep &= _times_ok(np.asarray(st.concept_effective)[rows], f.comparison, f.times)
                continue
            else:
                ok = np.asarray(st.concept_active)[rows] == f.active
            keep &= ok if f.comparison is Comparison.EQ else ~ok
        return rows[keep]

    def description_block(self, rows: np.ndarray, block: DescriptionFilters) -> np.ndarray:
        """The concepts with at least one description that meets every filter of the block."""
        st = self.t.store
        fs = block.filters
        terms = [f for f in fs if isinstance(f, TermFilter)]
        actives = [f for f in fs if isinstance(f, ActiveFilter)]
        active_only = not actives or all(f.active == (f.comparison is Comparison.EQ) for f in actives)
        candidates = sets.segment_lengths(st.desc_by_concept_ptr, rows)
        # The FTS index narrows the descriptions to read when its estimated hit count is well below
        # the concept set's description count (else reading the set's terms directly is cheaper).
        fts_filter: TermFilter | None = None
        if active_only and candidates > _FTS_FROM:
            fts_filter = next((f for f in terms if f.comparison is Comparison.EQ and self.fts_able(f) and self.fts_cheaper(f, candidates)), None)
        exact: np.ndarray | None = None  # rows whose match with fts_filter the FTS query already proved
        if fts_filter is not None:
            hits = self.fts(fts_filter)
            defs = self.ix.definition_rows
            if any(t.type is SearchType.WILD for t in fts_filter.terms):
                # A wild run is a token prefix/infix for ASCII terms; other terms are confirmed one by one.
                hits = sets.unique(np.concatenate((hits, self.ix.non_ascii_rows)))
            desc = np.concatenate((hits, defs))
            exact = np.concatenate((np.full(len(hits), all(t.type is SearchType.MATCH for t in fts_filter.terms)), np.zeros(len(defs), bool)))
            inside = self.member(rows, np.asarray(st.desc_concept)[desc])
            desc, exact = desc[inside], exact[inside]
        else:
            desc = sets.positions(st.desc_by_concept_ptr[rows], st.desc_by_concept_ptr[rows + 1])
        keep = np.ones(len(desc), bool)
        if not actives:
            keep &= np.asarray(st.desc_active)[desc]
        for f in fs:
            self.check()
            if isinstance(f, TermFilter):
                continue
            keep &= self.description_test(desc, f)
        desc = desc[keep]
        if exact is not None:
            exact = exact[keep]
        for f in terms:
            if len(desc) == 0:
                break
            if f is fts_filter and exact is not None:
                todo = ~exact
                ok = np.ones(len(desc), bool)
                ok[todo] = self.term_test(desc[todo], f)
            else:
                ok = self.term_test(desc, f)
            desc = desc[ok]
            if exact is not None:
                exact = exact[ok]
        return sets.intersect(rows, sets.unique(np.asarray(st.desc_concept)[desc].astype(np.int32), self.n), self.n)

    def description_test(self, desc: np.ndarray, f: Any) -> np.ndarray:
        """Vectorised test of one non-term description filter."""
        st = self.t.store
        equal = f.comparison is Comparison.EQ
        if isinstance(f, ActiveFilter):
            ok = np.asarray(st.desc_active)[desc] == f.active
        elif isinstance(f, LanguageFilter):
            languages = list(self.t.store.manifest.get("languages", []))
            codes = [languages.index(c) for c in f.codes if c in languages]
            ok = np.isin(np.asarray(st.desc_lang)[desc], codes)
        elif isinstance(f, DescriptionTypeFilter):
            ok = np.isin(np.asarray(st.desc_type_id)[desc], [d.concept_id for d in f.types])
        elif isinstance(f, DescriptionTypeIdFilter):
            ok = np.isin(np.asarray(st.desc_type_id)[desc], self.filter_ids(f.value))
        elif isinstance(f, DescriptionIdFilter):
            ok = np.isin(np.asarray(st.desc_id)[desc], list(f.ids))
        elif isinstance(f, ModuleFilter):
            ok = np.isin(np.asarray(st.desc_module)[desc], self.filter_ids(f.value))
        elif isinstance(f, EffectiveTimeFilter):
            return _times_ok(np.asarray(st.desc_effective)[desc], f.comparison, f.times)
        elif isinstance(f, DialectAliasFilter):
            pairs = []
            for alias, acc in f.effective():
                refset = DIALECT_ALIASES.get(alias)
                if refset is None:
                    self.warn(f"dialect alias {alias} is not known (known: {', '.join(sorted(DIALECT_ALIASES))})")
                    continue
                pairs.append((refset, acc))
            ok = self.dialect_test(desc, pairs)
        elif isinstance(f, DialectIdFilter):
            if isinstance(f.dialects, tuple):
                pairs = [(d.concept.id, d.acceptability or f.acceptability) for d in f.dialects]
            else:
                pairs = [(int(r), f.acceptability) for r in self.ids_of(self.expr(f.dialects)).tolist()]
            ok = self.dialect_test(desc, pairs)
        else:  # pragma: no cover - the parser builds no other description filter
            raise EclEvaluationError(f"unsupported description filter {type(f).__name__}")
        return ok if equal else ~ok

    def dialect_test(self, desc: np.ndarray, pairs: Sequence[tuple[int, Any]]) -> np.ndarray:
        """Descriptions in any of the language refsets, with one of the acceptabilities when given."""
        ok = np.zeros(len(desc), bool)
        refsets = self.t.language_refsets
        if not len(desc):
            return ok
        for refset, acceptability in pairs:
            if refset not in refsets:
                self.warn(f"language reference set {refset} is not in the release")
                continue
            values = np.asarray(self.t.store.acceptability[desc, refsets.index(refset)])
            if acceptability is None:
                ok |= values != fmt.NONE
            else:
                codes = [
                    _ACCEPTABILITY_CODES.get(a.concept_id if isinstance(a, Acceptability) else a.id, -1) for a in acceptability
                ]
                ok |= np.isin(values, codes)
        return ok

    def fts_able(self, f: TermFilter) -> bool:
        return self.ev.has_fts and all(fts_plan(t) is not None for t in f.terms)

    def fts_cheaper(self, f: TermFilter, candidates: int) -> bool:
        """Whether fetching the FTS hits of `f` costs less than testing `candidates` descriptions directly.

        The hit count is estimated from the token document counts (an upper bound for one token).
        Testing ``wild`` terms directly is vectorised (wild_ascii), ``match`` terms are read one by one.
        """
        vocab, docs = self.ix.fts_vocabulary(), self.ix.fts_vocabulary_docs()
        estimate = 0
        for term in f.terms:
            plan = fts_plan(term)
            assert plan is not None
            kind, text = plan
            if kind == "prefix":
                anchors = words(term.decoded()) if term.type is SearchType.MATCH else [w for r, starts in _runs(term) if starts for w in words(r)[:1]]
                estimate += min(int(docs[bisect.bisect_left(vocab, a) : bisect.bisect_left(vocab, a + "\U0010ffff")].sum()) for a in anchors)
            else:
                estimate += int(docs[[k for k, w in enumerate(vocab) if text in w]].sum())
        per_candidate = _FTS_WILD_RATIO if all(t.type is SearchType.WILD for t in f.terms) else _FTS_MATCH_RATIO
        return estimate < candidates * per_candidate

    def fts(self, f: TermFilter) -> np.ndarray:
        """Description rows the FTS index returns for any of the filter's terms (active, not definitions)."""
        parts = []
        db = self.t.store.db
        for term in f.terms:
            plan = fts_plan(term)
            assert plan is not None
            kind, text = plan
            if kind == "prefix":
                queries = [text]
            else:
                tokens = [w for w in self.ix.fts_vocabulary() if text in w]
                queries = [" OR ".join('"' + w + '"' for w in tokens[k : k + 200]) for k in range(0, len(tokens), 200)]
            for query in queries:
                self.check()
                cur = db.execute("SELECT rowid FROM description_fts WHERE description_fts MATCH ?", (query,))
                parts.append(np.fromiter(itertools.chain.from_iterable(cur), np.int64))
        return sets.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)

    def term_test(self, desc: np.ndarray, f: TermFilter) -> np.ndarray:
        """Read the terms and match them (used when the candidates are few, or to confirm FTS hits)."""
        tests = [term_matcher(t) for t in f.terms]
        ptr, blob = self.t.store.term_ptr, self.t.store.term_blob
        out = np.zeros(len(desc), bool)
        todo = np.arange(len(desc))
        if len(desc) > _FTS_FROM and all(t.type is SearchType.WILD for t in f.terms):
            out, todo = self.wild_ascii(desc, f.terms)
        for k, d in zip(todo.tolist(), desc[todo].tolist(), strict=True):
            if k % _CHECK_EVERY == 0:
                self.check()
            folded = fold(bytes(blob[int(ptr[d]) : int(ptr[d + 1])]).decode("utf-8"))
            out[k] = any(test(folded) for test in tests)
        return out if f.comparison is Comparison.EQ else ~out

    def wild_ascii(self, desc: np.ndarray, terms: Sequence[SearchTerm]) -> tuple[np.ndarray, np.ndarray]:
        """Wild patterns over many ASCII terms at once, without reading terms one by one in Python.

        The literal head and tail of a pattern are compared as byte columns (``terms[:, :k]``);
        what is left goes through one regex pass over the survivors joined by newlines.
        Returns the result for the ASCII terms and the positions of the others (matched one by one).
        """
        st = self.t.store
        ptr, blob = np.asarray(st.term_ptr), np.asarray(st.term_blob)
        plain = self.ix.ascii_terms[desc]
        out = np.zeros(len(desc), bool)
        rows = np.flatnonzero(plain)
        starts, lens = ptr[desc[rows]], (ptr[desc[rows] + 1] - ptr[desc[rows]]).astype(np.int64)

        def lower(a: np.ndarray) -> np.ndarray:
            return np.where((a >= 65) & (a <= 90), a + 32, a).astype(np.uint8)

        for term in terms:
            self.check()
            parts = _wild_parts(term)
            head = b"".join(fold(p).encode() for p in itertools.takewhile(lambda p: p is not None, parts))  # type: ignore[arg-type]
            tail = b"".join(fold(p).encode() for p in reversed(list(itertools.takewhile(lambda p: p is not None, reversed(parts)))))  # type: ignore[arg-type]
            keep = np.arange(len(rows))
            if head == b"".join(fold(p).encode() for p in parts if p is not None) and None not in parts:
                tail = b""  # no wildcard at all: the head is the whole term
                keep = keep[lens == len(head)]
            for text, at_end in ((head, False), (tail, True)):
                if not text or not len(keep):
                    continue
                k = len(text)
                keep = keep[lens[keep] >= k]
                first = (starts[keep] + lens[keep] - k) if at_end else starts[keep]
                for j, byte in enumerate(text):  # one column at a time: the survivors shrink fast
                    if not len(keep):
                        break
                    hit = lower(blob[first + j]) == byte
                    keep, first = keep[hit], first[hit]
            if not len(keep):
                continue
            if parts and parts[-1] is None and all(p is not None for p in parts[:-1]):
                out[rows[keep]] = True  # "literal*": the head test was the whole test
                continue
            ks, kl = starts[keep], lens[keep]
            line_start = np.cumsum(kl + 1) - (kl + 1)
            joined = np.full(int(kl.sum()) + len(keep), 10, np.uint8)
            joined[sets.positions(line_start, line_start + kl)] = blob[sets.positions(ks, ks + kl)]
            body = b"".join(b"[^\\n]*" if p is None else re.escape(fold(p).encode()) for p in parts)
            rx = re.compile(b"^" + body + b"$", re.MULTILINE)
            hits = np.fromiter((m.start() for m in rx.finditer(joined.tobytes().lower())), np.int64)
            out[rows[keep[np.searchsorted(line_start, hits, "right") - 1]]] = True
        return out, np.flatnonzero(~plain)

    # ----- history
    def _history(self, e: History) -> np.ndarray:
        rows = self.expr(e.operand)
        if e.subset is not None:
            refsets: frozenset[int] | None = frozenset(self.ids_of(self.expr(e.subset)).tolist())
        else:
            refsets = HISTORY_PROFILES[e.profile or HistoryProfile.MAX]
        target = self.ix.array("ecl_assoc_target")
        pos = sets.positions(np.searchsorted(target, rows, "left"), np.searchsorted(target, rows, "right"))
        sources = np.asarray(self.ix.array("ecl_assoc_source"))[pos]
        if refsets is not None:
            sources = sources[np.isin(np.asarray(self.ix.array("ecl_assoc_refset"))[pos], list(refsets))]
        return sets.union([rows, sets.unique(sources.astype(np.int32), self.n)], self.n)


class _Units:
    """All role-group units of the focus concepts, computed only when a ``[0..n]`` inside a group needs them.

    Is-a relationships count as groups (one each) only when the group names 116680003: like
    ``*``, a group that does not name is-a sees the defining attributes only (docs/ecl.md).
    """

    def __init__(self, run: _Run, focus: np.ndarray, isa: bool = False):
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
            st, ix = self.run.t.store, self.run.ix
            rels = sets.positions(st.rel_ptr[self.focus], st.rel_ptr[self.focus + 1])
            cv = ix.concrete
            cvs = sets.positions(st.cv_ptr[self.focus], st.cv_ptr[self.focus + 1])
            units = [np.asarray(ix.array("ecl_rel_unit"))[rels], cv["unit_by_row"][cvs]]
            if self.isa:  # numbered as in _Run.isa_keys
                pptr = np.asarray(st.parents_ptr)
                isa = sets.positions(pptr[self.focus], pptr[self.focus + 1])
                child = np.repeat(self.focus, pptr[self.focus + 1] - pptr[self.focus])
                units.append(_Run.isa_units(child, isa - pptr[child]))
            self._all = sets.unique(np.concatenate(units))
        return self._all


_DISPATCH: dict[type, Callable[[_Run, Any], np.ndarray]] = {
    ConceptReference: _Run._concept,
    AlternateIdentifier: _Run._alternate,
    Wildcard: _Run._wildcard,
    MemberOf: _Run._member_of,
    Hierarchy: _Run._hierarchy,
    Filtered: _Run._filtered,
    History: _Run._history,
    Compound: _Run._compound,
    Refined: _Run._refined,
    Dotted: _Run._dotted,
}


# --------------------------------------------------------------------------- public entry points


@dataclass
class Evaluator:
    """The evaluator of one Terminology: its engine index and a small cache of recent results (for paging)."""

    t: Terminology
    cache_size: int = 64
    index: EclIndex = field(init=False)
    _cache: OrderedDict[Expression, EclResult] = field(init=False, default_factory=OrderedDict)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.index = EclIndex(self.t)

    @property
    def has_fts(self) -> bool:
        value = getattr(self, "_has_fts", None)
        if value is None:
            value = self.t.store.has_table("description_fts")
            self._has_fts = value
        return value

    def evaluate(self, expr: Expression | str, time_budget_s: float | None = DEFAULT_TIME_BUDGET_S, *, cache: bool = True) -> EclResult:
        if isinstance(expr, str):
            expr = parse_ecl(expr)
        if cache:
            with self._lock:
                hit = self._cache.get(expr)
                if hit is not None:
                    self._cache.move_to_end(expr)
                    return hit
        run = _Run(self, time_budget_s)
        fields: tuple[str, ...] | None = None
        records: tuple[dict[str, Any], ...] | None = None
        if isinstance(expr, MemberOf) and expr.fields is not None:
            names, rows = run.member_records(expr, run.refsets_of(expr.refset))
            fields = tuple(names)
            records = tuple(dict(zip(names, r, strict=True)) for r in rows)
            try:
                result_rows = run.concept_rows([r[0] for r in rows], f"field {names[0]}") if names else sets.EMPTY
            except EclEvaluationError:
                result_rows = sets.EMPTY
        else:
            result_rows = run.expr(expr)
        result_rows = np.array(result_rows, np.int32)
        result_rows.flags.writeable = False
        ids = np.asarray(self.t.ids)[result_rows]
        ids.flags.writeable = False
        result = EclResult(
            result_rows, ids, tuple(run.warnings), fields, records, round((time.monotonic() - run.started) * 1000, 3)
        )
        if cache:
            with self._lock:
                self._cache[expr] = result
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return result


_evaluators: weakref.WeakKeyDictionary[Terminology, Evaluator] = weakref.WeakKeyDictionary()
_evaluators_lock = threading.Lock()


def evaluator(t: Terminology) -> Evaluator:
    """The shared evaluator of a Terminology (created on first use)."""
    with _evaluators_lock:
        ev = _evaluators.get(t)
        if ev is None:
            ev = Evaluator(t)
            _evaluators[t] = ev
        return ev


def evaluate(t: Terminology, expr: Expression | str, *, time_budget_s: float | None = DEFAULT_TIME_BUDGET_S) -> EclResult:
    """The concepts an ECL expression (text or AST) denotes in the release.

    Raises ``EclSyntaxError`` for malformed text, ``EclTimeoutError`` past the budget
    (None: no budget) and ``EclEvaluationError`` for what cannot be answered.
    """
    return evaluator(t).evaluate(expr, time_budget_s)


def ecl_concepts(
    t: Terminology, text: Expression | str, limit: int = 50, offset: int = 0, *, time_budget_s: float | None = DEFAULT_TIME_BUDGET_S
) -> tuple[int, list[int]]:
    """(total, one page of SCTIDs in SCTID order); ``limit`` at most ``MAX_PAGE``."""
    if not 1 <= limit <= MAX_PAGE:
        raise EclLimitError(f"limit must be between 1 and {MAX_PAGE}, not {limit}")
    if offset < 0:
        raise EclLimitError(f"offset must be 0 or more, not {offset}", field="offset")
    result = evaluate(t, text, time_budget_s=time_budget_s)
    return len(result.ids), [int(i) for i in result.ids[offset : offset + limit]]


def ecl_count(t: Terminology, text: Expression | str, *, time_budget_s: float | None = DEFAULT_TIME_BUDGET_S) -> int:
    """How many concepts the expression denotes."""
    return len(evaluate(t, text, time_budget_s=time_budget_s).ids)
