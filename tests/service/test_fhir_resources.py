"""Read and search of CodeSystem, ValueSet and ConceptMap over HTTP under /fhir.

The sample release (sample_data/release) is the default edition: module 19990001103 at
20250301, unpublished, so ``http://snomed.info/xsct/19990001103/version/20250301``, with
121 concepts in its Concept file.  Every response body is validated with the R4B models
of ``fhir.resources``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from terminology.sample import sample_release_dir

from .test_fhir_api import FHIR_JSON, SCT, make

SAMPLE_URI = "http://snomed.info/xsct/19990001103/version/20250301"
SUBSET_URI = "http://snomed.info/xsct/31000003106/version/20250909"
SAMPLE_ID, SUBSET_ID = "sct-19990001103-20250301", "sct-31000003106-20250909"
REPLACED_BY = "900000000000526001"  # an association refset with members in the sample's Association file


def body(r: TestResponse, status: int = 200) -> dict[str, Any]:
    """The response's resource, after checking status, media type and R4B validity."""
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == FHIR_JSON
    resource = json.loads(r.get_data(as_text=True))
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    for entry in resource.get("entry", []) if resource["resourceType"] == "Bundle" else []:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    return resource


def concept_rows() -> int:
    path = next((sample_release_dir() / "Snapshot").rglob("sct2_Concept_Snapshot*"))
    with open(path, newline="", encoding="utf-8") as fh:
        return len({r["id"] for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)})


def test_code_system_search(client: FlaskClient) -> None:
    bundle = body(client.get(f"/fhir/CodeSystem?url={SCT}"))
    assert (bundle["resourceType"], bundle["type"], bundle["total"]) == ("Bundle", "searchset", 1)
    (entry,) = bundle["entry"]
    assert entry["fullUrl"] == f"http://localhost/fhir/CodeSystem/{SAMPLE_ID}"
    cs = entry["resource"]
    assert (cs["url"], cs["version"], cs["content"], cs["count"]) == (SCT, SAMPLE_URI, "not-present", concept_rows())


def test_code_system_read(client: FlaskClient) -> None:
    cs = body(client.get(f"/fhir/CodeSystem/{SAMPLE_ID}"))
    assert cs["resourceType"] == "CodeSystem" and cs["id"] == SAMPLE_ID and cs["version"] == SAMPLE_URI
    outcome = body(client.get("/fhir/CodeSystem/sct-900000000000207008-20250201"), 404)
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "not-found"


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ("url=http://loinc.org", 0),
        (f"system={SCT}", 1),
        ("version=20250301", 1),
        ("version=20250201", 0),
        ("_summary=true", 1),
        ("_summary=count", 1),
    ],
)
def test_code_system_search_parameters(client: FlaskClient, query: str, total: int) -> None:
    bundle = body(client.get(f"/fhir/CodeSystem?{query}"))
    assert bundle["total"] == total
    assert len(bundle.get("entry", [])) == (0 if "count" in query else total)


def test_search_by_post(client: FlaskClient) -> None:
    bundle = body(client.post("/fhir/CodeSystem/_search", data={"url": SCT, "version": SAMPLE_URI}))
    assert [e["resource"]["id"] for e in bundle["entry"]] == [SAMPLE_ID]
    r = client.post("/fhir/CodeSystem/_search", data="{}", headers={"Content-Type": FHIR_JSON})
    assert body(r, 415)["resourceType"] == "OperationOutcome"


def test_value_set_search(client: FlaskClient) -> None:
    url = f"{SCT}?fhir_vs=isa/404684003"
    bundle = body(client.get("/fhir/ValueSet", query_string={"url": url}))
    (entry,) = bundle["entry"]
    vs = entry["resource"]
    assert vs["url"] == url and vs["compose"]["include"] == [
        {"system": SCT, "filter": [{"property": "concept", "op": "is-a", "value": "404684003"}]}
    ]
    assert body(client.get("/fhir/ValueSet", query_string={"url": "http://example.org/vs"}))["total"] == 0


def test_concept_map_search_and_read(client: FlaskClient) -> None:
    url = f"{SCT}?fhir_cm={REPLACED_BY}"
    (entry,) = body(client.get("/fhir/ConceptMap", query_string={"url": url}))["entry"]
    cm = entry["resource"]
    assert (cm["url"], cm["version"], cm["sourceUri"]) == (url, SAMPLE_URI, f"{SCT}?fhir_vs")
    assert body(client.get(f"/fhir/ConceptMap/{cm['id']}")) == cm
    every = body(client.get("/fhir/ConceptMap"))
    assert every["total"] >= 1 and url in {e["resource"]["url"] for e in every["entry"]}
    assert body(client.get("/fhir/ConceptMap?url=http://example.org/cm"))["total"] == 0


def test_capability_statement_lists_the_interactions(client: FlaskClient) -> None:
    cs = body(client.get("/fhir/metadata"))
    resources = {r["type"]: r for r in cs["rest"][0]["resource"]}
    assert [i["code"] for i in resources["CodeSystem"]["interaction"]] == ["read", "search-type"]
    assert [i["code"] for i in resources["ValueSet"]["interaction"]] == ["search-type"]
    assert {p["name"] for p in resources["CodeSystem"]["searchParam"]} >= {"url", "system", "version"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("put", "/fhir/CodeSystem/sct-19990001103-20250301", 405),  # update
        ("delete", "/fhir/ConceptMap/anything", 405),
        ("post", "/fhir/CodeSystem", 405),  # create
        ("put", "/fhir/CodeSystem/$lookup", 405),
        ("get", "/fhir/CodeSystem/$unknown-operation", 404),
        ("get", "/fhir/ValueSet/some-id", 404),  # no stored value sets to read
        ("get", "/fhir/Patient", 404),
        ("get", "/fhir/Patient/1", 404),
        ("get", "/fhir/CodeSystem?url:below=http://snomed.info", 400),
        ("get", "/fhir/CodeSystem?_count=lots", 400),
    ],
)
def test_errors_are_operation_outcomes(client: FlaskClient, method: str, path: str, status: int) -> None:
    outcome = body(getattr(client, method)(path), status)
    assert outcome["resourceType"] == "OperationOutcome"


def test_content_negotiation_applies_to_search_and_read(client: FlaskClient) -> None:
    assert client.get("/fhir/CodeSystem", headers={"Accept": "application/fhir+xml"}).status_code == 406
    assert client.get(f"/fhir/CodeSystem/{SAMPLE_ID}?_format=json").mimetype == "application/json"


def test_the_operations_still_answer(client: FlaskClient) -> None:
    r = client.get(f"/fhir/CodeSystem/$lookup?system={SCT}&code=404684003")
    assert body(r)["resourceType"] == "Parameters"


@pytest.mark.real_release
def test_two_editions(sample_index: Path, subset_index: Path) -> None:
    client = make(sample_index, SNOMAP_FHIR_EDITIONS=[str(subset_index)]).test_client()
    bundle = body(client.get("/fhir/CodeSystem"))
    assert [(e["resource"]["id"], e["resource"]["version"]) for e in bundle["entry"]] == [
        (SAMPLE_ID, SAMPLE_URI),
        (SUBSET_ID, SUBSET_URI),
    ]
    assert body(client.get(f"/fhir/CodeSystem/{SUBSET_ID}"))["version"] == SUBSET_URI
    assert [e["resource"]["id"] for e in body(client.get("/fhir/CodeSystem?version=20250909"))["entry"]] == [SUBSET_ID]
    # 734139008 |Anatomy structure and part association| has members in the subset's Association file only.
    (entry,) = body(client.get("/fhir/ConceptMap", query_string={"url": f"{SCT}?fhir_cm=734139008"}))["entry"]
    assert entry["resource"]["version"] == SUBSET_URI
