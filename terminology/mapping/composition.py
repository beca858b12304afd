"""Compositional mapping: the parts a phrase names, the concepts defined by them, and an expression.

"metastasis of the left ilium" names no precoordinated concept of the sample release, but it names a
morphology (Neoplasm, metastatic), a body structure (Bone structure of left ilium) and, through it, a
laterality. The concept model says how those combine: a disorder's role group {Associated morphology
= M, Finding site = S}. So:

1. *Parts* (`recognise_parts`): every word span of the phrase is looked up at once against the
   canonical token sets of all descriptions (`text.phrases`); spans whose concept is the value
   of a clinical-finding attribute (the MRCM range of Associated morphology, Finding site, Causative
   agent, ...; `concept_model`), a laterality, or a clinical finding (a *focus*: "pneumonia" in
   "pneumonia of left lung") are options. The segmentation covering most words with fewest parts
   wins; words still unexplained are mapped with the lexical mapper restricted to the attribute
   values (`_restricted`: "metastatic carcinoma" -> Neoplasm, metastatic), so typos,
   synonyms and soft links work as in `map_text`.
2. *Concepts* (`compose`): the phrase's role groups are the parts' values (narrowing the focus
   concept's own groups when a focus is named). The ECL engine finds the candidates,
   ``<< 404684003 : { 116676008 = >> M, 363698007 = >> S }``; candidates with any role group the
   phrase does not account for are dropped (`covered_by`: "Pathological fracture due to metastatic
   bone disease" has a second, fracture group), and the most specific of the rest are the *closest*
   precoordinated ancestors. One whose groups are exactly the phrase's is an *exact* match.
3. *Expression*: with no exact match, the closest concepts refined by the phrase's role groups they
   do not already say, each restated whole so that a refined value stays with the values of its
   group, e.g. ``1059990001105 |Metastatic malignant neoplasm to ilium| : { 116676008 |Associated
   morphology| = 3029990001100 |Neoplasm, metastatic|, 363698007 |Finding site| = 2089990001108 |Bone
   structure of left ilium| }``. A laterality goes into the site of the morphology's group: a
   precoordinated lateral body structure when the release has one, else a nested
   ``(S : 272741003 = L)``; with no site part it goes into the focus's own site ("left ilium
   metastasis"). Every expression is checked against the MRCM and alternatives are tried.
   Soundness (issue 13): candidates sharing one set of role groups give way to their common
   proximal parent (`_untie`); a site that is neither above nor below the focus's own site is not
   made its finding site (`_contradicts_site`); the ancestors reported for an expression a client
   sends are checked with expression subsumption (`_truly_subsuming`).
4. *Context*: "no", "family history of", "?", "history of" ... (`negation.text_context`) are taken out
   before mapping and reported; a negated or family-history text never matches the condition itself.

`map_with_composition` merges this with the lexical mapper for ``POST /api/v1/map``: an exact
precoordinated concept comes first, then (for a phrase the parts fully explain) its closest
ancestors, then the other lexical candidates; each candidate says which words matched and why it
ranks where it does. `expression_ancestors` answers the same question for an expression a client
sends back (``GET /api/v1/guidelines?expression=``; `terminology.linking` finds its guidelines).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from loaders.snomed import (
    AFTER,
    ASSOCIATED_MORPHOLOGY,
    CLINICAL_FINDING,
    DISEASE,
    DUE_TO,
    FAMILY_HISTORY_OF_CLINICAL_FINDING,
    FINDING_SITE,
    LATERALITY,
    SITUATION_WITH_EXPLICIT_CONTEXT,
)

from ..errors import ConceptNotFoundError, TerminologyError
from ..terminology import Terminology, warmed
from .concept_model import (
    concept_groups,
    covered_by,
    ecl_rows,
    most_specific,
    mrcm_problems,
)
from .lexical import MATCH_THRESHOLD, map_text
from .negation import Context, text_context
from .parts import Part, recognise_parts

# Attributes a phrase cannot name a value of, which a candidate may add beyond the phrase's groups and
# still be its closest concept: the causal context of an injury or a complication.
IMPLIED_CONTEXT: frozenset[int] = frozenset({DUE_TO, AFTER})
CLOSEST_FACTOR = 0.9  # a closest ancestor scores this share of the composition's score
LEXICAL_EXACT = 0.99  # a lexical candidate this good is itself an exact precoordinated match

__all__ = [
    "CompositeCandidate",
    "CompositeMapResult",
    "Composition",
    "ExpressionAncestors",
    "Part",
    "compose",
    "compose_parts",
    "expression_ancestors",
    "map_with_composition",
    "recognise_parts",
]


@dataclass(frozen=True)
class Composition:
    """What the parts of a phrase say together.

    `groups` are the phrase's role groups (attribute, value) used to find concepts; `exact` the
    concepts defined by exactly those groups; `closest` the most specific concepts subsuming the
    phrase (focus concepts of `expression`). `expression` is None when an exact concept exists.
    `complete` when every content word is explained and every part is represented.
    """

    text: str
    parts: list[Part]
    unmatched: list[str]
    coverage: float
    score: float
    complete: bool
    focus: int
    groups: list[list[tuple[int, int]]]
    exact: list[int]
    closest: list[int]
    expression: str | None = None
    expression_valid: bool | None = None
    problems: list[str] = field(default_factory=list)
    unrepresented: list[Part] = field(default_factory=list)
    ecl: str = ""
    explanation: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CompositeCandidate:
    """A precoordinated concept for the phrase, from the lexical mapper, the composition, or both."""

    concept_id: int
    term: str
    matched_term: str
    score: float
    sources: tuple[str, ...]  # "lexical", "exact composition", "closest ancestor"
    explanation: dict[str, Any]


@dataclass(frozen=True)
class CompositeMapResult:
    """Candidates best first, whether the text names something, the composition (if any), and the
    text's context (negated, hypothetical, historical, family, uncertain; `negation.text_context`)."""

    candidates: list[CompositeCandidate]
    matched: bool
    threshold: float
    composition: Composition | None
    context: Context = field(default_factory=Context)


# ----- composition


def compose(t: Terminology, text: str, lang: str | None = None) -> Composition | None:
    """The composition a phrase names, or None when it names fewer than two parts."""
    parts, unmatched, coverage = recognise_parts(t, text, lang)
    if len(parts) < 2:
        return None
    return compose_parts(t, text, parts, unmatched, coverage, lang)


def compose_parts(
    t: Terminology, text: str, parts: list[Part], unmatched: list[str], coverage: float, lang: str | None = None
) -> Composition:
    """Exact and closest precoordinated concepts of recognised parts, and an expression when needed."""
    focus_part = next((p for p in parts if p.role == "focus"), None)
    values = [p for p in parts if p.role == "value"]
    lat = next((p for p in parts if p.role == "laterality"), None)
    site = next((p for p in values if p.attribute_id == FINDING_SITE), None)
    unrepresented: list[Part] = []
    notes: list[str] = []
    if site is not None and focus_part is not None and _contradicts_site(t, focus_part.concept_id, site.concept_id):
        # "hepatic encephalopathy": the focus is at another site, so the adjective names a cause or a
        # part of a named disorder, not where the focus is; it is left out rather than said wrongly.
        values = [p for p in values if p is not site]
        unrepresented.append(site)
        notes.append(
            f"'{site.text}' is not a finding site of {focus_part.concept_id} |{focus_part.pt}|, which is at another site "
            "(it names a cause or a part of a named disorder) and is left out"
        )
        site = None
    site_value = site.concept_id if site is not None else None
    if lat is not None and site is None and focus_part is not None:
        # "left ilium metastasis" named as one focus: the laterality applies to the focus's own site.
        site_value = _focus_site(t, focus_part.concept_id)
    lateral_site: int | None = None
    nested_laterality = False
    if lat is not None:
        if site_value is None:
            unrepresented.append(lat)
            notes.append(f"laterality '{lat.text}' names no body structure to apply to")
        else:
            lateral_site = _lateral_structure(t, site_value, lat.concept_id)
            if lateral_site is not None:
                said = site.text if site is not None else t.preferred_term(site_value, lang)
                notes.append(
                    f"'{lat.text} {said}' is the precoordinated {lateral_site} |{t.preferred_term(lateral_site, lang)}|"
                )
            else:
                nested_laterality = True
    pairs: list[tuple[int, int]] = []
    for p in values:
        value = lateral_site if (p is site and lateral_site is not None) else p.concept_id
        pairs.append((int(p.attribute_id or 0), value))
    if site is None and site_value is not None:
        pairs.append((FINDING_SITE, lateral_site if lateral_site is not None else site_value))
    root = focus_part.concept_id if focus_part is not None else CLINICAL_FINDING
    groups = _phrase_groups(t, focus_part.concept_id if focus_part else None, pairs)
    ecl = _ecl(root, pairs)
    closest_rows, candidates = _closest(t, root, pairs, groups)
    if not closest_rows:
        fallback = root if focus_part is not None else _default_focus(t, pairs)
        closest_rows = [t.index_of(fallback) or 0]
    closest = [int(t.ids[r]) for r in closest_rows]
    want = {frozenset(g) for g in groups}
    exact = []
    if not unrepresented and not nested_laterality:
        exact = [c for c in closest if set(concept_groups(t, c)) == want]
    score = round(float(np.mean([p.score for p in parts])) * coverage, 4)
    complete = coverage >= 1.0 and not unrepresented
    expression, valid, problems = None, None, []
    if not exact:
        expression, valid, problems, dropped = _expression(t, closest, groups, lat if nested_laterality else None, lang)
        if dropped is not None:
            unrepresented.append(dropped)
            complete = False
            notes.append(f"laterality '{dropped.text}' cannot be said within the MRCM and is left out")
    comp = Composition(
        text=text,
        parts=parts,
        unmatched=unmatched,
        coverage=round(coverage, 4),
        score=score,
        complete=complete,
        focus=root,
        groups=groups,
        exact=exact,
        closest=closest,
        expression=expression,
        expression_valid=valid,
        problems=problems,
        unrepresented=unrepresented,
        ecl=ecl,
    )
    return _with_explanation(t, comp, candidates, notes, lang)


def _default_focus(t: Terminology, pairs: list[tuple[int, int]]) -> int:
    """Disease when a morphology is named (a morphology makes a disorder), else Clinical finding."""
    if any(a == ASSOCIATED_MORPHOLOGY for a, _ in pairs) and t.has_concept(DISEASE):
        return DISEASE
    return CLINICAL_FINDING


def _focus_site(t: Terminology, focus: int) -> int | None:
    """The one finding site of a focus concept's definition (None when it has none or several)."""
    sites = {v for g in concept_groups(t, focus) for a, v in g if a == FINDING_SITE}
    return next(iter(sites)) if len(sites) == 1 else None


def _contradicts_site(t: Terminology, focus: int, site: int) -> bool:
    """True when the focus is defined at finding sites none of which is on the same line as `site`.

    Neither subsuming the other, the site cannot be where the focus is ("Metabolic encephalopathy"
    is at the central nervous system, so "hepatic" does not say where it is).
    """
    sites = {v for g in concept_groups(t, focus) for a, v in g if a == FINDING_SITE}
    return bool(sites) and not any(t.subsumes(s, site) or t.subsumes(site, s) for s in sites)


def _lateral_structure(t: Terminology, site: int, side: int) -> int | None:
    """The most general precoordinated subtype of `site` with that laterality, when there is one."""
    rows = ecl_rows(t, f"< {site} : {LATERALITY} = {side}")
    top = _most_general(t, rows.tolist())
    return int(t.ids[top[0]]) if len(top) == 1 else None


def _most_general(t: Terminology, rows: list[int]) -> list[int]:
    """The rows none of whose ancestors is in the set (the most general ones)."""
    s = set(rows)
    return sorted(r for r in rows if not s.intersection(t.ancestor_rows(r).tolist()))


def _phrase_groups(t: Terminology, focus: int | None, pairs: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The phrase's role groups: the focus concept's groups narrowed by the parts, or one group of parts."""
    if focus is None:
        return [sorted(pairs)] if pairs else []
    groups = [sorted(g) for g in concept_groups(t, focus)]
    extra = []
    for a, v in pairs:
        placed = False
        for g in groups:
            for k, (ga, gv) in enumerate(g):
                if ga == a and t.subsumes(gv, v):
                    g[k] = (a, v)
                    placed = True
        if not placed:
            extra.append((a, v))
    if extra:
        grouped = [g for g in groups if len(g) > 1]
        if len(grouped) == 1:  # a single role group: the new attributes refine it ("pneumonia due to bacteria")
            grouped[0].extend(extra)
        else:
            groups.append(sorted(extra))
    return [sorted(set(g)) for g in groups]


def _ecl(root: int, pairs: list[tuple[int, int]]) -> str:
    inner = ", ".join(f"{a} = >> {v}" for a, v in pairs)
    return f"<< {root} : {{ {inner} }}" if pairs else f"<< {root}"


def _closest(
    t: Terminology, root: int, pairs: list[tuple[int, int]], groups: list[list[tuple[int, int]]]
) -> tuple[list[int], int]:
    """Rows of the most specific covered candidates (with the focus), and how many candidates were seen.

    The candidates holding every part in one group come first; when none is left, those holding any
    one part (a disorder of the site alone, or of the morphology alone, still subsumes the phrase).
    A candidate that says every group of the phrase and beyond it only a causal context the phrase
    cannot name (IMPLIED_CONTEXT: "Laceration of liver" is due to a traumatic event) is as close as
    one that says less; the most informative of those win (`_nearest`). Primitive candidates that
    tie with the same definition give way to their common proximal parent (`_untie`).
    """
    root_row = t.index_of(root)
    base = [root_row] if root_row is not None and root != CLINICAL_FINDING else []
    cand = ecl_rows(t, _ecl(root, pairs)) if pairs else np.zeros(0, np.int64)
    dicts = [dict(g) for g in groups]
    kept = covered_by(t, cand, dicts) if len(cand) else cand
    implied = covered_by(t, cand, dicts, ignore=IMPLIED_CONTEXT) if len(cand) else cand
    implied = np.setdiff1d(implied, kept)
    seen = len(cand)
    if not len(kept) and not len(implied) and len(pairs) > 1:
        singles = [ecl_rows(t, _ecl(root, [p])) for p in pairs]
        cand = np.unique(np.concatenate(singles)) if singles else cand
        kept = np.asarray(_nearest(t, covered_by(t, cand, dicts), pairs), np.int64)
        seen += len(cand)
    rows = [*kept.tolist(), *base]
    best = _untie(t, most_specific(t, rows), set(rows)) if rows else []
    if len(implied):
        # Only when they say the parts more specifically than every strict candidate (Laceration
        # rather than Damage): otherwise the added context is information the phrase does not give.
        extra = most_specific(t, implied.tolist())
        strict_key = min((_informativeness(t, r, pairs) for r in best), default=None)
        ranked = [(_informativeness(t, r, pairs), r) for r in extra]
        top = min(k for k, _ in ranked)
        if strict_key is None or top < strict_key:
            best = [r for k, r in ranked if k == top]
            rows.extend(best)
    return best, seen


def _informativeness(t: Terminology, row: int, pairs: list[tuple[int, int]]) -> tuple[int, float]:
    """How much of the phrase a candidate says: (-parts held, breadth of the values it holds them with); lower is better."""
    rels = t.relationships(int(t.ids[row]))
    held, breadth = 0, 0.0
    for a, v in pairs:
        anc = set(t.ancestor_distances(v))
        found = [t.descendant_count(x.destination_id) for x in rels if x.type_id == a and x.destination_id in anc]
        if found:
            held += 1
            breadth += math.log1p(min(found))
    return (-held, round(breadth, 9))


def _untie(t: Terminology, rows: list[int], pool: set[int]) -> list[int]:
    """Rows sharing one set of role groups replaced by their most specific common ancestors.

    "cirrhosis of liver" has the role groups of each of Posthepatitic, Florid, Cryptogenic ...
    cirrhosis, which differ only in their (primitive) supertypes or in what their primitive
    definitions leave unsaid: the phrase says none of it, so their common proximal parent
    (Cirrhosis of liver) is the answer, not the siblings. Common ancestors among the candidates
    seen (`pool`) are preferred.
    """
    if len(rows) < 2:
        return rows
    by_def: dict[frozenset[frozenset[tuple[int, int]]], list[int]] = {}
    for r in rows:
        by_def.setdefault(frozenset(concept_groups(t, int(t.ids[r]))), []).append(r)
    if all(len(v) < 2 for v in by_def.values()):
        return rows
    out: list[int] = []
    for same in by_def.values():
        if len(same) < 2:
            out.extend(same)
            continue
        common = set.intersection(*(set(t.ancestor_rows(r).tolist()) for r in same))
        inside = common & pool
        out.extend(most_specific(t, inside or common) or same)
    return most_specific(t, out)


def _nearest(t: Terminology, rows: np.ndarray, pairs: list[tuple[int, int]]) -> list[int]:
    """Of candidates that hold only some of the parts, those holding the most, with the most specific values.

    A primitive disorder defined by a generic site alone ("Disorder of body system") is structurally
    an ancestor of anything at that site; ranking by how many parts a candidate says, then by how
    specific its values are (fewest descendants, i.e. most information), keeps the informative ones.
    """
    if len(rows) < 2:
        return rows.tolist()
    above = {(a, v): set(t.ancestor_distances(v)) for a, v in pairs}
    ranked: list[tuple[tuple[int, float], int]] = []
    for r in rows.tolist():
        rels = t.relationships(int(t.ids[r]))
        held, breadth = 0, 0.0
        for (a, _v), anc in above.items():
            found = [t.descendant_count(x.destination_id) for x in rels if x.type_id == a and x.destination_id in anc]
            if found:
                held += 1
                breadth += math.log1p(min(found))
        ranked.append(((-held, round(breadth, 9)), r))
    best = min(k for k, _ in ranked)
    return [r for k, r in ranked if k == best]


def _ref(t: Terminology, sctid: int, lang: str | None) -> str:
    term = t.preferred_term(sctid, lang) if t.has_concept(sctid) else None
    return f"{sctid} |{term}|" if term else str(sctid)


def _expression(
    t: Terminology,
    closest: list[int],
    groups: list[list[tuple[int, int]]],
    lat: Part | None,
    lang: str | None,
) -> tuple[str, bool, list[str], Part | None]:
    """The closest concepts refined by the phrase's role groups they do not say; the first MRCM-valid form wins.

    A group is restated whole, so a refined value stays in the group of the values it belongs with:
    ``1079990001100 : { 116676008 = 3029990001100, 363698007 = (2049990001104 : 272741003 = 7771000) }``
    says the metastasis is in the left femur, where a group holding only the lateral site would say
    that something is in the left femur and the metastasis somewhere in the femur. A laterality with
    no precoordinated lateral structure is nested in the finding site of each restated group; when
    that breaks the MRCM, the expression is given without it (and the laterality is reported left out).
    Returns (expression, valid, problems, the laterality part left out or None).
    """
    said = {g for c in closest for g in concept_groups(t, c)}
    needed = [
        g for g in groups if frozenset(g) not in said or (lat is not None and any(a == FINDING_SITE for a, _ in g))
    ]
    head = " + ".join(_ref(t, c, lang) for c in sorted(closest))

    def render(g: list[tuple[int, int]], nest: bool) -> str:
        out = []
        for a, v in g:
            if nest and lat is not None and a == FINDING_SITE:
                out.append(
                    f"{_ref(t, a, lang)} = ({_ref(t, v, lang)} : {_ref(t, LATERALITY, lang)} = {_ref(t, lat.concept_id, lang)})"
                )
            else:
                out.append(f"{_ref(t, a, lang)} = {_ref(t, v, lang)}")
        return "{ " + ", ".join(out) + " }"

    forms: list[tuple[list[list[tuple[int, int]]], bool, Part | None]] = []
    if lat is not None:
        forms.append((needed, True, None))
        plain = [g for g in groups if frozenset(g) not in said]
        forms.append((plain, False, lat))
    else:
        forms.append((needed, False, None))
    last: tuple[str, bool, list[str], Part | None] = (head, False, [], None)
    for chosen, nest, dropped in forms:
        body = ", ".join(render(g, nest) for g in chosen)
        text = f"{head} : {body}" if body else head
        try:
            problems = mrcm_problems(t, text)
        except (ValueError, TerminologyError) as exc:  # a grammar error would be ours: report, do not fail
            problems = [str(exc)]
        if not problems:
            return text, True, [], dropped
        if last[2] == [] and not last[1]:
            last = (text, False, problems, dropped)
    return last


def _with_explanation(
    t: Terminology, c: Composition, candidates: int, notes: list[str], lang: str | None
) -> Composition:
    named = "; ".join(
        f"'{p.text}' -> {p.concept_id} |{p.pt}|"
        + (f" as {t.preferred_term(p.attribute_id, lang)}" if p.attribute_id and p.role == "value" else f" ({p.role})")
        for p in c.parts
    )
    if c.exact:
        verdict = "exact: " + ", ".join(_ref(t, x, lang) for x in c.exact) + " is defined by exactly these role groups"
    else:
        verdict = (
            "no precoordinated concept is defined by exactly these parts; the closest are "
            + ", ".join(_ref(t, x, lang) for x in c.closest)
            + " (the most specific concepts whose every role group subsumes the phrase's)"
        )
    summary = [f"parts: {named}", verdict]
    if c.unmatched:
        summary.append("not explained: " + ", ".join(c.unmatched))
    summary.extend(notes)
    explanation = {
        "summary": "; ".join(summary),
        "searched": c.ecl,
        "candidatesSeen": candidates,
        "notes": notes,
    }
    return Composition(**{**c.__dict__, "explanation": explanation})


# ----- mapping: lexical candidates and the composition together


def map_with_composition(t: Terminology, text: str, limit: int = 10, lang: str | None = None) -> CompositeMapResult:
    """The lexical mapping of `text` merged with its composition, read in its context.

    The context triggers ("no", "family history of", "?", "previous") are taken out and the rest (the
    `core`) is mapped: the triggers name no part of the condition. A negated or family-history text
    never matches the patient's own condition: `matched` is True only for a situation concept whose
    own wording carries the same context ("Family history of malignant neoplasm"), offered first;
    the generic 416471007 |Family history of clinical finding| is offered after the condition when
    the release has no specific one.
    """
    ctx = text_context(text)
    if not ctx.any or not ctx.core:
        plain = _map_plain(t, text, limit, lang)
        kept = _same_context(t, plain.candidates, ctx)
        return replace(
            plain, candidates=kept, context=ctx, matched=plain.matched and bool(kept) and kept[0] == plain.candidates[0]
        )
    core = _map_plain(t, ctx.core, limit, lang)
    situations = _situations(t, text, ctx, lang)
    cands = [
        c for c in _same_context(t, core.candidates, ctx) if c.concept_id not in {s.concept_id for s in situations}
    ]
    matched = core.matched
    if ctx.negated or ctx.family:
        matched = bool(situations) and situations[0].score >= MATCH_THRESHOLD
        if situations and matched:
            cands = [situations[0], *cands, *situations[1:]]
        else:
            cands = cands[:1] + situations + cands[1:]
    elif situations:
        cands = cands[:1] + situations + cands[1:]
    return CompositeMapResult(cands[:limit], matched, core.threshold, core.composition, ctx)


def _situations(t: Terminology, text: str, ctx: Context, lang: str | None) -> list[CompositeCandidate]:
    """Situation concepts worded with the text's own context, best first; the generic family-history
    situation when the text is a family history and none more specific is found."""
    from ._restricted import map_within

    out: list[CompositeCandidate] = []
    mask = _situation_mask(t)
    if mask is not None and mask.any():
        for c in map_within(t, text, mask, limit=5, lang=lang):
            if c.score < MATCH_THRESHOLD:
                break
            own = text_context(c.matched_term)
            if (own.negated, own.family, own.historical) != (ctx.negated, ctx.family, ctx.historical):
                continue  # "No family history of stroke" is not what "family history of stroke" says
            expl = dict(c.explanation)
            expl["context"] = "a situation concept worded with the text's own context"
            out.append(CompositeCandidate(c.concept_id, c.term, c.matched_term, c.score, ("situation",), expl))
    if ctx.family and not ctx.negated and not out and t.has_concept(FAMILY_HISTORY_OF_CLINICAL_FINDING):
        fh = FAMILY_HISTORY_OF_CLINICAL_FINDING
        term = t.preferred_term(fh, lang) or str(fh)
        expl = {
            "context": "the release has no family-history situation for this condition; the generic one subsumes it"
        }
        out.append(CompositeCandidate(fh, term, term, round(MATCH_THRESHOLD * CLOSEST_FACTOR, 4), ("situation",), expl))
    return out


def _same_context(t: Terminology, candidates: list[CompositeCandidate], ctx: Context) -> list[CompositeCandidate]:
    """The candidates less the situations worded with another context than the text's ("No family history
    of stroke" for "stroke" or "family history of stroke")."""
    mask = _situation_mask(t)
    if mask is None:
        return candidates
    out = []
    for c in candidates:
        row = t.index_of(c.concept_id)
        if row is not None and mask[row]:
            own = text_context(c.term)
            if (own.negated, own.family) != (ctx.negated, ctx.family):
                continue
        out.append(c)
    return out


def _situation_mask(t: Terminology) -> np.ndarray | None:
    return t.derived(_Situations).mask


@warmed
class _Situations:
    """Per release: concept rows of situations with explicit context (<< 243796009)."""

    def __init__(self, t: Terminology):
        self.mask: np.ndarray | None = None
        if t.has_concept(SITUATION_WITH_EXPLICIT_CONTEXT):
            mask = np.zeros(len(t.ids), bool)
            mask[ecl_rows(t, f"<< {SITUATION_WITH_EXPLICIT_CONTEXT}")] = True
            self.mask = mask & t.active_mask


def _map_plain(t: Terminology, text: str, limit: int = 10, lang: str | None = None) -> CompositeMapResult:
    """The lexical mapping of `text` merged with its composition (see the module docstring)."""
    lexical = map_text(t, text, limit, lang)
    comp = compose(t, text, lang) if text.strip() and not _fully_named(lexical.candidates) else None
    ranked: dict[int, dict[str, Any]] = {}
    order: list[int] = []

    def add(cid: int, tier: int, score: float, source: str, matched: str, expl: dict[str, Any]) -> None:
        entry = ranked.get(cid)
        if entry is None:
            ranked[cid] = {
                "tier": tier,
                "score": score,
                "sources": [source],
                "matched": matched,
                "explanation": dict(expl),
            }
            order.append(cid)
            return
        entry["tier"] = min(entry["tier"], tier)
        entry["score"] = max(entry["score"], score)
        if source not in entry["sources"]:
            entry["sources"].append(source)
        entry["explanation"].setdefault("composition", expl.get("composition"))

    usable = comp is not None and comp.complete
    for c in lexical.candidates:
        if c.score >= LEXICAL_EXACT:
            add(c.concept_id, 0, c.score, "lexical", c.matched_term, c.explanation)
    if usable and comp is not None:
        comp_expl = {"composition": comp.explanation["summary"], "parts": [p.as_dict(t, lang) for p in comp.parts]}
        for cid in comp.exact:
            add(cid, 1, comp.score, "exact composition", _matched(comp), comp_expl)
        for cid in comp.closest:
            if cid not in comp.exact:
                add(cid, 2, round(comp.score * CLOSEST_FACTOR, 4), "closest ancestor", _matched(comp), comp_expl)
    for c in lexical.candidates:
        add(c.concept_id, 3, c.score, "lexical", c.matched_term, c.explanation)
    ids = sorted(order, key=lambda cid: (ranked[cid]["tier"], -ranked[cid]["score"], order.index(cid)))[:limit]
    terms = t.preferred_terms(ids, lang)
    out = []
    for pos, cid in enumerate(ids, 1):
        e = ranked[cid]
        expl = dict(e["explanation"])
        expl["rank"] = _rank_reason(pos, e["tier"], e["score"])
        out.append(
            CompositeCandidate(
                cid, terms[cid] or e["matched"], e["matched"], round(e["score"], 4), tuple(e["sources"]), expl
            )
        )
    matched = lexical.matched or (usable and comp is not None and comp.score >= MATCH_THRESHOLD)
    return CompositeMapResult(out, bool(matched), MATCH_THRESHOLD, comp)


def _fully_named(candidates: list[Any]) -> bool:
    """True when the best lexical candidate accounts for every word of the text and of its term.

    Then the text is a description of a precoordinated concept (perhaps misspelt or abbreviated),
    which comes first anyway: composing it would cost time and add nothing.
    """
    if not candidates:
        return False
    top = candidates[0]
    e = top.explanation
    return top.score >= LEXICAL_EXACT or (e.get("text_coverage", 0) >= 0.999 and e.get("term_coverage", 0) >= 0.999)


def _matched(c: Composition) -> str:
    return " + ".join(p.matched_term for p in c.parts)


_TIER_REASON = {
    0: "its description matches the text (an exact precoordinated concept)",
    1: "its definition is exactly what the parts of the text name (an exact precoordinated concept)",
    2: "no concept is defined by the parts named; it is one of the closest precoordinated ancestors of the expression",
    3: "lexical match",
}


def _rank_reason(pos: int, tier: int, score: float) -> str:
    where = {1: "1st", 2: "2nd", 3: "3rd"}.get(pos, f"{pos}th")
    return f"{where}: {_TIER_REASON[tier]}, score {score:.3f}"


# ----- expressions sent back by a client


@dataclass(frozen=True)
class ExpressionAncestors:
    """The focus concepts of an expression and the most specific precoordinated concepts subsuming it."""

    expression: str
    focus: list[int]
    closest: list[int]
    refined: bool


def expression_ancestors(t: Terminology, expression: str) -> ExpressionAncestors:
    """Closest precoordinated ancestors of a compositional grammar expression.

    Raises ValueError (with the position) for text that is not an expression and TerminologyError
    subclasses for concepts the release lacks. Concrete values and nested expressions are read as
    their focus concept (a nested value is subsumed by it), so the answer is never too specific.
    """
    from ..expressions import ConceptRef, SubExpression, parse_expression

    expr = parse_expression(expression)
    sub = expr.sub
    focus = [c.id for c in sub.focus]
    for ref in focus:
        if not t.has_concept(ref):
            raise ConceptNotFoundError(ref)
    refinement_groups: list[list[tuple[int, int]]] = []
    if sub.refinement is not None:
        chunks = [[a] for a in sub.refinement.ungrouped] + [list(g) for g in sub.refinement.groups]
        for chunk in chunks:
            pairs = []
            for a in chunk:
                v = a.value
                value = v.id if isinstance(v, ConceptRef) else (v.focus[0].id if isinstance(v, SubExpression) else None)
                if value is None:
                    continue
                for cid in (a.name.id, value):
                    if not t.has_concept(cid):
                        raise ConceptNotFoundError(cid)
                pairs.append((a.name.id, value))
            if pairs:
                refinement_groups.append(pairs)
    pairs = [p for g in refinement_groups for p in g]
    rows: list[int] = []
    for f in focus:
        groups = _phrase_groups(t, f, pairs)
        found, _ = _closest(t, f, pairs, groups) if pairs else ([], 0)
        rows.extend(found)
        rows.append(t.index_of(f) or 0)
    closest = _truly_subsuming(t, expr, [int(t.ids[r]) for r in most_specific(t, rows)])
    return ExpressionAncestors(expression, focus, closest, bool(pairs))


def _truly_subsuming(t: Terminology, expr: Any, found: list[int]) -> list[int]:
    """The most specific concepts subsuming `expr` by expression subsumption, from the structural guesses up.

    The structural cover reads a primitive candidate as if its role groups defined it; expression
    subsumption (`expressions.subsumes`) does not, so "Metastatic malignant neoplasm to ilium", whose
    stated parent is primitive, does not subsume ``64572001 : { ... }``. A guess that fails is replaced
    by its parents, each tried in turn, up to those that do subsume (the focus concepts always do).
    """
    from ..expressions import subsumes

    ok: set[int] = set()
    tried: set[int] = set()
    todo = list(found)
    while todo:
        c = todo.pop()
        if c in tried:
            continue
        tried.add(c)
        if subsumes(t, c, expr):
            ok.add(c)
        else:
            todo.extend(t.parents(c))
    rows = [r for r in (t.index_of(c) for c in ok) if r is not None]
    return [int(t.ids[r]) for r in most_specific(t, rows)]
