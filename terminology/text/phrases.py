"""The descriptions whose canonical tokens equal a span's, for every span of a text in one batched lookup.

Calling the full mapper for every n-gram of a text would cost milliseconds per span; instead:

* every description row of an active concept gets a 64-bit key: the sum (mod 2**64) of a random
  number per canonical token id over its *set* of token ids (the index already stores those sets as
  ``lex_norm_ptr``/``lex_norm_ids``). A sum is order-free, so "ilium metastasis" and "metastasis of
  ilium" meet, and function words never count because they have no token;
* the keys of every span (`spans.spans_of`) are looked up with one ``searchsorted`` over the sorted
  row keys, and hits are verified against the rows' real token sets (a 64-bit collision is then
  harmless).

The sorted keys are built once per Terminology (about 0.5 s and 20 MB at 1.6 M descriptions), before
a server forks (`warmed`), and shared by every request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..terminology import Terminology, warmed
from .lexicon import Lexicon, lexicon
from .spans import Span

_SEED = 0x5EED_C0DE  # fixed: the keys only need to be consistent within one process


@dataclass(frozen=True)
class SpanHit:
    """A description (lexical row) whose canonical token set equals a span's."""

    span: Span
    row: int  # lexical row (rowid of norm_fts / search_fts)
    desc: int  # description row
    concept_row: int


@warmed
class PhraseIndex:
    """Sorted set-keys of every description row of an active concept (see the module docstring)."""

    def __init__(self, t: Terminology):
        lex = lexicon(t)
        self.lex: Lexicon = lex
        n = lex.active_rows
        ptr = np.asarray(lex.norm_ptr[: n + 1], np.int64)
        ids = np.asarray(lex.norm_ids[: int(ptr[-1])], np.int64)
        vocab = len(lex.norm_df)
        rng = np.random.default_rng(_SEED)
        self.token_key = rng.integers(1, np.iinfo(np.int64).max, size=max(vocab, 1), dtype=np.int64).astype(np.uint64)
        csum = np.zeros(len(ids) + 1, np.uint64)
        with np.errstate(over="ignore"):
            np.cumsum(self.token_key[ids], dtype=np.uint64, out=csum[1:])
            keys = csum[ptr[1:]] - csum[ptr[:-1]]
        keep = np.flatnonzero(np.diff(ptr) > 0)
        order = keep[np.argsort(keys[keep], kind="stable")]
        self.keys = keys[order]
        self.rows = order.astype(np.int32)

    def key(self, token_ids: Sequence[int]) -> int:
        with np.errstate(over="ignore"):
            return int(self.token_key[np.asarray(token_ids, np.int64)].sum(dtype=np.uint64))

    def lookup(self, spans: Sequence[Span], known: dict[str, int]) -> list[SpanHit]:
        """The description rows whose canonical token set equals each span's (spans with an unknown token skip)."""
        todo: list[tuple[Span, tuple[int, ...]]] = []
        for s in spans:
            tok_ids = [known.get(tok, -1) for tok in s.tokens]
            if -1 not in tok_ids:
                todo.append((s, tuple(sorted(tok_ids))))
        if not todo:
            return []
        tk = self.token_key
        with np.errstate(over="ignore"):
            span_keys = np.array([int(tk[list(ids)].sum(dtype=np.uint64)) for _, ids in todo], np.uint64)
        lo = np.searchsorted(self.keys, span_keys, side="left")
        hi = np.searchsorted(self.keys, span_keys, side="right")
        hits: list[SpanHit] = []
        ptr, norm = self.lex.norm_ptr, self.lex.norm_ids
        lex_desc, desc_concept = self.lex.lex_desc, self.lex.t.array("desc_concept")
        for k in np.flatnonzero(hi > lo).tolist():
            span, ids = todo[k]
            for row in self.rows[lo[k] : hi[k]].tolist():
                if tuple(norm[ptr[row] : ptr[row + 1]].tolist()) != ids:
                    continue  # a key collision
                d = int(lex_desc[row])
                hits.append(SpanHit(span, row, d, int(desc_concept[d])))
        return hits


def phrase_index(t: Terminology) -> PhraseIndex:
    """The PhraseIndex of a Terminology, built on first use (or by `Terminology.warm`) and kept on it."""
    return t.derived(PhraseIndex)


def token_ids(lex: Lexicon, tokens: Sequence[str]) -> dict[str, int]:
    """Canonical token -> id, for the tokens the index holds (one SQL query)."""
    return {tok: i for tok, (i, _df) in lex.vocab(tokens).items()}
