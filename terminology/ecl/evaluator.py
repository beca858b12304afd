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

The constructs are evaluated in ``members`` (focus concepts, hierarchy, member-of, history),
``refinement`` (attributes, groups, cardinality, reverse, dotted) and ``filters``; this module
puts them together and holds the per-index ``Evaluator`` (engine index and result cache) that
``Terminology.derived`` keeps on the Terminology and ``Terminology.warm()`` builds before a fork.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..terminology import warmed
from . import _sets as sets
from ._index import EclIndex
from .ast import (
    AlternateIdentifier,
    Compound,
    ConceptReference,
    Dotted,
    Expression,
    Filtered,
    Hierarchy,
    History,
    MemberOf,
    Refined,
    Wildcard,
)
from .errors import EclEvaluationError, EclLimitError, EclTimeoutError
from .filters import DIALECT_ALIASES, Filters
from .members import HISTORY_PROFILES
from .parser import parse_ecl
from .refinement import Refinements

if TYPE_CHECKING:
    from ..terminology import Terminology

__all__ = [
    "DEFAULT_TIME_BUDGET_S",
    "TAG_TIME_BUDGET_S",
    "DIALECT_ALIASES",
    "HISTORY_PROFILES",
    "MAX_PAGE",
    "EclEvaluationError",
    "EclLimitError",
    "EclResult",
    "EclTimeoutError",
    "Evaluator",
    "ecl_concepts",
    "ecl_count",
    "evaluate",
    "evaluator",
]

MAX_PAGE = 1000
DEFAULT_TIME_BUDGET_S = 5.0
# The budget of a guideline's ECL tag: checked when the tag is written (API, import, workspace), and
# again when stored tags are evaluated at start-up, where a tag past it is skipped with a warning.
TAG_TIME_BUDGET_S = 2.0


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


# --------------------------------------------------------------------------- evaluation


class _Run(Refinements, Filters):
    """One evaluation: every construct (the mixins) behind one dispatch on the AST node type."""

    DISPATCH: ClassVar[dict[type, Callable[[Any, Any], np.ndarray]]] = {
        ConceptReference: Refinements._concept,
        AlternateIdentifier: Refinements._alternate,
        Wildcard: Refinements._wildcard,
        MemberOf: Refinements._member_of,
        Hierarchy: Refinements._hierarchy,
        Filtered: Filters._filtered,
        History: Refinements._history,
        Compound: Refinements._compound,
        Refined: Refinements._refined,
        Dotted: Refinements._dotted,
    }


# --------------------------------------------------------------------------- public entry points


@dataclass
class Evaluator:
    """The evaluator of one Terminology: its engine index and a small cache of recent results (for paging).

    Results are cached under the expression and, for text, under the text too, so that a
    repeated query (a page of an expansion, an MRCM range) is not parsed again.
    """

    t: Terminology
    cache_size: int = 64
    index: EclIndex = field(init=False)
    _cache: OrderedDict[Expression | str, EclResult] = field(init=False, default_factory=OrderedDict)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.index = EclIndex(self.t)

    def _cached(self, key: Expression | str) -> EclResult | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def _keep(self, keys: tuple[Expression | str, ...], result: EclResult) -> None:
        with self._lock:
            for key in keys:
                self._cache[key] = result
            while len(self._cache) > 2 * self.cache_size:  # each result is kept under at most two keys
                self._cache.popitem(last=False)

    def evaluate(
        self, expr: Expression | str, time_budget_s: float | None = DEFAULT_TIME_BUDGET_S, *, cache: bool = True
    ) -> EclResult:
        text = expr if isinstance(expr, str) else None
        if cache and text is not None:
            hit = self._cached(text)
            if hit is not None:
                return hit
        if isinstance(expr, str):
            expr = parse_ecl(expr)
        if cache:
            hit = self._cached(expr)
            if hit is not None:
                if text is not None:
                    self._keep((text,), hit)
                return hit
        run = _Run(self.t, self.index, time_budget_s)
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
        ids = self.t.ids[result_rows]
        ids.flags.writeable = False
        result = EclResult(
            result_rows, ids, tuple(run.warnings), fields, records, round((time.monotonic() - run.started) * 1000, 3)
        )
        if cache:
            self._keep((expr,) if text is None else (expr, text), result)
        return result


def evaluator(t: Terminology) -> Evaluator:
    """The evaluator of a Terminology (created on first use, kept on the Terminology)."""
    return t.derived(Evaluator)


@warmed
def warm_index(t: Terminology) -> EclIndex:
    """The ECL engine index with every array mapped and every derived table built (``Terminology.warm()``)."""
    index = evaluator(t).index
    index.warm()
    return index


def evaluate(
    t: Terminology, expr: Expression | str, *, time_budget_s: float | None = DEFAULT_TIME_BUDGET_S
) -> EclResult:
    """The concepts an ECL expression (text or AST) denotes in the release.

    Raises ``EclSyntaxError`` for malformed text, ``EclTimeoutError`` past the budget
    (None: no budget) and ``EclEvaluationError`` for what cannot be answered.
    """
    return evaluator(t).evaluate(expr, time_budget_s)


def ecl_concepts(
    t: Terminology,
    text: Expression | str,
    limit: int = 50,
    offset: int = 0,
    *,
    time_budget_s: float | None = DEFAULT_TIME_BUDGET_S,
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
