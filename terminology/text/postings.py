"""Word -> description posting lists, written when the index is built, read by ECL term filters.

Term filters (``{{ term = "heart att" }}``, ``wild:"*itis"``) are answered from these arrays instead of
reading descriptions: a vocabulary lookup (a prefix range, or a linear scan of the vocabulary for
``wild`` runs), intersections of sorted posting arrays, and an exact check of the few candidates left.

Only terms that are plain ASCII are indexed: their words are exactly the runs of ``[a-z0-9]`` of the
lowercased term, which is what ``normalise.words`` (the one word rule) gives for ASCII text. Terms
with other characters are few; callers treat them as candidates that always need the exact check.

==========================  =====  ===========================================================
array                       dtype  meaning
==========================  =====  ===========================================================
``word_vocab_blob``         uint8  the folded words, sorted, each followed by ``\\n``
``word_vocab_ptr``          int64  word k is ``blob[ptr[k]:ptr[k+1]-1]``
``word_post_ptr``           int64  word k's description rows are ``word_post_desc[ptr[k]:ptr[k+1]]``
``word_post_desc``          int32  description rows (sorted within each word), ASCII terms only
``char_post_ptr``           int64  [129]: ASCII punctuation byte b's rows are ``char_post_desc[ptr[b]:ptr[b+1]]``
``char_post_desc``          int32  description rows whose ASCII term contains byte b (not letters, digits, space)
==========================  =====  ===========================================================

About 4 bytes per (description, distinct word) pair: 20-25 MB at full size, memory-mapped and shared.
"""

from __future__ import annotations

import array
import bisect
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .normalise import _ASCII_WORD

if TYPE_CHECKING:
    from ..terminology import Terminology

ARRAYS = ("word_vocab_blob", "word_vocab_ptr", "word_post_ptr", "word_post_desc", "char_post_ptr", "char_post_desc")
# Bytes indexed by char_post_*: printable ASCII that is neither a word character nor a space.
PUNCTUATION = frozenset(b for b in range(33, 127) if not chr(b).isalnum())


def build_postings(
    terms: Sequence[str], blob: np.ndarray, term_ptr: np.ndarray, save: Callable[[str, np.ndarray], None]
) -> None:
    """Write the posting arrays for the description terms (``terms[row]``; ``blob``/``term_ptr`` the same terms as UTF-8)."""
    nd = len(terms)
    find = _ASCII_WORD.findall
    word_id: dict[str, int] = {}
    flat = array.array("i")  # word ids, 4 bytes each (a list of the words themselves costs ~60 bytes each)
    counts = np.zeros(nd, np.int64)
    ascii_row = np.zeros(nd, bool)
    for row, term in enumerate(terms):
        if term.isascii():
            ws = set(find(term.lower()))
            flat.extend([word_id.setdefault(w, len(word_id)) for w in ws])
            counts[row] = len(ws)
            ascii_row[row] = True
    # Word ids renumbered in sorted word order.
    vocab = sorted(word_id)
    remap = np.empty(len(vocab), np.int64)
    remap[np.fromiter((word_id[w] for w in vocab), np.int64, len(vocab))] = np.arange(len(vocab), dtype=np.int64)
    codes = remap[np.frombuffer(flat, np.int32)] if len(flat) else np.zeros(0, np.int64)
    del flat, word_id
    owners = np.repeat(np.arange(nd, dtype=np.int64), counts)
    order = np.argsort(codes, kind="stable")  # owners are ascending already: stable keeps them so per word
    post = owners[order].astype(np.int32)
    post_ptr = np.zeros(len(vocab) + 1, np.int64)
    post_ptr[1:] = np.cumsum(np.bincount(codes, minlength=len(vocab)))
    encoded = [w.encode("ascii") + b"\n" for w in vocab]
    vocab_ptr = np.zeros(len(vocab) + 1, np.int64)
    vocab_ptr[1:] = np.cumsum([len(e) for e in encoded])
    save("word_vocab_blob", np.frombuffer(b"".join(encoded), np.uint8) if encoded else np.zeros(0, np.uint8))
    save("word_vocab_ptr", vocab_ptr)
    save("word_post_ptr", post_ptr)
    save("word_post_desc", post)
    # Punctuation postings: one vectorised pass over the term bytes.
    blob = np.asarray(blob)
    table = np.zeros(256, bool)
    table[list(PUNCTUATION)] = True
    pos = np.flatnonzero(table[blob])
    rows = np.searchsorted(np.asarray(term_ptr), pos, "right") - 1
    keep = ascii_row[rows] if len(rows) else np.zeros(0, bool)
    key = np.unique(blob[pos[keep]].astype(np.int64) * max(nd, 1) + rows[keep])
    byte, row = key // max(nd, 1), key % max(nd, 1)
    char_ptr = np.zeros(129, np.int64)
    char_ptr[1:] = np.cumsum(np.bincount(byte, minlength=128)[:128])
    save("char_post_ptr", char_ptr)
    save("char_post_desc", row.astype(np.int32))


class Postings:
    """Read side of the posting arrays of one index (mapped on first use; the vocabulary decoded once)."""

    def __init__(self, t: Terminology):
        a = t.array
        self.post_ptr = np.asarray(a("word_post_ptr"))
        self.post = a("word_post_desc")
        self.char_ptr = np.asarray(a("char_post_ptr"))
        self.char_post = a("char_post_desc")
        blob = bytes(np.asarray(a("word_vocab_blob")))
        # "\n" + every word followed by "\n": a word ends at each "\n", so finding "run\n" finds suffixes.
        self.joined = "\n" + blob.decode("ascii")
        self.starts = np.asarray(a("word_vocab_ptr"))[:-1] + 1  # offsets of each word in `joined`
        self.words = blob.decode("ascii").split("\n")[:-1] if blob else []

    def prefix(self, prefix: str) -> tuple[int, int]:
        """The range of word ids starting with `prefix`."""
        return bisect.bisect_left(self.words, prefix), bisect.bisect_left(self.words, prefix + "\x7f")

    def exact(self, word: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self.words, word)
        return lo, lo + int(lo < len(self.words) and self.words[lo] == word)

    def containing(self, text: str, at_end: bool = False) -> np.ndarray:
        """Ids of the words containing `text` (ending with it when `at_end`): one linear scan of the vocabulary."""
        needle = text + "\n" if at_end else text
        hits = np.fromiter((m.start() for m in re.finditer(re.escape(needle), self.joined)), np.int64)
        if not len(hits):
            return np.zeros(0, np.int64)
        return np.unique(np.searchsorted(self.starts, hits, "right") - 1)

    def cost(self, ids: np.ndarray | tuple[int, int]) -> int:
        """Total length of the postings of some words (a range or an id array)."""
        if isinstance(ids, tuple):
            return int(self.post_ptr[ids[1]] - self.post_ptr[ids[0]])
        return int((self.post_ptr[ids + 1] - self.post_ptr[ids]).sum())

    def rows(self, ids: np.ndarray | tuple[int, int]) -> np.ndarray:
        """The postings of some words concatenated (unsorted across words, possibly repeated)."""
        if isinstance(ids, tuple):
            return np.asarray(self.post[int(self.post_ptr[ids[0]]) : int(self.post_ptr[ids[1]])])
        lo, hi = self.post_ptr[ids], self.post_ptr[ids + 1]
        lens = hi - lo
        total = int(lens.sum())
        if total == 0:
            return np.zeros(0, np.int32)
        offsets = np.cumsum(lens) - lens
        return np.asarray(self.post)[np.repeat(lo - offsets, lens) + np.arange(total, dtype=np.int64)]

    def char_cost(self, byte: int) -> int:
        return int(self.char_ptr[byte + 1] - self.char_ptr[byte])

    def char_rows(self, byte: int) -> np.ndarray:
        """Description rows (sorted) whose ASCII term contains the punctuation byte."""
        return np.asarray(self.char_post[int(self.char_ptr[byte]) : int(self.char_ptr[byte + 1])])


def postings(t: Terminology) -> Postings:
    """The Postings of a Terminology (one per instance, see `Terminology.derived`)."""
    return t.derived(Postings)
