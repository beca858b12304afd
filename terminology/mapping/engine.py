"""The one mapping engine: free text onto concepts, behind the API, the CLI, the Find page and annotate.

``map_phrase(t, text, limit=, lang=, within=)`` runs, for one phrase:

1. *Readings* of the text: the text itself, and one reading per clinical abbreviation it holds
   (`text.abbreviations`: the curated lexicon, then the acronyms learned from the release's own
   descriptions). An abbreviation with several expansions gives one reading per expansion; the
   readings compete on their scores ("resolved by context": the rest of the text fits one reading
   better). When two readings of one abbreviation end within AMBIGUITY_MARGIN of each other and name
   different concepts, both stay in the list, `ambiguous` names the abbreviation, and the result is
   not `matched`: an ambiguous abbreviation is never silently read one way.
2. *Lexical* candidates of every reading (`lexical.map_text`, or `_restricted.map_within` when a
   `within` ECL restriction is given), and the *composition* of the best reading
   (`composition.compose`): its exact concepts and closest precoordinated ancestors.
3. *One score*: each raw score is mapped through the calibration of the path that produced it
   (`calibration.calibrated`: the empirical share of right first answers at that raw score, fitted
   by isotonic regression on cases built from the sample and the synthetic release; the reliability
   table is in docs/mapping.md). So 0.9 means "right about nine times in ten" whether the lexical
   mapper or the composition produced it. A reading through an abbreviation costs ABBREVIATION_COST.
4. *Diagnoses first* (`text_names`): unless the text clearly names a body structure or a
   morphology, candidates in those hierarchies score STRUCTURE_FACTOR of their calibrated score
   (PARTIAL_STRUCTURE_FACTOR when they leave words of the text unexplained: "right iliac bone
   metastasis" is not the bone), so a disorder and its morphology with the same term
   ("Hepatocellular carcinoma") come disorder first.
5. Candidates are ordered by the score they report (ties: source, then first seen); `matched` when
   the first reaches MATCH_THRESHOLD (a calibrated precision) and no abbreviation is left ambiguous.

Every candidate's explanation says which path found it, the raw and calibrated score, any spelling
correction (with its cost) and abbreviation reading, and why it ranks where it does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from loaders.snomed import BODY_STRUCTURE, CLINICAL_FINDING, SITUATION_WITH_EXPLICIT_CONTEXT

from ..terminology import Terminology
from ..text import abbreviations as abbr
from ..text import words
from .calibration import calibrated
from .composition import CLOSEST_FACTOR, Composition, _same_context, _situations, compose
from .lexical import MapCandidate, map_text
from .negation import Context, text_context

MORPHOLOGIC_ABNORMALITY = 49755003
MATCH_THRESHOLD = 0.5  # calibrated: the first candidate is right more often than not
ABBREVIATION_COST = 0.98  # a reading through an abbreviation scores this share of its calibrated score
STRUCTURE_FACTOR = 0.95  # body structures and morphologies, for a text that names a finding
PARTIAL_STRUCTURE_FACTOR = 0.85  # the same, when the structure leaves words of the text unexplained
COMPARABLE = 0.1  # a finding this close in raw score to a morphology naming the same words ranks first
AMBIGUITY_MARGIN = 0.05  # readings of one abbreviation closer than this are both kept (ambiguous)
COMPOSE_SKIP = 0.99  # a lexical raw score this good is the precoordinated concept: no composition
POOL = 5  # lexical candidates fetched per reading beyond `limit` (room for diagnoses first to reorder)

STRUCTURE_CUES = frozenset({"structure", "entire", "anatomy", "anatomical", "region", "part"})
MORPHOLOGY_CUES = frozenset({"morphology", "morphologic", "histology", "histological", "histologic"})
_ROOTS = (
    (CLINICAL_FINDING, "finding"),
    (SITUATION_WITH_EXPLICIT_CONTEXT, "finding"),
    (MORPHOLOGIC_ABNORMALITY, "morphology"),
    (BODY_STRUCTURE, "structure"),
)
_SOURCE_RANK = {"lexical": 0, "exact composition": 1, "closest ancestor": 2}


@dataclass(frozen=True)
class EngineCandidate:
    """A concept for the text: one calibrated score, the paths that found it, and why it ranks here."""

    concept_id: int
    term: str
    matched_term: str
    score: float
    sources: tuple[str, ...]
    explanation: dict[str, Any]


@dataclass(frozen=True)
class EngineResult:
    """Candidates ordered by score; `matched` when the first is trustworthy; the composition, if any."""

    candidates: list[EngineCandidate]
    matched: bool
    threshold: float
    composition: Composition | None
    names: str = "finding"  # what the text names: finding, structure or morphology (diagnoses first)
    readings: list[dict[str, Any]] = field(default_factory=list)
    ambiguous: list[dict[str, Any]] = field(default_factory=list)
    context: Context = field(default_factory=Context)  # negated, hypothetical, historical, family, uncertain


def map_phrase(
    t: Terminology, text: str, *, limit: int = 10, lang: str | None = None, within: np.ndarray | None = None
) -> EngineResult:
    """Map one phrase onto concepts, read in its context; `within`: a bool mask over concept rows.

    The context triggers ("no", "family history of", "?", "previous"; `negation.text_context`) are taken
    out and the rest is mapped. A negated or family-history text never matches the patient's own
    condition: `matched` is True only for a situation concept worded with the same context, offered
    first (the generic family-history situation is offered after the condition when the release has
    no specific one). Situations worded with another context are dropped.
    """
    ctx = text_context(text)
    if not ctx.any or not ctx.core:
        plain = _map_core(t, text, limit=limit, lang=lang, within=within)
        kept = _engine(_same_context(t, plain.candidates, ctx))  # type: ignore[arg-type]
        matched = plain.matched and bool(kept) and kept[0].concept_id == plain.candidates[0].concept_id
        return replace(plain, candidates=kept, matched=matched, context=ctx)
    core = _map_core(t, ctx.core, limit=limit, lang=lang, within=within)
    situations = _engine(_situations(t, text, ctx, lang))
    taken = {s.concept_id for s in situations}
    cands = [c for c in _engine(_same_context(t, core.candidates, ctx)) if c.concept_id not in taken]  # type: ignore[arg-type]
    matched = core.matched
    if ctx.negated or ctx.family:
        matched = bool(situations) and situations[0].score >= MATCH_THRESHOLD
        cands = [situations[0], *cands, *situations[1:]] if matched else cands[:1] + situations + cands[1:]
    elif situations:
        cands = cands[:1] + situations + cands[1:]
    return replace(core, candidates=cands[:limit], matched=matched, context=ctx)


def _engine(candidates: list[Any]) -> list[EngineCandidate]:
    """Candidates of the composition's context step as the engine's own (the same fields)."""
    return [
        c
        if isinstance(c, EngineCandidate)
        else EngineCandidate(c.concept_id, c.term, c.matched_term, c.score, tuple(c.sources), dict(c.explanation))
        for c in candidates
    ]


def _map_core(
    t: Terminology, text: str, *, limit: int = 10, lang: str | None = None, within: np.ndarray | None = None
) -> EngineResult:
    """Map one phrase (without its context triggers) onto concepts (see the module docstring)."""
    empty = EngineResult([], False, MATCH_THRESHOLD, None)
    if limit <= 0 or not text.strip():
        return empty
    readings = abbr.readings(t, text)
    pool = limit + POOL
    entries: dict[int, dict[str, Any]] = {}
    order: list[int] = []
    best_by_reading: list[tuple[float, int | None]] = []

    def add(cid: int, score: float, raw: float, source: str, matched: str, expl: dict[str, Any]) -> None:
        e = entries.get(cid)
        if e is None:
            entries[cid] = {
                "score": score,
                "raw": raw,
                "sources": [source],
                "matched": matched,
                "explanation": dict(expl),
            }
            order.append(cid)
            return
        if source not in e["sources"]:
            e["sources"].append(source)
        if score > e["score"]:
            keep = e["explanation"].get("composition")
            e.update(score=score, raw=raw, matched=matched, explanation=dict(expl))
            if keep and "composition" not in e["explanation"]:
                e["explanation"]["composition"] = keep

    lexical_by_reading: list[list[MapCandidate]] = []
    for r in readings:
        cands = _lexical(t, r.text, pool, lang, within)
        lexical_by_reading.append(cands)
        top = None
        best = 0.0
        for c in cands:
            s = calibrated("lexical", c.score) * (ABBREVIATION_COST if r.notes else 1.0)
            expl = {**c.explanation, "source": "lexical", "rawScore": c.score}
            if r.notes:
                expl["abbreviations"] = r.notes
            add(c.concept_id, s, c.score, "lexical", c.matched_term, expl)
            if top is None:
                top, best = c.concept_id, s
        best_by_reading.append((best, top))

    # The composition of the best reading, unless a description already names the text exactly.
    best_reading = max(range(len(readings)), key=lambda i: best_by_reading[i][0])
    lex_best = lexical_by_reading[best_reading]
    comp = None
    if not (lex_best and _fully_named(lex_best[0])):
        comp = compose(t, readings[best_reading].text, lang)
    if comp is not None and comp.complete:
        comp_expl = {
            "composition": comp.explanation.get("summary", ""),
            "parts": [p.as_dict(t, lang) for p in comp.parts],
        }
        matched = " + ".join(p.matched_term for p in comp.parts)
        for cid in comp.exact:
            if _inside(t, cid, within):
                s = calibrated("exact composition", comp.score)
                add(
                    cid,
                    s,
                    comp.score,
                    "exact composition",
                    matched,
                    {**comp_expl, "source": "exact composition", "rawScore": comp.score},
                )
        for cid in comp.closest:
            if cid not in comp.exact and _inside(t, cid, within):
                raw = comp.score * CLOSEST_FACTOR
                s = calibrated("closest ancestor", raw)
                add(
                    cid,
                    s,
                    raw,
                    "closest ancestor",
                    matched,
                    {**comp_expl, "source": "closest ancestor", "rawScore": raw},
                )

    # Diagnoses first: what does the text name?
    names = text_names(t, text, lex_best)
    kinds = {cid: hierarchy_of(t, cid) for cid in order}
    if names == "finding":
        _diagnoses_first(entries, order, kinds)

    ambiguous = _ambiguities(readings, best_by_reading)
    seen = {cid: i for i, cid in enumerate(order)}
    ids = sorted(
        order,
        key=lambda cid: (
            -round(entries[cid]["score"], 4),
            min(_SOURCE_RANK[s] for s in entries[cid]["sources"]),
            seen[cid],
        ),
    )[:limit]
    terms = t.preferred_terms(ids, lang)
    out = []
    for pos, cid in enumerate(ids, 1):
        e = entries[cid]
        expl = dict(e["explanation"])
        expl["kind"] = kinds[cid]
        expl["calibratedScore"] = round(e["score"], 4)
        expl["rank"] = _rank_reason(pos, e)
        out.append(
            EngineCandidate(
                cid, terms[cid] or e["matched"], e["matched"], round(e["score"], 4), tuple(e["sources"]), expl
            )
        )
    matched = bool(out) and out[0].score >= MATCH_THRESHOLD and not ambiguous
    return EngineResult(
        out,
        matched,
        MATCH_THRESHOLD,
        comp,
        names,
        [{"text": r.text, "abbreviations": r.notes} for r in readings if r.notes],
        ambiguous,
    )


def _explained_words(e: dict[str, Any]) -> set[str]:
    expl = e["explanation"]
    got = {m["text"] for m in expl.get("matches", [])}
    got.update(w for p in expl.get("parts", []) for w in str(p.get("text", "")).split())
    return got


def _diagnoses_first(entries: dict[int, dict[str, Any]], order: list[int], kinds: dict[int, str]) -> None:
    """Structures and morphologies after the findings, for a text that names a finding (see `text_names`).

    Each scores STRUCTURE_FACTOR of its score, PARTIAL_STRUCTURE_FACTOR when it leaves words of the
    text unexplained; and it ranks below a finding that explains one of those words ("metastasis" in
    "right iliac bone metastasis"), or the same words with a raw score at most COMPARABLE lower
    ("Hepatocellular carcinoma" names the disorder and the morphology alike).
    """
    findings = [cid for cid in order if kinds[cid] == "finding"]
    for cid in order:
        if kinds[cid] not in ("structure", "morphology"):
            continue
        e = entries[cid]
        unexplained = set(e["explanation"].get("unmatched_text", []))
        factor = PARTIAL_STRUCTURE_FACTOR if unexplained else STRUCTURE_FACTOR
        e["score"] *= factor
        why = f"a {kinds[cid]} concept, and the text names a finding or disorder: score x {factor}"
        # Findings that explain the words it leaves unexplained, or the same words about as well.
        mine = _explained_words(e)
        above = [
            f
            for f in findings
            if unexplained & _explained_words(entries[f])
            or (mine & _explained_words(entries[f]) and entries[f]["raw"] >= e["raw"] - COMPARABLE)
        ]
        if above:
            cap = max(entries[f]["score"] for f in above) * 0.99
            if e["score"] > cap:
                e["score"] = cap
                why += "; ranked below the finding or disorder that the same words name"
        e["explanation"]["diagnosesFirst"] = why


def _lexical(t: Terminology, text: str, pool: int, lang: str | None, within: np.ndarray | None) -> list[MapCandidate]:
    if within is None:
        return map_text(t, text, pool, lang).candidates
    from ._restricted import map_within

    return map_within(t, text, within, pool, lang)


def _inside(t: Terminology, cid: int, within: np.ndarray | None) -> bool:
    if within is None:
        return True
    i = t.index_of(cid)
    return i is not None and bool(within[i])


def _fully_named(c: MapCandidate) -> bool:
    e = c.explanation
    return c.score >= COMPOSE_SKIP or (e.get("text_coverage", 0) >= 0.999 and e.get("term_coverage", 0) >= 0.999)


def hierarchy_of(t: Terminology, cid: int) -> str:
    """finding (clinical finding, disorder or situation), morphology, structure, or other."""
    if not t.has_concept(cid):
        return "other"
    for root, kind in _ROOTS:
        if t.has_concept(root) and t.subsumes(root, cid):
            return kind
    return "other"


def text_names(t: Terminology, text: str, lexical: list[MapCandidate]) -> str:
    """What a text names: "structure", "morphology" or (by default) "finding".

    * a structure when it says so ("structure of", "entire", "region") or is a bare site: its best
      lexical candidate is a body structure whose description the text fully states, and no clinical
      finding is stated as fully ("liver", "left femur");
    * a morphology when it says so ("morphology", "histology");
    * otherwise a finding: disorders, findings and situations come before morphologies and structures.
    """
    ws = set(words(text))
    if ws & MORPHOLOGY_CUES:
        return "morphology"
    if ws & STRUCTURE_CUES:
        return "structure"
    full = [c for c in lexical if _fully_named(c)]
    if full and all(hierarchy_of(t, c.concept_id) == "structure" for c in full):
        return "structure"
    return "finding"


def _ambiguities(readings: list[Any], best: list[tuple[float, int | None]]) -> list[dict[str, Any]]:
    """Abbreviations whose competing readings end within AMBIGUITY_MARGIN, naming different concepts."""
    out = []
    by_abbr: dict[str, list[int]] = {}
    for i, r in enumerate(readings):
        for note in r.notes:
            by_abbr.setdefault(note["abbreviation"], []).append(i)
    for a, idx in by_abbr.items():
        if len(idx) < 2:
            continue
        idx.sort(key=lambda i: -best[i][0])
        first, second = idx[0], idx[1]
        if (
            best[second][1] is not None
            and best[first][1] != best[second][1]
            and best[first][0] - best[second][0] < AMBIGUITY_MARGIN
        ):
            out.append(
                {
                    "abbreviation": a,
                    "readings": [n["expansion"] for i in idx for n in readings[i].notes if n["abbreviation"] == a],
                    "note": "the text does not say which is meant: both readings are listed and the result is not matched",
                }
            )
    return out


def _rank_reason(pos: int, e: dict[str, Any]) -> str:
    where = {1: "1st", 2: "2nd", 3: "3rd"}.get(pos, f"{pos}th")
    return f"{where} by its calibrated score {e['score']:.3f} (raw {e['raw']:.3f}, from {', '.join(e['sources'])})"
