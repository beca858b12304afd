"""The parts a phrase names: concepts that are attribute values, a laterality or a focus finding.

Step 1 of compositional mapping (see `composition`): every word span of the phrase is looked up at
once against the canonical token sets of all descriptions (`text.phrases`); spans whose concept is
the value of a clinical-finding attribute, a laterality or a clinical finding are options; the
segmentation covering most words with fewest parts wins, and words still unexplained are mapped
with the lexical mapper restricted to the attribute values (`_restricted`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from loaders.snomed import LATERALITY

from ..terminology import Terminology
from ..text import (
    STOPWORDS,
    SpanHit,
    Unit,
    Word,
    dialect_tiers,
    lexicon,
    phrase_index,
    spans_of,
    split_words,
    strip_semantic_tag,
    token_ids,
    units_of,
    words,
)
from ._restricted import map_within
from .concept_model import ConceptModel, concept_model

Role = Literal["value", "focus", "laterality"]
EXACT_WORDS = 1.0  # a span worded exactly like a description (folded, function words aside)
SAME_TOKENS = 0.95  # a span with a description's canonical tokens (spelling, inflection, synonyms)
MIN_PART_SCORE = 0.6  # a restricted lexical match weaker than this is not a part
MIN_PART_TERM_COVERAGE = 0.5  # ... nor one that leaves most of the concept's term unsaid
MAX_UNITS = 16  # content words considered in one phrase (compositions are short)
CONNECTIVES = frozenset({"due"})  # canonical tokens that join parts ("due to", "caused by") and name none


@dataclass(frozen=True)
class Part:
    """A concept the phrase names: what role it plays, which words name it, and how well."""

    role: Role
    attribute_id: int | None  # the attribute it is a value of (laterality: 272741003; focus: None)
    concept_id: int
    pt: str | None
    text: str  # the words of the phrase
    start: int  # character offsets into the phrase
    end: int
    matched_term: str
    score: float
    how: str  # "exact words", "same canonical tokens" or the mapper's summary

    def as_dict(self, t: Terminology, lang: str | None = None) -> dict[str, Any]:
        attr = None
        if self.attribute_id is not None:
            attr = {"conceptId": str(self.attribute_id), "pt": t.preferred_term(self.attribute_id, lang)}
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "role": self.role,
            "attribute": attr,
            "conceptId": str(self.concept_id),
            "pt": self.pt,
            "matchedTerm": self.matched_term,
            "score": round(self.score, 4),
            "how": self.how,
        }


# ----- parts


@dataclass(frozen=True)
class _Option:
    a: int  # first content unit
    b: int  # last content unit
    role: Role
    attribute_id: int | None
    concept_row: int
    score: float
    matched_term: str
    how: str

    @property
    def key(self) -> int | str:
        return self.attribute_id if self.role == "value" and self.attribute_id is not None else self.role


def _classify(model: ConceptModel, row: int) -> tuple[Role, int | None] | None:
    slot = model.slot_for(row)
    if slot is not None:
        return "value", slot.attribute_id
    if model.is_laterality(row):
        return "laterality", LATERALITY
    if model.is_finding(row):
        return "focus", None
    return None


def _content_words(text: str, fsn: bool = False) -> list[str]:
    return [w for w in words(strip_semantic_tag(text) if fsn else text) if w not in STOPWORDS]


def _exact_options(
    t: Terminology, model: ConceptModel, ws: list[Word], units: list[Unit], hits: list[SpanHit], lang: str | None
) -> list[_Option]:
    """The best concept per (span, role) among descriptions whose canonical tokens equal the span's."""
    if not hits:
        return []
    lex = lexicon(t)
    desc = np.array([h.desc for h in hits], np.int64)
    tiers = dialect_tiers(t, desc, t.refset_columns(lang))
    terms = lex.terms(desc.tolist())
    best: dict[tuple[int, int, Role], tuple[tuple[float, int, int], _Option]] = {}
    for h, tier, term in zip(hits, tiers.tolist(), terms, strict=True):
        if not t.active_mask[h.concept_row]:
            continue
        kind = _classify(model, h.concept_row)
        if kind is None:
            continue
        role, attr = kind
        span_words = [w.text for w in ws[units[h.span.a].first : units[h.span.b].last + 1] if w.text not in STOPWORDS]
        same = sorted(span_words) == sorted(_content_words(term, fsn=tier == 1))
        score = EXACT_WORDS if same else SAME_TOKENS
        how = "exact words" if same else "same canonical tokens (spelling, inflection or synonym)"
        opt = _Option(h.span.a, h.span.b, role, attr, h.concept_row, score, term, how)
        rank = (score, tier, -int(t.ids[h.concept_row]))
        key = (h.span.a, h.span.b, role)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, opt)
    return [o for _, o in best.values()]


def _segment(n: int, options: list[_Option], taken: frozenset[int | str] = frozenset()) -> list[_Option]:
    """Non-overlapping options covering most units, then with fewest parts, then best scores.

    Each attribute, the focus and the laterality are used at most once. Exhaustive with memoisation
    (phrases are short: at most MAX_UNITS units).
    """
    by_start: dict[int, list[_Option]] = {}
    for o in options:
        by_start.setdefault(o.a, []).append(o)

    @functools.cache
    def best(i: int, used: frozenset[int | str]) -> tuple[tuple[int, int, float, int], tuple[_Option, ...]]:
        if i >= n:
            return (0, 0, 0.0, 0), ()
        (cov, neg_parts, score, values), chosen = best(i + 1, used)
        result = ((cov, neg_parts, score, values), chosen)
        for o in by_start.get(i, []):
            if o.key in used:
                continue
            (c2, p2, s2, v2), rest = best(o.b + 1, used | {o.key})
            cand = ((c2 + o.b - o.a + 1, p2 - 1, s2 + o.score, v2 + (o.role == "value")), (o, *rest))
            if cand[0] > result[0]:
                result = cand
        return result

    return list(best(0, taken)[1])


def recognise_parts(t: Terminology, text: str, lang: str | None = None) -> tuple[list[Part], list[str], float]:
    """The parts a phrase names, the content words none explains, and the share of words explained."""
    model = concept_model(t)
    ws = split_words(text)
    units = [u for u in units_of(ws) if not set(u.tokens) <= CONNECTIVES][:MAX_UNITS]
    if not units:
        return [], [], 0.0
    index = phrase_index(t)
    spans = spans_of(ws, units, max_span=MAX_UNITS)  # a short phrase: the whole of it is one span too
    known = token_ids(index.lex, sorted({tok for u in units for tok in u.tokens}))
    options = _exact_options(t, model, ws, units, index.lookup(spans, known), lang)
    chosen = _segment(len(units), options)
    chosen = _fill_gaps(t, model, text, ws, units, chosen, lang, known)
    covered = set()
    for o in chosen:
        covered.update(range(o.a, o.b + 1))
    parts = [_part(t, o, text, ws, units, lang) for o in sorted(chosen, key=lambda o: o.a)]
    unmatched = [_unit_text(text, ws, units[i]) for i in range(len(units)) if i not in covered]
    return parts, unmatched, len(covered) / len(units)


def _unit_text(text: str, ws: list[Word], u: Unit) -> str:
    return text[ws[u.first].start : ws[u.last].end]


def _part(t: Terminology, o: _Option, text: str, ws: list[Word], units: list[Unit], lang: str | None) -> Part:
    start, end = ws[units[o.a].first].start, ws[units[o.b].last].end
    cid = int(t.ids[o.concept_row])
    return Part(
        o.role,
        o.attribute_id,
        cid,
        t.preferred_term(cid, lang),
        text[start:end],
        start,
        end,
        o.matched_term,
        o.score,
        o.how,
    )


def _runs(n: int, chosen: list[_Option]) -> list[tuple[int, int]]:
    covered = set()
    for o in chosen:
        covered.update(range(o.a, o.b + 1))
    runs, a = [], None
    for i in range(n + 1):
        if i < n and i not in covered:
            a = i if a is None else a
        elif a is not None:
            runs.append((a, i - 1))
            a = None
    return runs


def _fill_gaps(
    t: Terminology,
    model: ConceptModel,
    text: str,
    ws: list[Word],
    units: list[Unit],
    chosen: list[_Option],
    lang: str | None,
    known: dict[str, int],
) -> list[_Option]:
    """Map the runs of unexplained words with the mapper restricted to attribute values (then findings).

    Words the index has never seen are left out of the runs first (no description holds them, and
    their weight would sink every score), and a run that finds nothing is tried without its first,
    then its last word ("chronic metastasis" -> "metastasis").
    """
    chosen = list(chosen)
    for _ in range(3):
        progress = False
        for a, b in _runs(len(units), chosen):
            for lo, hi in _known_runs(units, a, b, known):
                used = {o.key for o in chosen}
                masks = [model.value_mask] + ([model.finding_mask] if "focus" not in used else [])
                tries = [(lo, hi)] + ([(lo + 1, hi), (lo, hi - 1)] if hi > lo else [])
                opt = None
                for x, y in tries:
                    for mask in masks:
                        opt = _fuzzy_option(t, model, text, ws, units, x, y, mask, used, lang)
                        if opt is not None:
                            break
                    if opt is not None:
                        break
                if opt is not None:
                    chosen.append(opt)
                    progress = True
        if not progress:
            break
    return chosen


def _known_runs(units: list[Unit], a: int, b: int, known: dict[str, int]) -> list[tuple[int, int]]:
    """Sub-runs of units a..b made of units whose tokens the index holds (typos are kept: the mapper
    corrects them, so a unit of one unknown word that looks like a typo is kept too)."""
    out: list[tuple[int, int]] = []
    start = None
    for i in range(a, b + 2):
        ok = i <= b and (all(tok in known for tok in units[i].tokens) or _maybe_typo(units[i]))
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            out.append((start, i - 1))
            start = None
    return out


def _maybe_typo(u: Unit) -> bool:
    return u.kind == "word" and len(u.tokens) == 1 and len(u.tokens[0]) >= 4


def _fuzzy_option(
    t: Terminology,
    model: ConceptModel,
    text: str,
    ws: list[Word],
    units: list[Unit],
    a: int,
    b: int,
    mask: np.ndarray,
    used: set[int | str],
    lang: str | None,
) -> _Option | None:
    run_text = text[ws[units[a].first].start : ws[units[b].last].end]
    for c in map_within(t, run_text, mask, limit=5, lang=lang):
        if c.score < MIN_PART_SCORE:
            break
        if float(c.explanation.get("term_coverage", 0.0)) < MIN_PART_TERM_COVERAGE:
            continue
        row = t.index_of(c.concept_id)
        kind = _classify(model, row) if row is not None else None
        if kind is None or row is None:
            continue
        role, attr = kind
        key: int | str = attr if role == "value" and attr is not None else role
        if key in used:
            continue
        unmatched = set(c.explanation.get("unmatched_text", []))
        inside = [
            i for i in range(a, b + 1) if not any(w.text in unmatched for w in ws[units[i].first : units[i].last + 1])
        ]
        if not inside:
            continue
        how = "lexical match: " + str(c.explanation.get("summary", ""))
        return _Option(inside[0], inside[-1], role, attr, row, c.score, c.matched_term, how)
    return None
