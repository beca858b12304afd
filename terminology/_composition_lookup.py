"""Word spans of a text and the descriptions whose canonical tokens they equal, in one batched lookup.

Shared by compositional mapping (which parts does "metastasis of the left ilium" name?) and by the
annotator (which concepts does a 3,000-character note mention?). Calling the full mapper for every
n-gram would cost milliseconds per span; instead:

* the text is split into words with their character offsets, and the words into *units*: the
  canonical tokens each word (or rewritten phrase, "iliac bone" -> ilium) stands for, computed by the
  same rules `_text.canonical_of_words` applies to every description at index time;
* every description row of an active concept gets a 64-bit key: the sum (mod 2**64) of a random
  number per canonical token id over its *set* of token ids (the index already stores those sets as
  ``lex_norm_ptr``/``lex_norm_ids``). A sum is order-free, so "ilium metastasis" and "metastasis of
  ilium" meet, and function words never count because they have no token;
* the keys of every span of up to MAX_SPAN content units are looked up with one ``searchsorted``
  over the sorted row keys, and hits are verified against the rows' real token sets (a 64-bit
  collision is then harmless).

The sorted keys are built once per index and process (about 0.5 s and 20 MB at 1.6 M descriptions)
and shared by every request.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._text import _PHRASES, STOPWORDS, Lexicon, canonical_word, lexicon
from .index import IndexStore
from .text.normalise import WORD, fold

MAX_SPAN = 8  # content units in one span (longer descriptions are rare and never worth an n-gram)
_SEED = 0x5EED_C0DE  # fixed: the keys only need to be consistent within one process


@dataclass(frozen=True)
class Word:
    """One folded word of the text and where it is (character offsets into the original text)."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Unit:
    """A content word (or a rewritten phrase) and the canonical tokens it stands for.

    `first`..`last` are word indices (inclusive); a phrase rewrite ("heart attack") spans several words,
    and an abbreviation ("ca") may stand for several tokens (malignant, neoplasm).
    """

    first: int
    last: int
    tokens: tuple[str, ...]
    kind: str  # "word" (spelling/inflection only) or "synonym"


@dataclass(frozen=True)
class Span:
    """Content units `a`..`b` (inclusive) of a text: their words, characters and canonical token set."""

    a: int
    b: int
    first_word: int
    last_word: int
    start: int
    end: int
    tokens: frozenset[str]


@dataclass(frozen=True)
class SpanHit:
    """A description (lexical row) whose canonical token set equals a span's."""

    span: Span
    row: int  # lexical row (rowid of norm_fts / search_fts)
    desc: int  # description row
    concept_row: int


def split_words(text: str) -> list[Word]:
    """The folded words of `text` with character offsets (the same split as `_text.words`)."""
    out: list[Word] = []
    for m in WORD.finditer(text):
        w = m.group()
        if w.isascii():
            out.append(Word(w.lower(), m.start(), m.end()))
        else:  # folding may split a word ("ǆ" -> "dz" stays one; "½" -> "1", "2")
            out.extend(Word(p, m.start(), m.end()) for p in WORD.findall(fold(w)))
    return out


def units_of(words: Sequence[Word]) -> list[Unit]:
    """Content units of folded words, mirroring `_text.canonical_of_words` (phrases first, stopwords out)."""
    ws = [w.text for w in words]
    out: list[Unit] = []
    i, n = 0, len(ws)
    while i < n:
        w = ws[i]
        for seq, rep in _PHRASES.get(w, ()):
            if tuple(ws[i : i + len(seq)]) == seq:
                if rep:
                    out.append(Unit(i, i + len(seq) - 1, tuple(rep), "synonym"))
                i += len(seq)
                break
        else:
            if w not in STOPWORDS:
                toks, kind = canonical_word(w)
                if toks:
                    out.append(Unit(i, i, tuple(toks), kind))
            i += 1
    return out


def spans_of(
    words: Sequence[Word], units: Sequence[Unit], breaks: set[int] | None = None, max_span: int = MAX_SPAN
) -> list[Span]:
    """Every run of 1..max_span consecutive content units that does not cross a clause break.

    `breaks` holds word indices preceded by a clause break (see `break_positions`): "liver. Bone" is
    not one mention.
    """
    out: list[Span] = []
    cum = [0] * (len(words) + 1)  # cum[i]: clause breaks at word indices <= i
    for i in range(len(words)):
        cum[i] = (cum[i - 1] if i else 0) + (1 if breaks and i in breaks else 0)
    for a in range(len(units)):
        toks: set[str] = set()
        u0 = units[a]
        for b in range(a, min(len(units), a + max_span)):
            u1 = units[b]
            if b > a and cum[u1.first] != cum[units[b - 1].last]:
                break
            toks.update(u1.tokens)
            out.append(Span(a, b, u0.first, u1.last, words[u0.first].start, words[u1.last].end, frozenset(toks)))
    return out


def break_positions(text: str, words: Sequence[Word]) -> set[int]:
    """Word indices i such that a clause break lies between word i-1 and word i."""
    out: set[int] = set()
    for i in range(1, len(words)):
        gap = text[words[i - 1].end : words[i].start]
        if gap and _BREAK.search(gap):
            out.add(i)
    return out


_BREAK = re.compile(r"[.,;:!?()\[\]{}\n\r\t|\"]")


class PhraseIndex:
    """Sorted set-keys of every description row of an active concept (see the module docstring)."""

    def __init__(self, store: IndexStore):
        lex = lexicon(store)
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
            ids = [known.get(tok, -1) for tok in s.tokens]
            if -1 not in ids:
                todo.append((s, tuple(sorted(ids))))
        if not todo:
            return []
        tk = self.token_key
        with np.errstate(over="ignore"):
            span_keys = np.array([int(tk[list(ids)].sum(dtype=np.uint64)) for _, ids in todo], np.uint64)
        lo = np.searchsorted(self.keys, span_keys, side="left")
        hi = np.searchsorted(self.keys, span_keys, side="right")
        hits: list[SpanHit] = []
        store = self.lex.store
        ptr, norm = self.lex.norm_ptr, self.lex.norm_ids
        lex_desc, desc_concept = self.lex.lex_desc, store.desc_concept
        for k in np.flatnonzero(hi > lo).tolist():
            span, ids = todo[k]
            for row in self.rows[lo[k] : hi[k]].tolist():
                if tuple(norm[ptr[row] : ptr[row + 1]].tolist()) != ids:
                    continue  # a key collision
                d = int(lex_desc[row])
                hits.append(SpanHit(span, row, d, int(desc_concept[d])))
        return hits


_INDEXES: weakref.WeakKeyDictionary[IndexStore, PhraseIndex] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def phrase_index(store: IndexStore) -> PhraseIndex:
    """The (per-process, per-index) PhraseIndex of a store, built on first use."""
    idx = _INDEXES.get(store)
    if idx is None:
        with _LOCK:
            idx = _INDEXES.get(store)
            if idx is None:
                idx = PhraseIndex(store)
                _INDEXES[store] = idx
    return idx


def token_ids(lex: Lexicon, tokens: Sequence[str]) -> dict[str, int]:
    """Canonical token -> id, for the tokens the index holds (one SQL query)."""
    return {tok: i for tok, (i, _df) in lex.vocab(tokens).items()}
