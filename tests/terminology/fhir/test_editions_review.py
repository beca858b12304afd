"""Several editions side by side: the corners a review found (versions named by codings, by request
parameters and by implicit value set urls; reverse $translate of another code system's version).

Two releases are loaded, as in test_editions.py: the sample (the default edition,
http://snomed.info/xsct/19990001103/version/20250301, from its ModuleDependency rows) and the
tx-ecosystem subset (http://snomed.info/xsct/31000003106/version/20250909).  Facts from the RF2 files:

* 94381002 is in the subset's sct2_Concept file and not in the sample's; its preferred term in both
  English language refsets is description 156294011 "Metastatic malignant neoplasm to liver".
* 14914931000119107 is in the subset only, with no active is-a row naming it as destinationId (a
  leaf); its synonym 5362624017 "Metastatic Merkel cell carcinoma to liver" is preferred in both
  language refsets (900000000000508004 and 900000000000509007).
* 64572001 |Disease| is in both; 94381002 is below it in the subset (is-a 93870000 -> ... -> 64572001).
* The sample's ExtendedMap refset 4029990001102 maps 1059990001105 (ilium metastasis) to C79.5
  (der2_iisssccRefset_ExtendedMapSnapshot, line 4).
"""

from __future__ import annotations

from typing import Any

import pytest

from terminology.fhir import FhirContext, FhirError, Params, expand, translate, vs_validate_code

from .conftest import SAMPLE_URI, value_set
from .test_operations import SCT, SUBSET_URI, out, params

SUBSET_ONLY, SUBSET_LEAF = "94381002", "14914931000119107"
ICD10 = "http://hl7.org/fhir/sid/icd-10"

pytestmark = pytest.mark.real_release


DISEASES = {"system": SCT, "filter": [{"property": "concept", "op": "is-a", "value": "64572001"}]}


def _codes(r: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["code"], c["display"]) for c in r["expansion"].get("contains", [])]


def _used(r: dict[str, Any]) -> list[str]:
    return [p["valueUri"] for p in r["expansion"]["parameter"] if p["name"] == "used-codesystem"]


# --------------------------------------------------------------------------- the version a coding names


def test_a_coding_version_applies_to_includes_that_name_none(ctx: FhirContext) -> None:
    # docs/fhir.md: "a coding's version -> that one"; the include names no version, so the code is
    # looked for in the subset, where 94381002 is a Disease.
    coding = {"system": SCT, "code": SUBSET_ONLY, "version": SUBSET_URI}
    r = vs_validate_code(ctx, params(valueSet=value_set(DISEASES), coding=coding))
    assert out(r, "result") is True
    assert out(r, "version") == SUBSET_URI
    assert out(r, "display") == "Metastatic malignant neoplasm to liver"


def test_the_version_parameter_applies_to_includes_that_name_none(ctx: FhirContext) -> None:
    r = vs_validate_code(ctx, params(valueSet=value_set(DISEASES), system=SCT, code=SUBSET_ONLY, version=SUBSET_URI))
    assert out(r, "result") is True and out(r, "version") == SUBSET_URI


def test_a_codeable_concept_whose_codings_name_different_versions(ctx: FhirContext) -> None:
    # coding[0] is a sample-only concept named in the sample, coding[1] a subset-only one named in the
    # subset: each is a Disease in the version it names, so both are in the value set.
    cc = {
        "coding": [
            {"system": SCT, "code": "1009990001109", "version": SAMPLE_URI},
            {"system": SCT, "code": SUBSET_ONLY, "version": SUBSET_URI},
        ]
    }
    request = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "valueSet", "resource": value_set(DISEASES)},
            {"name": "codeableConcept", "valueCodeableConcept": cc},
        ],
    }
    r = vs_validate_code(ctx, Params.from_resource(request))
    assert out(r, "result") is True
    assert out(r, "issues") is None  # neither coding is reported as unknown or outside the value set


def test_a_pinned_include_still_wins_over_the_coding_version(ctx: FhirContext) -> None:
    # The include pins the sample; the subset-only concept is not there, whatever the coding says.
    pinned = {**DISEASES, "version": SAMPLE_URI}
    coding = {"system": SCT, "code": SUBSET_ONLY, "version": SUBSET_URI}
    r = vs_validate_code(ctx, params(valueSet=value_set(pinned), coding=coding))
    assert out(r, "result") is False


# --------------------------------------------------------------------------- implicit value sets and request versions


def test_expanding_an_implicit_value_set_with_system_version(ctx: FhirContext) -> None:
    # The isa concept exists only in the edition system-version names: that is where it is looked up.
    url = f"{SCT}?fhir_vs=isa/{SUBSET_LEAF}"
    r = expand(ctx, params(url=url, system_version=f"{SCT}|{SUBSET_URI}"))
    assert _codes(r) == [(SUBSET_LEAF, "Metastatic Merkel cell carcinoma to liver")]
    assert _used(r) == [f"{SCT}|{SUBSET_URI}"]


def test_expanding_an_implicit_value_set_with_force_system_version(ctx: FhirContext) -> None:
    url = f"{SCT}?fhir_vs=isa/{SUBSET_LEAF}"
    r = expand(ctx, params(url=url, **{"force-system-version": f"{SCT}|{SUBSET_URI}"}))
    assert _codes(r) == [(SUBSET_LEAF, "Metastatic Merkel cell carcinoma to liver")]


def test_validating_against_an_implicit_value_set_with_system_version(ctx: FhirContext) -> None:
    url = f"{SCT}?fhir_vs=isa/{SUBSET_LEAF}"
    r = vs_validate_code(ctx, params(url=url, system=SCT, code=SUBSET_LEAF, system_version=f"{SCT}|{SUBSET_URI}"))
    assert out(r, "result") is True and out(r, "version") == SUBSET_URI


def test_an_imported_implicit_value_set_follows_system_version(ctx: FhirContext) -> None:
    vs = value_set({"valueSet": [f"{SCT}?fhir_vs=isa/{SUBSET_LEAF}"]})
    r = expand(ctx, params(valueSet=vs, system_version=f"{SCT}|{SUBSET_URI}"))
    assert _codes(r) == [(SUBSET_LEAF, "Metastatic Merkel cell carcinoma to liver")]


def test_a_versioned_implicit_value_set_of_a_version_not_loaded(ctx: FhirContext) -> None:
    # docs/fhir.md: anything naming a version that is not loaded gets UNKNOWN_CODESYSTEM_VERSION,
    # with every loaded version listed.
    url = "http://snomed.info/sct/900000000000207008/version/20250201?fhir_vs=isa/64572001"
    with pytest.raises(FhirError) as e:
        expand(ctx, params(url=url))
    assert e.value.status == 404
    issue = e.value.issues[0]
    assert issue.message_id == "UNKNOWN_CODESYSTEM_VERSION"
    assert f"{SAMPLE_URI},{SUBSET_URI}" in issue.text


# --------------------------------------------------------------------------- $translate


def test_reverse_translate_with_the_target_systems_version(ctx: FhirContext) -> None:
    # In reverse the coding is an ICD-10 code: its version is ICD-10's, not a SNOMED CT version.
    coding = {"system": ICD10, "code": "C79.5", "version": "2019"}
    r = translate(ctx, params(url=f"{SCT}?fhir_cm=4029990001102", coding=coding, reverse=True))
    assert out(r, "result") is True
    targets = [p for p in r["parameter"] if p["name"] == "match"]
    codes = {part["valueCoding"]["code"] for m in targets for part in m["part"] if part["name"] == "concept"}
    assert "1059990001105" in codes


# --------------------------------------------------------------------------- malformed versions


def test_an_include_version_that_is_not_a_string_is_an_unknown_version_not_a_crash(ctx: FhirContext) -> None:
    # ValueSet.compose.include.version is a FHIR string; a JSON number (20250301) used to raise
    # AttributeError (a 500) in the version selection.
    vs = value_set({"system": SCT, "version": 20250301, "concept": [{"code": "64572001"}]})
    with pytest.raises(FhirError) as e:
        expand(ctx, params(valueSet=vs))
    assert e.value.status == 404 and e.value.issues[0].message_id == "UNKNOWN_CODESYSTEM_VERSION"
    r = vs_validate_code(ctx, params(valueSet=vs, system=SCT, code="64572001"))
    assert out(r, "result") is False


# --------------------------------------------------------------------------- imports across editions


def test_an_imported_value_set_pinned_to_another_edition(ctx: FhirContext) -> None:
    # The imported value set pins the subset; the importing one names no version of its own.
    inner = {**value_set({**DISEASES, "version": SUBSET_URI}), "url": "http://example.org/inner"}
    outer = {**value_set({"valueSet": ["http://example.org/inner"]}), "url": "http://example.org/outer"}
    r = vs_validate_code(ctx, params(valueSet=outer, tx_resource=inner, system=SCT, code=SUBSET_ONLY))
    assert out(r, "result") is True and out(r, "version") == SUBSET_URI
    e = expand(
        ctx,
        params(
            valueSet={
                **outer,
                "compose": {
                    "include": [{"valueSet": ["http://example.org/inner"]}],
                    "exclude": [
                        {
                            "system": SCT,
                            "version": SUBSET_URI,
                            "filter": [{"property": "concept", "op": "descendent-of", "value": SUBSET_ONLY}],
                        }
                    ],
                },
            },
            tx_resource=inner,
            filter="liver",
        ),
    )
    assert _used(e) == [f"{SCT}|{SUBSET_URI}"]
    assert (SUBSET_ONLY, "Metastatic malignant neoplasm to liver") in _codes(e)
    assert SUBSET_LEAF not in {code for code, _ in _codes(e)}  # a descendant of 94381002: excluded
