"""Lexical mapping of free clinical text onto concepts ("liver mets" -> 94381002).

Both the text and every description are reduced to canonical tokens by the same function
(`text.analyse`: case, punctuation, function words, GB/US spelling, plurals, clinical synonyms
and abbreviations), so "secondary tumour of the liver" and "Secondary malignant neoplasm of liver"
meet on shared tokens whatever the wording. The query side then widens each token with soft links
(hepatic ~ liver, secondary ~ metastasis) and, for words the index has never seen, with typo
corrections (one edit, two in words of 8+ letters) found in the index's word list.

Candidates come from the ``norm_fts`` table (rowids in shortest-first order, active concepts first):
the shortest descriptions holding the rarest query tokens together, each token, and any token,
every fetch bounded (see `_candidates`). Each candidate is scored by IDF-weighted token overlap:

* query coverage  Cq = sum(w_i * m_i) / sum(w_i): how much of the text the description accounts for;
* term coverage   Cd = sum(v_j * n_j) / sum(v_j): how much of the description the text accounts for,
  so extra unmatched words in a term cost it;
* score = Cq ** QUERY_WEIGHT * Cd ** (1 - QUERY_WEIGHT), in 0..1,

where m_i / n_j are the strengths of the best match (1 same token, the soft-link weight, or
TYPO_WEIGHTS for corrected words) and w / v are IDF weights (a word the index lacks weighs most).
The dialect's preferred term gets PREFERRED_BONUS. The best description stands for its concept; on
equal scores, the one sharing most words with the text, then the dialect's preferred term, then the
shorter. `matched` says whether the best score reaches MATCH_THRESHOLD.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..index.format import FSN
from ..terminology import Terminology
from ..text import (
    CANON_MARK,
    IMPLIES,
    NORM_TABLE,
    RELATED,
    TIER_FSN,
    TIER_PREFERRED,
    Lexicon,
    Token,
    analyse,
    canonical_tokens,
    dialect_tiers,
    fts_quote,
    lexicon,
    words,
)

MATCH_THRESHOLD = 0.7  # best score needed to say the text names a concept (calibrated, see tests)
QUERY_WEIGHT = 0.7  # share of query coverage in the score (the rest is term coverage)
MIN_SCORE = 0.2  # candidates scoring less are not returned at all
TYPO_WEIGHTS = {1: 0.9, 2: 0.8}  # match strength of a word corrected with 1 or 2 edits
PREFERRED_BONUS = 0.02  # added to the score of a dialect's preferred term (kept within 1.0)
FETCH_ALL = 300  # rows holding the rarest tokens together
FETCH_PARTIAL = 100  # rows per pairwise AND (when the rarest pair is rare together)
FETCH_EACH = 50  # rows holding each token
FETCH_ANY = 200  # rows holding any token
MAX_GROUPS = 12  # query tokens beyond this are ignored
AND_GROUPS = 4  # at most this many tokens in one AND
FEW = 20  # fewer rows than this for the rarest pair: also try the other pairs of the three rarest


@dataclass(frozen=True)
class MapCandidate:
    """A concept the text may name: its preferred term, the description matched, a 0..1 score, and why."""

    concept_id: int
    term: str
    matched_term: str
    score: float
    explanation: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MapResult:
    """Candidates best first; `matched` when the best reaches `threshold` (else the caller should abstain)."""

    candidates: list[MapCandidate]
    matched: bool
    threshold: float


@dataclass
class QueryGroup:
    """One query token and what it may match: canonical token -> (strength, how)."""

    token: Token
    alts: dict[str, tuple[float, str]]
    implied: dict[str, float] = field(default_factory=dict)  # term coverage only
    weight: float = 0.0


def _idf(df: int, n: int) -> float:
    return math.log(1.0 + (n + 1.0) / (df + 0.5))


def map_text(t: Terminology, text: str, limit: int = 10, lang: str | None = None) -> MapResult:
    """Map free clinical text onto the concepts whose descriptions it best matches (active concepts only)."""
    empty = MapResult([], False, MATCH_THRESHOLD)
    lex = lexicon(t)
    if limit <= 0:
        return empty
    groups, known = query_groups(lex, text)
    if not groups:
        return empty
    rows = _candidates(t, lex, groups)
    if not len(rows):
        return empty
    scored = score_rows(lex, groups, known, rows)
    cols = t.refset_columns(lang)
    cands = best_per_concept(t, lex, groups, rows, scored, cols, limit, text)
    return MapResult(cands, bool(cands) and cands[0].score >= MATCH_THRESHOLD, MATCH_THRESHOLD)


# ----- the query


def query_groups(lex: Lexicon, text: str) -> tuple[list[QueryGroup], dict[str, tuple[int, int]]]:
    """Canonical tokens of the text with their soft links and typo corrections, weighted by IDF."""
    first: dict[str, Token] = {}
    for tok in analyse(text):
        first.setdefault(tok.token, tok)
    tokens = list(first.values())[:MAX_GROUPS]
    if not tokens:
        return [], {}
    groups = []
    for tok in tokens:
        alts = {tok.token: (1.0, tok.kind)}
        for other, w in RELATED.get(tok.token, {}).items():
            alts.setdefault(other, (w, "related"))
        groups.append(QueryGroup(tok, alts, dict(IMPLIES.get(tok.token, {}))))
    known = lex.vocab([a for g in groups for a in g.alts] + [a for g in groups for a in g.implied])
    for g in groups:
        if g.token.token not in known and g.token.kind == "word" and not lex.knows_word(g.token.source):
            for word, edits in safe_corrections(lex, g.token.source):
                for tok in canonical_tokens(word):
                    g.alts.setdefault(tok, (TYPO_WEIGHTS[edits], f"typo:{word}"))
                    # The corrected word's own soft links ("hepatiic" -> hepatic ~ liver), weaker still.
                    for other, w in RELATED.get(tok, {}).items():
                        g.alts.setdefault(other, (round(TYPO_WEIGHTS[edits] * w, 3), f"typo:{word}"))
    known.update(lex.vocab(a for g in groups for a in g.alts if a not in known))
    n = lex.n_rows
    for g in groups:
        g.alts = {a: v for a, v in g.alts.items() if a in known}
        g.implied = {a: w for a, w in g.implied.items() if a in known and a not in g.alts}
        own = known.get(g.token.token)
        if own is not None:
            g.weight = _idf(own[1], n)
        elif g.alts:  # a typo: weigh it like the word it was corrected to
            best = max(g.alts, key=lambda a: g.alts[a][0])
            g.weight = _idf(known[best][1], n)
        else:
            g.weight = _idf(0, n)
    return groups, known


def safe_corrections(lex: Lexicon, word: str) -> list[tuple[str, int]]:
    """Spelling corrections that cannot change the meaning of `word` (issue 13, item 3).

    Only the corrections at the smallest edit distance are kept: "hepatiic" is one edit from
    *hepatic* and two from *hepatitis*, so it becomes hepatic, never hepatitis. When several words
    tie at that distance (two different clinical words), neither is guessed: all tied words are kept,
    each at the same typo weight, so neither wins on the correction alone and the rest of the text
    decides. The explanation names the correction and its cost (1 - its match strength).
    """
    found = lex.corrections(word, limit=5)
    if not found:
        return []
    best = min(d for _, d in found)
    return [(w, d) for w, d in found if d == best]


# ----- candidates


def _candidates(t: Terminology, lex: Lexicon, groups: list[QueryGroup]) -> np.ndarray:
    """Lexical rows worth scoring, each fetch bounded and shortest first.

    FTS5 intersects long doclists slowly when few rows hold all the tokens (an AND of four common
    tokens costs milliseconds), so tokens are added to the AND one at a time, rarest first, only
    while the previous AND still fills its page. Rows missing a token come from pairwise ANDs of the
    three rarest tokens (when the first pair finds little), from each token alone, and from any token.
    """
    ranked = sorted((g for g in groups if g.alts), key=lambda g: -g.weight)
    exprs = ["(" + " OR ".join(fts_quote(CANON_MARK + a) for a in g.alts) + ")" for g in ranked]
    if not exprs:
        return np.zeros(0, np.int64)
    found = []
    for n in range(min(2, len(exprs)), min(AND_GROUPS, len(exprs)) + 1):
        rows = _norm_rows(t, lex, " AND ".join(exprs[:n]), FETCH_ALL)
        found.append(rows)
        if len(rows) < FETCH_ALL:
            break
    if len(exprs) >= 3 and len(found[0]) < FEW:
        found.append(_norm_rows(t, lex, f"{exprs[0]} AND {exprs[2]}", FETCH_PARTIAL))
        found.append(_norm_rows(t, lex, f"{exprs[1]} AND {exprs[2]}", FETCH_PARTIAL))
    if len(exprs) >= 2:
        found.extend(_norm_rows(t, lex, e, FETCH_EACH) for e in exprs[:MAX_GROUPS])
        found.append(_norm_rows(t, lex, " OR ".join(exprs), FETCH_ANY))
    return np.unique(np.concatenate(found))


def _norm_rows(t: Terminology, lex: Lexicon, match: str, limit: int) -> np.ndarray:
    """Shortest rows of active concepts matching an FTS5 expression (rowids below lex.active_rows)."""
    try:
        rows = t.sql(
            f"SELECT rowid FROM {NORM_TABLE} WHERE {NORM_TABLE} MATCH ? AND rowid < ? ORDER BY rowid LIMIT ?",
            (match, lex.active_rows, limit),
        )
    except sqlite3.OperationalError:
        return np.zeros(0, np.int64)
    return np.fromiter((r[0] for r in rows), np.int64, len(rows))


# ----- scoring


@dataclass
class Scored:
    score: np.ndarray  # per candidate row
    q_cov: np.ndarray
    d_cov: np.ndarray
    best_alt: np.ndarray  # (rows, groups): index into alt_tokens of the token each group matched, -1 none
    alt_tokens: list[str]


def score_rows(lex: Lexicon, groups: list[QueryGroup], known: dict[str, tuple[int, int]], rows: np.ndarray) -> Scored:
    """Query and term coverage of every candidate row, vectorised over their canonical token ids."""
    alt_tokens = sorted({a for g in groups for a in g.alts} | {a for g in groups for a in g.implied})
    where = {a: i for i, a in enumerate(alt_tokens)}
    alt_ids = np.array([known[a][0] for a in alt_tokens], np.int64)
    strength = np.zeros((len(alt_tokens), len(groups)))  # token x group -> match strength (query coverage)
    covers = np.zeros((len(alt_tokens), len(groups)))  # the same, plus implications (term coverage)
    for j, g in enumerate(groups):
        for a, (w, _) in g.alts.items():
            strength[where[a], j] = covers[where[a], j] = w
        for a, w in g.implied.items():
            covers[where[a], j] = w
    order = np.argsort(alt_ids)
    alt_ids_sorted = alt_ids[order]

    ptr = lex.norm_ptr
    starts, stops = ptr[rows], ptr[rows + 1]
    counts = (stops - starts).astype(np.int64)
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(rows)), counts)
    flat = lex.norm_ids[np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)].astype(np.int64)
    pos = np.searchsorted(alt_ids_sorted, flat).clip(0, max(len(alt_ids_sorted) - 1, 0))
    hit = (alt_ids_sorted[pos] == flat) if len(alt_ids_sorted) else np.zeros(total, bool)
    alt_index = np.where(hit, order[pos] if len(order) else 0, -1)
    safe = alt_index.clip(0)
    tok_strength = np.where(hit[:, None], strength[safe], 0.0)  # (row tokens, groups)
    tok_covers = np.where(hit[:, None], covers[safe], 0.0)

    # Query coverage: per row and group, the strongest token of the row.
    m = np.zeros((len(rows), len(groups)))
    np.maximum.at(m, owner, tok_strength)
    gw = np.array([g.weight for g in groups])
    q_cov = (m * gw).sum(axis=1) / gw.sum()
    # Term coverage: each token of the row, covered by its strongest group, weighted by its IDF.
    n = lex.n_rows
    v = np.log(1.0 + (n + 1.0) / (lex.norm_df[flat].astype(np.float64) + 0.5))
    nj = tok_covers.max(axis=1) if total else np.zeros(0)
    num = np.bincount(owner, weights=v * nj, minlength=len(rows))
    den = np.bincount(owner, weights=v, minlength=len(rows))
    d_cov = np.divide(num, den, out=np.zeros(len(rows)), where=den > 0)
    score = q_cov**QUERY_WEIGHT * d_cov ** (1.0 - QUERY_WEIGHT)

    # Which token each group matched in each row (for explanations), as an index into alt_tokens.
    best_alt = np.full((len(rows), len(groups)), -1, np.int64)
    for j in range(len(groups)):
        col = tok_strength[:, j]
        idx = np.flatnonzero(col > 0)
        if not len(idx):
            continue
        srt = idx[np.lexsort((col[idx], owner[idx]))]  # by row, strongest last
        last = np.r_[owner[srt][1:] != owner[srt][:-1], True]
        best_alt[owner[srt][last], j] = alt_index[srt][last]
    return Scored(score, q_cov, d_cov, best_alt, alt_tokens)


def best_per_concept(
    t: Terminology,
    lex: Lexicon,
    groups: list[QueryGroup],
    rows: np.ndarray,
    sc: Scored,
    cols: list[int],
    limit: int,
    text: str,
) -> list[MapCandidate]:
    """One candidate per active concept: its best row by score, then same words as the text, dialect, length."""
    d = lex.lex_desc[rows].astype(np.int64)
    ci = t.array("desc_concept")[d].astype(np.int64)
    tier = dialect_tiers(t, d, cols)
    preferred = tier == TIER_PREFERRED
    final = np.round(np.minimum(1.0, sc.score + PREFERRED_BONUS * preferred), 4)
    live = np.flatnonzero(t.active_mask[ci] & (final >= MIN_SCORE))
    if not len(live):
        return []
    # Rows that can still win: best score, then dialect tier, then shortest (a cheap superset of the answer).
    top = live[np.lexsort((rows[live], -tier[live], -final[live]))[: max(8 * limit, 64)]]
    text_words = set(words(text))
    terms = dict(zip(top.tolist(), lex.terms(d[top].tolist()), strict=True))
    same = np.array([len(text_words & set(words(terms[int(k)]))) for k in top.tolist()], np.int64)
    order = top[np.lexsort((rows[top], -tier[top], -same, -final[top]))]
    out: list[MapCandidate] = []
    seen: set[int] = set()
    desc_type = t.array("desc_type")
    for k in order.tolist():
        if int(ci[k]) in seen:
            continue
        seen.add(int(ci[k]))
        matched_term = terms[k]
        pt = t.preferred_term_of_row(int(ci[k]), cols) or matched_term
        is_fsn = int(desc_type[int(d[k])]) == FSN
        expl = _explain(groups, sc, k, matched_term, is_fsn, bool(preferred[k]), int(tier[k]))
        out.append(MapCandidate(int(t.ids[ci[k]]), pt, matched_term, float(final[k]), expl))
        if len(out) >= limit:
            break
    return out


# ----- explanations


def _explain(
    groups: list[QueryGroup], sc: Scored, k: int, term: str, is_fsn: bool, preferred: bool, tier: int
) -> dict[str, Any]:
    """Which words of the text matched which words of the term, and how (exact, spelling, synonym, ...)."""
    term_tokens = analyse(term, fsn=is_fsn)
    by_token: dict[str, list[Token]] = {}
    for tok in term_tokens:
        by_token.setdefault(tok.token, []).append(tok)
    matches, unmatched_query, used = [], [], set()
    for j, g in enumerate(groups):
        a = int(sc.best_alt[k, j])
        if a < 0:
            unmatched_query.append(g.token.source)
            continue
        alt = sc.alt_tokens[a]
        strength, how = g.alts[alt]
        target = by_token.get(alt, [])
        term_words = sorted({tok.source for tok in target}) or [alt]
        used.add(alt)
        if how == "word" or how == "synonym":
            if g.token.source in term_words:
                how = "exact"
            elif how == "word" and all(tok.kind == "word" for tok in target):
                how = "spelling or inflection"
            else:
                how = "synonym or abbreviation"
        elif how.startswith("typo:"):
            how = f"typo corrected to '{how[5:]}' (cost {1 - strength:.2f} of this word's match)"
        else:
            how = "related word"
        entry = {"text": g.token.source, "term": " / ".join(term_words), "how": how, "strength": round(strength, 2)}
        if matches and matches[-1]["text"] == entry["text"] and matches[-1]["how"] == how:
            if entry["term"] not in matches[-1]["term"].split(" / "):
                matches[-1]["term"] += " " + entry["term"]
            continue
        matches.append(entry)
    extra = sorted(
        {tok.source for tok in term_tokens if tok.token not in used and not _matched_elsewhere(tok.token, groups)}
    )
    q, dcov = float(sc.q_cov[k]), float(sc.d_cov[k])
    n_text = len({g.token.source for g in groups})
    parts = [f"{n_text - len(set(unmatched_query))} of {n_text} text words matched"]
    if unmatched_query:
        parts.append("not found in the term: " + ", ".join(unmatched_query))
    if extra:
        parts.append("term words not in the text: " + ", ".join(extra))
    if preferred:
        parts.append("preferred term in the dialect")
    elif tier == TIER_FSN:
        parts.append("fully specified name")
    return {
        "summary": "; ".join(parts),
        "matches": matches,
        "unmatched_text": unmatched_query,
        "unmatched_term": extra,
        "text_coverage": round(q, 3),
        "term_coverage": round(dcov, 3),
        "preferred": preferred,
    }


def _matched_elsewhere(token: str, groups: list[QueryGroup]) -> bool:
    return any(token in g.alts for g in groups)
