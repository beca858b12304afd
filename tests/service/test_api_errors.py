"""Errors in general: always RFC 9457 application/problem+json, never HTML, never a 500 for bad input.

Throws batches of malformed values at every endpoint and checks that each answer is either a
successful JSON body or a well-formed problem (type/title/status/detail, status equal to the HTTP one).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

ILIUM_MET = "1059990001105"
DELTA_ONLY = "1309990001107"  # a valid concept SCTID that only the Delta package holds
ICD10 = "http://hl7.org/fhir/sid/icd-10"
PAGES = ("parents", "children", "ancestors", "descendants")


def assert_problem(resp: Any, status: int | None = None) -> dict[str, Any]:
    """A problem+json body with the four RFC 9457 members, never HTML."""
    if status is not None:
        assert resp.status_code == status, resp.data
    assert resp.mimetype == "application/problem+json", (resp.status_code, resp.mimetype, resp.data[:200])
    assert b"<html" not in resp.data.lower()
    body = json.loads(resp.data)
    assert isinstance(body, dict)
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["status"] == resp.status_code
    assert isinstance(body["type"], str) and body["type"].startswith(("http://", "https://", "about:")), body
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if "field" in body:
        assert isinstance(body["field"], str) and body["field"]
    return body


def assert_answered(resp: Any, context: object) -> None:
    """Not a server error: a 2xx JSON body, or a 4xx problem."""
    assert resp.status_code < 500, (context, resp.status_code, resp.data[:300])
    if resp.status_code >= 400:
        assert resp.status_code in (400, 404, 405, 422), (context, resp.status_code)
        assert_problem(resp)
    else:
        assert resp.mimetype == "application/json", context
        json.loads(resp.data)


# --------------------------------------------------------------------------- unknown routes and methods


@pytest.mark.parametrize(
    "url",
    [
        "/nope",
        "/api",
        "/api/v1",
        "/api/v1/",
        "/api/v2/concepts/1059990001105",
        "/api/v1/concept/1059990001105",
        "/api/v1/concepts/",
        f"/api/v1/concepts/{ILIUM_MET}/siblings",
        f"/api/v1/concepts/{ILIUM_MET}/parents/extra",
        "/api/v1/guidelines/a/b",
        "/static/nope.js",
        "/healthz/extra",
        "/index.html",
    ],
)
def test_unknown_route_is_a_404_problem_not_html(client: FlaskClient, url: str) -> None:
    body = assert_problem(client.get(url), 404)
    assert body["title"].lower() == "not found"


WRONG_METHODS = [
    ("post", f"/api/v1/concepts/{ILIUM_MET}"),
    ("delete", f"/api/v1/concepts/{ILIUM_MET}"),
    ("put", f"/api/v1/concepts/{ILIUM_MET}/children"),
    ("patch", f"/api/v1/concepts/{ILIUM_MET}/descendants"),
    ("post", f"/api/v1/subsumes?a={ILIUM_MET}&b={ILIUM_MET}"),
    ("get", "/api/v1/resolve"),
    ("put", "/api/v1/resolve"),
    ("delete", "/api/v1/resolve"),
    ("put", "/api/v1/guidelines"),
    ("post", "/api/v1/guidelines/oligometastatic-local-therapy"),
    ("post", "/api/v1/openapi.json"),
    ("post", "/api/v1/docs"),
    ("post", "/healthz"),
    ("delete", "/readyz"),
]


@pytest.mark.parametrize(("method", "url"), WRONG_METHODS)
def test_wrong_method_is_a_405_problem(client: FlaskClient, method: str, url: str) -> None:
    assert_problem(getattr(client, method)(url), 405)


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [("delete", f"/api/v1/concepts/{ILIUM_MET}", "GET"), ("get", "/api/v1/resolve", "POST")],
)
def test_405_says_which_methods_are_allowed(client: FlaskClient, method: str, url: str, allowed: str) -> None:
    resp = getattr(client, method)(url)
    assert resp.status_code == 405
    assert allowed in {m.strip() for m in resp.headers.get("Allow", "").split(",")}


def test_head_of_a_get_route_is_fine(client: FlaskClient) -> None:
    resp = client.head(f"/api/v1/concepts/{ILIUM_MET}")
    assert resp.status_code == 200


def test_unknown_query_parameters_are_ignored(client: FlaskClient) -> None:
    resp = client.get(f"/api/v1/concepts/{ILIUM_MET}?utm_source=x&_=123")
    assert resp.status_code == 200


# --------------------------------------------------------------------------- POST bodies


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("codes", "text/plain"),
        ("", None),
        ("<codes><code>1059990001105</code></codes>", "application/xml"),
        ("\xff\xfe\x00", "application/json"),
        ("{'codes': ['1059990001105']}", "application/json"),  # Python, not JSON
        ("1" * 5000, "application/json"),  # a number too long for Python's int parser
    ],
)
def test_non_json_body_to_post_is_400(client: FlaskClient, data: str, content_type: str | None) -> None:
    kwargs: dict[str, Any] = {"data": data}
    if content_type:
        kwargs["content_type"] = content_type
    body = assert_problem(client.post("/api/v1/resolve", **kwargs), 400)
    assert "JSON" in body["detail"] or "json" in body["detail"]


# --------------------------------------------------------------------------- never a 500

MALFORMED = [
    "",
    " ",
    "abc",
    "-1",
    "0",
    "-0",
    "1.5",
    "1e3",
    "0x10",
    "+1059990001105",
    " 1059990001105 ",
    "1_059_990_001_105",
    "9" * 18,
    "9" * 19,
    "9" * 40,
    "1" * 5000,
    "-" + "9" * 40,
    "١٠٥٩٩٩٠٠٠١١٠٥",  # 1059990001105 in Arabic-Indic digits
    "１０５９９９０００１１０５",  # ... in fullwidth digits
    "1059990001105²",
    "²",
    "é",
    "💥",
    "\u202e1059990001105",  # right-to-left override
    "\x00",
    "null",
    "true",
    "[]",
    "{}",
    "' OR '1'='1",
    "1; DROP TABLE rf2_extended_map;--",
    '1" OR "1"="1',
    "%",
    "%%",
    "*",
    "?",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "x" * 10_000,
]


def _get_urls(v: str) -> list[str]:
    q = quote(v, safe="")
    urls = [f"/api/v1/concepts/{q}", f"/api/v1/guidelines/{q}"]
    urls += [f"/api/v1/concepts/{q}/{which}" for which in PAGES]
    urls += [
        f"/api/v1/subsumes?a={q}&b={ILIUM_MET}",
        f"/api/v1/subsumes?a={ILIUM_MET}&b={q}",
        f"/api/v1/subsumes?a={q}&b={q}",
        f"/api/v1/guidelines?concept={q}",
    ]
    for which in PAGES:
        urls += [f"/api/v1/concepts/{ILIUM_MET}/{which}?limit={q}", f"/api/v1/concepts/{ILIUM_MET}/{which}?offset={q}"]
    return urls


@pytest.mark.parametrize("value", MALFORMED, ids=lambda v: repr(v)[:30])
def test_malformed_values_never_cause_a_500(client: FlaskClient, value: str) -> None:
    for url in _get_urls(value):
        # An empty path segment ("/concepts//parents") is merged by Werkzeug with a 308 redirect:
        # follow it and judge the final answer.
        assert_answered(client.get(url, follow_redirects=True), url)
    for code in (
        value,
        {"system": ICD10, "code": value},
        {"system": value, "code": "C79.5"},
        {"system": value, "code": value},
    ):
        resp = client.post("/api/v1/resolve", json={"codes": [code]})
        assert_answered(resp, code)
        if resp.status_code == 200:
            # Item errors are problems too, never a 5xx inside a 200.
            err = resp.get_json()["results"][0]["error"]
            if err is not None:
                assert {"type", "title", "status", "detail"} <= err.keys()
                assert 400 <= err["status"] < 500, err


@pytest.mark.parametrize(
    "value",
    [-1, 0, -(10**30), 10**30, 10**18, 2**63, 1.0, 1e308, 1e-9, [], {}, {"code": []}, {"code": {"a": 1}}],
    ids=repr,
)
def test_malformed_json_codes_never_cause_a_500(client: FlaskClient, value: Any) -> None:
    assert_answered(client.post("/api/v1/resolve", json={"codes": [value]}), value)


def test_malformed_values_left_the_release_intact(client: FlaskClient) -> None:
    # After SQL-ish codes went through the map lookup, the map still answers (ExtendedMap f3e49767).
    resp = client.post(
        "/api/v1/resolve", json={"codes": ["1; DROP TABLE rf2_extended_map;--", {"system": ICD10, "code": "C78.7"}]}
    )
    assert resp.status_code == 200
    assert resp.get_json()["results"][1]["concepts"] == [
        {"conceptId": "1099990001101", "pt": "Metastatic malignant neoplasm to liver"}
    ]


# `lang` values that are answered (unknown dialects fall back to the release's language refsets).
SAFE_LANGS = [
    "",
    "xx",
    "fr-FR",
    "en",
    "EN-gb",
    "9" * 30,
    "en-x-" + "9" * 30,
    "'; DROP TABLE x;--",
    "💥",
    "en-GB,",
    ",,,",
    "en;q=abc",
    "en;q=",
    "en-GB;q=0.5,en-US;q=0.9",
]
# `lang` values that crash the dialect parser (see the xfail below).
CRASHING_LANGS = ["en-GB;q=1.2.3", "en;q=.", "²", "en-x-²"]


def _lang_requests(client: FlaskClient, lang: str) -> list[tuple[str, Any]]:
    q = quote(lang, safe="")
    out: list[tuple[str, Any]] = []
    for url in (
        f"/api/v1/concepts/{ILIUM_MET}?lang={q}",
        f"/api/v1/concepts/{ILIUM_MET}/ancestors?lang={q}",
        f"/api/v1/guidelines?concept={ILIUM_MET}&lang={q}",
        f"/api/v1/guidelines?lang={q}",
        f"/api/v1/guidelines/oligometastatic-local-therapy?lang={q}",
    ):
        out.append((url, client.get(url)))
    out.append(("resolve", client.post("/api/v1/resolve", json={"codes": [ILIUM_MET], "lang": lang})))
    return out


@pytest.mark.parametrize("lang", SAFE_LANGS, ids=lambda v: repr(v)[:30])
def test_odd_lang_values_never_cause_a_500(client: FlaskClient, lang: str) -> None:
    for context, resp in _lang_requests(client, lang):
        assert_answered(resp, context)


@pytest.mark.parametrize("lang", CRASHING_LANGS, ids=repr)
def test_malformed_q_values_and_unicode_digits_in_lang_are_not_a_500(client: FlaskClient, lang: str) -> None:
    for context, resp in _lang_requests(client, lang):
        assert_answered(resp, context)


# --------------------------------------------------------------------------- shape of each kind of problem


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "field"),
    [
        ("get", "/api/v1/concepts/abc", None, 400, "conceptId"),
        ("get", f"/api/v1/concepts/{DELTA_ONLY}", None, 404, None),
        ("get", f"/api/v1/concepts/{ILIUM_MET}/children?limit=0", None, 400, "limit"),
        ("get", f"/api/v1/concepts/{ILIUM_MET}/children?limit=1001", None, 400, "limit"),
        ("get", f"/api/v1/concepts/{ILIUM_MET}/children?offset=-1", None, 400, "offset"),
        ("get", f"/api/v1/subsumes?a={ILIUM_MET}", None, 400, "b"),
        ("get", f"/api/v1/subsumes?a=1059990001104&b={ILIUM_MET}", None, 400, "a"),
        ("get", "/api/v1/guidelines?concept=x", None, 400, "concept"),
        ("get", f"/api/v1/guidelines?concept={DELTA_ONLY}", None, 404, None),
        ("get", "/api/v1/guidelines/nope", None, 404, None),
        ("post", "/api/v1/resolve", {"codes": []}, 400, "codes"),
        ("post", "/api/v1/resolve", {"nope": 1}, 400, None),
    ],
)
def test_problem_shape(client: FlaskClient, method: str, url: str, body: Any, status: int, field: str | None) -> None:
    resp = getattr(client, method)(url, json=body) if body is not None else getattr(client, method)(url)
    problem = assert_problem(resp, status)
    if field is not None:
        assert problem["field"] == field
