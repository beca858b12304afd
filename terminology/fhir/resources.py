"""Read and search of the SNOMED CT resources behind the operations: CodeSystem, implicit ValueSets, implicit ConceptMaps.

FHIR clients (the validator, IG tooling, servers that federate terminology) find a
code system, value set or concept map with the resource interactions before they
call an operation on it, as they do with Ontoserver, Snowstorm or HAPI.  snomap
stores no resources: each one is built on request from the loaded editions, so it
always describes what the operations will answer.

* **CodeSystem**: one per loaded edition (the default first), ``content`` =
  ``not-present`` (the concepts are reached with ``$lookup`` and ``$expand``), with
  the edition URI as ``version``, the number of concepts, and the filters and
  properties the operations support (as ``metadata?mode=terminology`` lists them).
* **ValueSet**: SNOMED CT's implicit value sets (``http://snomed.info/sct?fhir_vs...``)
  by ``url``; they are infinitely many, so a search without ``url`` lists none.
* **ConceptMap**: one per historical association and map reference set of each
  loaded edition (``http://snomed.info/sct?fhir_cm={refset}``), without groups:
  the mappings are large and ``$translate`` answers them one code at a time.

Search follows FHIR's lenient handling: parameters this server does not know are
ignored and left out of the Bundle's ``self`` link, so a client can see which ones
were applied; a modifier on a known parameter is refused (400).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..maps import map_refset_system
from ..terminology import Terminology
from .conceptmap import ASSOCIATION_EQUIVALENCE, CM_PREFIX
from .context import FhirContext
from .outcome import FhirError, Issue, operation_outcome
from .valueset import SUPPORTED_FILTERS, implicit_value_set
from .versions import SNOMED, Edition

__all__ = [
    "READABLE",
    "RESOURCE_TYPES",
    "SEARCH_PARAMS",
    "SearchParam",
    "code_system",
    "code_system_id",
    "concept_map",
    "concept_map_id",
    "read_resource",
    "search_resources",
]

RESOURCE_TYPES = ("CodeSystem", "ValueSet", "ConceptMap")
# ValueSets have no id: an implicit value set is named by its url (and there are infinitely many).
READABLE = ("CodeSystem", "ConceptMap")
SNOMED_OID = "urn:oid:2.16.840.1.113883.6.96"
ALL_CONCEPTS_VS = f"{SNOMED}?fhir_vs"
CONCEPT_PROPERTIES = "http://hl7.org/fhir/concept-properties"


@dataclass(frozen=True)
class SearchParam:
    """A search parameter as the CapabilityStatement declares it (``definition`` is the R4 SearchParameter)."""

    name: str
    type: str
    definition: str
    documentation: str


def _sp(name: str, kind: str, definition: str, documentation: str) -> SearchParam:
    return SearchParam(name, kind, f"http://hl7.org/fhir/SearchParameter/{definition}", documentation)


_ID = _sp("_id", "token", "Resource-id", "The resource id")
_URL = _sp("url", "uri", "conformance-url", "The canonical url (exact match)")
_VERSION = _sp(
    "version",
    "token",
    "conformance-version",
    "The SNOMED CT version: the edition URI, the module URI alone, or the date (yyyymmdd)",
)
SEARCH_PARAMS: dict[str, tuple[SearchParam, ...]] = {
    "CodeSystem": (
        _ID,
        _URL,
        _sp("system", "uri", "CodeSystem-system", "Same as url"),
        _VERSION,
    ),
    "ValueSet": (_sp("url", "uri", "conformance-url", "A SNOMED CT implicit value set url (?fhir_vs...)"),),
    "ConceptMap": (
        _ID,
        _sp("url", "uri", "conformance-url", "An implicit concept map url (http://snomed.info/sct?fhir_cm=REFSET)"),
        _VERSION,
        _sp("source-uri", "reference", "ConceptMap-source-uri", "The source value set (sourceUri)"),
        _sp("target-uri", "reference", "ConceptMap-target-uri", "The target value set or code system (targetUri)"),
    ),
}
CONTROL = ("_count", "_offset", "_summary")

# What a filter's value is, per property (R4 CodeSystem.filter.value is required).
FILTER_VALUES = {
    "concept": "A SNOMED CT concept id (for 'in', a reference set id or a comma-separated list of them)",
    "constraint": "An ECL expression",
    "expressions": "true or false: whether post-coordinated expressions belong to the value set",
    "expression": "A post-coordinated expression (SNOMED CT compositional grammar)",
    "inactive": "true or false",
    "moduleId": "A module concept id",
    "parent": "A concept id: concepts with this direct supertype",
    "child": "A concept id: concepts with this direct subtype",
}
# (code, type, FHIR concept-properties code or None, description); parent/child/inactive are FHIR's own.
PROPERTIES = (
    ("inactive", "boolean", "inactive", "Whether the concept is inactive (the Concept file's active column, inverted)"),
    (
        "sufficientlyDefined",
        "boolean",
        None,
        "Whether the concept is fully defined (definitionStatusId), not primitive",
    ),
    ("moduleId", "code", None, "The module the concept belongs to"),
    ("effectiveTime", "dateTime", None, "The effective time of the concept's row in the release"),
    ("parent", "code", "parent", "A direct supertype (active inferred is-a relationship)"),
    ("child", "code", "child", "A direct subtype (active inferred is-a relationship)"),
    ("normalForm", "string", None, "The necessary normal form expression, with terms"),
    ("normalFormTerse", "string", None, "The necessary normal form expression, concept ids only"),
)


def _date(e: Edition) -> str:
    return f"{e.version[:4]}-{e.version[4:6]}-{e.version[6:]}"


def _all_concepts_vs(ctx: FhirContext) -> str:
    """The implicit value set of every concept of this edition: versioned unless it is the default edition."""
    return ALL_CONCEPTS_VS if ctx is ctx.default else f"{ctx.edition.uri}?fhir_vs"


def _not_found(resource_type: str, rid: str, why: str = "") -> FhirError:
    text = f"{resource_type}/{rid} is not known to this server{why}"
    return FhirError(404, Issue("error", "not-found", text, "not-found"))


# --------------------------------------------------------------------------- CodeSystem


def code_system_id(e: Edition) -> str:
    """A stable id for an edition's CodeSystem: module and date (``sct-900000000000207008-20250201``)."""
    return f"sct-{e.module_id}-{e.version}"


def code_system(ctx: FhirContext) -> dict[str, Any]:
    """The CodeSystem of one loaded edition, without concepts."""
    e = ctx.edition
    state = "an unpublished edition (xsct)" if e.unpublished else "a published edition"
    return {
        "resourceType": "CodeSystem",
        "id": code_system_id(e),
        "url": SNOMED,
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": SNOMED_OID}],
        "version": e.uri,
        "name": re.sub(r"[^A-Za-z0-9]+", "_", f"SNOMED CT {e.name}").strip("_"),
        "title": f"SNOMED CT {e.name}",
        "status": "active",
        "date": _date(e),
        "description": (
            f"SNOMED CT edition module {e.module_id}, release {e.version}, {state}. The concepts are not listed "
            "here: use CodeSystem/$lookup, ValueSet/$expand and the other operations."
        ),
        "valueSet": _all_concepts_vs(ctx),
        "hierarchyMeaning": "is-a",
        "compositional": True,
        "versionNeeded": False,
        "content": "not-present",
        "count": len(ctx.terminology.ids),  # every concept row, inactive too (as in ?fhir_vs); no scan
        "filter": [
            {"code": prop, "operator": list(ops), "value": FILTER_VALUES.get(prop, "A value")}
            for prop, ops in SUPPORTED_FILTERS.items()
        ],
        "property": [
            {
                "code": code,
                **({"uri": f"{CONCEPT_PROPERTIES}#{fhir}"} if fhir else {}),
                "description": description,
                "type": kind,
            }
            for code, kind, fhir, description in PROPERTIES
        ],
    }


# --------------------------------------------------------------------------- ConceptMap


def _concept_map_refsets(t: Terminology) -> list[int]:
    """The historical association and map refsets of a release, as ``$translate`` without ``url`` uses them.

    Kept on the release (`Terminology.derived`; a release never changes once opened): listing the map
    refsets reads every map table.  Association refsets are checked one by one with a binary
    search instead of ``Terminology.refsets()``, which sorts every refset member.
    """
    return t.derived(_list_concept_map_refsets)


def _list_concept_map_refsets(t: Terminology) -> list[int]:
    associations = [r for r in sorted(ASSOCIATION_EQUIVALENCE) if len(t.refset_members(r))]
    return associations + [r for r in t.map_refsets() if r not in associations]


def concept_map_id(e: Edition, refset: int) -> str:
    """A stable id for a refset's implicit concept map in one edition."""
    return f"sct-{e.module_id}-{e.version}-cm-{refset}"


_CM_ID = re.compile(r"sct-(\d+)-(\d{8})-cm-(\d+)")


def concept_map(ctx: FhirContext, refset: int) -> dict[str, Any]:
    """The implicit concept map of a refset in one edition: its metadata, no groups (``$translate`` maps)."""
    t, e = ctx.terminology, ctx.edition
    term = (t.preferred_term(refset) or t.fsn(refset)) if t.has_concept(refset) else None
    label = f"{refset} |{term}|" if term else str(refset)
    if refset in ASSOCIATION_EQUIVALENCE:
        target: str | None = _all_concepts_vs(ctx)
        what = f"the historical association reference set {label}: inactive concepts to their associated concepts"
    else:
        target = map_refset_system(t, refset)
        what = f"the map reference set {label}: concepts to codes of {target or 'another code system'}"
    out: dict[str, Any] = {
        "resourceType": "ConceptMap",
        "id": concept_map_id(e, refset),
        "url": f"{CM_PREFIX}{refset}",
        "version": e.uri,
        "name": f"SCT_CM_{refset}",
        "title": term or f"SNOMED CT reference set {refset}",
        "status": "active",
        "date": _date(e),
        "description": (
            f"SNOMED CT's implicit concept map of {what} ({e.uri}). "
            "The mappings are not listed here: use ConceptMap/$translate."
        ),
        "sourceUri": _all_concepts_vs(ctx),
    }
    if target:
        out["targetUri"] = target
    return out


# --------------------------------------------------------------------------- search and read


@dataclass
class _Query:
    """The search parameters of one request: values per known parameter, paging, and what was applied."""

    values: dict[str, list[str]]
    count: int | None
    offset: int
    summary_count: bool
    applied: list[tuple[str, str]]

    def get(self, name: str) -> list[str]:
        return self.values.get(name, [])


def _nonnegative(name: str, value: str) -> int:
    text = value.strip()
    if not text.isdigit():
        raise FhirError.invalid(f"The search parameter '{name}' must be a non-negative integer, not '{value}'", name)
    return int(text)


def _parse(resource_type: str, query: Iterable[tuple[str, str]]) -> _Query:
    known = {p.name for p in SEARCH_PARAMS[resource_type]}
    values: dict[str, list[str]] = {}
    applied: list[tuple[str, str]] = []
    count, offset, summary_count = None, 0, False
    for raw_name, value in query:
        name, _, modifier = raw_name.partition(":")
        if name in known:
            if modifier:
                raise FhirError.not_supported(f"The modifier ':{modifier}' on '{name}' is not supported")
            if value.strip():
                values.setdefault(name, []).append(value.strip())
                applied.append((raw_name, value))
        elif name == "_count":
            count = _nonnegative(name, value)
            applied.append((raw_name, value))
        elif name == "_offset":
            offset = _nonnegative(name, value)
        elif name == "_summary" and value.strip() == "count":
            summary_count = True
            applied.append((raw_name, value))
        # anything else (_format, _elements, other _summary values, unknown parameters) is ignored
    return _Query(values, count, offset, summary_count, applied)


def _urls(values: list[str]) -> tuple[set[str], list[str]]:
    """Urls and the versions given with them as ``url|version``."""
    urls, versions = set(), []
    for v in values:
        url, sep, version = v.partition("|")
        urls.add(url)
        if sep and version:
            versions.append(version)
    return urls, versions


def _editions(ctx: FhirContext, versions: list[str]) -> list[FhirContext]:
    """The loaded editions every requested version names (each may be the URI, the module URI or the date)."""
    return [c for c in ctx.loaded if all(c.edition.matches(v) for v in versions)]


def _code_systems(ctx: FhirContext, q: _Query) -> tuple[list[dict[str, Any]], list[Issue]]:
    urls, url_versions = _urls(q.get("url") + q.get("system"))
    if urls and urls != {SNOMED}:
        return [], []
    found = [code_system(c) for c in _editions(ctx, q.get("version") + url_versions)]
    return [r for r in found if all(r["id"] == i for i in q.get("_id"))], []


def _value_sets(ctx: FhirContext, q: _Query) -> tuple[list[dict[str, Any]], list[Issue]]:
    urls = set(q.get("url"))
    if not urls:
        note = "SNOMED CT's implicit value sets are not enumerated; search with url=http://snomed.info/sct?fhir_vs..."
        return [], [Issue("information", "informational", note, None)]
    if len(urls) > 1:
        return [], []
    url = urls.pop()
    try:
        resolved = implicit_value_set(ctx.default, url)
    except FhirError as exc:  # an implicit value set url naming something this release lacks: no match, and why
        return [], [Issue("warning", i.code, i.text, i.tx) for i in exc.issues]
    if resolved is None:
        return [], []
    resource = dict(resolved.resource)
    resource["compose"] = {"include": [dict(i) for i in resolved.includes]}
    return [resource], []


def _concept_maps(ctx: FhirContext, q: _Query) -> tuple[list[dict[str, Any]], list[Issue]]:
    urls, url_versions = _urls(q.get("url"))
    wanted: set[int] | None = None
    if urls:
        refsets = {u[len(CM_PREFIX) :] for u in urls if u.startswith(CM_PREFIX)}
        if len(urls) > 1 or len(refsets) != 1 or not next(iter(refsets)).isdigit():
            return [], []
        wanted = {int(next(iter(refsets)))}
    found = []
    for c in _editions(ctx, q.get("version") + url_versions):
        for refset in _concept_map_refsets(c.terminology):
            if wanted is None or refset in wanted:
                found.append(concept_map(c, refset))
    checks = {"_id": "id", "source-uri": "sourceUri", "target-uri": "targetUri"}
    return [r for r in found if all(r.get(k) == v for p, k in checks.items() for v in q.get(p))], []


_SEARCHES: dict[str, Callable[[FhirContext, _Query], tuple[list[dict[str, Any]], list[Issue]]]] = {
    "CodeSystem": _code_systems,
    "ValueSet": _value_sets,
    "ConceptMap": _concept_maps,
}


def _link(base: str, resource_type: str, pairs: list[tuple[str, str]]) -> str:
    url = f"{base}/{resource_type}"
    return f"{url}?{urllib.parse.urlencode(pairs)}" if pairs else url


def search_resources(
    ctx: FhirContext, resource_type: str, query: Iterable[tuple[str, str]], base: str
) -> dict[str, Any]:
    """The search-type interaction: a ``searchset`` Bundle of the matching resources (``base`` is the FHIR base url)."""
    if resource_type not in _SEARCHES:
        raise FhirError(404, Issue("error", "not-supported", f"Search of {resource_type} is not supported", None))
    q = _parse(resource_type, query)
    matches, notes = _SEARCHES[resource_type](ctx, q)
    total = len(matches)
    size = 0 if q.summary_count else (q.count if q.count is not None else total)
    page = matches[q.offset : q.offset + size]
    here = [*q.applied, ("_offset", str(q.offset))] if q.offset else q.applied
    links = [{"relation": "self", "url": _link(base, resource_type, here)}]
    if size and q.offset + size < total:
        following = [*q.applied, ("_offset", str(q.offset + size))]
        links.append({"relation": "next", "url": _link(base, resource_type, following)})
    entries: list[dict[str, Any]] = []
    for r in page:
        entry: dict[str, Any] = {"resource": r, "search": {"mode": "match"}}
        if "id" in r:
            entry = {"fullUrl": f"{base}/{resource_type}/{r['id']}", **entry}
        entries.append(entry)
    if notes:
        entries.append({"resource": operation_outcome(notes), "search": {"mode": "outcome"}})
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    if entries:
        bundle["entry"] = entries
    return bundle


def read_resource(ctx: FhirContext, resource_type: str, rid: str) -> dict[str, Any]:
    """The read interaction: a CodeSystem or ConceptMap by the id its search gives; anything else is a 404."""
    if resource_type == "CodeSystem":
        for c in ctx.loaded:
            if code_system_id(c.edition) == rid:
                return code_system(c)
        raise _not_found(resource_type, rid)
    if resource_type == "ConceptMap":
        m = _CM_ID.fullmatch(rid)
        if m:
            module, date, refset = int(m.group(1)), m.group(2), int(m.group(3))
            for c in ctx.loaded:
                same_edition = (c.edition.module_id, c.edition.version) == (module, date)
                if same_edition and refset in _concept_map_refsets(c.terminology):
                    return concept_map(c, refset)
        raise _not_found(resource_type, rid)
    if resource_type == "ValueSet":
        why = ": it stores no value sets; search SNOMED CT's implicit ones with ValueSet?url=..."
        raise _not_found(resource_type, rid, why)
    raise _not_found(resource_type, rid)
