"""Several SNOMED CT editions behind one FHIR API: which version answers which request.

Two real releases are loaded side by side: the built-in sample (the default
edition) and the tx-ecosystem subset.  Their URIs come from their ModuleDependency
rows: the sample's module 19990001103 at sourceEffectiveTime 20250301, the subset's
module 31000003106 at 20250909; neither module is a published edition, so both are
``xsct`` URIs.  Concepts: 1009990001109 |Neoplastic disease| exists only in the
sample; 94381002, whose preferred term in both English refsets is "Metastatic
malignant neoplasm to liver" (description 156294011), only in the subset; 64572001
|Disease|, 363698007 |Finding site| and 123037004 |Body structure| in both.
"""

from __future__ import annotations

import pytest

from terminology import Terminology
from terminology.fhir import (
    FhirContext,
    FhirError,
    FhirSettings,
    cs_validate_code,
    expand,
    lookup,
    subsumes,
    terminology_capabilities,
    vs_validate_code,
)

from .conftest import SAMPLE_URI, value_set
from .test_operations import SCT, SUBSET_URI, out, params

SAMPLE_ONLY, SUBSET_ONLY = "1009990001109", "94381002"
EXPRESSION = "64572001:363698007=123037004"

pytestmark = pytest.mark.real_release


def test_a_request_naming_no_version_gets_the_default_edition(ctx: FhirContext) -> None:
    r = lookup(ctx, params(system=SCT, code=SAMPLE_ONLY))
    assert out(r, "version") == SAMPLE_URI and out(r, "display") == "Neoplastic disease"
    with pytest.raises(FhirError) as e:
        lookup(ctx, params(system=SCT, code=SUBSET_ONLY))
    assert e.value.status == 404 and SAMPLE_URI in e.value.issues[0].text


@pytest.mark.parametrize(
    "version",
    [
        SUBSET_URI,
        "http://snomed.info/sct/31000003106/version/20250909",
        "http://snomed.info/xsct/31000003106",
        "20250909",
    ],
)
def test_a_version_selects_its_edition_in_every_accepted_form(ctx: FhirContext, version: str) -> None:
    r = lookup(ctx, params(system=SCT, code=SUBSET_ONLY, version=version))
    assert out(r, "version") == SUBSET_URI
    assert out(r, "display") == "Metastatic malignant neoplasm to liver"


def test_an_unknown_version_lists_every_loaded_one(ctx: FhirContext) -> None:
    r = cs_validate_code(
        ctx, params(url=SCT, code="64572001", version="http://snomed.info/sct/900000000000207008/version/20250201")
    )
    assert out(r, "result") is False
    text = out(r, "issues")["issue"][0]["details"]["text"]
    assert f"Valid versions: {SAMPLE_URI},{SUBSET_URI}" in text


def test_value_set_include_pinned_to_the_other_edition(ctx: FhirContext) -> None:
    vs = value_set(
        {"system": SCT, "version": SUBSET_URI, "filter": [{"property": "concept", "op": "is-a", "value": "64572001"}]}
    )
    # A subset-only concept the include holds: found, and reported in the subset's version.
    r = vs_validate_code(ctx, params(valueSet=vs, system=SCT, code=SUBSET_ONLY))
    assert out(r, "result") is True and out(r, "version") == SUBSET_URI
    assert out(r, "display") == "Metastatic malignant neoplasm to liver"


def test_a_code_outside_the_value_set_is_reported_in_the_version_it_was_checked_in(ctx: FhirContext) -> None:
    # As tx.fhir.org does for HL7's validate-code-pc-none: the include pins the subset and forbids
    # expressions; the request names no version, so the code itself is checked in the default edition.
    include = {
        "system": SCT,
        "version": SUBSET_URI,
        "filter": [
            {"property": "concept", "op": "is-a", "value": "64572001"},
            {"property": "expressions", "op": "=", "value": "false"},
        ],
    }
    r = vs_validate_code(ctx, params(valueSet=value_set(include), system=SCT, code=EXPRESSION))
    assert out(r, "result") is False and out(r, "version") == SAMPLE_URI
    issue = out(r, "issues")["issue"][0]
    assert issue["details"]["coding"][0]["code"] == "not-in-vs"


def test_expansion_is_made_in_the_version_its_includes_name(ctx: FhirContext) -> None:
    vs = value_set({"system": SCT, "version": SUBSET_URI, "concept": [{"code": SUBSET_ONLY}]})
    r = expand(ctx, params(valueSet=vs))
    used = [p["valueUri"] for p in r["expansion"]["parameter"] if p["name"] == "used-codesystem"]
    assert used == [f"{SCT}|{SUBSET_URI}"]
    assert [(c["code"], c["display"]) for c in r["expansion"]["contains"]] == [
        (SUBSET_ONLY, "Metastatic malignant neoplasm to liver")
    ]


def test_expansion_mixing_two_versions_is_refused(ctx: FhirContext) -> None:
    vs = value_set({"system": SCT, "version": SUBSET_URI, "concept": [{"code": SUBSET_ONLY}]})
    vs["compose"]["include"].append({"system": SCT, "version": SAMPLE_URI, "concept": [{"code": SAMPLE_ONLY}]})
    with pytest.raises(FhirError) as e:
        expand(ctx, params(valueSet=vs))
    assert e.value.issues[0].code == "not-supported"
    assert SUBSET_URI in e.value.issues[0].text and SAMPLE_URI in e.value.issues[0].text


def test_force_system_version_overrides_the_value_sets_own(ctx: FhirContext) -> None:
    vs = value_set(
        {"system": SCT, "version": SAMPLE_URI, "filter": [{"property": "concept", "op": "is-a", "value": "64572001"}]}
    )
    r = vs_validate_code(
        ctx, params(valueSet=vs, system=SCT, code=SUBSET_ONLY, **{"force-system-version": f"{SCT}|{SUBSET_URI}"})
    )
    assert out(r, "result") is True and out(r, "version") == SUBSET_URI


def test_subsumption_across_versions_is_refused(ctx: FhirContext) -> None:
    with pytest.raises(FhirError) as e:
        subsumes(
            ctx,
            params(system=SCT, codingA={"system": SCT, "code": "64572001", "version": SUBSET_URI}, codeB="64572001"),
        )
    assert e.value.status == 400
    r = subsumes(ctx, params(system=SCT, version=SUBSET_URI, codeA="64572001", codeB=SUBSET_ONLY))
    assert out(r, "outcome") == "subsumes"


def test_terminology_capabilities_list_every_version_default_first(ctx: FhirContext) -> None:
    tc = terminology_capabilities(ctx, "http://localhost/fhir")
    versions = [(v["code"], v["isDefault"]) for v in tc["codeSystem"][0]["version"]]
    assert versions == [(SAMPLE_URI, True), (SUBSET_URI, False)]


def test_the_same_edition_twice_is_refused(sample: Terminology) -> None:
    with pytest.raises(ValueError, match="loaded twice"):
        _ = FhirContext(sample, FhirSettings(), (sample,)).loaded
