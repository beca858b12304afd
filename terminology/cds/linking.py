"""Choosing the guidelines for a patient's Conditions: every coding read, one finding per guideline, most specific first.

Each Condition is read by every coding it carries:

* SNOMED CT codes through `resolve_code` (inactive concepts through their historical associations,
  description ids through their concept); post-coordinated expressions through their closest
  precoordinated ancestors (`guidelines_for_expression`);
* ICD-10 and ICD-10-CM codes through the release's map refsets. An ICD-10 code is broader than the
  concepts mapping to it (C79.5 is the target of every bone metastasis site), so only the most general
  of those concepts are linked: a C79.5 diagnosis gets the bone metastasis guidance, not the pelvic one;
* the text (`code.text`), mapped lexically, only when no coding could be read. Such a finding is
  flagged `from_text` (its card says so and is never more than `info`).

A guideline found through several Conditions or codings is kept once, through its closest link;
coded links beat text links at equal distance. The order is the one `guidelines_for_concept` uses:
is-a distance, then title, then id. Only published guidelines are linked (drafts and retired ones never).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import TerminologyError
from ..terminology import Terminology
from ._terminology import (
    SNOMED_SYSTEMS,
    ExpressionSyntaxError,
    Guideline,
    GuidelineRepository,
    canonical_system,
    guidelines_for_concept,
    guidelines_for_expression,
    looks_like_expression,
    map_phrase,
    resolve_code,
)
from .conditions import ConditionIn

PUBLISHED = frozenset({"published"})


@dataclass(frozen=True)
class Reading:
    """How one coding (or the text) of a Condition was read: `kind` is snomed, expression, map or text."""

    condition: str
    kind: str
    code: str
    system: str | None
    display: str | None = None
    how: str | None = None  # e.g. "REPLACED BY", "description", "map", or the text match


@dataclass(frozen=True)
class Finding:
    """A published guideline that applies to a Condition, and why.

    `path` is the is-a chain from `concept` (the active concept read, or an expression's closest
    precoordinated ancestor) up to the tag concept `via`; `distance` counts is-a steps from what was
    sent (an expression sits one step below its ancestor). `key` names what was read, for a stable card id.
    """

    guideline: Guideline
    distance: int
    via: int
    path: list[int]
    concept: int
    reading: Reading
    terms: dict[int, str | None]
    expression: str | None = None

    @property
    def from_text(self) -> bool:
        return self.reading.kind == "text"

    @property
    def key(self) -> str:
        return self.expression if self.expression is not None else str(self.concept)

    def term(self, concept: int) -> str:
        return self.terms.get(concept) or str(concept)


@dataclass(frozen=True)
class Choice:
    """The findings to show, one per guideline, ranked; `notes` say what was skipped or could not be read."""

    findings: list[Finding]
    notes: list[str] = field(default_factory=list)


def choose(
    t: Terminology, repo: GuidelineRepository, conditions: Iterable[ConditionIn], lang: str | None = None
) -> Choice:
    """The published guidelines for these Conditions, each once through its closest link, most specific first."""
    best: dict[str, tuple[tuple[int, int, int], Finding]] = {}
    notes: list[str] = []
    for n, condition in enumerate(conditions):
        if condition.skipped:
            notes.append(f"{condition.label} skipped: {condition.skipped}")
            continue
        for f in _findings(t, repo, condition, lang, notes):
            key = (f.distance, int(f.from_text), n)
            current = best.get(f.guideline.id)
            if current is None or key < current[0]:
                best[f.guideline.id] = (key, f)
    ranked = sorted(
        (f for _, f in best.values()),
        key=lambda f: (f.distance, f.from_text, f.guideline.title.casefold(), f.guideline.id),
    )
    return Choice(ranked, notes)


def _findings(
    t: Terminology, repo: GuidelineRepository, c: ConditionIn, lang: str | None, notes: list[str]
) -> list[Finding]:
    out: list[Finding] = []
    read_any = False
    for coding in c.codings:
        system = (coding.system or "").strip().lower()
        reading = Reading(c.label, "snomed", coding.code, coding.system, coding.display)
        try:
            if system in SNOMED_SYSTEMS and looks_like_expression(coding.code):
                reading = Reading(c.label, "expression", coding.code, coding.system, coding.display)
                out.extend(_expression_findings(t, repo, reading, lang))
                read_any = True
                continue
            if system not in SNOMED_SYSTEMS and canonical_system(system) is None:
                notes.append(
                    f"{c.label}: code system {coding.system or '(none)'} is not read (SNOMED CT and ICD-10 are)"
                )
                continue
            res = resolve_code(t, coding.code, coding.system)
            if res.error is not None:
                notes.append(f"{c.label}: {coding.code} not read: {res.error}")
                continue
            concepts = res.concepts
            if system not in SNOMED_SYSTEMS:
                reading = Reading(c.label, "map", coding.code, coding.system, coding.display, "map")
                concepts = most_general(t, concepts)
            else:
                reading = Reading(c.label, "snomed", coding.code, coding.system, coding.display, res.how)
            read_any = True
            for concept in concepts:
                out.extend(_concept_findings(t, repo, concept, reading, lang))
        except (TerminologyError, ExpressionSyntaxError) as exc:
            notes.append(f"{c.label}: {coding.code} not read: {exc}")
    if not read_any and c.text:
        out.extend(_text_findings(t, repo, c, lang, notes))
    return out


def _concept_findings(
    t: Terminology, repo: GuidelineRepository, concept: int, reading: Reading, lang: str | None
) -> list[Finding]:
    links = guidelines_for_concept(t, repo, concept, lang, statuses=PUBLISHED)
    terms = links.terms or {}
    return [Finding(x.guideline, x.distance, x.via, x.path, concept, reading, terms) for x in links]


def _expression_findings(
    t: Terminology, repo: GuidelineRepository, reading: Reading, lang: str | None
) -> list[Finding]:
    _, found, terms = guidelines_for_expression(t, repo, reading.code, lang)
    return [
        Finding(g.link.guideline, g.distance, g.link.via, g.link.path, g.from_concept, reading, terms, reading.code)
        for g in found
        if g.link.guideline.status in PUBLISHED
    ]


def _text_findings(
    t: Terminology, repo: GuidelineRepository, c: ConditionIn, lang: str | None, notes: list[str]
) -> list[Finding]:
    text = c.text or ""
    result = map_phrase(t, text, limit=1, lang=lang)
    if not result.matched:
        notes.append(f"{c.label}: the text {text!r} names no concept closely enough to link guidelines")
        return []
    best = result.candidates[0]
    how = f"text matched {best.matched_term!r} (score {best.score:.2f})"
    reading = Reading(c.label, "text", text, None, None, how)
    return _concept_findings(t, repo, best.concept_id, reading, lang)


def most_general(t: Terminology, concepts: list[int]) -> list[int]:
    """The concepts no other one of them subsumes (what a broad code such as an ICD-10 category certainly means)."""
    unique = list(dict.fromkeys(concepts))
    return [c for c in unique if not any(d != c and t.subsumes(d, c) for d in unique)]
