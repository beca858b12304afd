"""``ValueSet/$expand``: a value set's members as an ``expansion``, paged, filtered and decorated.

The ``filter`` parameter matches concepts as search does (terminology.text.normalise): every
word of the filter is a prefix of a word of one of the concept's active descriptions.  The
same rule applies to the concepts a value set lists and to those its filters admit, so an
enumerated and an intensional value set holding the same concepts match the same ones.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ...expressions import render
from ...terminology import Terminology
from ...text.normalise import fts_quote, words
from ..codesystem import use_coding
from ..context import FhirContext
from ..outcome import FhirError, Issue, message
from ..params import Params
from ..versions import SNOMED
from .compose import Entry, Evaluator
from .resolve import resolve_value_set, version_params

__all__ = ["expand"]

EXT_UNCLOSED = "http://hl7.org/fhir/StructureDefinition/valueset-unclosed"
EXT_UNCLOSED_REASON = "http://hl7.org/fhir/StructureDefinition/valueset-unclosed-reason"
EXT_EXPANSION_PROPERTY = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.property"
EXT_CONTAINS_PROPERTY = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.contains.property"
CONCEPT_PROPERTIES = "http://hl7.org/fhir/concept-properties"
GRAMMAR_REASON = f"The code System '{SNOMED}' has a grammar and so has infinite members"
ECHOED = (
    "activeOnly",
    "check-system-version",
    "count",
    "displayLanguage",
    "excludeNested",
    "excludeNotForUI",
    "excludePostCoordinated",
    "filter",
    "force-system-version",
    "includeDefinition",
    "includeDesignations",
    "offset",
    "property",
    "system-version",
)
# Value set elements not repeated in an expansion: the narrative ones (as tx.fhir.org does; HL7's
# tests expect them absent) and the old expansion.
EXPANSION_DROPS = ("expansion", "text", "description", "purpose")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _text_filter_rows(t: Terminology, text: str) -> np.ndarray | None:
    """Concept rows with an active description holding every word of ``text`` as a word prefix (None: no words)."""
    wanted = words(text)
    if not wanted:
        return None
    query = " AND ".join(fts_quote(w) + "*" for w in wanted)
    hits = t.sql("SELECT rowid FROM description_fts WHERE description_fts MATCH ?", (query,))
    desc = np.fromiter((r[0] for r in hits), np.int64, len(hits))
    return np.unique(t.array("desc_concept")[desc]).astype(np.int32)


def _display_matches(display: str | None, text: str) -> bool:
    """Every word of ``text`` is a prefix of a word of the display (the same words as the FTS index)."""
    have = words(display or "")
    return all(any(h.startswith(w) for h in have) for w in words(text))


def _listed_matches(t: Terminology, e: Entry, hits: np.ndarray | None, text: str, lang: str | None) -> bool:
    """A listed code passes ``filter`` by the rule for concepts, or (expressions, own displays) by its display."""
    if hits is None:
        return True
    if e.concept_id is not None:
        row = t.index_of(e.concept_id)
        k = int(hits.searchsorted(row)) if row is not None else len(hits)
        if k < len(hits) and int(hits[k]) == row:
            return True
    return _display_matches(_entry_display(t, e, lang), text)


def _designations(t: Terminology, sctid: int, lang: str | None) -> list[dict[str, Any]]:
    """Active FSN and preferred synonyms (preferred in a requested or any language refset), FSN first."""
    from ...dialects import language_refset_order

    refsets = language_refset_order(lang, t.language_refsets)
    wanted = refsets[:1] if lang else refsets
    out = []
    for d in t.descriptions(sctid, active_only=True):
        if d.type not in ("fsn", "synonym"):
            continue
        if not any(d.acceptability.get(r) == "preferred" for r in wanted):
            continue
        out.append({"language": d.language_code, "use": use_coding(t, d.type_id), "value": d.term})
    return out


def _property_value(t: Terminology, sctid: int, code: str) -> list[dict[str, Any]]:
    c = t.concept(sctid)
    if code == "inactive":
        return [{"valueBoolean": not c.active}]
    if code in ("moduleId", "module"):
        return [{"valueCode": str(c.module_id)}]
    if code == "sufficientlyDefined":
        return [{"valueBoolean": c.definition_status == "fully-defined"}]
    if code == "effectiveTime":
        et = c.effective_time
        return [{"valueDateTime": f"{et[:4]}-{et[4:6]}-{et[6:8]}"}]
    if code == "parent":
        return [{"valueCode": str(p)} for p in t.parents(sctid)]
    if code == "child":
        return [{"valueCode": str(p)} for p in t.children(sctid)]
    if code.isdigit():
        return [{"valueCode": str(r.destination_id)} for r in t.relationships(sctid) if r.type_id == int(code)]
    return []


def _property_uri(code: str) -> str:
    if code.isdigit():
        return f"http://snomed.info/id/{code}"
    return f"{CONCEPT_PROPERTIES}#{code}"


def _prop_ext(code: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"url": EXT_CONTAINS_PROPERTY, "extension": [{"url": "code", "valueCode": code}, {"url": "value", **value}]}


def expand(ctx: FhirContext, params: Params, lang: str | None = None) -> dict[str, Any]:
    """``ValueSet/$expand``: the value set with an ``expansion`` (R4 JSON)."""
    lang = params.str("displayLanguage") or lang
    tx = params.resources("tx-resource")
    default_version, forced = version_params(ctx, params)
    ev = Evaluator(ctx, tx, default_version, lang, forced)
    vs = resolve_value_set(
        ev.unpinned(), params.str("url"), params.str("valueSetVersion"), params.resource("valueSet"), tx
    )
    ev = ev.bound_to(ev.edition_of(vs))
    ctx, t = ev.ctx, ev.t
    members = ev.members(vs)
    rows, listed = members.rows, members.listed
    active = t.array("concept_active")
    if params.bool("activeOnly"):
        rows = rows[active[rows]]
        listed = [e for e in listed if e.expression is not None or t.is_active(e.concept_id)]  # type: ignore[arg-type]
    listed_concepts = {e.concept_id for e in listed if e.concept_id is not None}
    if listed_concepts and len(rows):
        rows = rows[~np.isin(t.ids[rows], np.array(sorted(listed_concepts), np.int64))]
    text = params.str("filter")
    if text:
        hits = _text_filter_rows(t, text)
        if hits is not None:
            rows = np.intersect1d(rows, hits).astype(np.int32)
        listed = [e for e in listed if _listed_matches(t, e, hits, text, lang)]
    total = len(listed) + len(rows)
    offset = max(params.int("offset") or 0, 0)
    count = params.int("count")
    producing = max(total - offset, 0) if count is None else max(min(count, total - offset), 0)
    limit = ctx.settings.expansion_limit
    asked_limit = params.int("limit")
    if asked_limit is not None and asked_limit > 0:
        limit = min(limit, asked_limit)
    if producing > limit:
        text_ = message("VALUESET_TOO_COSTLY", vs.url or vs.reference, limit)
        raise FhirError(422, Issue("error", "too-costly", text_, None, "VALUESET_TOO_COSTLY"))
    page: list[Entry] = []
    for e in listed[offset : offset + producing]:
        page.append(e)
    start = max(offset - len(listed), 0)
    need = producing - len(page)
    for i in t.ids[rows[start : start + need]].tolist():
        page.append(Entry(str(i), concept_id=int(i)))
    include_designations = params.bool("includeDesignations")
    wanted_props = params.strs("property")
    contains = []
    any_inactive = False
    for e in page:
        item: dict[str, Any] = {"system": SNOMED}
        inactive = e.concept_id is not None and not t.is_active(e.concept_id)
        if inactive:
            item["inactive"] = True
            any_inactive = True
        item["code"] = e.code
        item["display"] = _entry_display(t, e, lang)
        if include_designations:
            desigs = list(e.designations)
            if e.concept_id is not None:
                desigs += _designations(t, e.concept_id, lang)
            if desigs:
                item["designation"] = desigs
        exts = []
        if inactive:
            exts.append(_prop_ext("status", {"valueCode": "inactive"}))
        if e.concept_id is not None:
            for p in wanted_props:
                exts.extend(_prop_ext(p, v) for v in _property_value(t, e.concept_id, p))
        if exts:
            item["extension"] = exts
        contains.append(item)
    expansion: dict[str, Any] = {}
    ext = []
    if ev.unclosed(vs):
        ext.append({"url": EXT_UNCLOSED, "valueBoolean": True})
        if vs.whole_system or any(
            inc.get("system") == SNOMED and not inc.get("concept") and not inc.get("filter") for inc in vs.includes
        ):
            ext.append({"url": EXT_UNCLOSED_REASON, "valueString": GRAMMAR_REASON})
    props = (["status"] if any_inactive else []) + [p for p in wanted_props if p != "status"]
    for p in props:
        ext.append(
            {
                "url": EXT_EXPANSION_PROPERTY,
                "extension": [{"url": "code", "valueCode": p}, {"url": "uri", "valueUri": _property_uri(p)}],
            }
        )
    if ext:
        expansion["extension"] = ext
    expansion["identifier"] = f"urn:uuid:{uuid.uuid4()}"
    expansion["timestamp"] = _now()
    expansion["total"] = total
    if params.has("offset") or params.has("count"):
        expansion["offset"] = offset
    echoed = [p for name in ECHOED for p in params.raw(name)]
    echoed.append({"name": "used-codesystem", "valueUri": f"{SNOMED}|{ctx.edition.uri}"})
    expansion["parameter"] = echoed
    if contains:
        expansion["contains"] = contains
    out = {k: v for k, v in vs.resource.items() if k not in EXPANSION_DROPS}
    out["expansion"] = expansion
    return out


def _entry_display(t: Terminology, e: Entry, lang: str | None) -> str | None:
    if e.display:
        return e.display
    if e.expression is not None:
        return render(t, e.expression, lang)
    return t.preferred_term(e.concept_id, lang) if e.concept_id is not None else None
