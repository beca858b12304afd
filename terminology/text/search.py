"""Finding concepts by their descriptions: prefix-friendly, ranked search over the FTS5 index.

Every query word must start a word of the term ("metast ili" finds "Metastatic malignant neoplasm
to ilium"). Hits are ranked: the whole term typed exactly first, then the preferred synonym of the
chosen dialect, then acceptable synonyms, then FSNs; shorter terms before longer; one hit per
concept (its best description).

Speed at full size comes from the ``search_fts`` table built with the index (see `lexicon`): its rowids
follow term length, so ``LIMIT n`` in rowid order returns the n shortest matching terms without
scoring every match. Ranking 1.6M descriptions by bm25 is what makes a two-letter prefix slow; with
every query word required (AND), bm25 differences between two matches reduce to their length anyway,
which is our sort key.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

from loaders.sctid import ComponentKind, sctid_problem

from ..errors import ConceptNotFoundError
from ..index import format as fmt
from ..terminology import Terminology
from .lexicon import SEARCH_TABLE, Lexicon, lexicon
from .normalise import fts_quote, words

PAGE = 256  # FTS rows fetched per round trip
MAX_ROWS = 8_192  # rows examined per query without `within` (bounds the latency of rare misses)
DIRECT_ROWS = 3_000  # with a `within` this small (in descriptions), test its terms directly
MAX_WORDS = 12  # query words beyond this are ignored
PREFIX_INDEX = 4  # search_fts has prefix indexes for 1..4 letters
MAX_EXPANSION = 256  # a longer prefix is expanded to at most this many words (else FTS5 merges them)

# Ranking tiers of a description in the chosen dialect (higher first).
TIER_PREFERRED, TIER_ACCEPTABLE, TIER_FSN, TIER_OTHER = 3, 2, 1, 0


@dataclass(frozen=True)
class SearchHit:
    """One concept found: the description that matched, the concept's preferred term, a 0..1 score.

    score = (4 * exact + tier + cover) / 8, so it falls in ranking order: `exact` is 1 when the term
    is the query word for word, `tier` is 3 for the dialect's preferred synonym, 2 acceptable, 1 FSN,
    0 other, and `cover` the share of the term's length the query makes up. An SCTID typed in scores 1.
    """

    concept_id: int
    term: str
    pt: str
    description_id: int
    score: float


def query_words(q: str) -> list[str]:
    """The distinct folded words of a query (FTS operators and punctuation are separators, not syntax)."""
    return list(dict.fromkeys(words(q)))[:MAX_WORDS]


def prefix_query(ws: list[str]) -> str:
    """An FTS5 query requiring every word as a prefix: '"metast"* AND "ili"*'."""
    return " AND ".join(fts_quote(w) + "*" for w in ws)


def _lexical_query(lex: Lexicon, ws: list[str]) -> str | None:
    """The search_fts query for `ws`, or None when some word starts no indexed word at all.

    Prefixes of up to PREFIX_INDEX letters use FTS5's prefix index. A longer prefix would make
    FTS5 merge the doclists of every word it starts before returning a row (23 ms for "liver"* at
    full size), so it becomes an OR of those words, found in the word vocabulary (0.3 ms).
    """
    parts = []
    for w in ws:
        if len(w) <= PREFIX_INDEX:
            parts.append(fts_quote(w) + "*")
            continue
        found = lex.words_starting(w, MAX_EXPANSION + 1)
        if not found:
            return None
        if len(found) > MAX_EXPANSION:
            parts.append(fts_quote(w) + "*")
        else:
            parts.append("(" + " OR ".join(fts_quote(x) for x in found) + ")")
    return " AND ".join(parts)


def matches_prefixes(term_words: list[str], ws: list[str]) -> bool:
    """True when every query word starts some word of the term (the FTS query, in Python)."""
    return all(any(t.startswith(w) for t in term_words) for w in ws)


def search(
    t: Terminology,
    q: str,
    limit: int = 20,
    lang: str | None = None,
    active_only: bool = True,
    within: np.ndarray | None = None,
) -> list[SearchHit]:
    """Concepts whose descriptions match `q` (every word as a prefix), best first, one hit per concept.

    `within` (sorted SCTIDs) restricts the concepts; a concept or description SCTID typed as the query
    returns that concept first.
    """
    if limit <= 0:
        return []
    allowed = None if within is None else _sorted_ids(within)
    cols = t.refset_columns(lang)
    hits: list[SearchHit] = []
    direct = _id_hit(t, q, cols, active_only, allowed)
    if direct is not None:
        hits.append(direct)
    ws = query_words(q)
    if not ws or len(hits) >= limit:
        return hits[:limit]
    ranker = _Ranker(t, ws, cols, active_only, allowed, skip={h.concept_id for h in hits})
    if allowed is not None and _allowed_count(t, allowed) <= DIRECT_ROWS:
        ranker.add(_direct_rows(t, allowed, ws))
    else:
        _fetch_lexical(t, lexicon(t), ws, ranker, limit - len(hits), allowed is not None, active_only)
    return hits + ranker.best(limit - len(hits))


# ----- candidates


def _fts_rows(t: Terminology, sql: str, params: tuple) -> np.ndarray:
    try:
        rows = t.sql(sql, params)
    except sqlite3.OperationalError:
        return np.zeros(0, np.int64)  # a query FTS5 still refuses: no match rather than an error
    return np.fromiter((r[0] for r in rows), np.int64, len(rows))


def _fetch_lexical(
    t: Terminology, lex: Lexicon, ws: list[str], ranker: _Ranker, want: int, unbounded: bool, active_only: bool
) -> None:
    """Pages of matches in shortest-first order until enough concepts (or every match) are seen.

    Rows of active concepts have the lower rowids, so `active_only` is a rowid bound, not a filter
    that could page through thousands of matches of inactive concepts ("[X]..." terms).
    """
    match = _lexical_query(lex, ws)
    if match is None:
        return
    ranges = [(0, lex.active_rows)] if active_only else [(0, lex.active_rows), (lex.active_rows, lex.n_rows)]
    sql = (
        f"SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH ? AND rowid >= ? AND rowid < ? "
        "ORDER BY rowid LIMIT ?"
    )
    for lo, hi in ranges:
        start, page, seen = lo, 2 * PAGE, 0
        while start < hi:
            rowids = _fts_rows(t, sql, (match, start, hi, page))
            if len(rowids):
                ranker.add(lex.lex_desc[rowids].astype(np.int64))
                start = int(rowids[-1]) + 1
                seen += len(rowids)
            if len(rowids) < page or ranker.concepts() >= want or (not unbounded and seen >= MAX_ROWS):
                break
            page = min(page * 4, 8_192)


def _sorted_ids(within: np.ndarray) -> np.ndarray:
    """`within` as a sorted int64 array (it is meant to arrive sorted; checking is O(n), sorting is not)."""
    a = np.asarray(within, np.int64).ravel()
    return a if len(a) < 2 or bool(np.all(a[1:] >= a[:-1])) else np.sort(a)


def _allowed_concepts(t: Terminology, allowed: np.ndarray) -> np.ndarray:
    """Concept rows of the allowed SCTIDs that the release holds."""
    ids = t.ids
    if not len(ids) or not len(allowed):
        return np.zeros(0, np.int64)
    pos = np.searchsorted(ids, allowed).clip(0, len(ids) - 1)
    return pos[ids[pos] == allowed].astype(np.int64)


def _allowed_count(t: Terminology, allowed: np.ndarray) -> int:
    idx = _allowed_concepts(t, allowed)
    ptr = t.array("desc_by_concept_ptr")
    return int((ptr[idx + 1] - ptr[idx]).sum())


def _allowed_rows(t: Terminology, allowed: np.ndarray) -> np.ndarray:
    """Description rows (active, not definitions) of the allowed concepts, without a Python loop."""
    idx = _allowed_concepts(t, allowed)
    ptr = t.array("desc_by_concept_ptr")
    starts, counts = ptr[idx].astype(np.int64), (ptr[idx + 1] - ptr[idx]).astype(np.int64)
    total = int(counts.sum())
    if not total:
        return np.zeros(0, np.int64)
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    rows = offsets + np.arange(total)
    return rows[t.array("desc_active")[rows] & (t.array("desc_type")[rows] != fmt.DEFINITION)]


def _direct_rows(t: Terminology, allowed: np.ndarray, ws: list[str]) -> np.ndarray:
    rows = _allowed_rows(t, allowed).tolist()
    terms = lexicon(t).terms(rows)
    keep = [d for d, term in zip(rows, terms, strict=True) if matches_prefixes(words(term), ws)]
    return np.asarray(keep, np.int64)


# ----- ranking


class _Ranker:
    """Collects candidate description rows and ranks them: exact, dialect tier, length, row."""

    def __init__(
        self,
        t: Terminology,
        ws: list[str],
        cols: list[int],
        active_only: bool,
        allowed: np.ndarray | None,
        skip: set[int],
    ):
        self.t, self.ws, self.cols = t, ws, cols
        self.lex = lexicon(t)
        self.active_only, self.allowed, self.skip = active_only, allowed, skip
        self.rows: list[np.ndarray] = []
        self._concepts: set[int] = set()
        self.query_text = " ".join(ws)

    def add(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        desc_concept = self.t.array("desc_concept")
        rows = rows.astype(np.int64)
        ci = desc_concept[rows].astype(np.int64)
        keep = np.ones(len(rows), bool)
        if self.active_only:
            keep &= self.t.active_mask[ci]
        if self.allowed is not None:
            sct = self.t.ids[ci]
            pos = np.searchsorted(self.allowed, sct).clip(0, max(len(self.allowed) - 1, 0))
            keep &= (self.allowed[pos] == sct) if len(self.allowed) else False
        rows = rows[keep]
        self.rows.append(rows)
        self._concepts.update(desc_concept[rows].tolist())

    def concepts(self) -> int:
        return len(self._concepts)

    def best(self, n: int) -> list[SearchHit]:
        """The best description of the `n` best concepts (terms decoded only for rows that can win)."""
        if not self.rows:
            return []
        t = self.t
        rows = np.unique(np.concatenate(self.rows))
        if not len(rows):
            return []
        term_ptr = t.array("term_ptr")
        length = (term_ptr[rows + 1] - term_ptr[rows]).astype(np.int64)
        # Only a term about as long as the query can equal it word for word.
        exact = np.zeros(len(rows), bool)
        q_len = len(self.query_text.encode())
        near = np.flatnonzero((length >= q_len) & (length <= 2 * q_len + 8))
        for k, term in zip(near.tolist(), self.lex.terms(rows[near].tolist()), strict=True):
            exact[k] = " ".join(words(term)) == self.query_text
        tier = dialect_tiers(t, rows, self.cols)
        order = np.lexsort((rows, length, -tier, ~exact))
        concept = t.array("desc_concept")[rows]
        desc_id = t.array("desc_id")
        out: list[SearchHit] = []
        done: set[int] = set(self.skip)
        for k in order.tolist():
            ci = int(concept[k])
            cid = int(t.ids[ci])
            if cid in done:
                continue
            done.add(cid)
            d = int(rows[k])
            cover = 1.0 if exact[k] else min(0.99, q_len / max(1, int(length[k])))
            score = (4.0 * bool(exact[k]) + float(tier[k]) + cover) / 8.0
            (term,) = self.lex.terms([d])
            out.append(
                SearchHit(cid, term, t.preferred_term_of_row(ci, self.cols) or term, int(desc_id[d]), round(score, 4))
            )
            if len(out) >= n:
                break
        return out


def dialect_tiers(t: Terminology, rows: np.ndarray, cols: list[int]) -> np.ndarray:
    """Dialect tier of each description: preferred synonym 3, acceptable 2, FSN 1, other 0.

    Acceptability is read from the first language refset (in the dialect's order) that holds the row.
    """
    typ = t.array("desc_type")[rows]
    tier = np.full(len(rows), TIER_OTHER, np.int64)
    if cols:
        acc = np.asarray(t.array("acceptability")[rows])[:, cols]
        has = acc != 0
        first = acc[np.arange(len(rows)), has.argmax(axis=1)]
        tier[has.any(axis=1) & (first == fmt.PREFERRED_CODE)] = TIER_PREFERRED
        tier[has.any(axis=1) & (first == fmt.ACCEPTABLE_CODE)] = TIER_ACCEPTABLE
    tier[typ == fmt.FSN] = TIER_FSN
    return tier


# ----- an SCTID typed in the box


def _id_hit(t: Terminology, q: str, cols: list[int], active_only: bool, allowed: np.ndarray | None) -> SearchHit | None:
    """The concept named by a concept or description SCTID typed as the whole query, if any."""
    text = q.strip()
    if not text.isdigit() or sctid_problem(text, None) is not None:
        return None
    sctid = int(text)
    if sctid_problem(text, ComponentKind.DESCRIPTION) is None:
        try:
            desc = t.description(sctid)
        except ConceptNotFoundError:
            return None
        concept_id, term, desc_id = desc.concept_id, desc.term, desc.id
    else:
        i = t.index_of(sctid)
        if i is None:
            return None
        d = t.preferred_description_row(i, cols)
        if d < 0:
            return None
        concept_id, term, desc_id = sctid, t.description_term(d), int(t.array("desc_id")[d])
    if active_only and not t.is_active(concept_id):
        return None
    if allowed is not None:
        k = int(np.searchsorted(allowed, concept_id))
        if k >= len(allowed) or int(allowed[k]) != concept_id:
            return None
    pt = t.preferred_term_of_row(t.row_of(concept_id), cols) or term
    return SearchHit(concept_id, term, pt, desc_id, 1.0)
