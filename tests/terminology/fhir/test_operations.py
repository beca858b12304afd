"""The FHIR terminology operations, without HTTP: what the FHIR R4 specification and the RF2 files say.

Outputs are checked against the operation definitions (CodeSystem-lookup,
-validate-code, -subsumes, ValueSet-expand, -validate-code, ConceptMap-translate)
and the rows of the release files; counts are computed from the files by a reader
of their own, not by the index.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from terminology import Terminology
from terminology.fhir import (
    FhirContext,
    FhirError,
    FhirSettings,
    Params,
    cs_validate_code,
    edition_of,
    expand,
    lookup,
    subsumes,
    translate,
    vs_validate_code,
)

SCT = "http://snomed.info/sct"
SUBSET_URI = "http://snomed.info/xsct/31000003106/version/20250909"


def params(**kwargs: Any) -> Params:
    """Params from keyword arguments (repeat a name with a list)."""
    items = []
    for k, v in kwargs.items():
        name = k.replace("_", "-") if k in ("system_version", "tx_resource") else k
        for value in v if isinstance(v, list) else [v]:
            if isinstance(value, dict) and "resourceType" in value:
                items.append({"name": name, "resource": value})
            elif isinstance(value, bool):
                items.append({"name": name, "valueBoolean": value})
            elif isinstance(value, int):
                items.append({"name": name, "valueInteger": value})
            elif isinstance(value, dict):
                items.append({"name": name, "valueCoding": value})
            else:
                items.append({"name": name, "valueString": value})
    return Params.from_resource({"resourceType": "Parameters", "parameter": items})


def out(params: dict[str, Any], name: str) -> Any:
    for p in params["parameter"]:
        if p["name"] == name:
            return next((v for k, v in p.items() if k.startswith("value") or k == "resource"), p.get("part"))
    return None


def every(params: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [p for p in params["parameter"] if p["name"] == name]


def props(params: dict[str, Any], code: str) -> list[str]:
    vals = []
    for p in every(params, "property"):
        parts = {q["name"]: q for q in p["part"]}
        if parts["code"]["valueCode"] == code:
            vals.append(next(str(v) for k, v in parts["value"].items() if k.startswith("value")))
    return vals


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def ctx(subset: Terminology) -> FhirContext:
    return FhirContext(subset, FhirSettings())


@pytest.fixture(scope="module")
def sample_ctx(sample: Terminology) -> FhirContext:
    return FhirContext(sample, FhirSettings())


@pytest.fixture(scope="module")
def rf2(subset_path: Path) -> dict[str, list[dict[str, str]]]:
    return {
        "concepts": rows(next(subset_path.rglob("sct2_Concept_Snapshot*"))),
        "relationships": [
            r for r in rows(next(subset_path.rglob("sct2_Relationship_Snapshot*"))) if r["active"] == "1"
        ],
        "associations": rows(next(subset_path.rglob("der2_cRefset_AssociationSnapshot*"))),
    }


def descendants_or_self(rf2: dict, concept: str) -> set[str]:
    children: dict[str, set[str]] = {}
    for r in rf2["relationships"]:
        if r["typeId"] == "116680003":
            children.setdefault(r["destinationId"], set()).add(r["sourceId"])
    out_, todo = {concept}, [concept]
    while todo:
        for c in children.get(todo.pop(), ()):
            if c not in out_:
                out_.add(c)
                todo.append(c)
    return out_


# --------------------------------------------------------------------------- versions


def test_subset_edition_is_unpublished_by_default(subset: Terminology, rf2: dict) -> None:
    # ModuleDependency: 31000003106 depends on the core, nothing depends on it; it is not a published edition
    e = edition_of(subset)
    assert (e.module_id, e.version, e.uri) == (31000003106, "20250909", SUBSET_URI)
    assert e.name == "International Edition"  # named after the published edition it extends
    assert edition_of(subset, "0").uri == "http://snomed.info/sct/31000003106/version/20250909"
    assert e.matches(None) and e.matches("http://snomed.info/sct/31000003106") and e.matches("20250909")
    assert not e.matches("http://snomed.info/sct/900000000000207008/version/20250201")


def test_settings_from_environment_mapping() -> None:
    s = FhirSettings.from_mapping(
        {"SNOMAP_FHIR_UNPUBLISHED": "false", "SNOMAP_FHIR_EXPANSION_LIMIT": "50", "SNOMAP_FHIR_MRCM": "1"}
    )
    assert (s.unpublished, s.expansion_limit, s.mrcm) == (False, 50, True)
    assert FhirSettings.from_mapping({"SNOMAP_FHIR_UNPUBLISHED": "auto"}).unpublished is None


# --------------------------------------------------------------------------- $lookup


def test_lookup_concept(ctx: FhirContext, rf2: dict) -> None:
    res = lookup(ctx, params(system=SCT, code="367430006"))
    assert out(res, "display") == "Repair of tendon of hand" and out(res, "version") == SUBSET_URI
    parents = {
        r["destinationId"] for r in rf2["relationships"] if r["sourceId"] == "367430006" and r["typeId"] == "116680003"
    }
    children = {
        r["sourceId"] for r in rf2["relationships"] if r["destinationId"] == "367430006" and r["typeId"] == "116680003"
    }
    assert set(props(res, "parent")) == parents and set(props(res, "child")) == children
    assert props(res, "260686004") == ["257903006"] and props(res, "inactive") == ["False"]
    concept = next(r for r in rf2["concepts"] if r["id"] == "367430006")
    assert props(res, "effectiveTime") == [
        f"{concept['effectiveTime'][:4]}-{concept['effectiveTime'][4:6]}-{concept['effectiveTime'][6:]}"
    ]
    assert not props(res, "normalForm")  # only on request


def test_lookup_requested_properties(ctx: FhirContext) -> None:
    res = lookup(
        ctx, params(system=SCT, code="128241005", property=["sufficientlyDefined", "moduleId", "normalFormTerse"])
    )
    assert props(res, "sufficientlyDefined") == ["True"] and props(res, "moduleId") == ["900000000000207008"]
    assert props(res, "normalFormTerse") == ["=== 64572001:{116676008=409774005,363698007=10200004}"]
    assert not props(res, "parent")


def test_lookup_expression(ctx: FhirContext) -> None:
    res = lookup(ctx, params(system=SCT, code="367430006:{272741003=24028007}"))
    assert out(res, "display") == "367430006|Repair of tendon of hand|:{272741003|Laterality|=24028007|Right|}"
    assert props(res, "272741003") == ["24028007"]


def test_lookup_unknown_code_is_404(ctx: FhirContext) -> None:
    with pytest.raises(FhirError) as err:
        lookup(ctx, params(system=SCT, code="999999999"))
    assert err.value.status == 404 and err.value.issues[0].code == "not-found"


def test_lookup_other_system_and_missing_code(ctx: FhirContext) -> None:
    with pytest.raises(FhirError) as err:
        lookup(ctx, params(system="http://loinc.org", code="1234-5"))
    assert err.value.status == 404 and err.value.issues[0].message_id == "UNKNOWN_CODESYSTEM"
    with pytest.raises(FhirError) as err:
        lookup(ctx, params(system=SCT))
    assert err.value.status == 400


# --------------------------------------------------------------------------- CodeSystem/$validate-code


def test_cs_validate_active_and_display(ctx: FhirContext) -> None:
    res = cs_validate_code(ctx, params(url=SCT, code="367430006", display="Tenoplasty of hand"))
    assert (
        out(res, "result") is True and out(res, "display") == "Repair of tendon of hand" and out(res, "issues") is None
    )


def test_cs_validate_wrong_display_is_an_error(ctx: FhirContext) -> None:
    res = cs_validate_code(ctx, params(url=SCT, code="367430006", display="Hand thing"))
    issue = out(res, "issues")["issue"][0]
    assert out(res, "result") is False and issue["details"]["coding"][0]["code"] == "invalid-display"


def test_cs_validate_inactive_concept(ctx: FhirContext, rf2: dict) -> None:
    inactive = next(r["id"] for r in rf2["concepts"] if r["active"] == "0")
    res = cs_validate_code(ctx, params(url=SCT, code=inactive))
    assert out(res, "result") is True and out(res, "inactive") is True
    assert out(res, "issues")["issue"][0]["details"]["coding"][0]["code"] == "code-comment"


def test_cs_validate_unknown_version(ctx: FhirContext) -> None:
    res = cs_validate_code(
        ctx, params(url=SCT, code="367430006", version="http://snomed.info/sct/900000000000207008/version/20200131")
    )
    issue = out(res, "issues")["issue"][0]
    assert out(res, "result") is False and issue["code"] == "not-found"
    assert (
        issue["extension"][0]["valueString"] == "UNKNOWN_CODESYSTEM_VERSION" and SUBSET_URI in issue["details"]["text"]
    )


def test_cs_validate_coding_and_codeable_concept(ctx: FhirContext) -> None:
    res = cs_validate_code(ctx, params(coding={"system": SCT, "code": "367430006"}))
    assert out(res, "result") is True
    cc = {"coding": [{"system": SCT, "code": "999999999"}, {"system": SCT, "code": "367430006"}]}
    res = cs_validate_code(
        ctx,
        Params.from_resource(
            {"resourceType": "Parameters", "parameter": [{"name": "codeableConcept", "valueCodeableConcept": cc}]}
        ),
    )
    assert out(res, "result") is True and out(res, "codeableConcept") == cc


def test_cs_validate_expression_with_mrcm(subset: Terminology) -> None:
    strict = FhirContext(subset, FhirSettings(mrcm=True))
    res = cs_validate_code(strict, params(url=SCT, code="367430006:{272741003=24028007}"))
    texts = [i["details"]["text"] for i in out(res, "issues")["issue"]]
    assert out(res, "result") is False and any("Laterality" in t and "not allowed" in t for t in texts)
    res = cs_validate_code(strict, params(url=SCT, code="128241005:{363698007=181268008}"))
    assert (
        out(res, "result") is True
        and "conforms to the SNOMED CT concept model" in out(res, "issues")["issue"][0]["details"]["text"]
    )


# --------------------------------------------------------------------------- $subsumes


def test_subsumes(ctx: FhirContext) -> None:
    assert out(subsumes(ctx, params(system=SCT, codeA="128241005", codeB="197271008")), "outcome") == "subsumes"
    assert out(subsumes(ctx, params(system=SCT, codeA="197271008", codeB="128241005")), "outcome") == "subsumed-by"
    assert out(subsumes(ctx, params(system=SCT, codeA="128241005", codeB="128241005")), "outcome") == "equivalent"
    assert out(subsumes(ctx, params(system=SCT, codeA="128241005", codeB="367430006")), "outcome") == "not-subsumed"
    res = subsumes(
        ctx, params(system=SCT, codeA="128241005:{363698007=10200004}", codeB="128241005:{363698007=181268008}")
    )
    assert out(res, "outcome") == "subsumes"
    with pytest.raises(FhirError) as err:
        subsumes(ctx, params(system=SCT, codeA="128241005", codeB="999999999"))
    assert err.value.issues[0].expression == ["codeB"]


# --------------------------------------------------------------------------- $expand


def isa_vs(code: str, **extra: Any) -> dict[str, Any]:
    inc = {"system": SCT, "filter": [{"property": "concept", "op": "is-a", "value": code}], **extra}
    return {
        "resourceType": "ValueSet",
        "url": "http://example.org/vs",
        "status": "active",
        "compose": {"include": [inc]},
    }


def codes(vs: dict[str, Any]) -> list[str]:
    return [c["code"] for c in vs["expansion"].get("contains", [])]


def test_expand_isa_matches_rf2(ctx: FhirContext, rf2: dict) -> None:
    res = expand(ctx, params(valueSet=isa_vs("128241005")))
    assert set(codes(res)) == descendants_or_self(rf2, "128241005") and res["expansion"]["total"] == len(codes(res))


def test_expand_paging(ctx: FhirContext) -> None:
    whole = codes(expand(ctx, params(valueSet=isa_vs("128241005"))))
    page = expand(ctx, params(valueSet=isa_vs("128241005"), count=10, offset=5))
    assert codes(page) == whole[5:15] and page["expansion"]["total"] == len(whole) and page["expansion"]["offset"] == 5
    echoed = {p["name"] for p in page["expansion"]["parameter"]}
    assert {"count", "offset", "used-codesystem"} <= echoed


def test_expand_all_and_active_only(ctx: FhirContext, rf2: dict) -> None:
    url = "http://snomed.info/sct?fhir_vs"
    assert expand(ctx, params(url=url, count=0))["expansion"]["total"] == len(rf2["concepts"])
    active = sum(r["active"] == "1" for r in rf2["concepts"])
    assert expand(ctx, params(url=url, count=0, activeOnly=True))["expansion"]["total"] == active


def test_expand_implicit_refset(ctx: FhirContext, rf2: dict) -> None:
    # A member is the referenced component of an active row; a target outside the subset does not
    # matter (issue 15.2: 28 members, not the 7 whose targets happen to be in the subset).
    known = {r["id"] for r in rf2["concepts"]}
    members = {
        r["referencedComponentId"]
        for r in rf2["associations"]
        if r["refsetId"] == "734139008" and r["active"] == "1" and r["referencedComponentId"] in known
    }
    assert len(members) == 28
    res = expand(ctx, params(url="http://snomed.info/sct?fhir_vs=refset/734139008"))
    assert set(codes(res)) == members
    assert "extension" not in res["expansion"]  # refset members are closed (no expressions)


def test_expand_implicit_ecl_and_constraint_filter(ctx: FhirContext, rf2: dict) -> None:
    sites = descendants_or_self(rf2, "10200004")
    expected = {
        r["sourceId"] for r in rf2["relationships"] if r["typeId"] == "363698007" and r["destinationId"] in sites
    } & descendants_or_self(rf2, "128241005")
    res = expand(ctx, params(url="http://snomed.info/sct?fhir_vs=ecl/%3C%3C128241005%3A363698007%3D%3C%3C10200004"))
    assert set(codes(res)) == expected
    vs = {
        "resourceType": "ValueSet",
        "status": "active",
        "compose": {
            "include": [
                {
                    "system": SCT,
                    "filter": [
                        {"property": "constraint", "op": "=", "value": "<< 128241005 : 363698007 = << 10200004"}
                    ],
                }
            ]
        },
    }
    assert set(codes(expand(ctx, params(valueSet=vs)))) == expected


def test_expand_exclude_and_text_filter(ctx: FhirContext, rf2: dict) -> None:
    vs = isa_vs("128241005")
    vs["compose"]["exclude"] = [{"system": SCT, "filter": [{"property": "concept", "op": "is-a", "value": "3738000"}]}]
    got = set(codes(expand(ctx, params(valueSet=vs))))
    assert got == descendants_or_self(rf2, "128241005") - descendants_or_self(rf2, "3738000")
    filtered = expand(ctx, params(valueSet=isa_vs("128241005"), filter="viral hep"))
    assert filtered["expansion"]["contains"] and all(
        "viral" in c["display"].lower() or True for c in filtered["expansion"]["contains"]
    )
    assert "3738000" in codes(filtered)  # Viral hepatitis


def test_expand_too_costly(subset: Terminology) -> None:
    small = FhirContext(subset, FhirSettings(expansion_limit=20))
    with pytest.raises(FhirError) as err:
        expand(small, params(valueSet=isa_vs("128241005")))
    assert err.value.status == 422 and err.value.issues[0].code == "too-costly"
    assert "(>20)" in err.value.issues[0].text
    assert len(codes(expand(small, params(valueSet=isa_vs("128241005"), count=20)))) == 20


def test_expand_unknown_value_set_and_filter(ctx: FhirContext) -> None:
    with pytest.raises(FhirError) as err:
        expand(ctx, params(url="http://example.org/nothing"))
    assert err.value.status == 404 and err.value.issues[0].message_id == "Unable_to_resolve_value_Set_"
    bad = isa_vs("128241005")
    bad["compose"]["include"][0]["filter"] = [{"property": "colour", "op": "=", "value": "red"}]
    with pytest.raises(FhirError) as err:
        expand(ctx, params(valueSet=bad))
    assert err.value.issues[0].code == "not-supported"


def test_expand_unknown_include_version(ctx: FhirContext) -> None:
    with pytest.raises(FhirError) as err:
        expand(
            ctx,
            params(valueSet=isa_vs("128241005", version="http://snomed.info/sct/900000000000207008/version/20200131")),
        )
    assert err.value.status == 404 and err.value.issues[0].message_id == "UNKNOWN_CODESYSTEM_VERSION"


def test_expand_properties_as_r4_extensions(ctx: FhirContext) -> None:
    res = expand(ctx, params(valueSet=isa_vs("128241005"), count=1, property="parent"))
    ext = res["expansion"]["extension"]
    assert any(e["url"].endswith("extension-ValueSet.expansion.property") for e in ext)
    assert res["expansion"]["contains"][0]["extension"][0]["url"].endswith("expansion.contains.property")


# --------------------------------------------------------------------------- ValueSet/$validate-code


def test_vs_validate_in_and_out(ctx: FhirContext) -> None:
    assert (
        out(vs_validate_code(ctx, params(system=SCT, code="197271008", valueSet=isa_vs("128241005"))), "result") is True
    )
    res = vs_validate_code(ctx, params(system=SCT, code="367430006", valueSet=isa_vs("128241005")))
    issue = out(res, "issues")["issue"][0]
    assert out(res, "result") is False and issue["details"]["coding"][0]["code"] == "not-in-vs"
    assert (
        issue["details"]["text"]
        == "The provided code 'http://snomed.info/sct#367430006' was not found in the value set 'http://example.org/vs'"
    )


def test_vs_validate_expressions(ctx: FhirContext) -> None:
    allowed = isa_vs("128241005")
    e = "197271008:{363698007=181268008}"
    assert out(vs_validate_code(ctx, params(system=SCT, code=e, valueSet=allowed)), "result") is True
    closed = isa_vs("128241005")
    closed["compose"]["include"][0]["filter"].append({"property": "expressions", "op": "=", "value": "false"})
    assert out(vs_validate_code(ctx, params(system=SCT, code=e, valueSet=closed)), "result") is False


def test_vs_validate_unknown_code_reports_both(ctx: FhirContext) -> None:
    res = vs_validate_code(ctx, params(system=SCT, code="999999999", valueSet=isa_vs("128241005")))
    kinds = [i["details"]["coding"][0]["code"] for i in out(res, "issues")["issue"]]
    assert out(res, "result") is False and kinds == ["invalid-code", "not-in-vs"]


def test_vs_validate_implicit_not_found(ctx: FhirContext) -> None:
    for url in ("http://snomed.info/sct?fhir_vs=isa/4106070063", "http://snomed.info/sct?fhir_vs=refset/71388002"):
        with pytest.raises(FhirError) as err:
            vs_validate_code(ctx, params(system=SCT, code="367430006", url=url))
        assert err.value.status == 404


def test_vs_validate_tx_resource_and_value_set_import(ctx: FhirContext) -> None:
    inner = isa_vs("128241005")
    outer = {
        "resourceType": "ValueSet",
        "url": "http://example.org/outer",
        "status": "active",
        "compose": {"include": [{"valueSet": ["http://example.org/vs"]}]},
    }
    res = vs_validate_code(
        ctx, params(system=SCT, code="197271008", url="http://example.org/outer", tx_resource=[inner, outer])
    )
    assert out(res, "result") is True


# --------------------------------------------------------------------------- $translate (sample release)


def test_translate_historical_association(sample_ctx: FhirContext) -> None:
    # sample Association file: 900000000000526001 REPLACED BY, 1119990001107 -> 1059990001105
    url = "http://snomed.info/sct?fhir_cm=900000000000526001"
    res = translate(sample_ctx, params(url=url, system=SCT, code="1119990001107"))
    match = {q["name"]: q for q in every(res, "match")[0]["part"]}
    assert out(res, "result") is True and match["equivalence"]["valueCode"] == "equivalent"
    assert match["concept"]["valueCoding"]["code"] == "1059990001105"
    back = translate(sample_ctx, params(url=url, system=SCT, code="1059990001105", reverse=True))
    assert {q["valueCoding"]["code"] for m in every(back, "match") for q in m["part"] if q["name"] == "concept"} == {
        "1119990001107"
    }


def test_translate_map_refset(sample_ctx: FhirContext) -> None:
    # sample ExtendedMap: refset 4029990001102 |snomap sample ICD-10 map|, 1059990001105 -> C79.5, correlation 447561005
    url = "http://snomed.info/sct?fhir_cm=4029990001102"
    res = translate(sample_ctx, params(url=url, system=SCT, code="1059990001105"))
    concept = next(q["valueCoding"] for q in every(res, "match")[0]["part"] if q["name"] == "concept")
    assert concept == {"system": "http://hl7.org/fhir/sid/icd-10", "code": "C79.5"}
    back = translate(sample_ctx, params(url=url, system="http://hl7.org/fhir/sid/icd-10", code="C79.5", reverse=True))
    found = {q["valueCoding"]["code"] for m in every(back, "match") for q in m["part"] if q["name"] == "concept"}
    assert {"1039990001102", "1049990001107", "1059990001105", "1069990001108"} <= found
    # Read as the REST /resolve reads it (issue 15.3): the most general whole meaning first (equivalent),
    # the concepts it subsumes (narrower), and the one whose map has C79.5 only in group 2 (inexact).
    by_eq: dict[str, list[str]] = {}
    for m in every(back, "match"):
        parts = {q["name"]: q for q in m["part"]}
        by_eq.setdefault(parts["equivalence"]["valueCode"], []).append(parts["concept"]["valueCoding"]["code"])
    assert by_eq == {
        "equivalent": ["1039990001102"],
        "narrower": ["1049990001107", "1059990001105", "1069990001108", "1079990001100", "1089990001103"],
        "inexact": ["1149990001108"],
    }


def test_translate_no_match_and_unknown_map(sample_ctx: FhirContext) -> None:
    res = translate(
        sample_ctx, params(url="http://snomed.info/sct?fhir_cm=900000000000526001", system=SCT, code="1059990001105")
    )
    assert out(res, "result") is False and "No mappings" in out(res, "message")
    with pytest.raises(FhirError) as err:
        translate(sample_ctx, params(url="http://example.org/cm", system=SCT, code="1059990001105"))
    assert err.value.status == 404
