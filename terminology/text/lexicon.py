"""The lexical tables of an index: written when it is built, read by search and mapping.

The search table holds each term's folded words (`normalise.words`), the mapping table its canonical
tokens (`canonical`); the word vocabulary serves prefix expansion and typo correction.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import process as rf_process
from rapidfuzz.distance import OSA

from ..errors import IndexFormatError
from .canonical import _SEMANTIC_TAG, PHRASE_STARTS, STOPWORDS, canonical_of_words, canonical_word
from .normalise import words

if TYPE_CHECKING:
    from ..terminology import Terminology

# A private-use character: FTS5 keeps it inside a token, and no user query can produce it.
CANON_MARK = "\ue000"
# Tables and arrays added to the index (see build_lexical_index).
SEARCH_TABLE = "search_fts"
NORM_TABLE = "norm_fts"
NORM_VOCAB_TABLE = "norm_vocab"
WORD_VOCAB_TABLE = "word_vocab"
LEX_DESC = "lex_desc"  # lexical row -> description row
NORM_PTR = "lex_norm_ptr"  # lexical row -> slice of lex_norm_ids
NORM_IDS = "lex_norm_ids"  # canonical token ids of each row (sorted, unique)
NORM_DF = "norm_df"  # canonical token id -> number of rows holding it
LEX_SPLIT = "lex_split"  # [number of rows of active concepts]: they come first in rowid order
ACRONYM_TABLE = "acronyms"  # acronyms the release spells out (learn_acronyms)

_ACRONYM_DASH = re.compile(r"^([A-Z][A-Za-z0-9]{1,9}) - (.{4,})$")
_ALL_CAPS = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")


def _letters_in_order(acronym: str, expansion: str) -> bool:
    """True when the acronym's letters occur in order in the expansion, the first letter first."""
    letters = [c for c in acronym.lower() if c.isalpha()]
    text = "".join(c for c in expansion.lower() if c.isalnum())
    if not letters or not text or text[0] != letters[0]:
        return False
    pos = 0
    for c in letters:
        pos = text.find(c, pos)
        if pos < 0:
            return False
        pos += 1
    return True


def learn_acronyms(terms: Sequence[str], concepts: Sequence[int]) -> list[tuple[str, str, str]]:
    """(acronym folded, expansion, the description it was learned from) that a release spells out.

    * "NASH - Nonalcoholic steatohepatitis": an acronym (two or more capitals, no spaces), a dash and
      an expansion holding the acronym's letters in order, starting with its first;
    * a description that is one all-capitals token ("HCC") equal to the initials of another
      description of the same concept (content words, or all words).
    """
    found: dict[tuple[str, str], str] = {}
    caps: dict[int, list[str]] = {}
    for term, c in zip(terms, concepts, strict=True):
        m = _ACRONYM_DASH.match(term)
        if m is not None and sum(ch.isupper() for ch in m.group(1)) >= 2 and _letters_in_order(m.group(1), m.group(2)):
            found.setdefault((m.group(1).lower(), m.group(2).strip().lower()), term)
        elif _ALL_CAPS.match(term):
            caps.setdefault(int(c), []).append(term)
    if caps:
        for term, c in zip(terms, concepts, strict=True):
            acr = caps.get(int(c))
            if not acr or term in acr:
                continue
            ws = words(_SEMANTIC_TAG.sub("", term))
            initials = {"".join(w[0] for w in ws), "".join(w[0] for w in ws if w not in STOPWORDS)}
            for a in acr:
                if a.lower() in initials:
                    found.setdefault((a.lower(), " ".join(ws)), f"{a} / {term}")
    return [(a, e, src) for (a, e), src in sorted(found.items())]


# ----- the lexical tables of the index


def build_lexical_index(
    db: sqlite3.Connection,
    save: Callable[[str, np.ndarray], None],
    terms: Sequence[str],
    rows: np.ndarray,
    is_fsn: np.ndarray,
    concept_active: np.ndarray,
    desc_concept: np.ndarray | None = None,
) -> None:
    """Add the search and mapping tables for description rows `rows` (active, not definitions).

    `is_fsn` and `concept_active` are per description row (the latter: is its concept active).

    * ``search_fts(words)``: the folded words of each term, with prefix indexes; its rowid is the
      position of the description in shortest-first order (characters, then words), so ``LIMIT n`` in
      rowid order yields the n shortest matching terms without ranking every match (autocomplete over
      1.6M descriptions). Rows of active concepts come first: ``rowid < lex_split[0]`` keeps to them.
    * ``norm_fts(tokens)``: the canonical tokens (marked with CANON_MARK), same rowids, for mapping.
    * ``lex_desc``: rowid -> description row; ``lex_norm_ptr``/``lex_norm_ids``: canonical token ids per
      rowid; ``norm_vocab(term, id, df)`` and ``norm_df``: the canonical vocabulary with document
      frequencies (IDF weights); ``word_vocab(word, df)``: the folded words, for typo correction.

    One Python pass tokenises every term (words and canonical tokens, with a per-word cache); the
    rest is numpy and SQLite (the word vocabulary is read back from the FTS index with fts5vocab).
    """
    rows = np.asarray(rows, np.int64)
    n = len(rows)
    token_id: dict[str, int] = {}
    word_ids: dict[str, tuple[int, ...]] = {}  # folded word -> its canonical token ids (() if a function word)
    flat: list[int] = []
    joined: list[str] = []
    n_words: list[int] = []
    counts: list[int] = []
    fsn_rows = np.asarray(is_fsn, bool)[rows].tolist()
    all_terms = [terms[r] for r in rows.tolist()]
    phrase_starts = PHRASE_STARTS
    for term, fsn in zip(all_terms, fsn_rows, strict=True):
        ws = words(term)
        n_words.append(len(ws))
        joined.append(" ".join(ws))
        cw = ws
        if fsn:  # the FSN's words without those of its semantic tag
            tag = _SEMANTIC_TAG.search(term)
            if tag is not None:
                cw = ws[: len(ws) - len(words(tag.group()))]
        if phrase_starts.isdisjoint(cw):
            row_ids: list[int] = []
            for w in cw:
                got = word_ids.get(w)
                if got is None:
                    toks = () if w in STOPWORDS else canonical_word(w)[0]
                    got = word_ids[w] = tuple(token_id.setdefault(x, len(token_id)) for x in toks)
                row_ids.extend(got)
        else:
            row_ids = [token_id.setdefault(x, len(token_id)) for x in canonical_of_words(cw)]
        if len(row_ids) > 1:
            row_ids = list(dict.fromkeys(row_ids))
        counts.append(len(row_ids))
        flat.extend(row_ids)
    lengths = np.fromiter(map(len, all_terms), np.int64, n)
    del all_terms
    inactive = ~np.asarray(concept_active, bool)[rows]
    order = np.lexsort((rows, np.asarray(n_words, np.int64), lengths, inactive))
    counts_a = np.asarray(counts, np.int64)
    save(LEX_DESC, rows[order].astype(np.int32))
    save(LEX_SPLIT, np.array([n - int(inactive.sum())], np.int64))
    # Canonical ids renumbered in sorted term order; each row's ids sorted, rows in length order.
    vocab = sorted(token_id, key=token_id.__getitem__)
    # Sorted in Python: a fixed-width numpy string array would cost len(vocab) x the longest token x 4 bytes.
    alpha = np.array(sorted(range(len(vocab)), key=vocab.__getitem__), np.int64)
    remap = np.empty(len(vocab), np.int32)
    remap[alpha] = np.arange(len(vocab), dtype=np.int32)
    vocab = [vocab[i] for i in alpha.tolist()]
    ids = remap[np.asarray(flat, np.int64)] if flat else np.zeros(0, np.int32)
    owner = np.repeat(np.arange(n), counts_a)
    new_pos = np.empty(n, np.int64)
    new_pos[order] = np.arange(n)
    srt = np.lexsort((ids, new_pos[owner]))
    ids = ids[srt].astype(np.int32)
    ptr = np.zeros(n + 1, np.int64)
    ptr[1:] = np.cumsum(counts_a[order])
    save(NORM_PTR, ptr)
    save(NORM_IDS, ids)
    df = np.bincount(ids, minlength=len(vocab)).astype(np.int32)
    save(NORM_DF, df)
    db.execute(
        f"CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5(words, content='', "
        "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3 4', detail='none', columnsize=0)"
    )
    db.execute(
        f"CREATE VIRTUAL TABLE {NORM_TABLE} USING fts5(tokens, content='', tokenize='unicode61', detail='none', columnsize=0)"
    )
    ordered = order.tolist()
    db.executemany(
        f"INSERT INTO {SEARCH_TABLE}(rowid, words) VALUES (?, ?)",
        ((pos, joined[k]) for pos, k in enumerate(ordered)),
    )
    marked = [CANON_MARK + t for t in vocab].__getitem__
    ptr_l, ids_l = ptr.tolist(), ids.tolist()
    db.executemany(
        f"INSERT INTO {NORM_TABLE}(rowid, tokens) VALUES (?, ?)",
        (
            (pos, " ".join(map(marked, ids_l[a:b])))
            for pos, (a, b) in enumerate(zip(ptr_l[:-1], ptr_l[1:], strict=True))
            if b > a
        ),
    )
    db.execute(f"CREATE TABLE {NORM_VOCAB_TABLE}(term TEXT PRIMARY KEY, id INTEGER, df INTEGER) WITHOUT ROWID")
    db.executemany(
        f"INSERT INTO {NORM_VOCAB_TABLE} VALUES (?, ?, ?)", zip(vocab, range(len(vocab)), df.tolist(), strict=True)
    )
    # Folded words with their document frequencies, read back from the search index (in C).
    db.execute(f"CREATE VIRTUAL TABLE temp.search_vocab USING fts5vocab(main, {SEARCH_TABLE}, row)")
    db.execute(f"CREATE TABLE {WORD_VOCAB_TABLE}(word TEXT PRIMARY KEY, df INTEGER) WITHOUT ROWID")
    db.execute(f"INSERT INTO {WORD_VOCAB_TABLE} SELECT term, doc FROM temp.search_vocab")
    db.execute("DROP TABLE temp.search_vocab")
    if desc_concept is not None:
        # Acronyms the release spells out (active concepts' descriptions), for the mapper's readings.
        live = rows[~inactive]
        learned = learn_acronyms([terms[r] for r in live.tolist()], np.asarray(desc_concept)[live].tolist())
        db.execute(f"CREATE TABLE {ACRONYM_TABLE}(acronym TEXT, expansion TEXT, source TEXT)")
        db.executemany(f"INSERT INTO {ACRONYM_TABLE} VALUES (?, ?, ?)", learned)


# ----- reading the lexical tables


class Lexicon:
    """Read-side access to the lexical tables of one index (arrays mapped lazily, vocab cached).

    One per Terminology (`lexicon(t)`); an index without the tables is damaged (every index of this
    format has them), so asking for it raises IndexFormatError.
    """

    def __init__(self, t: Terminology):
        missing = [
            name for name in (SEARCH_TABLE, NORM_TABLE, NORM_VOCAB_TABLE, WORD_VOCAB_TABLE) if not t.has_table(name)
        ]
        if missing:
            raise IndexFormatError(
                f"this index has no lexical table {', '.join(missing)}; rebuild it with `snomap index`"
            )
        self.t = t
        self._buckets: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}

    @functools.cached_property
    def lex_desc(self) -> np.ndarray:
        return self.t.array(LEX_DESC)

    @functools.cached_property
    def active_rows(self) -> int:
        """Rows (rowids 0..n-1) that belong to active concepts."""
        return int(self.t.array(LEX_SPLIT)[0])

    @functools.cached_property
    def norm_ptr(self) -> np.ndarray:
        return self.t.array(NORM_PTR)

    @functools.cached_property
    def norm_ids(self) -> np.ndarray:
        return self.t.array(NORM_IDS)

    @functools.cached_property
    def norm_df(self) -> np.ndarray:
        return self.t.array(NORM_DF)

    @functools.cached_property
    def acronyms(self) -> dict[str, list[tuple[str, str]]]:
        """Acronyms learned from the release when the index was built: acronym -> [(expansion, source)]."""
        if not self.t.has_table(ACRONYM_TABLE):
            return {}
        out: dict[str, list[tuple[str, str]]] = {}
        for a, e, src in self.t.sql(
            f"SELECT acronym, expansion, source FROM {ACRONYM_TABLE} ORDER BY acronym, expansion"
        ):
            out.setdefault(a, []).append((e, src))
        return out

    @property
    def n_rows(self) -> int:
        return len(self.lex_desc)

    @functools.cached_property
    def _blob(self) -> tuple[np.ndarray, memoryview]:
        return np.asarray(self.t.array("term_ptr")), memoryview(np.asarray(self.t.array("term_blob")))  # type: ignore[arg-type]  # ndarray supports the buffer protocol; numpy 2 stubs lack __buffer__

    def terms(self, rows: Iterable[int]) -> list[str]:
        """The terms of description rows (`Terminology.description_term` for many rows, without per-call overhead)."""
        ptr, blob = self._blob
        return [str(blob[ptr[d] : ptr[d + 1]], "utf-8") for d in rows]

    def vocab(self, tokens: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Canonical token -> (id, document frequency), for the tokens the index holds."""
        wanted = sorted(set(tokens))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self.t.sql(f"SELECT term, id, df FROM {NORM_VOCAB_TABLE} WHERE term IN ({marks})", wanted)
        return {term: (int(i), int(df)) for term, i, df in rows}

    def words_starting(self, prefix: str, limit: int) -> list[str]:
        """Indexed (folded) words starting with `prefix`, at most `limit` of them."""
        rows = self.t.sql(
            f"SELECT word FROM {WORD_VOCAB_TABLE} WHERE word >= ? AND word < ? LIMIT ?",
            (prefix, prefix + "\U0010ffff", limit),
        )
        return [r[0] for r in rows]

    def knows_word(self, word: str) -> bool:
        return bool(self.t.sql(f"SELECT 1 FROM {WORD_VOCAB_TABLE} WHERE word = ?", (word,)))

    def _bucket(self, first: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The folded words starting with `first`, their lengths and document frequencies (cached)."""
        hit = self._buckets.get(first)
        if hit is None:
            rows = self.t.sql(
                f"SELECT word, df FROM {WORD_VOCAB_TABLE} WHERE word >= ? AND word < ?", (first, first + "\U0010ffff")
            )
            ws = [w for w, _ in rows]
            hit = (ws, np.fromiter(map(len, ws), np.int32, len(ws)), np.array([d for _, d in rows], np.int64))
            self._buckets[first] = hit
        return hit

    def corrections(self, word: str, limit: int = 3) -> list[tuple[str, int]]:
        """Index words within one edit (two for words of 8+ letters) of `word`: (word, edits), best first.

        Only words sharing the first letter are considered (typos there are rare, and it keeps the
        candidate list to a few thousand words at full size); more frequent words win ties.
        """
        if len(word) < 4 or not word.isalpha():
            return []
        max_d = 1 if len(word) < 8 else 2
        ws, lens, dfs = self._bucket(word[0])
        near = np.flatnonzero(np.abs(lens - len(word)) <= max_d)
        if not len(near):
            return []
        choices = [ws[i] for i in near.tolist()]
        found = rf_process.extract(word, choices, scorer=OSA.distance, score_cutoff=max_d, limit=None)
        found = [(w, int(d), int(dfs[near[k]])) for w, d, k in found if w != word]
        found.sort(key=lambda x: (x[1], -x[2], x[0]))
        return [(w, d) for w, d, _ in found[:limit]]


def lexicon(t: Terminology) -> Lexicon:
    """The Lexicon of a Terminology (one per instance, see `Terminology.derived`)."""
    return t.derived(Lexicon)
