"""One request-size limit for every route, chunked or not, and list and string lengths checked while parsing.

Reproductions of issue 16 ("Unbounded bodies"): `/resolve` parsed 51 MB of 4.5 million codes before
checking the count; a chunked FHIR body skipped the 16 MB cap; `/annotate` took an `ecl` of 3.9 MB.
Each body here is fed through a stream that counts what the app read, so a test can say the rest was
never read. Limits come from the settings (SNOMAP_MAX_BODY_BYTES, SNOMAP_FHIR_MAX_BODY_BYTES).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder, TestResponse, run_wsgi_app

from service import create_app
from service.config import BY_NAME
from service.limits import BodyLimit, CountingInput

MB = 1024 * 1024


class Source(io.RawIOBase):
    """`size` bytes made of `chunk` repeated, counting how many were read (the server's socket, in effect)."""

    def __init__(self, prefix: bytes, chunk: bytes, size: int):
        self.data_prefix = prefix
        self.chunk = chunk
        self.size = size
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = min(len(b), self.size - self.served)
        if n <= 0:
            return 0
        out = bytearray()
        if self.served < len(self.data_prefix):
            out += self.data_prefix[self.served : self.served + n]
        while len(out) < n:
            out += self.chunk
        b[:n] = bytes(out[:n])
        self.served += n
        return n


def codes_body(n: int) -> tuple[bytes, bytes, int]:
    """A /resolve body of `n` codes, as a prefix, a repeated chunk and its size (never built in memory)."""
    prefix = b'{"codes": ["404684003"'
    chunk = b', "404684003"'
    return prefix, chunk, len(prefix) + n * len(chunk) + 2


def send(app: Flask, path: str, source: Source, chunked: bool, content_type: str = "application/json") -> Any:
    """POST `source` to `path` as a server would hand it over: announced (Content-Length) or chunked (no length)."""
    headers = {"Content-Type": content_type}
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
    environ = EnvironBuilder(path=path, method="POST", headers=headers).get_environ()
    environ["wsgi.input"] = source
    environ["wsgi.input_terminated"] = True  # what granian and gunicorn say of a chunked body
    if chunked:
        environ.pop("CONTENT_LENGTH", None)
    else:
        environ["CONTENT_LENGTH"] = str(source.size)
    app_iter, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    return TestResponse(app_iter, status, response_headers, request=None)


@pytest.fixture(scope="module")
def small(sample_index: Path) -> Flask:
    """An app with small limits, so the limits themselves can be crossed cheaply."""
    return create_app(
        {
            "SNOMAP_INDEX": str(sample_index),
            "TESTING": True,
            "SNOMAP_MAX_BODY_BYTES": 4000,
            "SNOMAP_FHIR_MAX_BODY_BYTES": 9000,
        }
    )


def test_defaults_are_2_mb_for_the_api_and_16_mb_for_fhir() -> None:
    # The FHIR cap was 16 MB; the API's largest legitimate body (1,000 codes, a 100,000-character
    # text to annotate) is well under 2 MB.
    assert BY_NAME["SNOMAP_MAX_BODY_BYTES"].default == 2 * MB
    assert BY_NAME["SNOMAP_FHIR_MAX_BODY_BYTES"].default == 16 * MB


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_resolve_with_4_5_million_codes_is_refused_before_parsing(app: Flask, chunked: bool) -> None:
    # The body: 4.5 million codes, about 51 MB.
    source = Source(*codes_body(4_500_000))
    assert source.size > 50 * MB
    r = send(app, "/api/v1/resolve", source, chunked)
    assert r.status_code == 413
    assert r.mimetype == "application/problem+json"
    assert r.json["status"] == 413 and "2,097,152 bytes" in r.json["detail"]
    assert r.headers["Connection"] == "close"
    # Announced: nothing read. Chunked: at most one read past the 2 MB limit.
    assert source.served == 0 if not chunked else source.served <= 2 * MB + 64 * 1024


@pytest.mark.parametrize(
    "path",
    ["/api/v1/resolve", "/api/v1/ecl", "/api/v1/annotate", "/api/v1/map", "/api/v1/guidelines", "/no/such/route"],
)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_every_route_has_the_limit(small: Flask, path: str, chunked: bool) -> None:
    source = Source(b"", b"x" * 100, 4001)  # one byte past SNOMAP_MAX_BODY_BYTES=4000
    r = send(small, path, source, chunked)
    assert r.mimetype == "application/problem+json"
    assert source.served <= 4001
    if chunked and path in ("/api/v1/guidelines", "/no/such/route"):
        # A chunked body is only known to be too large once read: an anonymous write (401) and an
        # unknown route (404) are refused before their body is read, so nothing was read at all.
        assert r.status_code == (401 if path == "/api/v1/guidelines" else 404) and source.served == 0
        return
    assert r.status_code == 413, r.get_data(as_text=True)
    assert r.json["type"].endswith("/request-entity-too-large")


def test_a_body_at_the_limit_is_read(small: Flask) -> None:
    body = json.dumps({"codes": ["404684003"], "lang": "en-GB" + " " * 0}).encode()
    body = body[:-1] + b" " * (4000 - len(body)) + b"}"
    assert len(body) == 4000
    r = send(small, "/api/v1/resolve", Source(body, b" ", len(body)), chunked=True)
    assert r.status_code == 200, r.get_data(as_text=True)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_fhir_has_its_own_larger_limit_and_answers_with_an_operation_outcome(small: Flask, chunked: bool) -> None:
    client = small
    # 5,000 bytes: over the API's 4,000 but under FHIR's 9,000, so FHIR reads it (and finds it is not JSON).
    under = send(client, "/fhir/CodeSystem/$lookup", Source(b"", b"x", 5000), chunked, "application/fhir+json")
    assert under.status_code == 400 and under.json["resourceType"] == "OperationOutcome"
    source = Source(b"", b"x" * 100, 9001)
    r = send(client, "/fhir/CodeSystem/$lookup", source, chunked, "application/fhir+json")
    assert r.status_code == 413
    assert r.json["resourceType"] == "OperationOutcome"
    # FHIR R4 IssueType: "too-costly" (the request would take too many resources).
    assert r.json["issue"][0]["code"] == "too-costly"
    assert source.served <= 9001


def test_more_than_1000_codes_is_refused_before_any_code_is_read(client: FlaskClient) -> None:
    # 1,001 items none of which is a code: the count is checked before any item is read, so the only
    # answer is the batch's size (413, as for map:batch and guidelines:batch), with no item errors.
    r = client.post("/api/v1/resolve", json={"codes": [True] * 1001})
    assert r.status_code == 413 and r.mimetype == "application/problem+json"
    assert r.json["field"] == "codes" and "results" not in r.json
    ok = client.post("/api/v1/resolve", json={"codes": ["404684003"] * 1000})
    assert ok.status_code == 200 and len(ok.json["results"]) == 1000


def test_annotate_ecl_of_3_9_mb_is_refused(client: FlaskClient) -> None:
    # The 3.9 MB expression is over the body limit; one of 20,001 characters is under it, and
    # refused by the field's length before anything is parsed.
    ecl = "<< 404684003 OR " * 250_000
    r = client.post("/api/v1/annotate", json={"text": "fracture", "ecl": ecl})
    assert len(ecl) > 3_900_000 and r.status_code == 413
    r = client.post("/api/v1/annotate", json={"text": "fracture", "ecl": "<<404684003" + " " * 19_990})
    assert r.status_code == 400
    assert r.json["field"] == "ecl" and "20000" in r.json["errors"]["ecl"][0]


def test_search_ecl_has_the_same_length_limit(client: FlaskClient) -> None:
    r = client.get("/api/v1/search", query_string={"q": "fracture", "ecl": "<<404684003" + " " * 19_990})
    assert r.status_code == 400 and r.json["field"] == "ecl"


def test_counting_input_reads_no_more_than_one_byte_past_the_limit() -> None:
    from service.limits import BodyTooLarge

    src = Source(b"", b"y", 10_000)
    stream = CountingInput(src, 100)
    assert stream.read(60) == b"y" * 60
    with pytest.raises(BodyTooLarge):
        stream.read()
    assert src.served == 101


def test_limit_by_longest_prefix() -> None:
    m = BodyLimit(lambda e, s: [], 10, {"/fhir": 20})
    assert (
        m.limit_for("/fhir/CodeSystem/$lookup"),
        m.limit_for("/fhir"),
        m.limit_for("/fhirx"),
        m.limit_for("/api/v1/ecl"),
    ) == (20, 20, 10, 10)
