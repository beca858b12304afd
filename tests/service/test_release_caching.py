"""Release data is cacheable: concept lookup and FHIR $lookup carry an ETag and Cache-Control, answer
If-None-Match with 304, and are served from the app's LRU of encoded bodies (RFC 9110 section 13.1.2
for If-None-Match: a matching entity tag gives 304 with no body)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from service.context import ReleaseBodies, Services

BENIGN_BONE = "1179990001101"  # PT differs by dialect: "Benign tumor of bone" / "Benign tumour of bone" (sample D, L)
SCT = "http://snomed.info/sct"


def _services(app: Flask) -> Services:
    return app.extensions["snomap"]


def test_concept_lookup_has_an_etag_and_cache_control_and_answers_304(client: FlaskClient) -> None:
    r = client.get(f"/api/v1/concepts/{BENIGN_BONE}")
    assert r.status_code == 200
    etag = r.headers["ETag"]
    assert etag.startswith('"') and len(etag) > 2
    assert "max-age=" in r.headers["Cache-Control"] and "public" in r.headers["Cache-Control"]
    assert r.get_json()["conceptId"] == BENIGN_BONE
    again = client.get(f"/api/v1/concepts/{BENIGN_BONE}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    other = client.get(f"/api/v1/concepts/{BENIGN_BONE}", headers={"If-None-Match": '"not-it"'})
    assert other.status_code == 200 and other.get_data() == r.get_data()


def test_the_dialect_is_part_of_the_cache_key(client: FlaskClient) -> None:
    us = client.get(f"/api/v1/concepts/{BENIGN_BONE}?lang=en-US")
    gb = client.get(f"/api/v1/concepts/{BENIGN_BONE}?lang=en-GB")
    assert us.status_code == gb.status_code == 200
    assert "Benign tumor of bone" in us.get_data(as_text=True)
    assert "Benign tumour of bone" in gb.get_data(as_text=True)
    assert us.headers["ETag"] != gb.headers["ETag"]
    # The same query again: the same entry and ETag.
    assert client.get(f"/api/v1/concepts/{BENIGN_BONE}?lang=en-GB").headers["ETag"] == gb.headers["ETag"]


def test_bodies_are_kept_in_the_apps_lru_and_errors_are_not(app: Flask, client: FlaskClient) -> None:
    bodies = _services(app).bodies
    assert isinstance(bodies, ReleaseBodies)
    client.get(f"/api/v1/concepts/{BENIGN_BONE}?lang=en-GB&x=1")
    size = len(bodies)
    assert size >= 1
    client.get(f"/api/v1/concepts/{BENIGN_BONE}?lang=en-GB&x=1")
    assert len(bodies) == size  # a hit, not a new entry
    missing = client.get("/api/v1/concepts/1234567890123456789")  # too long to be an SCTID: a 400
    assert missing.status_code == 400 and "ETag" not in missing.headers
    assert len(bodies) == size


def test_the_lru_drops_the_least_recently_used_entry() -> None:
    lru = ReleaseBodies(size=2)
    lru.put("a", (b"1", "application/json", "e1"))
    lru.put("b", (b"2", "application/json", "e2"))
    assert lru.get("a") is not None  # "a" is now the most recent
    lru.put("c", (b"3", "application/json", "e3"))
    assert lru.get("b") is None and lru.get("a") is not None and lru.get("c") is not None


def test_fhir_lookup_is_cacheable_and_varies_by_language(client: FlaskClient) -> None:
    url = f"/fhir/CodeSystem/$lookup?system={SCT}&code={BENIGN_BONE}"
    r = client.get(url)
    assert r.status_code == 200
    etag = r.headers["ETag"]
    assert "max-age=" in r.headers["Cache-Control"]
    assert "Accept-Language" in r.headers["Vary"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    gb = client.get(url, headers={"Accept-Language": "en-GB"})
    assert gb.status_code == 200 and gb.headers["ETag"] != etag
    assert "Benign tumour of bone" in gb.get_data(as_text=True)
