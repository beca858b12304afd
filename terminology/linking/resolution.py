"""Resolving codes integrators send (SCTIDs, description ids, inactive ids, ICD-10 codes) to active concepts."""

from __future__ import annotations

from dataclasses import dataclass, field

from loaders.sctid import ComponentKind, sctid_problem

from ..errors import ConceptNotFoundError, InvalidSctidError, UnanswerableError
from ..terminology import Terminology

SNOMED_SYSTEMS = {"http://snomed.info/sct", "sct", "snomed", "snomed-ct"}
# Code systems resolved through the release's map refsets (the map refset's targets are their codes).
MAP_SYSTEMS = {
    "http://hl7.org/fhir/sid/icd-10",
    "http://hl7.org/fhir/sid/icd-10-cm",
    "http://hl7.org/fhir/sid/icd-10-uk",
    "http://id.who.int/icd/release/10",
    "icd-10",
    "icd10",
}


@dataclass(frozen=True)
class CodeResolution:
    """What one input code stands for: active concepts and how they were reached, or the error."""

    code: str
    system: str | None
    concepts: list[int] = field(default_factory=list)
    how: str | None = None
    error: Exception | None = None


def resolve_code(t: Terminology, code: str, system: str | None = None) -> CodeResolution:
    """Resolve one code; errors are returned in the result so a batch never fails as a whole."""
    try:
        concepts, how = _resolve(t, code.strip(), system)
        return CodeResolution(code, system, concepts, how)
    except (InvalidSctidError, ConceptNotFoundError, UnanswerableError) as exc:
        return CodeResolution(code, system, error=exc)


def _resolve(t: Terminology, code: str, system: str | None) -> tuple[list[int], str]:
    if system and system.lower() not in SNOMED_SYSTEMS:
        if system.lower() not in MAP_SYSTEMS:
            raise UnanswerableError(f"code system {system!r} is not mapped by this release (supported: ICD-10 through map refsets)")
        rows = t.concepts_for_map_target(code)
        if not rows:
            raise UnanswerableError(f"no map refset row targets {code!r} in {system}")
        found: dict[int, None] = {}
        for row in sorted(rows, key=lambda r: (r.map_group, r.map_priority, r.concept_id)):
            for r in t.resolve(row.concept_id):
                found.setdefault(r.concept_id)
        return list(found), "map"
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
