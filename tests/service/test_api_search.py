"""Search and mapping through the API, on the sample release (expectations from its description file)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

ILIUM = "1059990001105"  # Metastatic malignant neoplasm to ilium; synonyms include "Metastasis to ilium"


def test_search_prefixes_find_the_running_example(client: FlaskClient) -> None:
    r = client.get("/api/v1/search", query_string={"q": "metast ili"})
    assert r.status_code == 200
    items = r.get_json()["items"]
    assert items[0]["conceptId"] == ILIUM
    assert items[0]["pt"] == "Metastatic malignant neoplasm to ilium"


def test_search_restricted_by_ecl(client: FlaskClient) -> None:
    # Descendants-or-self of Secondary malignant neoplasm of pelvic bone (1049990001107): itself, the
    # ilium and the sacrum metastases (Relationship file is-a rows); liver/lung metastases are excluded.
    r = client.get("/api/v1/search", query_string={"q": "metast", "ecl": "<< 1049990001107", "limit": 50})
    ids = {i["conceptId"] for i in r.get_json()["items"]}
    assert ids == {"1049990001107", ILIUM, "1069990001108"}


def test_search_bad_ecl_is_a_400_with_position(client: FlaskClient) -> None:
    r = client.get("/api/v1/search", query_string={"q": "metast", "ecl": "<< (1049990001107"})
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["field"] == "ecl" and body["position"] == len("<< (1049990001107")


def test_search_needs_q(client: FlaskClient) -> None:
    r = client.get("/api/v1/search")
    assert r.status_code == 400 and r.get_json()["field"] == "q"


@pytest.mark.parametrize(
    "text", ["metastasis to ilium", "ilium metastasis", "secondary tumour of the ilium", "metastatic ca to ilium"]
)
def test_map_puts_the_ilium_metastasis_first(client: FlaskClient, text: str) -> None:
    r = client.post("/api/v1/map", json={"text": text, "limit": 5})
    body = r.get_json()
    assert r.status_code == 200 and body["matched"] is True
    first = body["candidates"][0]
    assert first["conceptId"] == ILIUM
    # Its ancestors, nearest first: the pelvic-bone parent (is-a row of the ilium concept) leads.
    assert first["ancestors"][0]["conceptId"] == "1049990001107"
    assert {"1039990001102", "1029990001104", "404684003", "138875005"} <= {a["conceptId"] for a in first["ancestors"]}


def test_map_abstains_on_text_that_names_nothing(client: FlaskClient) -> None:
    r = client.post("/api/v1/map", json={"text": "please call me back tomorrow"})
    assert r.status_code == 200 and r.get_json()["matched"] is False


@pytest.mark.parametrize(
    "payload", [{}, {"text": ""}, {"text": "x" * 1001}, {"text": "ilium", "limit": 0}, {"text": 5}]
)
def test_map_validation_names_the_field(client: FlaskClient, payload: dict) -> None:
    r = client.post("/api/v1/map", json=payload)
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    assert r.get_json()["field"] in {"text", "limit"}
