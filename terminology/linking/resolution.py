"""Resolving codes integrators send (SCTIDs, description ids, inactive ids, ICD-10 codes) to active concepts."""

from __future__ import annotations

from dataclasses import dataclass, field

from loaders.sctid import ComponentKind, sctid_problem

from ..errors import ConceptNotFoundError, InvalidSctidError, UnanswerableError
from ..maps import canonical_system, reverse_map
from ..terminology import Terminology

SNOMED_SYSTEMS = {"http://snomed.info/sct", "sct", "snomed", "snomed-ct"}


@dataclass(frozen=True)
class CodeResolution:
    """What one input code stands for: active concepts and how they were reached, or the error."""

    code: str
    system: str | None
    concepts: list[int] = field(default_factory=list)
    how: str | None = None
    error: Exception | None = None
    # For a code of another system: concepts it maps from that are more specific than `concepts`,
    # and those it is only part of the map of (a later map group, or under a rule).
    more_specific: list[int] = field(default_factory=list)
    partial: list[int] = field(default_factory=list)


def resolve_code(t: Terminology, code: str, system: str | None = None) -> CodeResolution:
    """Resolve one code; errors are returned in the result so a batch never fails as a whole."""
    try:
        if system and system.lower() not in SNOMED_SYSTEMS:
            if canonical_system(system) is None:
                raise UnanswerableError(
                    f"code system {system!r} is not mapped by this release (supported: ICD-10, ICD-10-CM, ICD-O, OPCS-4 through map refsets)"
                )
            r = reverse_map(t, code, system)
            return CodeResolution(code, system, r.concepts, r.how, None, r.more_specific, r.partial)
        concepts, how = _resolve(t, code.strip())
        return CodeResolution(code, system, concepts, how)
    except (InvalidSctidError, ConceptNotFoundError, UnanswerableError) as exc:
        return CodeResolution(code, system, error=exc)


def _resolve(t: Terminology, code: str) -> tuple[list[int], str]:
    problem = sctid_problem(code, None)
    if problem:
        raise InvalidSctidError(code, problem, "code")
    sctid = int(code)
    kind = {"0": ComponentKind.CONCEPT, "1": ComponentKind.DESCRIPTION}.get(code[-2])
    if kind is ComponentKind.DESCRIPTION:
        d = t.description(sctid)
        replacements = t.resolve(d.concept_id)
        how = "description"
        if replacements and replacements[0].how != "direct":
            how += " > " + replacements[0].how
    elif kind is ComponentKind.CONCEPT:
        replacements = t.resolve(sctid)
        how = replacements[0].how if replacements else ""
    else:
        raise InvalidSctidError(code, "a relationship id, not a concept or description id", "code")
    if not replacements:
        reason = t.inactivation_reason(sctid) if kind is ComponentKind.CONCEPT else None
        why = f" (inactivation reason: {reason[1]})" if reason else ""
        raise UnanswerableError(f"{code} is inactive{why} and has no historical association to an active concept")
    return [r.concept_id for r in replacements], how
