"""ECL tags of guidelines, evaluated once and searched for one concept in a single numpy call.

A guideline tagged with an ECL expression applies to the expression's members.  Asking
each of thousands of tags "is this concept a member?" per request would cost a Python
call per tag, so the member rows of every distinct expression are kept as one sorted
array of keys ``segment * n_concepts + row``; the tags holding one concept are then one
``searchsorted`` of ``n_segments`` keys.  Each expression is evaluated once per release
(results survive tag edits); the key array is rebuilt only when the set of ECL tags changes.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .ecl import EclEvaluationError, EclSyntaxError, parse_ecl
from .ecl.ast import ConceptReference, Node
from .ecl.evaluator import evaluator

if TYPE_CHECKING:
    from loaders.guidelines import TagSpec

    from .terminology import Terminology

log = logging.getLogger(__name__)

__all__ = ["EclTagIndex", "ecl_tag_index"]


def _mentioned(expr: Any) -> set[int]:
    """The concept ids an ECL AST mentions: candidates for the 'via' concept of a link."""
    out: set[int] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ConceptReference):
            out.add(node.id)
        elif isinstance(node, tuple | list):
            stack.extend(node)
        elif isinstance(node, Node):
            stack.extend(getattr(node, f) for f in node.__dataclass_fields__)
    return out


@dataclass(frozen=True)
class EclTagIndex:
    """The distinct ECL texts of a repository's tags, their members as keys, and who holds each."""

    texts: tuple[str, ...]
    owners: tuple[tuple[tuple[Any, TagSpec], ...], ...]  # per text: (guideline, tag) pairs
    mentioned: tuple[frozenset[int], ...]  # per text: the concepts it names
    keys: np.ndarray  # int64, sorted: segment * n + row
    n: int

    def texts_holding(self, row: int) -> list[int]:
        """Indexes (into ``texts``) of the expressions whose members include concept row ``row``."""
        if not self.texts or not len(self.keys):
            return []
        q = np.arange(len(self.texts), dtype=np.int64) * self.n + row
        pos = np.searchsorted(self.keys, q)
        np.minimum(pos, len(self.keys) - 1, out=pos)
        return np.flatnonzero(self.keys[pos] == q).tolist()


class _Cache:
    """Per release: member rows by ECL text, and the last index built (with the texts it was built from)."""

    def __init__(self) -> None:
        self.rows: dict[str, np.ndarray] = {}
        self.index: tuple[tuple[tuple[str, int], ...], EclTagIndex] | None = None
        self.lock = threading.Lock()


_caches: weakref.WeakKeyDictionary[Terminology, _Cache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _rows(t: Terminology, cache: _Cache, text: str) -> np.ndarray:
    rows = cache.rows.get(text)
    if rows is None:
        try:
            rows = np.asarray(evaluator(t).evaluate(text, None, cache=False).rows, dtype=np.int64)
        except (EclSyntaxError, EclEvaluationError) as exc:  # validated when tagged; a later release may still not answer it
            log.warning("guideline ECL tag %r is not evaluated: %s", text, exc)
            rows = np.zeros(0, np.int64)
        cache.rows[text] = rows
    return rows


def ecl_tag_index(t: Terminology, pairs: Sequence[tuple[Any, TagSpec]]) -> EclTagIndex:
    """The index of these (guideline, ECL tag) pairs, reused while the pairs stay the same."""
    with _caches_lock:
        cache = _caches.get(t)
        if cache is None:
            cache = _caches[t] = _Cache()
    signature = tuple((spec.ecl or "", id(g)) for g, spec in pairs)
    with cache.lock:
        if cache.index is not None and cache.index[0] == signature:
            return cache.index[1]
        by_text: dict[str, list[tuple[Any, TagSpec]]] = {}
        for g, spec in pairs:
            if spec.ecl:
                by_text.setdefault(spec.ecl.strip(), []).append((g, spec))
        texts = tuple(by_text)
        n = len(t.ids)
        parts = [_rows(t, cache, text) + i * n for i, text in enumerate(texts)]
        keys = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        mentioned = []
        for text in texts:
            try:
                mentioned.append(frozenset(_mentioned(parse_ecl(text))))
            except EclSyntaxError:
                mentioned.append(frozenset())
        index = EclTagIndex(texts, tuple(tuple(v) for v in by_text.values()), tuple(mentioned), keys, n)
        cache.index = (signature, index)
        return index
