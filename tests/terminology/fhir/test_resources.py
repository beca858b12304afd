"""Read and search of CodeSystem, implicit ValueSets and implicit ConceptMaps, without HTTP.

Expectations come from the RF2 files (read here with csv) and from the FHIR R4
specification ("Using SNOMED CT with FHIR", the CodeSystem, ValueSet, ConceptMap and
Bundle resources), not from the code under test:

* the sample's edition is module 19990001103 at 20250301, unpublished, so its URI is
  ``http://snomed.info/xsct/19990001103/version/20250301`` (see test_editions.py), and
  the subset's ``http://snomed.info/xsct/31000003106/version/20250909``;
* a CodeSystem's ``count`` is the number of concepts in the Concept file;
* the implicit concept maps are the historical association refsets (those with
  members in the Association file) and the map refsets (the Map files);
* every resource returned validates with the R4B models of ``fhir.resources``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from terminology import Terminology
from terminology.fhir import (
    FhirContext,
    FhirError,
    FhirSettings,
    capability_statement,
    read_resource,
    search_resources,
    terminology_capabilities,
)
from terminology.sample import sample_release_dir

from .test_editions import SAMPLE_URI
from .test_operations import SCT, SUBSET_URI, rows

BASE = "http://tx.example.org/fhir"
SAMPLE_ID = "sct-19990001103-20250301"
SUBSET_ID = "sct-31000003106-20250909"
ALL_VS = "http://snomed.info/sct?fhir_vs"
ICD10 = "http://hl7.org/fhir/sid/icd-10"  # FHIR's URI for ICD-10 (terminology.hl7.org)
EN_US, PREFERRED, SYNONYM = "900000000000509007", "900000000000548007", "900000000000013009"
SAMPLE = sample_release_dir() / "Snapshot"


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate with the R4B model of its type (and each Bundle entry on its own); return it."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    for entry in resource.get("entry", []) if resource["resourceType"] == "Bundle" else []:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    return resource


def search(ctx: FhirContext, rtype: str, **query: str | list[str]) -> dict[str, Any]:
    pairs = [(k, v) for k, vs in query.items() for v in (vs if isinstance(vs, list) else [vs])]
    bundle = valid(search_resources(ctx, rtype, pairs, BASE))
    assert bundle["type"] == "searchset"
    return bundle


def matches(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def outcomes(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "outcome"]


def concept_count(release: Path) -> int:
    return len({r["id"] for r in rows(next(release.rglob("sct2_Concept_Snapshot*")))})


def refset_names(release: Path) -> dict[str, str]:
    """Each concept's en-US preferred synonym, from the Description and Language files."""
    preferred = {
        r["referencedComponentId"]
        for r in rows(next(release.rglob("der2_cRefset_LanguageSnapshot*")))
        if r["active"] == "1" and r["refsetId"] == EN_US and r["acceptabilityId"] == PREFERRED
    }
    return {
        d["conceptId"]: d["term"]
        for d in rows(next(release.rglob("sct2_Description_Snapshot*")))
        if d["active"] == "1" and d["typeId"] == SYNONYM and d["id"] in preferred
    }


def member_refsets(files: Iterable[Path]) -> set[str]:
    return {r["refsetId"] for f in files for r in rows(f) if r["active"] == "1"}


@pytest.fixture(scope="module")
def ctx(sample: Terminology) -> FhirContext:
    return FhirContext(sample, FhirSettings())


# --------------------------------------------------------------------------- CodeSystem


def test_code_system_search_gives_the_edition(ctx: FhirContext) -> None:
    bundle = search(ctx, "CodeSystem")
    assert bundle["total"] == 1 and bundle["link"] == [{"relation": "self", "url": f"{BASE}/CodeSystem"}]
    (entry,) = bundle["entry"]
    assert entry["fullUrl"] == f"{BASE}/CodeSystem/{SAMPLE_ID}" and entry["search"] == {"mode": "match"}
    cs = entry["resource"]
    assert (cs["id"], cs["url"], cs["version"], cs["status"]) == (SAMPLE_ID, SCT, SAMPLE_URI, "active")
    assert cs["content"] == "not-present" and "concept" not in cs
    assert (cs["hierarchyMeaning"], cs["compositional"], cs["versionNeeded"]) == ("is-a", True, False)
    assert cs["valueSet"] == ALL_VS and cs["date"] == "2025-03-01"
    # The sample depends on the International Edition's core module, the nearest published edition.
    assert cs["title"] == "SNOMED CT International Edition" and cs["name"]


def test_code_system_count_is_the_concept_file(ctx: FhirContext) -> None:
    cs = read_resource(ctx, "CodeSystem", SAMPLE_ID)
    assert cs["count"] == concept_count(SAMPLE) == 121


def test_code_system_filters_and_properties(ctx: FhirContext) -> None:
    cs = valid(read_resource(ctx, "CodeSystem", SAMPLE_ID))
    filters = {f["code"]: f["operator"] for f in cs["filter"]}
    # The filters of "Using SNOMED CT with FHIR", and the same list metadata?mode=terminology gives.
    assert {"is-a", "descendent-of", "in"} <= set(filters["concept"])
    assert filters["constraint"] == ["="] and filters["expressions"] == ["="]
    tc = terminology_capabilities(ctx, BASE)["codeSystem"][0]["version"][0]
    assert filters == {f["code"]: f["op"] for f in tc["filter"]}
    assert all(f["value"] for f in cs["filter"])  # R4 makes filter.value mandatory
    props = {p["code"]: (p["type"], p.get("uri")) for p in cs["property"]}
    concept_properties = "http://hl7.org/fhir/concept-properties"
    assert props == {
        "inactive": ("boolean", f"{concept_properties}#inactive"),
        "sufficientlyDefined": ("boolean", None),
        "moduleId": ("code", None),
        "effectiveTime": ("dateTime", None),
        "parent": ("code", f"{concept_properties}#parent"),
        "child": ("code", f"{concept_properties}#child"),
        "normalForm": ("string", None),
        "normalFormTerse": ("string", None),
    }


@pytest.mark.parametrize(
    "query",
    [
        {"url": SCT},
        {"system": SCT},
        {"version": SAMPLE_URI},
        {"version": "http://snomed.info/xsct/19990001103"},
        {"version": "http://snomed.info/sct/19990001103/version/20250301"},
        {"version": "20250301"},
        {"url": f"{SCT}|{SAMPLE_URI}"},
        {"_id": SAMPLE_ID},
        {"_summary": "true", "_elements": "url", "unknownParam": "x"},
    ],
)
def test_code_system_search_parameters_that_match(ctx: FhirContext, query: dict[str, str]) -> None:
    assert [r["id"] for r in matches(search(ctx, "CodeSystem", **query))] == [SAMPLE_ID]


@pytest.mark.parametrize(
    "query",
    [
        {"url": "http://loinc.org"},
        {"system": "http://hl7.org/fhir/sid/icd-10"},
        {"url": [SCT, "http://loinc.org"]},  # repeated parameters are ANDed
        {"version": "20250201"},
        {"version": "http://snomed.info/sct/900000000000207008"},
        {"_id": "sct-19990001103-20250201"},
    ],
)
def test_code_system_search_parameters_that_do_not(ctx: FhirContext, query: dict[str, str]) -> None:
    bundle = search(ctx, "CodeSystem", **query)
    assert bundle["total"] == 0 and "entry" not in bundle


def test_unknown_parameters_are_left_out_of_the_self_link(ctx: FhirContext) -> None:
    bundle = search(ctx, "CodeSystem", url=SCT, color="blue", _format="json")
    assert bundle["link"][0]["url"] == f"{BASE}/CodeSystem?url=http%3A%2F%2Fsnomed.info%2Fsct"


@pytest.mark.parametrize("query", [{"_summary": "count"}, {"_count": "0"}])
def test_summary_count_gives_the_total_only(ctx: FhirContext, query: dict[str, str]) -> None:
    bundle = search(ctx, "CodeSystem", **query)
    assert bundle["total"] == 1 and "entry" not in bundle
    assert [link["relation"] for link in bundle["link"]] == ["self"]  # no next page of nothing


@pytest.mark.parametrize("query", [{"url:below": SCT}, {"_count": "many"}, {"_offset": "-1"}])
def test_bad_search_parameters_are_400(ctx: FhirContext, query: dict[str, str]) -> None:
    with pytest.raises(FhirError) as e:
        search_resources(ctx, "CodeSystem", list(query.items()), BASE)
    assert e.value.status == 400 and e.value.issues[0].severity == "error"


def test_code_system_read_of_an_unknown_id_is_404(ctx: FhirContext) -> None:
    for rid in ("sct-900000000000207008-20250201", "nope"):
        with pytest.raises(FhirError) as e:
            read_resource(ctx, "CodeSystem", rid)
        assert e.value.status == 404 and e.value.issues[0].code == "not-found"
        assert rid in e.value.issues[0].text
        valid(e.value.outcome())


# --------------------------------------------------------------------------- ValueSet


@pytest.mark.parametrize(
    ("url", "include"),
    [
        (ALL_VS, {"system": SCT}),
        (
            f"{SCT}?fhir_vs=isa/404684003",
            {"system": SCT, "filter": [{"property": "concept", "op": "is-a", "value": "404684003"}]},
        ),
        (
            f"{SCT}?fhir_vs=refset/900000000000526001",
            {"system": SCT, "filter": [{"property": "concept", "op": "in", "value": "900000000000526001"}]},
        ),
        (f"{SCT}?fhir_vs=refset", {"system": SCT, "filter": [{"property": "concept", "op": "in", "value": "*"}]}),
        (
            f"{SCT}?fhir_vs=ecl/<<64572001",
            {"system": SCT, "filter": [{"property": "constraint", "op": "=", "value": "<<64572001"}]},
        ),
        (
            f"{SAMPLE_URI}?fhir_vs=isa/404684003",
            {
                "system": SCT,
                "version": SAMPLE_URI,
                "filter": [{"property": "concept", "op": "is-a", "value": "404684003"}],
            },
        ),
    ],
)
def test_implicit_value_set_by_url(ctx: FhirContext, url: str, include: dict[str, Any]) -> None:
    bundle = search(ctx, "ValueSet", url=url)
    (vs,) = matches(bundle)
    assert bundle["total"] == 1 and "fullUrl" not in bundle["entry"][0]  # implicit value sets have no id
    assert (vs["url"], vs["status"]) == (url, "active") and "expansion" not in vs
    assert vs["compose"] == {"include": [include]}


def test_implicit_value_set_title_names_the_concept(ctx: FhirContext) -> None:
    # 404684003's en-US preferred synonym in the sample's Description file
    (vs,) = matches(search(ctx, "ValueSet", url=f"{SCT}?fhir_vs=isa/404684003"))
    assert refset_names(SAMPLE)["404684003"] in vs["title"]


@pytest.mark.parametrize("url", ["http://example.org/vs", f"{SCT}?fhir_cm=900000000000526001", SCT])
def test_other_value_set_urls_find_nothing(ctx: FhirContext, url: str) -> None:
    bundle = search(ctx, "ValueSet", url=url)
    assert bundle["total"] == 0 and "entry" not in bundle


def test_implicit_value_set_of_a_concept_the_release_lacks(ctx: FhirContext) -> None:
    bundle = search(ctx, "ValueSet", url=f"{SCT}?fhir_vs=isa/94381002")  # a subset concept, not in the sample
    assert bundle["total"] == 0 and not matches(bundle)
    (outcome,) = outcomes(bundle)
    assert outcome["issue"][0]["severity"] == "warning" and "94381002" in outcome["issue"][0]["details"]["text"]


def test_value_sets_are_not_enumerated(ctx: FhirContext) -> None:
    bundle = search(ctx, "ValueSet")
    assert bundle["total"] == 0 and outcomes(bundle)[0]["issue"][0]["severity"] == "information"
    with pytest.raises(FhirError) as e:
        read_resource(ctx, "ValueSet", "anything")
    assert e.value.status == 404


# --------------------------------------------------------------------------- ConceptMap


def test_every_association_and_map_refset_is_a_concept_map(ctx: FhirContext) -> None:
    associations = member_refsets(SAMPLE.rglob("der2_cRefset_AssociationSnapshot*"))
    maps = member_refsets(SAMPLE.rglob("der2_*MapSnapshot*"))
    assert associations == {"900000000000523009", "900000000000526001"}  # POSSIBLY EQUIVALENT TO, REPLACED BY
    names = refset_names(SAMPLE)
    bundle = search(ctx, "ConceptMap")
    found = {cm["url"]: cm for cm in matches(bundle)}
    assert bundle["total"] == len(found) == len(associations | maps)
    assert set(found) == {f"{SCT}?fhir_cm={r}" for r in associations | maps}
    for refset in associations | maps:
        cm = found[f"{SCT}?fhir_cm={refset}"]
        assert (cm["version"], cm["status"], cm["title"]) == (SAMPLE_URI, "active", names[refset])
        assert cm["sourceUri"] == ALL_VS and "group" not in cm
        assert bundle["entry"][list(found).index(cm["url"])]["fullUrl"] == f"{BASE}/ConceptMap/{cm['id']}"
        if refset in associations:  # inactive concepts to SNOMED CT concepts
            assert cm["targetUri"] == ALL_VS
        elif "ICD-10" in names[refset]:
            assert cm["targetUri"] == ICD10
        else:  # a map to a code system this server cannot name
            assert "targetUri" not in cm


def test_concept_map_by_url_version_and_target(ctx: FhirContext) -> None:
    url = f"{SCT}?fhir_cm=900000000000526001"
    (cm,) = matches(search(ctx, "ConceptMap", url=url))
    assert cm["url"] == url and cm == valid(read_resource(ctx, "ConceptMap", cm["id"]))
    assert [m["url"] for m in matches(search(ctx, "ConceptMap", url=url, version="20250301"))] == [url]
    assert search(ctx, "ConceptMap", url=url, version="20250909")["total"] == 0
    icd = matches(search(ctx, "ConceptMap", **{"target-uri": ICD10}))
    assert [cm["targetUri"] for cm in icd] == [ICD10] and "ICD-10" in icd[0]["title"]
    # 64572001 |Disease| is a concept but no association or map refset; the others are no implicit map urls.
    for other in (f"{SCT}?fhir_cm=64572001", f"{SCT}?fhir_vs", "http://example.org/cm"):
        assert search(ctx, "ConceptMap", url=other)["total"] == 0


def test_concept_map_read_of_an_unknown_id_is_404(ctx: FhirContext) -> None:
    for rid in ("sct-19990001103-20250301-cm-64572001", "sct-19990001103-20250909-cm-900000000000526001", "x"):
        with pytest.raises(FhirError) as e:
            read_resource(ctx, "ConceptMap", rid)
        assert e.value.status == 404


# --------------------------------------------------------------------------- CapabilityStatement


def test_capability_statement_lists_read_and_search(ctx: FhirContext) -> None:
    cs = valid(capability_statement(ctx, BASE))
    resources = {r["type"]: r for r in cs["rest"][0]["resource"]}
    interactions = {t: [i["code"] for i in r["interaction"]] for t, r in resources.items()}
    assert interactions == {
        "CodeSystem": ["read", "search-type"],
        "ValueSet": ["search-type"],  # implicit value sets have no id to read
        "ConceptMap": ["read", "search-type"],
    }
    params = {t: {p["name"]: p["type"] for p in r["searchParam"]} for t, r in resources.items()}
    assert params["CodeSystem"] == {"_id": "token", "url": "uri", "system": "uri", "version": "token"}
    assert params["ValueSet"] == {"url": "uri"}
    assert {"url", "version"} <= set(params["ConceptMap"])
    assert [o["name"] for o in resources["ValueSet"]["operation"]] == ["expand", "validate-code"]


# --------------------------------------------------------------------------- two editions


@pytest.fixture(scope="module")
def two(sample: Terminology, subset: Terminology) -> FhirContext:
    return FhirContext(sample, FhirSettings(), (subset,))


@pytest.mark.real_release
def test_one_code_system_per_edition_default_first(two: FhirContext, subset_path: Path) -> None:
    found = matches(search(two, "CodeSystem", url=SCT))
    assert [(c["id"], c["version"], c["count"]) for c in found] == [
        (SAMPLE_ID, SAMPLE_URI, concept_count(SAMPLE)),
        (SUBSET_ID, SUBSET_URI, concept_count(subset_path)),
    ]
    assert concept_count(subset_path) == 2258
    # Only the default edition's value set is the unversioned url; the other names its version.
    assert [c["valueSet"] for c in found] == [ALL_VS, f"{SUBSET_URI}?fhir_vs"]
    assert read_resource(two, "CodeSystem", SUBSET_ID) == found[1]


@pytest.mark.real_release
@pytest.mark.parametrize(
    "query",
    [
        {"version": SUBSET_URI},
        {"version": "20250909"},
        {"version": "http://snomed.info/sct/31000003106"},
        {"url": f"{SCT}|{SUBSET_URI}"},
        {"_id": SUBSET_ID},
    ],
)
def test_version_selects_the_edition(two: FhirContext, query: dict[str, str]) -> None:
    assert [c["id"] for c in matches(search(two, "CodeSystem", **query))] == [SUBSET_ID]


@pytest.mark.real_release
def test_paging_over_editions(two: FhirContext) -> None:
    first = search(two, "CodeSystem", _count="1")
    assert first["total"] == 2 and [r["id"] for r in matches(first)] == [SAMPLE_ID]
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    assert following == f"{BASE}/CodeSystem?_count=1&_offset=1"
    second = search(two, "CodeSystem", _count="1", _offset="1")
    assert [r["id"] for r in matches(second)] == [SUBSET_ID]
    assert [link["relation"] for link in second["link"]] == ["self"]


@pytest.mark.real_release
def test_the_other_editions_value_set_resolves_in_that_edition(two: FhirContext) -> None:
    url = read_resource(two, "CodeSystem", SUBSET_ID)["valueSet"]
    (vs,) = matches(search(two, "ValueSet", url=url))
    assert vs["compose"]["include"] == [{"system": SCT, "version": SUBSET_URI}]


@pytest.mark.real_release
def test_concept_maps_of_each_edition(two: FhirContext, subset_path: Path) -> None:
    subset_refsets = member_refsets(subset_path.rglob("der2_cRefset_AssociationSnapshot*"))
    assert subset_refsets == {"734139008", "900000000000526001"}  # and no map files in the subset
    sample_refsets = member_refsets(SAMPLE.rglob("der2_cRefset_AssociationSnapshot*")) | member_refsets(
        SAMPLE.rglob("der2_*MapSnapshot*")
    )
    found = [(cm["version"], cm["url"]) for cm in matches(search(two, "ConceptMap"))]
    expected = {(SAMPLE_URI, f"{SCT}?fhir_cm={r}") for r in sample_refsets}
    expected |= {(SUBSET_URI, f"{SCT}?fhir_cm={r}") for r in subset_refsets}
    assert set(found) == expected and len(found) == len(expected)
    assert [v for v, _ in found] == sorted((v for v, _ in found), key=lambda v: v != SAMPLE_URI)  # default first
    # 734139008 |Anatomy structure and part association| has members only in the subset.
    (cm,) = matches(search(two, "ConceptMap", url=f"{SCT}?fhir_cm=734139008"))
    assert cm["version"] == SUBSET_URI and cm["sourceUri"] == cm["targetUri"] == f"{SUBSET_URI}?fhir_vs"
    assert cm["title"] == refset_names(subset_path)["734139008"]
    assert read_resource(two, "ConceptMap", cm["id"]) == cm
    both = matches(search(two, "ConceptMap", url=f"{SCT}?fhir_cm=900000000000526001"))
    assert [m["version"] for m in both] == [SAMPLE_URI, SUBSET_URI]
    assert [m["version"] for m in matches(search(two, "ConceptMap", version="20250909"))] == [SUBSET_URI] * 2
