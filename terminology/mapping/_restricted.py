"""The lexical mapper restricted to a set of concepts (a hierarchy or an attribute's range).

Compositional mapping asks "which morphology does 'metastatic carcinoma' name?": the best
morphology may rank far below disorders ("Metastatic carcinoma to liver") in an unrestricted
mapping, so the candidate rows are filtered by a concept mask *before* they are scored. Query
analysis (soft links, typo correction), scoring and explanations are the mapper's own
(`lexical.query_groups`, `score_rows`, `best_per_concept`), so a part's score means what a
mapping score means.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from ..terminology import Terminology
from ..text import CANON_MARK, NORM_TABLE, Lexicon, fts_quote, lexicon
from .lexical import MapCandidate, best_per_concept, query_groups, score_rows

PAGE = 2_000  # FTS rows per page
MAX_PAGES = 4  # pages per query (rows are shortest first, and values are short terms)
WANT_ROWS = 300  # in-mask rows that are enough to score


def map_within(
    t: Terminology, text: str, mask: np.ndarray, limit: int = 5, lang: str | None = None
) -> list[MapCandidate]:
    """`map_text` over the concepts whose rows are True in `mask` (a bool array over concept rows)."""
    lex = lexicon(t)
    if limit <= 0:
        return []
    groups, known = query_groups(lex, text)
    # Every query token counts in the score (an unknown word lowers the text coverage), but only
    # tokens the index holds can fetch rows.
    fetching = sorted((g for g in groups if g.alts), key=lambda g: -g.weight)
    if not fetching:
        return []
    exprs = ["(" + " OR ".join(fts_quote(CANON_MARK + a) for a in g.alts) + ")" for g in fetching]
    found: list[np.ndarray] = []
    if len(exprs) > 1:
        found.append(_masked_rows(t, lex, " AND ".join(exprs), mask))
    if sum(len(f) for f in found) < WANT_ROWS:
        found.append(_masked_rows(t, lex, " OR ".join(exprs), mask))
    rows = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
    if not len(rows):
        return []
    scored = score_rows(lex, groups, known, rows)
    cols = t.refset_columns(lang)
    return best_per_concept(t, lex, groups, rows, scored, cols, limit, text)


def _masked_rows(t: Terminology, lex: Lexicon, match: str, mask: np.ndarray) -> np.ndarray:
    """Shortest lexical rows matching `match` whose concept is in `mask`, a few pages at most."""
    sql = (
        f"SELECT rowid FROM {NORM_TABLE} WHERE {NORM_TABLE} MATCH ? AND rowid >= ? AND rowid < ? ORDER BY rowid LIMIT ?"
    )
    out: list[np.ndarray] = []
    start, kept = 0, 0
    desc_concept = t.array("desc_concept")
    for _ in range(MAX_PAGES):
        try:
            got = t.sql(sql, (match, start, lex.active_rows, PAGE))
        except sqlite3.OperationalError:
            break
        if not got:
            break
        rowids = np.fromiter((r[0] for r in got), np.int64, len(got))
        concept = np.asarray(desc_concept[np.asarray(lex.lex_desc[rowids], np.int64)], np.int64)
        keep = rowids[mask[concept]]
        out.append(keep)
        kept += len(keep)
        start = int(rowids[-1]) + 1
        if len(got) < PAGE or kept >= WANT_ROWS:
            break
    return np.concatenate(out) if out else np.zeros(0, np.int64)
