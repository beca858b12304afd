"""Issue 15, section 4: FHIR and REST terminology details checked on the real SNOMED CT subset.

Every expectation is read by hand from the subset's RF2 files (named beside each), from HL7's
tx-ecosystem test files (``sct/ecl/*``, the conventions of ``../shared/fhir-tx``) or from the
specifications cited; none is computed by the code under test.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app

pytestmark = pytest.mark.real_release

SCT = "http://snomed.info/sct"
SUBSET_URI = "http://snomed.info/xsct/31000003106/version/20250909"
TX_ISSUE_TYPE = "http://hl7.org/fhir/tools/CodeSystem/tx-issue-type"
MESSAGE_ID = "http://hl7.org/fhir/StructureDefinition/operationoutcome-message-id"

# sct2_Concept_Snapshot_INT_20250909.txt / sct2_Description_Snapshot-en_INT_20250909.txt of the subset:
DISEASE = "64572001"  # Disease (disorder), active, primitive (900000000000074008)
LIVER = "10200004"  # Liver structure (body structure), active
CELLULITIS = "128045006"  # Cellulitis (disorder), fully defined (900000000000073002)
APPENDICITIS = "74400008"  # Appendicitis (disorder), active
APPENDICITIS_NOS = "307530000"  # Appendicitis NOS (disorder), active = 0


@pytest.fixture(scope="module")
def app(subset_index: Path) -> Flask:
    return create_app({"SNOMAP_INDEX": str(subset_index), "TESTING": True})


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _vs(ecl: str, url: str = "http://example.org/vs") -> dict[str, Any]:
    return {
        "resourceType": "ValueSet",
        "url": url,
        "status": "active",
        "compose": {"include": [{"system": SCT, "filter": [{"property": "constraint", "op": "=", "value": ecl}]}]},
    }


def _expand(client: FlaskClient, ecl: str) -> Any:
    body = {"resourceType": "Parameters", "parameter": [{"name": "valueSet", "resource": _vs(ecl)}]}
    return client.post("/fhir/ValueSet/$expand", json=body)


# --------------------------------------------------------------------------- invalid ECL -> vs-invalid


@pytest.mark.parametrize(
    ("ecl", "position", "says"),
    [
        # tx-ecosystem sct/ecl/expand-ecl-trailing-tokens: "<< 10200004" then a second "<<" at offset 12
        ("<< 10200004 <<", 12, "<< 10200004 <<"),
        # sct/ecl/expand-ecl-missing-focus: the focus is missing at the end of the text (offset 2)
        ("<<", 2, "<<"),
        # sct/ecl/expand-ecl-invalid-sctid: "abc" (offset 3) is no SCTID
        ("<< abc", 3, "abc"),
        # 73211009 |Diabetes mellitus| is a well-formed SCTID (Verhoeff digit 9) that the subset's
        # concept file does not hold: "Unknown SNOMED Concept Id" (tx.fhir.org's wording, quoted in
        # sct/ecl/expand-ecl-unknown-concept-response.json); it starts at offset 2
        ("< 73211009", 2, "Unknown SNOMED Concept Id: 73211009"),
        # sct/ecl/expand-ecl-ambiguous-precedence: OR and AND mixed without brackets (ECL 2.2 section 6.6);
        # the AND is at offset 28
        ("<< 128045006 OR << 10200004 AND << 64572001", 28, "brackets"),
    ],
)
def test_invalid_ecl_is_a_vs_invalid_operation_outcome_with_the_position(
    client: FlaskClient, ecl: str, position: int, says: str
) -> None:
    resp = _expand(client, ecl)
    assert resp.status_code == 400
    outcome = resp.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    (issue,) = outcome["issue"]
    # The shape of sct/ecl/expand-ecl-*-response.json: error, invalid, vs-invalid, INVALID_ECL, no expression
    assert issue["severity"] == "error" and issue["code"] == "invalid"
    assert issue["details"]["coding"] == [{"system": TX_ISSUE_TYPE, "code": "vs-invalid"}]
    assert issue["extension"] == [{"url": MESSAGE_ID, "valueString": "INVALID_ECL"}]
    assert "expression" not in issue
    assert f"'{ecl}'" in issue["details"]["text"] and says in issue["details"]["text"]
    assert f"character {position}" in issue["details"]["text"]
    assert issue["diagnostics"] == f"position={position}"


def test_invalid_ecl_in_an_implicit_value_set_url_is_vs_invalid_too(client: FlaskClient) -> None:
    url = urllib.parse.quote(f"{SCT}?fhir_vs=ecl/< 73211009", safe="")
    resp = client.get(f"/fhir/ValueSet/$expand?url={url}")
    assert resp.status_code == 400
    assert resp.get_json()["issue"][0]["details"]["coding"][0]["code"] == "vs-invalid"


# --------------------------------------------------------------------------- compose echoed as sent


def test_the_expansion_echoes_the_ecl_text_exactly_as_sent(client: FlaskClient) -> None:
    # Odd spacing, no space before AND, and a comment: a re-serialised filter would differ.
    ecl = "(<< 10200004  OR << 128045006)AND << 64572001 /* liver or cellulitis, diseases only */"
    resp = _expand(client, ecl)
    assert resp.status_code == 200, resp.get_json()
    vs = resp.get_json()
    assert vs["compose"] == _vs(ecl)["compose"]
    # Of the two, only 128045006 |Cellulitis| is under 64572001 |Disease| (its is-a row, relationship file);
    # the liver structures are body structures (sct/ecl/expand-ecl-grouped-or expects the same one code).
    assert [c["code"] for c in vs["expansion"]["contains"]] == [CELLULITIS]


# --------------------------------------------------------------------------- expressions against every ECL operator


EXPRESSION = f"{DISEASE} : 363698007 = {LIVER}"  # a disease with finding site liver structure


@pytest.mark.parametrize(
    ("ecl", "expected"),
    [
        # sct/ecl/validate-code-ecl-minus-expr-in: 128045006 |Cellulitis| is fully defined as a Disease with
        # 116676008 |Associated morphology| = 385627004 |Cellulitis| (its two inferred relationships). The
        # expression has no associated morphology at all, so it is not a cellulitis: MINUS keeps it.
        (f"<< {DISEASE} MINUS << {CELLULITIS}", True),
        (f"<< {CELLULITIS}", False),
        # a disease is a clinical finding: 64572001 is-a 404684003 (relationship file)
        (f"<< {DISEASE} AND << 404684003", True),
        (f"<< {DISEASE} MINUS << {DISEASE}", False),
        # OR with a member-of: an expression is never a refset member, the other side holds
        (f"^ 900000000000526001 OR << {DISEASE}", True),
        ("^ 900000000000526001", False),
        # refinements: the finding site matches (value << liver), a morphology the expression lacks does not
        (f"<< {DISEASE} : 363698007 = << {LIVER}", True),
        (f"<< {DISEASE} : 116676008 = *", False),
        (f"<< {DISEASE} MINUS (<< {DISEASE} : 116676008 = *)", True),
        (f"<< {DISEASE} MINUS (<< {DISEASE} : 363698007 = << {LIVER})", False),
    ],
)
def test_validate_code_of_an_expression_against_an_ecl_value_set(client: FlaskClient, ecl: str, expected: bool) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "valueSet", "resource": _vs(ecl)},
            {"name": "system", "valueUri": SCT},
            {"name": "code", "valueCode": EXPRESSION},
        ],
    }
    resp = client.post("/fhir/ValueSet/$validate-code", json=body)
    assert resp.status_code == 200, resp.get_json()
    result = {p["name"]: p for p in resp.get_json()["parameter"]}["result"]["valueBoolean"]
    assert result is expected


# --------------------------------------------------------------------------- ECL "= *" on a concrete attribute


def test_wildcard_value_of_a_concrete_attribute_matches_the_concepts_that_have_it(client: FlaskClient) -> None:
    # sct2_RelationshipConcreteValues_Snapshot_INT_20250909.txt: 1142135004 has one active row
    # (28511000003027: 329238006 #4000); 1142139005 has four (sources 1204474000, 776168003,
    # 329238006, 779430005).
    def codes(ecl: str) -> list[str]:
        resp = client.get("/api/v1/ecl", query_string={"ecl": ecl, "limit": 100})
        assert resp.status_code == 200, resp.get_json()
        return sorted(i["conceptId"] for i in resp.get_json()["items"])

    assert codes("* : 1142135004 = *") == ["329238006"]
    assert codes("* : 1142139005 = *") == ["1204474000", "329238006", "776168003", "779430005"]
    assert codes("* : { 1142135004 = * }") == ["329238006"]
    assert codes("* : 1142135004 != *") == []


# --------------------------------------------------------------------------- search carries FSN and semantic tag


def test_search_results_carry_the_fsn_and_semantic_tag(client: FlaskClient) -> None:
    # Description file: 45024009 FSN "Hepatoblastoma (morphologic abnormality)", 109843000 FSN
    # "Hepatoblastoma (disorder)"; both have the synonym "Hepatoblastoma".
    items = client.get("/api/v1/search?q=Hepatoblastoma").get_json()["items"]
    by_id = {i["conceptId"]: i for i in items}
    assert by_id["45024009"]["pt"] == by_id["109843000"]["pt"] == "Hepatoblastoma"
    assert by_id["45024009"]["fsn"] == "Hepatoblastoma (morphologic abnormality)"
    assert by_id["45024009"]["semanticTag"] == "morphologic abnormality"
    assert by_id["109843000"]["fsn"] == "Hepatoblastoma (disorder)"
    assert by_id["109843000"]["semanticTag"] == "disorder"


# --------------------------------------------------------------------------- inactive concepts in subsumption


def test_rest_subsumes_warns_about_an_inactive_concept(client: FlaskClient) -> None:
    body = client.get(f"/api/v1/subsumes?a={APPENDICITIS}&b={APPENDICITIS_NOS}").get_json()
    # 307530000 is inactive (active = 0), so it has no is-a rows: not-subsumed, with a warning naming it
    assert body["outcome"] == "not-subsumed"
    assert len(body["warnings"]) == 1 and APPENDICITIS_NOS in body["warnings"][0] and "inactive" in body["warnings"][0]
    assert "warnings" not in client.get(f"/api/v1/subsumes?a={DISEASE}&b={CELLULITIS}").get_json()


def test_fhir_subsumes_warns_about_an_inactive_concept(client: FlaskClient) -> None:
    q = f"system={SCT}&codeA={APPENDICITIS}&codeB={APPENDICITIS_NOS}"
    params = client.get(f"/fhir/CodeSystem/$subsumes?{q}").get_json()["parameter"]
    by_name = {p["name"]: p for p in params}
    assert by_name["outcome"]["valueCode"] == "not-subsumed"
    (issue,) = by_name["issues"]["resource"]["issue"]
    # The INACTIVE_CONCEPT_FOUND warning $validate-code gives (sct/validate-code-inactive-display-response.json)
    assert issue["severity"] == "warning" and issue["code"] == "business-rule"
    assert issue["details"]["coding"] == [{"system": TX_ISSUE_TYPE, "code": "code-comment"}]
    assert issue["expression"] == ["codeB"]
    ok = client.get(f"/fhir/CodeSystem/$subsumes?system={SCT}&codeA={DISEASE}&codeB={CELLULITIS}").get_json()
    assert [p["name"] for p in ok["parameter"]] == ["outcome"] and ok["parameter"][0]["valueCode"] == "subsumes"


# --------------------------------------------------------------------------- unknown languages are refused


def test_rest_refuses_an_unknown_lang(client: FlaskClient) -> None:
    resp = client.get(f"/api/v1/concepts/{APPENDICITIS}?lang=fr")
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["field"] == "lang" and "'fr'" in problem["detail"] and "en-GB" in problem["detail"]
    # Known dialects and lists with one known tag are answered
    assert client.get(f"/api/v1/concepts/{APPENDICITIS}?lang=en-GB").status_code == 200
    assert client.get(f"/api/v1/concepts/{APPENDICITIS}?lang=fr,en-US;q=0.5").status_code == 200
    resp = client.post("/api/v1/resolve", json={"codes": [APPENDICITIS], "lang": "de"})
    assert resp.status_code == 400 and resp.get_json()["field"] == "lang"


def test_fhir_refuses_an_unknown_display_language(client: FlaskClient) -> None:
    resp = client.get(f"/fhir/CodeSystem/$lookup?system={SCT}&code={APPENDICITIS}&displayLanguage=fr")
    assert resp.status_code == 400
    (issue,) = resp.get_json()["issue"]
    assert issue["severity"] == "error" and issue["expression"] == ["displayLanguage"]
    assert "'fr'" in issue["details"]["text"]
    ok = client.get(f"/fhir/CodeSystem/$lookup?system={SCT}&code={APPENDICITIS}&displayLanguage=en-GB")
    assert ok.status_code == 200


# --------------------------------------------------------------------------- one edition URI, REST chooses versions


def test_rest_and_fhir_report_the_same_edition_uri(client: FlaskClient) -> None:
    ready = client.get("/readyz").get_json()
    caps = client.get("/fhir/metadata?mode=terminology").get_json()
    fhir_uris = [v["code"] for v in caps["codeSystem"][0]["version"]]
    # The subset's edition module 31000003106 is no published edition: xsct (docs/fhir.md)
    assert ready["release"]["uri"] == SUBSET_URI == fhir_uris[0]
    assert ready["versions"] == fhir_uris


def test_rest_chooses_among_loaded_editions(sample_index: Path, subset_index: Path) -> None:
    app = create_app({"SNOMAP_INDEX": str(sample_index), "SNOMAP_FHIR_EDITIONS": [str(subset_index)], "TESTING": True})
    client = app.test_client()
    sample_uri = "http://snomed.info/xsct/19990001103/version/20250301"  # sample_data's module dependency rows
    assert client.get("/readyz").get_json()["versions"] == [sample_uri, SUBSET_URI]
    # 10200004 is in the subset, not in the sample release
    assert client.get(f"/api/v1/concepts/{LIVER}").status_code == 404
    by_query = client.get(f"/api/v1/concepts/{LIVER}?version={urllib.parse.quote(SUBSET_URI, safe='')}")
    assert by_query.status_code == 200 and by_query.get_json()["pt"] == "Liver structure"
    by_header = client.get(f"/api/v1/concepts/{LIVER}", headers={"Accept-Version": "20250909"})
    assert by_header.status_code == 200
    assert client.get("/readyz", headers={"Accept-Version": SUBSET_URI}).get_json()["release"]["uri"] == SUBSET_URI
    # a version that is not loaded: 404 problem naming the loaded ones
    resp = client.get(f"/api/v1/concepts/{LIVER}?version=20240101")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["field"] == "version" and problem["versions"] == [sample_uri, SUBSET_URI]
    assert SUBSET_URI in problem["detail"] and sample_uri in problem["detail"]


def test_validating_an_expression_against_an_invalid_ecl_value_set_is_vs_invalid(client: FlaskClient) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "valueSet", "resource": _vs("<< 64572001 MINUS")},  # MINUS without its right operand
            {"name": "system", "valueUri": SCT},
            {"name": "code", "valueCode": EXPRESSION},
        ],
    }
    resp = client.post("/fhir/ValueSet/$validate-code", json=body)
    assert resp.status_code == 400
    assert resp.get_json()["issue"][0]["details"]["coding"][0]["code"] == "vs-invalid"
