"""Concept mentions in free text: where a note names a concept, which one, and whether it is negated.

Guideline authors paste a paragraph and get tag suggestions, so a 3,000-character text must be
annotated in well under 100 ms on a full-size release. The mapper is never called per n-gram:

1. the text is split once into words (with character offsets) and canonical-token units, exactly as
   descriptions were at index time (`text.spans`);
2. every run of up to MAX_SPAN content units within a clause is a candidate span; runs stop at a
   unit whose token the index has never seen (no description can contain it), and all candidate
   spans are checked with one batched ``searchsorted`` over the set-keys of every description
   (`text.PhraseIndex`): a span matches a description when their canonical token sets are equal, so
   word order, function words, GB/US spelling, plurals and clinical abbreviations do not matter;
3. matches are scored (1.0 worded exactly like the description, 0.95 equal after normalisation,
   less for a bare abbreviation), restricted to the hierarchies worth tagging (ANNOTATED_ROOTS, or
   an ECL `within`), and for each span the best concept wins (findings before procedures before
   body structures ...; see HIERARCHY_PRIORITY);
4. overlapping mentions resolve to the longest, then best-scoring one;
5. NegEx-style triggers (`negation`) mark mentions negated ("no evidence of metastasis") or
   hypothetical ("suspected fracture"), with scope to the end of the clause.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from loaders import snomed

from ..ecl import evaluate
from ..terminology import Terminology, warmed
from ..text import (
    MAX_SPAN,
    STOPWORDS,
    TIER_FSN,
    Span,
    SpanHit,
    Unit,
    Word,
    break_positions,
    dialect_tiers,
    is_rewritten,
    lexicon,
    phrase_index,
    split_words,
    strip_semantic_tag,
    token_ids,
    units_of,
    words,
)
from .negation import Scope, Trigger, scopes

MAX_TEXT = 100_000  # characters accepted in one call
EXACT_WORDS = 1.0
SAME_TOKENS = 0.95
ABBREVIATION = 0.85  # a lone abbreviation ("ca", "mi"): often right, sometimes an ordinary word
ABBREVIATION_UPPER = 0.92  # ... written in capitals ("MI"), as abbreviations usually are
CONJUNCTIONS = frozenset({"and", "or", "nor", "but", "versus", "vs"})  # a span holding one lists two things
# Top-level hierarchies whose concepts are worth suggesting as tags, in order of preference when one
# span names concepts of several (a "fracture" is the disorder before the morphology).
HIERARCHY_PRIORITY: tuple[int, ...] = (
    snomed.CLINICAL_FINDING,
    snomed.SITUATION_WITH_EXPLICIT_CONTEXT,
    snomed.PROCEDURE,
    snomed.EVENT,
    snomed.OBSERVABLE_ENTITY,
    snomed.PHARMACEUTICAL_BIOLOGIC_PRODUCT,
    snomed.SUBSTANCE,
    snomed.ORGANISM,
    snomed.SPECIMEN,
    snomed.BODY_STRUCTURE,
    snomed.PHYSICAL_OBJECT,
    snomed.PHYSICAL_FORCE,
)
ANNOTATED_ROOTS = HIERARCHY_PRIORITY


@dataclass(frozen=True)
class Mention:
    """A concept named by characters [start, end) of the text."""

    start: int
    end: int
    text: str
    concept_id: int
    pt: str | None
    matched_term: str
    score: float
    negated: bool = False
    hypothetical: bool = False
    trigger: str | None = None  # the negation or uncertainty trigger, if any

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "conceptId": str(self.concept_id),
            "pt": self.pt,
            "matchedTerm": self.matched_term,
            "score": round(self.score, 4),
            "negated": self.negated,
            "hypothetical": self.hypothetical,
            "trigger": self.trigger,
        }


@warmed
class _Hierarchies:
    """Per release: the priority of each concept row's hierarchy (0 best; -1 not annotated)."""

    def __init__(self, t: Terminology):
        n = len(t.ids)
        self.priority = np.full(n, -1, np.int16)
        for k, root in reversed(list(enumerate(HIERARCHY_PRIORITY))):
            if t.has_concept(root):
                rows = np.asarray(evaluate(t, f"<< {root}", time_budget_s=None).rows, np.int64)
                self.priority[rows] = k
        self.priority[~t.active_mask] = -1


def _hierarchies(t: Terminology) -> _Hierarchies:
    return t.derived(_Hierarchies)


def annotate(
    t: Terminology,
    text: str,
    lang: str | None = None,
    within: np.ndarray | None = None,
    min_score: float = 0.0,
) -> list[Mention]:
    """Concept mentions in `text`, in text order (see the module docstring).

    `within` (sorted SCTIDs, e.g. an ECL result) restricts the concepts; `min_score` drops weaker
    mentions. Raises ValueError for a text longer than MAX_TEXT characters.
    """
    if len(text) > MAX_TEXT:
        raise ValueError(f"text is {len(text)} characters long; at most {MAX_TEXT} are annotated at once")
    ws = split_words(text)
    units = units_of(ws)
    if not units:
        return []
    index = phrase_index(t)
    known = token_ids(index.lex, sorted({tok for u in units for tok in u.tokens}))
    spans = _spans(ws, units, break_positions(text, ws), known)
    hits = index.lookup(spans, known)
    if not hits:
        return []
    scope_list, triggers = scopes(text, ws)
    candidates = _best_per_span(t, text, ws, units, hits, lang, within)
    chosen = [m for m in _resolve(candidates, triggers) if m.score >= min_score]
    terms = t.preferred_terms(sorted({m.concept_id for m in chosen}), lang)
    return [_with_context(m, scope_list, terms[m.concept_id]) for m in chosen]


def _spans(ws: list[Word], units: list[Unit], breaks: set[int], known: dict[str, int]) -> list[Span]:
    """Runs of content units within a clause, cut at units holding a token no description has."""
    ok = [all(tok in known for tok in u.tokens) for u in units]
    cum = [0] * (len(ws) + 1)
    for i in range(len(ws)):
        cum[i] = (cum[i - 1] if i else 0) + (1 if i in breaks else 0)
    out: list[Span] = []
    for a in range(len(units)):
        if not ok[a]:
            continue
        toks: set[str] = set()
        u0 = units[a]
        for b in range(a, min(len(units), a + MAX_SPAN)):
            u1 = units[b]
            if not ok[b] or (b > a and cum[u1.first] != cum[units[b - 1].last]):
                break
            toks.update(u1.tokens)
            out.append(Span(a, b, u0.first, u1.last, ws[u0.first].start, ws[u1.last].end, frozenset(toks)))
    return out


def _best_per_span(
    t: Terminology,
    text: str,
    ws: list[Word],
    units: list[Unit],
    hits: list[SpanHit],
    lang: str | None,
    within: np.ndarray | None,
) -> list[Mention]:
    """For each matched span, its best concept: score, then hierarchy priority, then dialect tier."""
    prio = _hierarchies(t).priority
    rows = np.array([h.concept_row for h in hits], np.int64)
    keep = prio[rows] >= 0
    if within is not None:
        allowed = np.asarray(within, np.int64)
        sct = np.asarray(t.ids[rows], np.int64)
        pos = np.searchsorted(allowed, sct).clip(0, max(len(allowed) - 1, 0))
        keep &= (allowed[pos] == sct) if len(allowed) else False
    idx = np.flatnonzero(keep)
    if not len(idx):
        return []
    hits = [hits[i] for i in idx.tolist()]
    desc = np.array([h.desc for h in hits], np.int64)
    tiers = dialect_tiers(t, desc, t.refset_columns(lang))
    terms = lexicon(t).terms(desc.tolist())
    best: dict[tuple[int, int], tuple[tuple[float, int, int, int], Mention]] = {}
    for h, tier, term in zip(hits, tiers.tolist(), terms, strict=True):
        span = h.span
        score = _score(text, ws, units, span, term, tier == TIER_FSN)
        if score <= 0:
            continue
        rank = (score, -int(prio[h.concept_row]), tier, -int(t.ids[h.concept_row]))
        key = (span.start, span.end)
        if key not in best or rank > best[key][0]:
            m = Mention(span.start, span.end, text[span.start : span.end], int(t.ids[h.concept_row]), None, term, score)
            best[key] = (rank, m)
    return [m for _, m in best.values()]


def _score(text: str, ws: list[Word], units: list[Unit], span: Span, term: str, fsn: bool) -> float:
    """1.0 worded like the description, 0.95 equal after normalisation; lone short words are doubted."""
    all_words = [w.text for w in ws[span.first_word : span.last_word + 1]]
    all_term = words(strip_semantic_tag(term) if fsn else term)
    if CONJUNCTIONS.intersection(all_words) - CONJUNCTIONS.intersection(all_term):
        return 0.0  # "metastasis to ilium and ca" lists two things, whatever its tokens add up to
    span_words = [w for w in all_words if w not in STOPWORDS]
    term_words = [w for w in all_term if w not in STOPWORDS]
    if span.a == span.b and span.first_word == span.last_word:
        w = ws[span.first_word]
        raw = text[w.start : w.end]
        if is_rewritten(w.text) and len(w.text) <= 4 and sorted(span_words) != sorted(term_words):
            return ABBREVIATION_UPPER if raw.isupper() else ABBREVIATION
        if len(w.text) <= 2 and not raw.isupper():
            return 0.0  # "ms", "ph": too often an ordinary word or a fragment
    return EXACT_WORDS if sorted(span_words) == sorted(term_words) else SAME_TOKENS


def _resolve(candidates: list[Mention], triggers: list[Trigger]) -> list[Mention]:
    """Non-overlapping mentions, longest first, then best score; none may overlap a trigger.

    Taken intervals are kept sorted and disjoint, so only the one starting last before a
    candidate's end can overlap it (one bisect per candidate).
    """
    starts: list[int] = []
    ends: list[int] = []
    for tr in sorted(triggers, key=lambda x: x.start):
        if tr.kind != "terminator" and (not ends or tr.start >= ends[-1]):
            starts.append(tr.start)
            ends.append(tr.end)
    chosen: list[Mention] = []
    for m in sorted(candidates, key=lambda m: (-(m.end - m.start), -m.score, m.start)):
        k = bisect.bisect_left(starts, m.end)
        if k > 0 and ends[k - 1] > m.start:
            continue
        starts.insert(k, m.start)
        ends.insert(k, m.end)
        chosen.append(m)
    return sorted(chosen, key=lambda m: m.start)


def _with_context(m: Mention, scope_list: list[Scope], pt: str | None) -> Mention:
    negated = hypothetical = False
    trigger = None
    for s in scope_list:
        if s.start <= m.start and m.end <= s.end:
            if s.kind == "negated":
                negated = True
            else:
                hypothetical = True
            trigger = trigger or s.trigger
    return Mention(m.start, m.end, m.text, m.concept_id, pt, m.matched_term, m.score, negated, hypothetical, trigger)


def annotate_timed(
    t: Terminology, text: str, lang: str | None = None, within: np.ndarray | None = None, min_score: float = 0.0
) -> tuple[list[Mention], float]:
    """`annotate` and the milliseconds it took (reported by the API and the CLI)."""
    started = time.perf_counter()
    found = annotate(t, text, lang, within, min_score)
    return found, round((time.perf_counter() - started) * 1000, 2)
