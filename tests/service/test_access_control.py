"""Issue 16, "Access control": the app-wide read guard, page sessions, sign-in redirects, token timing and
failed-login limits, the audit log's gaps, the ETag of a guideline, drafts, and the OpenAPI security parts.

Every test runs on a fresh SQLite authoring store seeded with the sample guidelines, with a reader, an
author and an admin token. Expectations come from the issue's reproductions and from the HTTP, cookie and
OpenAPI specifications (cited where used), not from the code under test.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from terminology import Terminology
from terminology.authoring import SqlGuidelineRepository, open_repository
from terminology.authoring.validation import baselines
from terminology.sample import sample_guidelines_dir
from tests.terminology.authoring.databases import FEMUR_MET, ILIUM_MET

GID = "pelvic-bone-metastasis-fracture-risk"  # a published sample guideline tagged on pelvic bone metastasis
PROBLEM = "application/problem+json"


@pytest.fixture()
def store(tmp_path: Path, sample: Terminology) -> Iterator[SqlGuidelineRepository]:
    repo = open_repository(f"sqlite:///{tmp_path / 'guidelines.db'}")
    repo.import_directory(sample_guidelines_dir(), baseline=baselines(sample))
    yield repo
    repo.dispose()


@pytest.fixture()
def tokens(store: SqlGuidelineRepository) -> dict[str, str]:
    return {role: store.tokens.create(f"{role}-user", role) for role in ("reader", "author", "admin")}


def make_app(sample_index: Path, sample: Terminology, store: SqlGuidelineRepository, **config: Any) -> Flask:
    return create_app(
        {
            "SNOMAP_INDEX": str(sample_index),
            "SNOMAP_TERMINOLOGY": sample,
            "SNOMAP_GUIDELINE_REPOSITORY": store,
            "TESTING": True,
            **config,
        }
    )


@pytest.fixture()
def app(sample_index: Path, sample: Terminology, store: SqlGuidelineRepository) -> Flask:
    return make_app(sample_index, sample, store)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def sign_in(client: FlaskClient, token: str, next_page: str = "/author") -> Any:
    page = client.get("/author/sign-in").text
    return client.post("/author/sign-in", data={"csrf_token": csrf(page), "token": token, "next": next_page})


def draft(gid: str = "draft-femur", status: str = "draft") -> dict[str, Any]:
    return {
        "id": gid,
        "title": "Femoral metastases (draft)",
        "status": status,
        "sections": [{"heading": "Overview", "markdown": "Work in progress."}],
        "recommendations": [{"id": "r1", "text": "Score the lesion.", "strength": "moderate"}],
        "tags": [{"concept": str(FEMUR_MET), "term": "femur"}],
    }


# ----------------------------------------------------------------------------- the app-wide guard

# Open by design: the probes, the API description (a client needs it before it has a token), page assets
# and the sign-in page (service/auth.py OPEN_ENDPOINTS).
OPEN_ENDPOINTS = {
    "health.healthz",
    "health.readyz",
    "docs.openapi_json",
    "docs.api_docs",
    "web.static",
    "web.sign_in",
    "static",
}


def _url(rule: Any) -> str:
    """A concrete URL for a rule: an int where the converter wants one, a plausible word elsewhere."""
    url = re.sub(r"<(?:int|float):[^<>]+>", "1", rule.rule)
    url = url.replace("<service_id>", "snomap-guidelines-problem-list")  # a CDS service that exists (README)
    return re.sub(r"<[^<>]+>", "x", url)


def test_every_route_needs_a_caller_when_reads_require_a_token(
    sample_index: Path, sample: Terminology, store: SqlGuidelineRepository
) -> None:
    # The issue: only GET under /api/v1 was guarded; POST /ecl, /map, /resolve, /annotate and all of /fhir answered.
    app = make_app(sample_index, sample, store, SNOMAP_READS_REQUIRE_TOKEN="true")
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            url = _url(rule)
            r = client.open(url, method=method, json={} if method in ("POST", "PUT", "PATCH") else None)
            where = f"{method} {url} ({rule.endpoint})"
            assert r.status_code == 401, where
            checked += 1
            if url.startswith("/fhir"):
                assert r.get_json()["resourceType"] == "OperationOutcome", where
                assert r.get_json()["issue"][0]["code"] == "login", where  # FHIR R4 IssueType for authentication
            elif rule.endpoint.startswith("web."):
                assert 'name="token"' in r.text, where  # the sign-in form, returning to the page afterwards
            else:
                assert r.mimetype == PROBLEM and r.headers["WWW-Authenticate"].startswith("Bearer"), where
    # The routes the issue named are among those walked.
    named = {(r.rule, m) for r in app.url_map.iter_rules() for m in (r.methods or ())}
    for must in (
        ("/api/v1/ecl", "POST"),
        ("/api/v1/map", "POST"),
        ("/api/v1/resolve", "POST"),
        ("/api/v1/annotate", "POST"),
    ):
        assert must in named
    assert any(r.rule.startswith("/fhir") for r in app.url_map.iter_rules())
    assert checked > 40
    for path in ("/healthz", "/readyz", "/api/v1/openapi.json", "/author/sign-in"):
        assert client.get(path).status_code == 200, path


def test_a_token_opens_every_kind_of_read(
    sample_index: Path, sample: Terminology, store: SqlGuidelineRepository, tokens: dict[str, str]
) -> None:
    client = make_app(sample_index, sample, store, SNOMAP_READS_REQUIRE_TOKEN="true").test_client()
    reader = bearer(tokens["reader"])
    assert (
        client.post("/api/v1/ecl", json={"ecl": f"<< {ILIUM_MET}", "countOnly": True}, headers=reader).status_code
        == 200
    )
    assert client.post("/api/v1/resolve", json={"codes": [str(ILIUM_MET)]}, headers=reader).status_code == 200
    r = client.get(f"/fhir/CodeSystem/$lookup?system=http://snomed.info/sct&code={ILIUM_MET}", headers=reader)
    assert r.status_code == 200 and r.get_json()["resourceType"] == "Parameters"
    assert sign_in(client, tokens["reader"]).status_code == 302
    assert client.get(f"/concepts/{ILIUM_MET}").status_code == 200


# ----------------------------------------------------------------------------- page sessions


def _cookie(client: FlaskClient, app: Flask) -> Any:
    return client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))


def test_the_session_cookie_holds_no_token_and_dies_at_sign_out(app: Flask, tokens: dict[str, str]) -> None:
    client = app.test_client()
    assert sign_in(client, tokens["author"]).status_code == 302
    cookie = _cookie(client, app)
    tid, secret = tokens["author"].split("_", 2)[1:]
    # Flask's cookie is signed base64 JSON, readable by anyone holding it: neither half of the token is in it.
    content = app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]
    assert tid not in str(content) and secret not in str(content) and tid not in cookie.value
    assert set(content) <= {"snomap_sid", "snomap_csrf", "_flashes"} and len(content["snomap_sid"]) >= 40
    assert client.get("/author").status_code == 200
    captured = cookie.value
    page = client.get("/author").text
    assert client.post("/author/sign-out", data={"csrf_token": csrf(page)}).status_code == 302
    # The issue: a cookie captured before sign-out still worked after it. Replayed now, it signs nobody in.
    thief = app.test_client()
    thief.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), captured)
    r = thief.get("/author")
    assert r.status_code == 302 and r.headers["Location"].startswith("/author/sign-in")


def test_revoking_the_token_ends_its_sessions(
    app: Flask, store: SqlGuidelineRepository, tokens: dict[str, str]
) -> None:
    client = app.test_client()
    sign_in(client, tokens["author"])
    assert client.get("/author").status_code == 200
    store.tokens.revoke("author-user")
    assert client.get("/author").status_code == 302


def _secure(client: FlaskClient, token: str, **kw: Any) -> bool:
    page = client.get("/author/sign-in", **kw).text
    r = client.post("/author/sign-in", data={"csrf_token": csrf(page), "token": token, "next": "/author"}, **kw)
    cookies = r.headers.getlist("Set-Cookie")
    assert cookies, "sign-in sets the session cookie"
    return all("; Secure" in c for c in cookies)


def test_the_cookie_is_secure_over_https(
    sample_index: Path, sample: Terminology, store: SqlGuidelineRepository, tokens: dict[str, str]
) -> None:
    auto = make_app(sample_index, sample, store)
    assert _secure(auto.test_client(), tokens["author"], base_url="https://snomap.example") is True
    assert _secure(auto.test_client(), tokens["author"]) is False  # plain http (a local try-out)
    forced = make_app(sample_index, sample, store, SNOMAP_SESSION_COOKIE_SECURE="true")
    assert _secure(forced.test_client(), tokens["author"]) is True
    # Behind one trusted proxy that terminates TLS, X-Forwarded-Proto says the browser used HTTPS.
    proxied = make_app(sample_index, sample, store, SNOMAP_PROXY_FIX="1")
    assert _secure(proxied.test_client(), tokens["author"], headers={"X-Forwarded-Proto": "https"}) is True
    # Without SNOMAP_PROXY_FIX the header is anyone's to send and is not believed.
    assert _secure(auto.test_client(), tokens["author"], headers={"X-Forwarded-Proto": "https"}) is False


# ----------------------------------------------------------------------------- the page after sign-in


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",  # the reproduction: browsers drop the tab, leaving //evil.example
        "/\n/evil.example",
        "/\r/evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",  # WHATWG URL: a backslash is a slash in special schemes
        "\\\\evil.example",
        "https://evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        " /\t/evil.example",
        "evil.example",
        "/\u2028/evil.example",
        "/\x00/evil.example",
        "/\u200b/evil.example",
    ],
)
def test_sign_in_never_sends_the_browser_off_site(app: Flask, tokens: dict[str, str], target: str) -> None:
    r = sign_in(app.test_client(), tokens["author"], target)
    assert r.status_code == 302 and r.headers["Location"] == "/author"


def test_sign_in_returns_to_a_local_page(app: Flask, tokens: dict[str, str]) -> None:
    r = sign_in(app.test_client(), tokens["author"], f"/concepts/{ILIUM_MET}?lang=en-GB")
    assert r.status_code == 302 and r.headers["Location"] == f"/concepts/{ILIUM_MET}?lang=en-GB"


# ----------------------------------------------------------------------------- timing and failed attempts


def _median_ms(fn: Any, n: int = 9) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def test_a_refusal_takes_as_long_whatever_the_reason(store: SqlGuidelineRepository, tokens: dict[str, str]) -> None:
    # The issue: a known id with a wrong secret took ~50 ms (scrypt), every other refusal ~2 ms.
    tid = tokens["author"].split("_", 2)[1]
    store.tokens.create("gone", "author")
    revoked = store.tokens.create("gone-2", "author")
    store.tokens.revoke("gone-2")
    wrong_secret = _median_ms(lambda: store.tokens.verify(f"snm_{tid}_{'x' * 43}"))
    unknown_id = _median_ms(lambda: store.tokens.verify(f"snm_000000000000_{'x' * 43}"))
    malformed = _median_ms(lambda: store.tokens.verify("not-a-token"))
    gone = _median_ms(lambda: store.tokens.verify(revoked))
    # Loose on purpose (a loaded machine): each refusal runs one scrypt, so none is a small fraction of another.
    for name, ms in (("unknown id", unknown_id), ("malformed", malformed), ("revoked", gone)):
        assert ms >= 0.5 * wrong_secret, f"{name}: {ms:.1f} ms vs wrong secret {wrong_secret:.1f} ms"
    assert (
        store.tokens.check(revoked).reason == "revoked" and store.tokens.check(f"snm_{tid}_nope").reason == "mismatch"
    )


def test_failed_authentication_is_limited_per_client(
    sample_index: Path, sample: Terminology, store: SqlGuidelineRepository, tokens: dict[str, str]
) -> None:
    client = make_app(sample_index, sample, store, SNOMAP_READS_REQUIRE_TOKEN="true").test_client()
    one = {"REMOTE_ADDR": "192.0.2.10"}
    other = {"REMOTE_ADDR": "192.0.2.20"}
    bad = bearer("snm_000000000000_wrong")
    # The default limit: 10 failures a minute (service/config.py SNOMAP_AUTH_FAILURES_PER_MINUTE).
    for _ in range(10):
        assert client.post("/api/v1/guidelines", json=draft(), headers=bad, environ_base=one).status_code == 401
    r = client.post("/api/v1/guidelines", json=draft(), headers=bad, environ_base=one)
    assert r.status_code == 429 and r.mimetype == PROBLEM and 1 <= int(r.headers["Retry-After"]) <= 60
    # Even the right token waits (the limit is per client address, not per token) ...
    assert (
        client.post("/api/v1/guidelines", json=draft(), headers=bearer(tokens["author"]), environ_base=one).status_code
        == 429
    )
    r = client.get(
        f"/fhir/CodeSystem/$lookup?system=http://snomed.info/sct&code={ILIUM_MET}", headers=bad, environ_base=one
    )
    assert r.status_code == 429 and r.get_json()["issue"][0]["code"] == "throttled" and "Retry-After" in r.headers
    # ... while another client is not affected.
    assert (
        client.post(
            "/api/v1/guidelines", json=draft(), headers=bearer(tokens["author"]), environ_base=other
        ).status_code
        == 201
    )


def test_failed_sign_ins_are_limited_too(app: Flask, tokens: dict[str, str]) -> None:
    client = app.test_client()
    page = client.get("/author/sign-in").text
    for _ in range(10):
        r = client.post("/author/sign-in", data={"csrf_token": csrf(page), "token": "snm_000000000000_wrong"})
        assert r.status_code == 401
    r = client.post("/author/sign-in", data={"csrf_token": csrf(page), "token": tokens["author"]})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1 and "Too many failed sign-ins" in r.text


# ----------------------------------------------------------------------------- the audit log


def _audit(client: FlaskClient, admin: str, **query: Any) -> list[dict[str, Any]]:
    r = client.get(
        "/api/v1/audit",
        query_string={"limit": 1000, **query},
        headers=bearer(admin),
        environ_base={"REMOTE_ADDR": "192.0.2.99"},
    )
    assert r.status_code == 200
    return r.get_json()["items"]  # type: ignore[no-any-return]


def test_a_revoked_token_is_audited_by_name_with_the_client(
    app: Flask, store: SqlGuidelineRepository, tokens: dict[str, str]
) -> None:
    client = app.test_client()
    store.tokens.revoke("author-user")
    r = client.post(
        "/api/v1/guidelines",
        json=draft(),
        headers=bearer(tokens["author"]),
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert r.status_code == 401
    row = _audit(client, tokens["admin"], actor="author-user")[0]
    assert (row["action"], row["outcome"], row["status"], row["client"]) == (
        "create_guideline",
        "refused",
        401,
        "198.51.100.7",
    )
    assert row["detail"] == {"token": "revoked"} and row["role"] == "author"
    ok = client.post(
        "/api/v1/guidelines",
        json=draft(),
        headers=bearer(tokens["admin"]),
        environ_base={"REMOTE_ADDR": "198.51.100.8"},
    )
    assert ok.status_code == 201
    created = _audit(client, tokens["admin"], guideline="draft-femur")[0]
    assert created["outcome"] == "ok" and created["client"] == "198.51.100.8"


def test_sign_ins_are_audited(app: Flask, tokens: dict[str, str]) -> None:
    client = app.test_client()
    page = client.get("/author/sign-in").text
    r = client.post(
        "/author/sign-in",
        data={"csrf_token": csrf(page), "token": "snm_000000000000_wrong"},
        environ_base={"REMOTE_ADDR": "203.0.113.5"},
    )
    assert r.status_code == 401
    assert sign_in(client, tokens["author"]).status_code == 302
    rows = [
        (e["actor"], e["action"], e["outcome"], e["status"], e["client"])
        for e in _audit(client, tokens["admin"])
        if e["action"] == "sign-in"
    ]
    assert rows == [
        ("author-user", "sign-in", "ok", None, "127.0.0.1"),
        ("anonymous", "sign-in", "refused", 401, "203.0.113.5"),
    ]


def test_a_flood_of_anonymous_refusals_is_counted_not_copied(app: Flask, tokens: dict[str, str]) -> None:
    # The issue: anonymous refused writes wrote one row each (about 540 rows/s).
    client = app.test_client()
    for _ in range(60):
        assert (
            client.post("/api/v1/guidelines", json=draft(), environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code
            == 401
        )
    rows = [e for e in _audit(client, tokens["admin"], actor="anonymous") if e["client"] == "203.0.113.9"]
    assert sum(e["count"] for e in rows) == 60
    assert len(rows) <= 2  # one per clock minute; the loop may straddle a minute boundary


# ----------------------------------------------------------------------------- the ETag of what was rendered


def test_the_etag_is_that_of_the_body_sent(
    app: Flask,
    store: SqlGuidelineRepository,
    tokens: dict[str, str],
    sample: Terminology,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = app.test_client()
    before = store.record(GID)
    assert before is not None
    original = store.record
    calls = {"n": 0}

    def record_then_someone_writes(gid: str) -> Any:
        out = original(gid)
        calls["n"] += 1
        if calls["n"] == 1:  # a write lands between this read and any later one in the same request
            assert out is not None
            from dataclasses import replace as dc_replace

            store.replace(
                gid,
                dc_replace(out.doc, title="Changed meanwhile"),
                if_match=[out.etag],
                actor="other-author",
                baseline=baselines(sample),
            )
        return out

    monkeypatch.setattr(store, "record", record_then_someone_writes)
    r = client.get(f"/api/v1/guidelines/{GID}")
    monkeypatch.undo()
    assert r.status_code == 200 and r.get_json()["title"] == before.doc.title
    assert r.headers["ETag"].strip('"') == before.etag  # the ETag of the revision whose body was sent
    # So a PUT based on what this client saw is refused instead of overwriting the change it never saw.
    body = {**draft(GID, "published"), "title": "Mine"}
    body.pop("id")
    put = client.put(
        f"/api/v1/guidelines/{GID}", json=body, headers={**bearer(tokens["author"]), "If-Match": r.headers["ETag"]}
    )
    assert put.status_code == 412


# ----------------------------------------------------------------------------- drafts are for authors


def test_drafts_are_for_authors_only(app: Flask, tokens: dict[str, str]) -> None:
    client = app.test_client()
    assert client.post("/api/v1/guidelines", json=draft(), headers=bearer(tokens["author"])).status_code == 201
    assert (
        client.post(
            "/api/v1/guidelines", json=draft("retired-femur", "retired"), headers=bearer(tokens["author"])
        ).status_code
        == 201
    )

    def linked(headers: dict[str, str] | None = None, **q: str) -> list[str]:
        r = client.get("/api/v1/guidelines", query_string={"concept": str(FEMUR_MET), **q}, headers=headers or {})
        assert r.status_code == 200, r.get_json()
        return [x["id"] for x in r.get_json()["items"]]

    def listed(headers: dict[str, str] | None = None) -> list[str]:
        return [x["id"] for x in client.get("/api/v1/guidelines", headers=headers or {}).get_json()["items"]]

    for who in (None, bearer(tokens["reader"])):
        assert "draft-femur" not in linked(who) and "retired-femur" not in linked(who)
        assert "draft-femur" not in listed(who)
        assert client.get("/api/v1/guidelines/draft-femur", headers=who or {}).status_code == 404
        assert client.get("/api/v1/guidelines/draft-femur/source", headers=who or {}).status_code == 404
        assert client.get("/api/v1/guidelines/draft-femur/revisions/1", headers=who or {}).status_code == 404
        r = client.get(
            "/api/v1/guidelines", query_string={"concept": str(FEMUR_MET), "status": "draft"}, headers=who or {}
        )
        assert r.status_code == 403 and r.mimetype == PROBLEM
        assert linked(who, status="published") == linked(who)
    author = bearer(tokens["author"])
    assert {"draft-femur", "retired-femur"} <= set(linked(author)) and "draft-femur" in listed(author)
    assert linked(author, status="draft") == ["draft-femur"]
    assert client.get("/api/v1/guidelines/draft-femur", headers=author).status_code == 200
    assert (
        client.get("/api/v1/guidelines/draft-femur/revisions/1", headers=author).get_json()["snapshot"]["doc"]["status"]
        == "draft"
    )


def test_pages_show_drafts_to_signed_in_authors_only(app: Flask, tokens: dict[str, str]) -> None:
    client = app.test_client()
    assert client.post("/api/v1/guidelines", json=draft(), headers=bearer(tokens["author"])).status_code == 201
    assert "Femoral metastases (draft)" not in client.get(f"/concepts/{FEMUR_MET}").text
    assert "Femoral metastases (draft)" not in client.get("/guidelines").text
    assert client.get("/guidelines/draft-femur").status_code == 404
    sign_in(client, tokens["author"])
    assert "Femoral metastases (draft)" in client.get(f"/concepts/{FEMUR_MET}").text
    assert client.get("/guidelines/draft-femur").status_code == 200


# ----------------------------------------------------------------------------- OpenAPI


def test_openapi_declares_the_security_scheme_problems_and_auth_responses(app: Flask) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    validator.validate(spec)
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["properties"])
    ops = [
        (path, m, op)
        for path, item in spec["paths"].items()
        for m, op in item.items()
        if isinstance(op, dict) and "responses" in op
    ]
    for path, method, op in ops:
        for req in op.get("security", []):
            assert set(req) <= set(schemes), (path, method)  # every scheme referenced is defined
            if "bearer" in req:
                assert {"401", "403"} <= set(op["responses"]), (path, method)
        if path.startswith("/api/v1/") and path not in ("/api/v1/openapi.json", "/api/v1/docs"):
            assert "401" in op["responses"], (path, method)  # SNOMAP_READS_REQUIRE_TOKEN can close every route
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")) and not path.startswith("/fhir"):
                # Problem, or a more specific problem schema a view declares (EclProblemOut adds the position).
                assert "$ref" in response["content"]["application/problem+json"]["schema"], (path, method, code)
        if "401" in op["responses"]:
            assert op["responses"]["401"]["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
    assert "304" in spec["paths"]["/api/v1/guidelines/{gid}"]["get"]["responses"]
    assert "304" in spec["paths"]["/api/v1/guidelines/{gid}/source"]["get"]["responses"]
