"""ECL tags of guidelines, evaluated once and searched for one concept in a single numpy call.

A guideline tagged with an ECL expression applies to the expression's members.  Asking
each of thousands of tags "is this concept a member?" per request would cost a Python
call per tag, so the members of every distinct expression are inverted into two arrays,
concept rows sorted and the expression each row belongs to: the expressions holding one
concept are one binary search and a slice.  Each expression is evaluated once per
release (results survive tag edits); the arrays are rebuilt, by concatenation and one
sort, only when the set of ECL tags changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..ecl import EclEvaluationError, EclSyntaxError, parse_ecl
from ..ecl.ast import mentioned_concepts
from ..ecl.evaluator import TAG_TIME_BUDGET_S, evaluator

if TYPE_CHECKING:
    from loaders.guidelines import TagSpec

    from ..terminology import Terminology

log = logging.getLogger(__name__)

__all__ = ["EclTagIndex", "ecl_tag_index"]


@dataclass(frozen=True)
class EclTagIndex:
    """The distinct ECL expressions of a repository's tags, their members, and who holds each."""

    texts: tuple[str, ...]  # one text per expression (texts differing in whitespace or |terms| are one)
    owners: tuple[tuple[tuple[Any, TagSpec], ...], ...]  # per text: (guideline, tag) pairs
    mentioned: tuple[frozenset[int], ...]  # per text: the concepts it names
    rows: np.ndarray  # int32, sorted: every member row of every expression
    texts_of_rows: np.ndarray  # int32, beside ``rows``: which expression that member belongs to

    def texts_holding(self, row: int) -> list[int]:
        """Indexes (into ``texts``) of the expressions whose members include concept row ``row``."""
        key = np.int32(row)  # a Python int would make searchsorted convert the whole array
        lo = int(self.rows.searchsorted(key, "left"))
        hi = int(self.rows.searchsorted(key, "right"))
        return self.texts_of_rows[lo:hi].tolist()


class _Cache:
    """Per release (`Terminology.derived`): each ECL text parsed, member rows per expression, and the last
    index built (with its pairs). Not `warmed`: it depends on the guideline repository, which
    `guidelines.warm(t, repo)` passes in."""

    def __init__(self, t: Terminology) -> None:
        # text -> (the expression's key: its AST, which ignores whitespace and |terms|, or the text when it
        # does not parse; the concepts it names)
        self.parsed: dict[str, tuple[Any, frozenset[int]]] = {}
        self.rows: dict[Any, np.ndarray] = {}  # by expression key
        self.index: tuple[list[tuple[Any, TagSpec]], EclTagIndex] | None = None
        self.lock = threading.Lock()


def _parsed(cache: _Cache, text: str) -> tuple[Any, frozenset[int]]:
    """The expression key and named concepts of an ECL text, parsed once per release."""
    hit = cache.parsed.get(text)
    if hit is None:
        try:
            expr = parse_ecl(text)
            hit = (expr, frozenset(mentioned_concepts(expr)))
        except EclSyntaxError:
            hit = (text, frozenset())
        cache.parsed[text] = hit
    return hit


def _rows(t: Terminology, cache: _Cache, key: Any, text: str) -> np.ndarray:
    rows = cache.rows.get(key)
    if rows is None:
        try:
            if isinstance(key, str):  # it did not parse (refused when written; an older store may hold one)
                parse_ecl(key)  # raises the parser's error again, for the log
            # The write-time budget: a tag past it (stored before tags were checked against it, or slow on
            # this release) is skipped, so no tag can hold up start-up or a worker's first request.
            rows = np.asarray(evaluator(t).evaluate(key, TAG_TIME_BUDGET_S, cache=False).rows, dtype=np.int32)
        except (EclSyntaxError, EclEvaluationError, RecursionError) as exc:  # validated when tagged
            log.warning("guideline ECL tag %r is skipped (it links nothing): %s", text[:200], exc)
            rows = np.zeros(0, np.int32)
        cache.rows[key] = rows
    return rows


def ecl_tag_index(t: Terminology, pairs: Sequence[tuple[Any, TagSpec]]) -> EclTagIndex:
    """The index of these (guideline, ECL tag) pairs, reused while the pairs stay the same."""
    cache = t.derived(_Cache)
    with cache.lock:
        # Repositories hand out the same (guideline, tag) tuples until a write, so this list
        # comparison is an identity check per item, in C.
        if cache.index is not None and cache.index[0] == pairs:
            # Equal but not the same objects (a store that re-read its guidelines): keep these, so the
            # next comparison is an identity check again and not a field-by-field one per request.
            cache.index = (list(pairs), cache.index[1])
            return cache.index[1]
        # One entry per expression: texts differing only in whitespace or |terms| share it.
        by_key: dict[Any, list[tuple[Any, TagSpec]]] = {}
        first_text: dict[Any, str] = {}
        for g, spec in pairs:
            if spec.ecl:
                text = spec.ecl.strip()
                key, _ = _parsed(cache, text)
                by_key.setdefault(key, []).append((g, spec))
                first_text.setdefault(key, text)
        keys = tuple(by_key)
        texts = tuple(first_text[k] for k in keys)
        parts = [_rows(t, cache, k, first_text[k]) for k in keys]
        rows = np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, np.int32)
        owner = np.repeat(np.arange(len(keys), dtype=np.int32), [len(p) for p in parts])
        order = np.argsort(rows, kind="stable")
        mentioned = tuple(_parsed(cache, text)[1] for text in texts)
        owners = tuple(tuple(v) for v in by_key.values())
        index = EclTagIndex(texts, owners, mentioned, rows[order], owner[order])
        cache.index = (list(pairs), index)
        return index
