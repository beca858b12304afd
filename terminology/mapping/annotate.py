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
5. NegEx-style triggers (`negation`) mark mentions negated ("no evidence of metastasis"),
   hypothetical ("suspected fracture"; `uncertain` when the trigger doubts it), historical ("history of
   appendicitis") or a relative's (`family`: "mother had liver cancer"), with scope to the end of the clause;
6. a short clause that names a condition in words no description equals ("Patient has cirrhosis.":
   the release says "Cirrhosis of liver") and in which step 2 found nothing is mapped as a whole with
   the lexical mapper restricted to clinical findings, once its filler words ("patient", "has",
   "known") and context triggers are set aside (`_short_clauses`).
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
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
from .negation import Scope, Trigger, flags_at, scopes

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
    trigger: str | None = None  # the first context trigger, if any
    historical: bool = False
    family: bool = False
    uncertain: bool = False

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
            "historical": self.historical,
            "family": self.family,
            "uncertain": self.uncertain,
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
    scope_list, triggers = scopes(text, ws)
    candidates = _best_per_span(t, text, ws, units, hits, lang, within) if hits else []
    chosen = _resolve(candidates, triggers)
    chosen = sorted([*chosen, *_short_clauses(t, text, ws, chosen, triggers, lang, within)], key=lambda m: m.start)
    chosen = [m for m in chosen if m.score >= min_score]
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
    kinds, trig = flags_at(scope_list, m.start, m.end)
    return replace(
        m,
        pt=pt,
        negated="negated" in kinds,
        hypothetical="hypothetical" in kinds,
        historical="historical" in kinds,
        family="family" in kinds,
        uncertain="uncertain" in kinds,
        trigger=trig[0] if trig else None,
    )


# Words that state a condition without naming any of it: "Patient has cirrhosis.", "Known HCC."
FILLER = frozenset(
    {
        "patient",
        "pt",
        "pts",
        "has",
        "have",
        "had",
        "having",
        "is",
        "was",
        "with",
        "known",
        "diagnosed",
        "diagnosis",
        "dx",
        "presents",
        "presenting",
        "presented",
        "he",
        "she",
        "they",
        "we",
        "also",
        "now",
        "currently",
        "a",
        "an",
        "the",
        "of",
        "on",
        "and",
        "background",
        "established",
        "confirmed",
        "underlying",
        "noted",
        "seen",
        "found",
    }
)
SHORT_CLAUSE_WORDS = 4  # content words a clause may have left to be mapped as a whole
SHORT_CLAUSE_MAX = 6  # words a clause may have in all: a short sentence ("Patient has cirrhosis.")
SHORT_CLAUSE_MIN_SCORE = 0.85  # the restricted mapper's score a whole-clause mention needs
MAX_SHORT_CLAUSES = 12  # clauses mapped as a whole in one call (each costs a mapper call)
_CLAUSE = re.compile(r"[^.;:!?\n\r]+")


class _ClauseCache:
    """Per release: the findings a short clause's words map to, for the last CLAUSE_CACHE texts (notes
    repeat their conditions, and each mapping costs milliseconds)."""

    def __init__(self, t: Terminology):
        self.items: OrderedDict[tuple[str, str | None], list[tuple[int, str, float]]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, t: Terminology, words_text: str, mask: np.ndarray, lang: str | None) -> list[tuple[int, str, float]]:
        from ._restricted import map_within

        key = (words_text.casefold(), lang)
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        found = []
        for c in map_within(t, words_text, mask, limit=3, lang=lang):
            if c.score < SHORT_CLAUSE_MIN_SCORE or float(c.explanation.get("text_coverage", 0.0)) < 0.999:
                break
            found.append((c.concept_id, c.matched_term, round(c.score, 4)))
        with self.lock:
            self.items[key] = found
            while len(self.items) > CLAUSE_CACHE:
                self.items.popitem(last=False)
        return found


CLAUSE_CACHE = 4096


def _clause_cache(t: Terminology) -> _ClauseCache:
    return t.derived(_ClauseCache)


def _short_clauses(
    t: Terminology,
    text: str,
    ws: list[Word],
    chosen: list[Mention],
    triggers: list[Trigger],
    lang: str | None,
    within: np.ndarray | None,
) -> list[Mention]:
    """Mentions of clinical findings in short clauses where no mention was found (step 6 of the module doc)."""
    from .concept_model import concept_model

    taken = [(m.start, m.end) for m in chosen] + [(tr.start, tr.end) for tr in triggers if tr.kind != "terminator"]
    mask = concept_model(t).finding_mask & t.active_mask
    out: list[Mention] = []
    tried = 0
    for clause in _CLAUSE.finditer(text):
        a, b = clause.span()
        if any(s < b and a < e for s, e in [(m.start, m.end) for m in chosen]):
            continue
        inside = [w for w in ws if a <= w.start and w.end <= b]
        if len(inside) > SHORT_CLAUSE_MAX:
            continue
        content = [w for w in inside if w.text not in FILLER and not any(s <= w.start < e for s, e in taken)]
        if not content or len(content) > SHORT_CLAUSE_WORDS:
            continue
        first, last = inside.index(content[0]), inside.index(content[-1])
        if any(w.text in FILLER or any(s <= w.start < e for s, e in taken) for w in inside[first : last + 1]):
            continue  # the words left are not one run
        if tried >= MAX_SHORT_CLAUSES:
            break
        tried += 1
        start, end = content[0].start, content[-1].end
        found = _clause_cache(t).get(t, text[start:end], mask, lang)
        for cid, matched, score in found:
            if within is not None:
                k = int(np.searchsorted(within, cid))
                if k >= len(within) or int(within[k]) != cid:
                    continue
            out.append(Mention(start, end, text[start:end], cid, None, matched, score))
            break
    return out


def annotate_timed(
    t: Terminology, text: str, lang: str | None = None, within: np.ndarray | None = None, min_score: float = 0.0
) -> tuple[list[Mention], float]:
    """`annotate` and the milliseconds it took (reported by the API and the CLI)."""
    started = time.perf_counter()
    found = annotate(t, text, lang, within, min_score)
    return found, round((time.perf_counter() - started) * 1000, 2)
