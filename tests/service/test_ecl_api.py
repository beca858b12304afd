"""GET/POST /api/v1/ecl through Flask's test client on the sample release.

Expected sets come from the sample RF2 files (see tests/terminology/ecl/test_evaluator.py for
the line-by-line reading): < 1039990001102 is the six bone metastasis subtypes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.api.ecl import bp
from service.app import create_app

BONE_MET = 1039990001102
SUBTYPES = ["1049990001107", "1059990001105", "1069990001108", "1079990001100", "1089990001103", "1149990001108"]


@pytest.fixture(scope="module")
def app(sample_index: Path) -> Flask:
    app = create_app({"SNOMAP_INDEX": str(sample_index)})
    if "ecl" not in app.blueprints:
        app.register_blueprint(bp)
    return app


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_get_lists_concepts_with_terms(client: FlaskClient) -> None:
    r = client.get("/api/v1/ecl", query_string={"ecl": f"< {BONE_MET}"})
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] == 6 and body["warnings"] == []
    assert [i["conceptId"] for i in body["items"]] == SUBTYPES
    # D line 24: the ilium metastasis' preferred term.
    assert body["items"][1]["pt"] == "Metastatic malignant neoplasm to ilium"


def test_paging(client: FlaskClient) -> None:
    body = client.get("/api/v1/ecl", query_string={"ecl": f"< {BONE_MET}", "limit": 2, "offset": 3}).get_json()
    assert body["total"] == 6 and body["limit"] == 2 and body["offset"] == 3
    assert [i["conceptId"] for i in body["items"]] == SUBTYPES[3:5]


def test_count_only(client: FlaskClient) -> None:
    body = client.get("/api/v1/ecl", query_string={"ecl": f"<< {BONE_MET}", "countOnly": "true"}).get_json()
    assert body["total"] == 7 and body["items"] == []


def test_post_body(client: FlaskClient) -> None:
    r = client.post(
        "/api/v1/ecl", json={"ecl": f"< {BONE_MET} : 363698007 = << 2019990001100", "limit": 10, "lang": "en-GB"}
    )
    assert r.status_code == 200
    assert [i["conceptId"] for i in r.get_json()["items"]] == ["1049990001107", "1059990001105", "1069990001108"]
    r = client.post("/api/v1/ecl", json={"ecl": "*", "bogus": 1})
    assert r.status_code == 400


def test_warnings_for_unknown_and_inactive(client: FlaskClient) -> None:
    body = client.get("/api/v1/ecl", query_string={"ecl": "9999990001104 OR 1119990001107"}).get_json()
    assert body["total"] == 1
    assert body["warnings"] == ["concept 9999990001104 is not in the release", "concept 1119990001107 is inactive"]


def test_syntax_error_is_a_positioned_400(client: FlaskClient) -> None:
    r = client.get("/api/v1/ecl", query_string={"ecl": "<< (404684003"})
    assert r.status_code == 400 and r.content_type == "application/problem+json"
    p = r.get_json()
    assert p["field"] == "ecl" and p["position"] == 13 and p["line"] == 1 and p["column"] == 14
    assert p["expected"] == ["')'"]
    r = client.post("/api/v1/ecl", json={"ecl": "< 404684003 :\n  363698007 = "})
    p = r.get_json()
    assert r.status_code == 400 and p["line"] == 2 and p["position"] == 28


def test_limit_too_large_is_400(client: FlaskClient) -> None:
    r = client.get("/api/v1/ecl", query_string={"ecl": "*", "limit": 1001})
    assert r.status_code == 400 and r.get_json()["field"] == "limit"
    r = client.get("/api/v1/ecl", query_string={"ecl": "*", "offset": -1})
    assert r.status_code == 400 and r.get_json()["field"] == "offset"
    r = client.get("/api/v1/ecl")
    assert r.status_code == 400 and r.get_json()["field"] == "ecl"


def test_budget_exceeded_is_422(app: Flask, client: FlaskClient) -> None:
    before = app.config["SNOMAP_ECL_TIME_BUDGET"]
    app.config["SNOMAP_ECL_TIME_BUDGET"] = -1.0
    try:
        r = client.get("/api/v1/ecl", query_string={"ecl": "<< 64572001 MINUS << 1039990001102"})
    finally:
        app.config["SNOMAP_ECL_TIME_BUDGET"] = before
    assert r.status_code == 422 and r.get_json()["type"].endswith("ecl-timeout")


def test_unknown_member_field_is_422(client: FlaskClient) -> None:
    r = client.get("/api/v1/ecl", query_string={"ecl": "^ 4029990001102 {{ M nonsense = #1 }}"})
    assert r.status_code == 422 and "nonsense" in r.get_json()["detail"]


def test_field_selection_records(client: FlaskClient) -> None:
    body = client.get(
        "/api/v1/ecl", query_string={"ecl": "^ [mapTarget] 4029990001102 {{ M referencedComponentId = 1149990001108 }}"}
    ).get_json()
    # EM lines 13, 14: the pathological fracture maps to M84.5 and C79.5.
    assert body["fields"] == ["mapTarget"] and body["records"] == [{"mapTarget": "C79.5"}, {"mapTarget": "M84.5"}]


def test_openapi_documents_the_endpoint(app: Flask) -> None:
    from service.api.schemas.ecl import EclBody, EclOut, EclProblemOut, EclQuery
    from service.openapi import build_spec

    spec = build_spec(app, [EclQuery, EclBody, EclOut, EclProblemOut])
    assert set(spec["paths"]["/api/v1/ecl"]) == {"get", "post"}
    assert "EclOut" in spec["components"]["schemas"]


def test_cli(sample_index: Path) -> None:
    from click.testing import CliRunner

    from service.cli import main

    run = CliRunner()
    r = run.invoke(main, ["ecl", f"< {BONE_MET}", "--count", "--index", str(sample_index)])
    assert r.exit_code == 0 and r.stdout.strip() == "6"
    r = run.invoke(main, ["ecl", f"<! {BONE_MET}", "--json", "--index", str(sample_index)])
    assert r.exit_code == 0 and '"total": 4' in r.stdout
    r = run.invoke(main, ["ecl", "<< (404684003", "--index", str(sample_index)])
    assert r.exit_code == 2
    assert "  << (404684003\n               ^" in r.stderr
