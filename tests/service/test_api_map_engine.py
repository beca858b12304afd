"""One engine everywhere (issue 13, item 1): POST /api/v1/map, `snomap map` and the Find page give the same
candidates in the same order; `within` restricts them with ECL (item 2). On the sample release.

Concepts read off sample_data/release/Snapshot: 1059990001105 |Metastatic malignant neoplasm to ilium|,
3029990001100 |Neoplasm, metastatic| (morphologic abnormality, descriptions "Metastatic neoplasm",
"Secondary malignant neoplasm"), 1029990001104 |Secondary malignant neoplastic disease|.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from service.api.schemas.map import CompositeMapOut
from service.cli import main


@pytest.mark.parametrize("text", ["metastasis to the left ilium", "metastatic disease", "right iliac bone metastasis"])
def test_api_cli_and_find_page_agree(client: FlaskClient, sample_index, text: str) -> None:  # type: ignore[no-untyped-def]
    api = client.post("/api/v1/map", json={"text": text, "limit": 5}).get_json()
    assert CompositeMapOut().validate(api) == {}
    cli = CliRunner().invoke(main, ["map", text, "--index", str(sample_index), "--limit", "5", "--json"])
    assert cli.exit_code == 0, cli.output
    got = json.loads(cli.stdout)
    assert [c["conceptId"] for c in got["candidates"]] == [c["conceptId"] for c in api["candidates"]]
    assert [c["score"] for c in got["candidates"]] == [c["score"] for c in api["candidates"]]
    assert got["matched"] == api["matched"]
    scores = [c["score"] for c in api["candidates"]]
    assert scores == sorted(scores, reverse=True)  # ordered by the reported score
    page = client.get("/", query_string={"q": text}).get_data(as_text=True)
    assert f"/concepts/{api['candidates'][0]['conceptId']}" in page


def test_within_restricts_candidates(client: FlaskClient) -> None:
    body = client.post("/api/v1/map", json={"text": "metastasis", "within": "<< 49755003"}).get_json()
    assert body["candidates"][0]["conceptId"] == "3029990001100"
    assert all(c["kind"] == "morphology" for c in body["candidates"])
    body = client.post("/api/v1/map", json={"text": "metastasis"}).get_json()
    ids = [c["conceptId"] for c in body["candidates"]]
    assert ids.index("1029990001104") < ids.index("3029990001100")  # diagnoses first
    assert body["names"] == "finding"


def test_within_with_bad_ecl_is_a_400(client: FlaskClient) -> None:
    r = client.post("/api/v1/map", json={"text": "metastasis", "within": "<< (1049990001107"})
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
