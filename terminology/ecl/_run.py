"""One evaluation's state: the time budget, the warnings and a memo of sub-expressions.

The constructs are evaluated by mixins over this base (``members``, ``refinement``,
``filters``); ``evaluator._Run`` puts them together with the dispatch table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from . import _sets as sets
from ._index import EclIndex
from .ast import ConceptReference, ConceptSet, Expression, FilterValue
from .errors import EclEvaluationError, EclTimeoutError

if TYPE_CHECKING:
    from ..terminology import Terminology


# How long one chunk of item-by-item work (``Run.chunks``) should take: the granularity of the budget.
_CHUNK_S = 0.05


class Run:
    """The budget, warnings and memo of one evaluation, and the helpers every construct uses."""

    # Expression type -> method; filled by the class that puts the mixins together.
    DISPATCH: ClassVar[dict[type, Callable[[Any, Any], np.ndarray]]] = {}

    def __init__(self, t: Terminology, index: EclIndex, budget_s: float | None):
        self.t = t
        self.ix = index
        self.n = index.n
        self.started = time.monotonic()
        self.budget_s = budget_s
        self.deadline = None if budget_s is None else self.started + budget_s
        self.warnings: dict[str, None] = {}
        self.memo: dict[Expression, np.ndarray] = {}

    # ----- guards
    def check(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            assert self.budget_s is not None
            raise EclTimeoutError(self.budget_s, time.monotonic() - self.started)

    def chunks(self, total: int, first: int = 64) -> Iterator[slice]:
        """Slices covering ``range(total)``, with the budget checked before each one.

        Chunks grow while they are quick and shrink when one is slow, so a step that works item by item
        (reading terms, matching patterns) stops within about ``_CHUNK_S`` of its deadline however costly
        each item is, without paying for a clock read per item.
        """
        size, at = max(first, 1), 0
        while at < total:
            self.check()
            began = time.monotonic()
            yield slice(at, min(at + size, total))
            at += size
            took = time.monotonic() - began
            if took < _CHUNK_S / 4:
                size = min(size * 2, 1 << 20)
            elif took > _CHUNK_S:
                size = max(size // 2, 1)
        self.check()

    def sql(self, query: str, params: Any = ()) -> list[tuple]:
        """``t.sql`` interrupted at the deadline (then ``EclTimeoutError``)."""
        self.check()
        try:
            return self.t.sql(query, params, deadline=self.deadline)
        except TimeoutError:
            self.check()
            raise  # pragma: no cover - interrupted only past the deadline, which check() reports

    def warn(self, message: str) -> None:
        self.warnings[message] = None

    # ----- expressions
    def expr(self, e: Expression) -> np.ndarray:
        """The sorted concept rows an expression denotes (memoised within this evaluation)."""
        self.check()
        hit = self.memo.get(e)
        if hit is not None:
            return hit
        method = self.DISPATCH.get(type(e))
        if method is None:  # pragma: no cover - every AST expression type has a method
            raise EclEvaluationError(f"cannot evaluate {type(e).__name__}")
        out = method(self, e)
        self.memo[e] = out
        return out

    # ----- helpers
    def ids_of(self, rows: np.ndarray) -> np.ndarray:
        return self.t.ids[rows]

    def member(self, sorted_set: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Which ``values`` (rows) are in ``sorted_set``: binary search, or a mask when both are large."""
        if len(values) > 4096 and len(sorted_set) > 4096:
            return sets.mask(sorted_set, self.n)[values]
        return sets.contains(sorted_set, values)

    def row_of(self, e: ConceptReference) -> int | None:
        row = self.t.index_of(e.id)
        if row is None:
            self.warn(f"concept {e.id} is not in the release")
        elif not bool(self.ix.concept_active[row]):
            self.warn(f"concept {e.id} is inactive")
        return row

    def filter_ids(self, value: FilterValue) -> np.ndarray:
        """SCTIDs a filter value stands for: an explicit ``(id id)`` set, or an expression's concepts."""
        if isinstance(value, ConceptSet):
            return np.array(sorted({c.id for c in value.concepts}), np.int64)
        return self.ids_of(self.expr(value))
