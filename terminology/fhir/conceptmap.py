"""``ConceptMap/$translate`` through SNOMED CT's implicit concept maps.

SNOMED CT defines a concept map for every historical association refset and every
map refset: ``http://snomed.info/sct?fhir_cm=<refset id>``.  Historical
associations translate inactive concepts to active ones (``reverse=true`` goes
back), map refsets translate to other code systems (ICD-10 ...) and back.

Equivalences (R4 ``ConceptMapEquivalence``) follow the meaning of each association
(SAME AS is ``equal``, REPLACED BY ``equivalent``, POSSIBLY EQUIVALENT TO
``inexact``, WAS A ``wider`` ...) and, for maps, the row's correlation
(447557004 exact ``equivalent``, 447559001 broad-to-narrow ``narrower``, ...).
"""

from __future__ import annotations

from typing import Any

from ..errors import UnanswerableError
from ..maps import map_refset_system, reverse_map
from ..model import MapTarget
from ..terminology import Terminology
from .codes import check_code, version_issue
from .context import FhirContext
from .outcome import FhirError, Issue, message
from .params import Params
from .versions import SNOMED

__all__ = ["ASSOCIATION_EQUIVALENCE", "translate"]

ASSOCIATION_EQUIVALENCE = {
    900000000000527005: "equal",  # SAME AS
    900000000000526001: "equivalent",  # REPLACED BY
    900000000000523009: "inexact",  # POSSIBLY EQUIVALENT TO
    1186921001: "inexact",  # POSSIBLY REPLACED BY
    1186924009: "inexact",  # PARTIALLY EQUIVALENT TO
    900000000000530003: "inexact",  # ALTERNATIVE
    900000000000528000: "wider",  # WAS A
    900000000000524003: "relatedto",  # MOVED TO
    900000000000525002: "relatedto",  # MOVED FROM
    900000000000531004: "relatedto",  # REFERS TO
    734139008: "relatedto",  # anatomy structure and part
    734138000: "relatedto",  # anatomy structure and entire
}
CORRELATION_EQUIVALENCE = {
    447557004: "equivalent",  # exact match
    447559001: "narrower",  # broad to narrow: the target is narrower
    447558009: "wider",  # narrow to broad: the target is wider
    447560006: "inexact",  # partial overlap
    447556008: "unmatched",  # not mappable
    447561005: "inexact",  # not specified
}
CM_PREFIX = f"{SNOMED}?fhir_cm="


def _refset_of(url: str) -> int | None:
    if not url.startswith(CM_PREFIX):
        return None
    ident = url[len(CM_PREFIX) :]
    return int(ident) if ident.isdigit() else None


def _concept_coding(t: Terminology, sctid: int, lang: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"system": SNOMED, "code": str(sctid)}
    term = t.preferred_term(sctid, lang) if t.has_concept(sctid) else None
    if term:
        out["display"] = term
    return out


def _match(equivalence: str, concept: dict[str, Any], source: str) -> dict[str, Any]:
    return {
        "name": "match",
        "part": [
            {"name": "equivalence", "valueCode": equivalence},
            {"name": "concept", "valueCoding": concept},
            {"name": "source", "valueString": source},
        ],
    }


def translate(ctx: FhirContext, params: Params, lang: str | None = None) -> dict[str, Any]:
    """Translate a code with an implicit SNOMED CT concept map (``url``) or with every map that fits."""
    url = params.str("url") or params.str("conceptMap")
    if params.resource("conceptMap") is not None:
        raise FhirError.not_supported(
            "$translate with an inline ConceptMap is not supported; use an implicit SNOMED CT map"
        )
    reverse = params.bool("reverse")
    coding = params.coding("coding")
    system = coding.system if coding else params.str("system")
    code = coding.code if coding else params.str("code")
    if coding is None and params.codeable_concept("codeableConcept") is not None:
        codings, _ = params.codeable_concept("codeableConcept") or ([], None)
        coding = next((c for c in codings if c.code), None)
        system, code = (coding.system, coding.code) if coding else (None, None)
    if not code:
        raise FhirError.invalid("$translate needs a code and system, a coding or a codeableConcept", "code")
    target_system = params.str("targetsystem") or params.str("targetSystem")
    version = (coding.version if coding else None) or params.str("version")
    # The version is the given code's: a SNOMED CT one picks the edition; another system's (a reverse
    # translation from ICD-10) says nothing about SNOMED CT, so the default edition answers.
    selected = ctx.select(version if system == SNOMED else None)
    if selected is None:
        raise FhirError(404, version_issue(ctx, version or "", "version"))
    ctx = selected
    t = ctx.terminology
    refsets: list[int]
    if url:
        refset = _refset_of(url)
        if refset is None or not t.has_concept(refset):
            raise FhirError(404, Issue("error", "not-found", message("UNKNOWN_CONCEPTMAP", url), "not-found"))
        refsets = [refset]
    else:
        refsets = sorted(set(ASSOCIATION_EQUIVALENCE) & set(t.refsets())) + t.map_refsets()
    matches: list[dict[str, Any]] = []
    if not reverse:
        if system != SNOMED:
            raise FhirError(
                404,
                Issue("error", "not-found", message("UNKNOWN_CODESYSTEM", system), "not-found", "UNKNOWN_CODESYSTEM"),
            )
        checked = check_code(ctx, system, code, version, None, lang, "", False)
        if not checked.valid or checked.concept_id is None:
            raise FhirError(404, [i for i in checked.issues if i.is_error] or checked.issues)
        sctid = checked.concept_id
        for refset in refsets:
            source = f"{CM_PREFIX}{refset}"
            refset_system = map_refset_system(t, refset)
            if refset in ASSOCIATION_EQUIVALENCE or any(a.refset_id == refset for a in t.associations(sctid)):
                if target_system not in (None, SNOMED):
                    continue
                for a in t.associations(sctid):
                    if a.refset_id == refset:
                        eq = ASSOCIATION_EQUIVALENCE.get(refset, "relatedto")
                        matches.append(_match(eq, _concept_coding(t, a.target_id, lang), source))
                continue
            if target_system is not None and refset_system is not None and target_system != refset_system:
                continue
            for m in t.map_targets(sctid, refset):
                matches.append(_map_match(m, refset_system, source))
    else:
        for refset in refsets:
            source = f"{CM_PREFIX}{refset}"
            refset_system = map_refset_system(t, refset)
            if refset in ASSOCIATION_EQUIVALENCE:
                if system not in (None, SNOMED) or not str(code).isdigit():
                    continue
                for a in t.associations_to(int(code)):
                    if a.refset_id == refset:
                        eq = ASSOCIATION_EQUIVALENCE.get(refset, "relatedto")
                        matches.append(_match(_reverse(eq), _concept_coding(t, a.source_id, lang), source))
                continue
            if system is not None and refset_system is not None and system != refset_system:
                continue
            # The same reading as the REST API's /resolve (terminology.maps.reverse_map): the most
            # general concepts whose whole meaning the code is, then the more specific ones (narrower),
            # then those the code is only one part of the map of (inexact).
            try:
                found = reverse_map(t, code, refset_system or system or "", [refset])
            except UnanswerableError:
                continue
            for concept in found.concepts:
                matches.append(_match("equivalent", _concept_coding(t, concept, lang), source))
            for concept in found.more_specific:
                matches.append(_match("narrower", _concept_coding(t, concept, lang), source))
            for concept in found.partial:
                matches.append(_match("inexact", _concept_coding(t, concept, lang), source))
    out: list[dict[str, Any]] = [{"name": "result", "valueBoolean": bool(matches)}]
    if not matches:
        where = url or "(all SNOMED CT maps)"
        out.append({"name": "message", "valueString": message("TRANSLATE_NO_MATCH", system or "", code, where)})
    out.extend(matches)
    return {"resourceType": "Parameters", "parameter": out}


def _reverse(eq: str) -> str:
    return {"wider": "narrower", "narrower": "wider", "subsumes": "specializes", "specializes": "subsumes"}.get(eq, eq)


def _map_match(m: MapTarget, system: str | None, source: str) -> dict[str, Any]:
    concept: dict[str, Any] = {"code": m.map_target} if system is None else {"system": system, "code": m.map_target}
    eq = CORRELATION_EQUIVALENCE.get(m.correlation_id or 0, "inexact") if m.correlation_id else "inexact"
    if not m.map_target:
        eq = "unmatched"
    match = _match(eq, concept, source)
    advice = "; ".join(x for x in (m.map_rule if m.map_rule not in ("", "TRUE") else "", m.map_advice) if x)
    if advice:
        match["part"].append(
            {
                "name": "product",
                "part": [
                    {"name": "element", "valueString": "mapAdvice"},
                    {"name": "concept", "valueCoding": {"display": advice}},
                ],
            }
        )
    return match
