"""The /fhir blueprint over HTTP: GET and POST, content negotiation, OperationOutcome errors, settings.

Uses the fictional sample release (sample_data/release); expected terms and ids are
those of its RF2 files (see sample_data/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app

SCT = "http://snomed.info/sct"
BENIGN_BONE = "1179990001101"  # en-US PT "Benign tumor of bone", en-GB PT "Benign tumour of bone"
FHIR_JSON = "application/fhir+json"


def make(index: Path, **config: Any) -> Flask:
    return create_app({"SNOMAP_INDEX": str(index), "TESTING": True, **config})


def params(**kw: Any) -> dict[str, Any]:
    items = []
    for k, v in kw.items():
        if isinstance(v, bool):
            items.append({"name": k, "valueBoolean": v})
        elif isinstance(v, int):
            items.append({"name": k, "valueInteger": v})
        else:
            items.append({"name": k, "valueString": v})
    return {"resourceType": "Parameters", "parameter": items}


def value(body: dict[str, Any], name: str) -> Any:
    p = next(p for p in body["parameter"] if p["name"] == name)
    return next(v for k, v in p.items() if k.startswith("value"))


def post(client: FlaskClient, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(f"/fhir/{path}", data=json.dumps(body), headers={"Content-Type": FHIR_JSON, **headers})


def test_metadata(client: FlaskClient) -> None:
    r = client.get("/fhir/metadata")
    assert r.status_code == 200 and r.mimetype == FHIR_JSON
    cs = r.get_json(force=True)
    assert cs["resourceType"] == "CapabilityStatement" and cs["fhirVersion"] == "4.0.1"
    ops = {(res["type"], o["name"]) for res in cs["rest"][0]["resource"] for o in res["operation"]}
    assert ("CodeSystem", "lookup") in ops and ("ValueSet", "expand") in ops and ("ConceptMap", "translate") in ops
    tc = client.get("/fhir/metadata?mode=terminology").get_json(force=True)
    assert tc["resourceType"] == "TerminologyCapabilities"
    # sample ModuleDependency: edition module 19990001103 (not a published edition), 20250301
    assert tc["codeSystem"][0]["version"][0]["code"] == "http://snomed.info/xsct/19990001103/version/20250301"


def test_versions(client: FlaskClient) -> None:
    body = client.get("/fhir/$versions").get_json(force=True)
    assert value(body, "default") == "4.0"


def test_get_and_post_give_the_same_answer(client: FlaskClient) -> None:
    got = client.get(f"/fhir/CodeSystem/$lookup?system={SCT}&code={BENIGN_BONE}").get_json(force=True)
    posted = post(client, "CodeSystem/$lookup", params(system=SCT, code=BENIGN_BONE)).get_json(force=True)
    assert got == posted and value(got, "display") == "Benign tumor of bone"


def test_language_from_header_and_parameter(client: FlaskClient) -> None:
    r = client.get(f"/fhir/CodeSystem/$lookup?system={SCT}&code={BENIGN_BONE}", headers={"Accept-Language": "en-GB"})
    assert value(r.get_json(force=True), "display") == "Benign tumour of bone"
    r = client.get(f"/fhir/CodeSystem/$lookup?system={SCT}&code={BENIGN_BONE}&displayLanguage=en-GB")
    assert value(r.get_json(force=True), "display") == "Benign tumour of bone"


def test_validate_code_get(client: FlaskClient) -> None:
    r = client.get(f"/fhir/ValueSet/$validate-code?url={SCT}?fhir_vs=isa/404684003&system={SCT}&code={BENIGN_BONE}")
    assert r.status_code == 200 and value(r.get_json(force=True), "result") is True


def test_content_negotiation(client: FlaskClient) -> None:
    r = client.get("/fhir/metadata", headers={"Accept": "application/fhir+xml"})
    assert r.status_code == 406 and r.get_json(force=True)["resourceType"] == "OperationOutcome"
    assert client.get("/fhir/metadata?_format=json").mimetype == "application/json"
    assert client.get("/fhir/metadata", headers={"Accept": "application/json"}).mimetype == "application/json"
    assert client.get("/fhir/metadata", headers={"Accept": "*/*"}).mimetype == FHIR_JSON


@pytest.mark.parametrize(
    ("data", "ctype", "status"),
    [
        ("code=1", "text/plain", 415),
        ("{not json", FHIR_JSON, 400),
        ('{"resourceType": "Patient"}', FHIR_JSON, 400),
    ],
)
def test_bad_bodies_are_operation_outcomes(client: FlaskClient, data: str, ctype: str, status: int) -> None:
    r = client.post("/fhir/CodeSystem/$lookup", data=data, headers={"Content-Type": ctype})
    assert r.status_code == status and r.get_json(force=True)["resourceType"] == "OperationOutcome"


def test_unknown_paths_and_methods(client: FlaskClient) -> None:
    r = client.get("/fhir/Patient/1")
    assert r.status_code == 404 and r.get_json(force=True)["resourceType"] == "OperationOutcome"
    r = client.put("/fhir/CodeSystem/$lookup", data="{}")
    assert r.status_code == 405 and r.get_json(force=True)["issue"][0]["code"] == "not-supported"


def test_errors(client: FlaskClient) -> None:
    r = client.get(f"/fhir/CodeSystem/$lookup?system={SCT}&code=999999999")
    assert r.status_code == 404 and r.get_json(force=True)["issue"][0]["code"] == "not-found"
    r = client.get(f"/fhir/ValueSet/$expand?url={SCT}?fhir_vs&activeOnly=maybe")
    assert r.status_code == 400 and "activeOnly" in r.get_json(force=True)["issue"][0]["details"]["text"]
    r = client.get("/fhir/ValueSet/$expand")
    assert r.status_code == 400


def test_a_malformed_compose_is_an_invalid_request_not_a_server_error(client: FlaskClient) -> None:
    vs = {"resourceType": "ValueSet", "status": "active", "compose": {"include": SCT}}
    r = post(
        client, "ValueSet/$expand", {"resourceType": "Parameters", "parameter": [{"name": "valueSet", "resource": vs}]}
    )
    assert r.status_code == 400
    issue = r.get_json(force=True)["issue"][0]
    assert issue["code"] == "invalid" and issue["expression"] == ["ValueSet.compose.include"]


def test_subsumes_and_translate_over_http(client: FlaskClient) -> None:
    r = client.get(f"/fhir/CodeSystem/$subsumes?system={SCT}&codeA=1039990001102&codeB=1059990001105")
    assert value(r.get_json(force=True), "outcome") == "subsumes"
    r = client.get(f"/fhir/ConceptMap/$translate?url={SCT}?fhir_cm=900000000000526001&system={SCT}&code=1119990001107")
    assert value(r.get_json(force=True), "result") is True


def test_settings_from_app_config(sample_index: Path) -> None:
    app = make(sample_index, SNOMAP_FHIR_UNPUBLISHED="0", SNOMAP_FHIR_EXPANSION_LIMIT="5")
    c = app.test_client()
    tc = c.get("/fhir/metadata?mode=terminology").get_json(force=True)
    assert tc["codeSystem"][0]["version"][0]["code"] == "http://snomed.info/sct/19990001103/version/20250301"
    r = c.get(f"/fhir/ValueSet/$expand?url={SCT}?fhir_vs")
    assert r.status_code == 422 and r.get_json(force=True)["issue"][0]["code"] == "too-costly"
    r = c.get(f"/fhir/ValueSet/$expand?url={SCT}?fhir_vs&count=5")
    assert r.status_code == 200 and len(r.get_json(force=True)["expansion"]["contains"]) == 5


@pytest.mark.real_release
def test_further_editions_from_the_environment_form_of_the_setting(sample_index: Path, subset_index: Path) -> None:
    import os

    app = make(sample_index, SNOMAP_FHIR_EDITIONS=f"{subset_index}{os.pathsep}")
    tc = app.test_client().get("/fhir/metadata?mode=terminology").get_json()
    assert [(v["code"], v["isDefault"]) for v in tc["codeSystem"][0]["version"]] == [
        ("http://snomed.info/xsct/19990001103/version/20250301", True),
        ("http://snomed.info/xsct/31000003106/version/20250909", False),
    ]
    # 94381002 is in the subset only; its en-US preferred term there is description 156294011.
    body = params(system=SCT, code="94381002", version="http://snomed.info/xsct/31000003106/version/20250909")
    r = post(app.test_client(), "CodeSystem/$lookup", body)
    assert r.status_code == 200 and value(r.get_json(), "display") == "Metastatic malignant neoplasm to liver"
    assert post(app.test_client(), "CodeSystem/$lookup", params(system=SCT, code="94381002")).status_code == 404


def test_an_edition_loaded_twice_stops_the_app(sample_index: Path) -> None:
    with pytest.raises(ValueError, match="loaded twice"):
        make(sample_index, SNOMAP_FHIR_EDITIONS=[str(sample_index)])
