"""CDS Hooks 2.0 over HTTP: discovery, the guideline services, feedback, JWT client authentication and the FHIR fetch.

Requests and responses are validated against JSON Schemas written from the specification's tables
(cds_shapes.py); the specification's own examples are run through them and through the endpoints.
The FHIR server and the JWKS endpoint are a real HTTP server on 127.0.0.1, started here.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask
from flask.testing import FlaskClient
from jwt.algorithms import ECAlgorithm

from service import create_app
from service.cds.auth import AuthenticationError, ClientVerifier, parse_issuers
from terminology.authoring import open_repository
from terminology.sample import sample_guidelines_dir
from tests.service.cds_shapes import CARD, DISCOVERY, FEEDBACK, REQUEST, RESPONSE, SPEC_DIR, example, examples
from tests.terminology.authoring.databases import backend, postgres_database, store_url  # noqa: F401

PUBLIC = "https://cds.example.org"
PROBLEMS = "snomap-guidelines-problem-list"
PATIENT_VIEW = "snomap-guidelines-patient-view"
ENCOUNTER = "snomap-guidelines-encounter-start"
ISS = "https://ehr.example.org"
RUNNING_EXAMPLE = [
    "Pelvic and periacetabular metastases - fracture risk assessment and orthopaedic referral",
    "Imaging and biopsy of a suspected bone metastasis",
    "Local consolidative therapy for oligometastatic disease",
    "General principles of care for malignant neoplastic disease",
]

pytestmark = pytest.mark.skipif(
    not (SPEC_DIR / "current.md").is_file(), reason=f"CDS Hooks specification not at {SPEC_DIR}"
)


def valid(schema: dict[str, Any], data: Any) -> None:
    jsonschema.Draft202012Validator(schema).validate(data)


# --------------------------------------------------------------------------- a real HTTP server: FHIR and JWKS


class Recorder:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []
        self.jwks: dict[str, Any] = {"keys": []}


def condition(cid: str, code: str, system: str = "http://snomed.info/sct", **more: Any) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid, "code": {"coding": [{"system": system, "code": code}]}, **more}


def bundle(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}
    if next_url:
        b["link"] = [{"relation": "next", "url": next_url}]
    return b


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Recorder]]:
    rec = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlsplit(self.path)
            q = parse_qs(url.query)
            rec.requests.append((self.path, self.headers.get("Authorization")))
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if url.path == "/jwks.json":
                return self.send(200, rec.jwks)
            if url.path == "/fhir/Condition" and q.get("page") == ["2"]:
                return self.send(200, bundle(condition("c2", "1069990001108")))
            if url.path == "/fhir/Condition":
                if q != {"patient": ["p1"], "clinical-status": ["active"]}:
                    return self.send(
                        400, {"resourceType": "OperationOutcome", "issue": [{"diagnostics": f"bad query {q}"}]}
                    )
                return self.send(
                    200, bundle(condition("c1", "1059990001105"), next_url=f"{base}/fhir/Condition?page=2")
                )
            if url.path == "/broken/Condition":
                return self.send(
                    500,
                    {
                        "resourceType": "OperationOutcome",
                        "issue": [{"severity": "error", "code": "exception", "diagnostics": "database offline"}],
                    },
                )
            if url.path == "/slow/Condition":
                time.sleep(1.5)
                return self.send(200, bundle())
            return self.send(404, {"resourceType": "OperationOutcome", "issue": [{"diagnostics": "no such path"}]})

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", rec
    httpd.shutdown()
    httpd.server_close()


# --------------------------------------------------------------------------- keys and tokens


@pytest.fixture(scope="module")
def keys(server: tuple[str, Recorder]) -> dict[str, Any]:
    """An ES384 key (inline JWKS), an RS384 key (PEM), and an ES256 key served from the JWKS URL."""
    es = ec.generate_private_key(ec.SECP384R1())
    rs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    served = ec.generate_private_key(ec.SECP256R1())

    def jwk(private: Any, kid: str, alg: str) -> dict[str, Any]:
        return {**ECAlgorithm.to_jwk(private.public_key(), as_dict=True), "kid": kid, "alg": alg, "use": "sig"}

    server[1].jwks = {"keys": [jwk(served, "served", "ES256")]}
    pem = (
        rs.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    issuers = [
        {"iss": ISS, "jwks": {"keys": [jwk(es, "k1", "ES384")]}},
        {"iss": "https://pem.example.org", "public_keys": {"r1": pem}},
        {"iss": "https://served.example.org", "jwks_url": f"{server[0]}/jwks.json"},
    ]
    return {"es": es, "rs": rs, "served": served, "issuers": issuers}


def token(keys: dict[str, Any], aud: str, **over: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": aud, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    header = {"kid": "k1", "typ": "JWT"}
    key, alg = keys["es"], "ES384"
    for k, v in over.items():
        if k.startswith("h_"):
            if v is None:
                header.pop(k[2:])
            else:
                header[k[2:]] = v
        elif k.startswith("c_"):
            claims[k[2:]] = v
        elif k == "key":
            key = v
        elif k == "alg":
            alg = v
        elif v is None:
            claims.pop(k)
        else:
            claims[k] = v
    return jwt.encode(claims, key, algorithm=alg, headers=header)


def auth(t: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {t}"}


# --------------------------------------------------------------------------- apps


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    repo = open_repository(f"sqlite:///{tmp_path_factory.mktemp('cds') / 'g.db'}", seed_dir=sample_guidelines_dir())
    yield repo
    repo.dispose()


@pytest.fixture(scope="module")
def secure_app(sample_index: Path, keys: dict[str, Any], store: Any) -> Flask:
    return create_app(
        {
            "SNOMAP_INDEX": str(sample_index),
            "TESTING": True,
            "SNOMAP_GUIDELINE_REPOSITORY": store,
            "SNOMAP_CDS_TRUSTED_ISSUERS": keys["issuers"],
            "SNOMAP_CDS_PUBLIC_URL": PUBLIC,
            "SNOMAP_CDS_FHIR_TIMEOUT": 0.5,
        }
    )


@pytest.fixture()
def secure(secure_app: Flask) -> FlaskClient:
    return secure_app.test_client()


@pytest.fixture(scope="module")
def dev(sample_index: Path, store: Any) -> FlaskClient:
    app = create_app(
        {
            "SNOMAP_INDEX": str(sample_index),
            "TESTING": True,
            "SNOMAP_GUIDELINE_REPOSITORY": store,
            "SNOMAP_CDS_ALLOW_UNAUTHENTICATED": "true",
        }
    )
    return app.test_client()


def hook_request(hook: str, context: dict[str, Any], **more: Any) -> dict[str, Any]:
    req = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context, **more}
    valid(REQUEST, req)
    return req


def problem_list(*resources: dict[str, Any]) -> dict[str, Any]:
    return hook_request(
        "problem-list-item-create",
        {"userId": "Practitioner/123", "patientId": "p1", "conditions": bundle(*resources)},
    )


def cards(client: FlaskClient, service_id: str, req: dict[str, Any], **kw: Any) -> list[dict[str, Any]]:
    resp = client.post(f"/cds-services/{service_id}", json=req, **kw)
    assert resp.status_code == 200, resp.get_json()
    valid(RESPONSE, resp.get_json())
    return resp.get_json()["cards"]


# --------------------------------------------------------------------------- discovery and the running example


def test_discovery(secure: FlaskClient, keys: dict[str, Any]) -> None:
    resp = secure.get("/cds-services", headers=auth(token(keys, f"{PUBLIC}/cds-services")))
    assert resp.status_code == 200
    body = resp.get_json()
    valid(DISCOVERY, body)
    by_id = {s["id"]: s for s in body["services"]}
    assert {(i, s["hook"]) for i, s in by_id.items()} == {
        (PROBLEMS, "problem-list-item-create"),
        (PATIENT_VIEW, "patient-view"),
        (ENCOUNTER, "encounter-start"),
    }
    assert by_id[PATIENT_VIEW]["prefetch"] == {
        "conditions": "Condition?patient={{context.patientId}}&clinical-status=active"
    }
    assert by_id[ENCOUNTER]["prefetch"] == by_id[PATIENT_VIEW]["prefetch"]
    assert all(s["title"] and s["description"] for s in body["services"])


def test_running_example(secure: FlaskClient, keys: dict[str, Any]) -> None:
    req = problem_list(condition("c1", "1059990001105"))
    got = cards(secure, PROBLEMS, req, headers=auth(token(keys, f"{PUBLIC}/cds-services/{PROBLEMS}")))
    assert [c["source"]["label"] for c in got] == RUNNING_EXAMPLE
    assert got[0]["links"][0]["url"] == f"{PUBLIC}/guidelines/pelvic-bone-metastasis-fracture-risk"
    assert "Metastatic malignant neoplasm to ilium is a Secondary malignant neoplasm of pelvic bone" in got[0]["detail"]
    assert len({c["uuid"] for c in got}) == 4


def test_patient_view_with_prefetch_and_notes(dev: FlaskClient) -> None:
    resolved = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}]}
    prefetch = {
        "conditions": bundle(
            condition("a", "1069990001108", clinicalStatus=resolved),
            condition("b", "C79.5", "http://hl7.org/fhir/sid/icd-10"),
        )
    }
    req = hook_request("patient-view", {"userId": "Practitioner/abc", "patientId": "p1"}, prefetch=prefetch)
    resp = dev.post(f"/cds-services/{PATIENT_VIEW}", json=req)
    body = resp.get_json()
    valid(RESPONSE, body)
    assert [c["source"]["label"] for c in body["cards"]] == RUNNING_EXAMPLE[1:]
    assert body["extension"]["dev.snomap.notes"] == ["Condition/a skipped: clinicalStatus is resolved"]


def test_null_prefetch_means_no_conditions(dev: FlaskClient) -> None:
    req = hook_request(
        "encounter-start",
        {"userId": "PractitionerRole/A2340113", "patientId": "1288992", "encounterId": "456"},
        prefetch={"conditions": None},
    )
    assert cards(dev, ENCOUNTER, req) == []


def test_wrong_hook_and_missing_context(dev: FlaskClient) -> None:
    req = hook_request("patient-view", {"userId": "Practitioner/1", "patientId": "1"}, prefetch={"conditions": None})
    resp = dev.post(f"/cds-services/{PROBLEMS}", json=req)
    assert (
        resp.status_code == 400 and resp.mimetype == "application/problem+json" and resp.get_json()["field"] == "hook"
    )
    req = hook_request("encounter-start", {"userId": "Practitioner/1", "patientId": "1"}, prefetch={"conditions": None})
    assert dev.post(f"/cds-services/{ENCOUNTER}", json=req).get_json()["field"] == "context.encounterId"
    assert dev.post("/cds-services/nope", json=req).status_code == 404
    resp = dev.post(f"/cds-services/{ENCOUNTER}", json={"hook": "encounter-start", "context": {}})
    assert resp.status_code == 400 and "hookInstance" in resp.get_json()["detail"]


# --------------------------------------------------------------------------- the specification's examples


def test_spec_discovery_and_request_and_response_examples_fit_the_shapes() -> None:
    valid(DISCOVERY, example("current.md", "Discovery Example"))
    valid(REQUEST, example("current.md", "Example", 0))
    valid(REQUEST, example("current.md", "Extensions", 0))
    valid(DISCOVERY, example("current.md", "Extensions", 1))
    valid(RESPONSE, example("current.md", "HTTP Response"))
    valid(RESPONSE, example("current.md", "Example", 1))
    for reasons in [example("current.md", "Reasons for rejecting a card")["overrideReasons"]]:
        valid(CARD["properties"]["overrideReasons"], reasons)
    # As published, the autolaunchable response example omits the REQUIRED card indicator.
    errors = list(jsonschema.Draft202012Validator(RESPONSE).iter_errors(example("current.md", "Example", 2)))
    assert [e.message for e in errors] == ["'indicator' is a required property"]
    for heading in (
        "Example suggestion accepted",
        "Example overridden guidance without overrideReason",
        "Example overridden guidance with overrideReason",
    ):
        valid(FEEDBACK, example("current.md", heading))


@pytest.mark.parametrize("version", [0, 1, 2])
def test_spec_problem_list_examples_are_answered(dev: FlaskClient, version: int) -> None:
    """The R4, STU3 and DSTU2 examples (their codes, e.g. 16114001 Fracture of ankle, are not in the sample release)."""
    ctx = [v for h, v in examples("problem-list-item-create.md") if h.startswith("Example")][version]["context"]
    code = ctx["conditions"]["entry"][0]["resource"]["code"]["coding"][0]["code"]
    req = hook_request("problem-list-item-create", ctx)
    resp = dev.post(f"/cds-services/{PROBLEMS}", json=req)
    assert resp.status_code == 200
    valid(RESPONSE, resp.get_json())
    assert resp.get_json()["cards"] == []
    assert any(code in n for n in resp.get_json()["extension"]["dev.snomap.notes"])


def test_spec_patient_view_and_encounter_start_examples_are_answered(dev: FlaskClient) -> None:
    for name, sid in (("patient-view.md", PATIENT_VIEW), ("encounter-start.md", ENCOUNTER)):
        for _, value in examples(name):
            req = hook_request(
                name.removesuffix(".md"),
                value["context"],
                prefetch={"conditions": bundle(condition("c", "1059990001105"))},
            )
            assert [c["source"]["label"] for c in cards(dev, sid, req)] == RUNNING_EXAMPLE


def test_spec_example_jwt_is_verified_then_refused_as_expired() -> None:
    """The specification's JWT and JWKS: signature, kid, jku, iss and aud check out; its exp (2015) has passed."""
    blocks = [v for h, v in examples("current.md") if h == "Example"]
    header, payload, jwks = blocks[3], blocks[4], blocks[5]
    tok = re.search(r"Authorization: Bearer (\S+)", (SPEC_DIR / "current.md").read_text()).group(1)  # type: ignore[union-attr]
    verifier = ClientVerifier(parse_issuers([{"iss": payload["iss"], "jwks": jwks, "jwks_url": header["jku"]}]))
    with pytest.raises(AuthenticationError, match="Signature has expired"):
        verifier.verify(tok, [payload["aud"]])
    with pytest.raises(AuthenticationError, match="jku"):
        ClientVerifier(parse_issuers([{"iss": payload["iss"], "jwks": jwks}])).verify(tok, [payload["aud"]])


# --------------------------------------------------------------------------- JWT authentication


def test_unauthenticated_calls_are_refused_by_default(sample_index: Path, store: Any) -> None:
    client = create_app(
        {"SNOMAP_INDEX": str(sample_index), "TESTING": True, "SNOMAP_GUIDELINE_REPOSITORY": store}
    ).test_client()
    for resp in (client.get("/cds-services"), client.post(f"/cds-services/{PROBLEMS}", json=problem_list())):
        assert resp.status_code == 401
        assert resp.mimetype == "application/problem+json"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"c_aud": f"{PUBLIC}/cds-services/other"}, "aud"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"iss": "https://evil.example.org"}, "not trusted"),
        ({"h_kid": "unknown"}, "no key"),
        ({"h_kid": None}, "kid"),
        ({"jti": None}, "jti"),
        ({"iat": None}, "iat"),
        ({"exp": int(time.time()) + 7200}, "short-lived"),
        ({"alg": "HS256", "key": "a-shared-secret-of-enough-length-32b"}, "HS256"),
        ({"h_jku": "https://evil.example.org/jwks"}, "jku"),
        ({"h_typ": "at+jwt"}, "typ"),
    ],
)
def test_refused_tokens(secure: FlaskClient, keys: dict[str, Any], over: dict[str, Any], reason: str) -> None:
    aud = f"{PUBLIC}/cds-services/{PROBLEMS}"
    tok = token(keys, aud, **over)
    resp = secure.post(f"/cds-services/{PROBLEMS}", json=problem_list(), headers=auth(tok))
    assert resp.status_code == 401, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert reason in resp.get_json()["detail"]


def test_alg_none_and_wrong_signature_are_refused(secure: FlaskClient, keys: dict[str, Any]) -> None:
    aud = f"{PUBLIC}/cds-services/{PROBLEMS}"
    now = int(time.time())
    unsigned = jwt.encode(
        {"iss": ISS, "aud": aud, "exp": now + 60, "iat": now, "jti": "x"}, None, algorithm="none", headers={"kid": "k1"}
    )
    forged = token(keys, aud, key=ec.generate_private_key(ec.SECP384R1()))
    for tok in (unsigned, forged, "not-a-jwt"):
        resp = secure.post(f"/cds-services/{PROBLEMS}", json=problem_list(), headers=auth(tok))
        assert resp.status_code == 401
    assert (
        secure.post(
            f"/cds-services/{PROBLEMS}", json=problem_list(), headers={"Authorization": "Basic abc"}
        ).status_code
        == 401
    )


def test_replayed_jti_is_refused(secure: FlaskClient, keys: dict[str, Any]) -> None:
    tok = token(keys, f"{PUBLIC}/cds-services/{PROBLEMS}")
    assert secure.post(f"/cds-services/{PROBLEMS}", json=problem_list(), headers=auth(tok)).status_code == 200
    resp = secure.post(f"/cds-services/{PROBLEMS}", json=problem_list(), headers=auth(tok))
    assert resp.status_code == 401 and "replay" in resp.get_json()["detail"]


def test_pem_key_and_aud_as_a_list(secure: FlaskClient, keys: dict[str, Any]) -> None:
    aud = [f"{PUBLIC}/cds-services/{PROBLEMS}"]
    tok = token(keys, aud, iss="https://pem.example.org", key=keys["rs"], alg="RS384", h_kid="r1")  # type: ignore[arg-type]
    assert secure.post(f"/cds-services/{PROBLEMS}", json=problem_list(), headers=auth(tok)).status_code == 200
    # The RSA key cannot verify an ES384 token claiming its kid.
    tok = token(keys, aud, iss="https://pem.example.org", h_kid="r1")  # type: ignore[arg-type]
    assert secure.post(f"/cds-services/{PROBLEMS}", json=problem_list(), headers=auth(tok)).status_code == 401


def test_key_from_a_jwks_url(secure: FlaskClient, keys: dict[str, Any], server: tuple[str, Recorder]) -> None:
    base, rec = server
    tok = token(
        keys,
        f"{PUBLIC}/cds-services",
        iss="https://served.example.org",
        key=keys["served"],
        alg="ES256",
        h_kid="served",
        h_jku=f"{base}/jwks.json",
    )
    assert secure.get("/cds-services", headers=auth(tok)).status_code == 200
    assert any(path == "/jwks.json" for path, _ in rec.requests)


# --------------------------------------------------------------------------- fetching Conditions from the FHIR server


def fetching(base: str, path: str, hook: str = "patient-view") -> dict[str, Any]:
    ctx = {"userId": "Practitioner/1", "patientId": "p1"}
    if hook == "encounter-start":
        ctx["encounterId"] = "e1"
    authz = {
        "access_token": "secret-fhir-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Condition.read",
        "subject": "snomap",
    }
    return hook_request(hook, ctx, fhirServer=f"{base}/{path}", fhirAuthorization=authz)


def test_conditions_fetched_from_the_fhir_server(dev: FlaskClient, server: tuple[str, Recorder]) -> None:
    base, rec = server
    rec.requests.clear()
    got = cards(dev, PATIENT_VIEW, fetching(base, "fhir"))
    # Page 1 has the ilium metastasis, page 2 (the `next` link) the sacrum one.
    assert got[0]["source"]["label"].startswith("Spinal metastases")
    assert [c["source"]["label"] for c in got[1:]] == RUNNING_EXAMPLE
    fhir = [(p, a) for p, a in rec.requests if p.startswith("/fhir/")]
    assert [p for p, _ in fhir] == ["/fhir/Condition?patient=p1&clinical-status=active", "/fhir/Condition?page=2"]
    assert all(a == "Bearer secret-fhir-token" for _, a in fhir)


def test_an_operation_outcome_prefetch_is_fetched_again(dev: FlaskClient, server: tuple[str, Recorder]) -> None:
    req = fetching(server[0], "fhir", "encounter-start")
    req["prefetch"] = {
        "conditions": {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}
    }
    assert len(cards(dev, ENCOUNTER, req)) == 5


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("broken", "answered HTTP 500: database offline"),
        ("slow", "did not answer within"),
        ("missing", "answered HTTP 404"),
    ],
)
def test_fhir_server_failures_are_412(
    secure: FlaskClient, keys: dict[str, Any], server: tuple[str, Recorder], path: str, detail: str
) -> None:
    tok = token(keys, f"{PUBLIC}/cds-services/{PATIENT_VIEW}")
    resp = secure.post(f"/cds-services/{PATIENT_VIEW}", json=fetching(server[0], path), headers=auth(tok))
    assert resp.status_code == 412 and resp.mimetype == "application/problem+json"
    assert detail in resp.get_json()["detail"]


def test_unreachable_fhir_server_and_no_way_to_fetch(dev: FlaskClient) -> None:
    resp = dev.post(f"/cds-services/{PATIENT_VIEW}", json=fetching("http://127.0.0.1:9", "fhir"))
    assert resp.status_code == 412 and "could not be reached" in resp.get_json()["detail"]
    resp = dev.post(
        f"/cds-services/{PATIENT_VIEW}",
        json=hook_request("patient-view", {"userId": "Practitioner/1", "patientId": "p1"}),
    )
    assert resp.status_code == 412 and "prefetch" in resp.get_json()["detail"]


# --------------------------------------------------------------------------- feedback


def feedback_of(card_id: str, outcome: str, **more: Any) -> dict[str, Any]:
    body = {"feedback": [{"card": card_id, "outcome": outcome, "outcomeTimestamp": "2020-12-11T00:00:00Z", **more}]}
    valid(FEEDBACK, body)
    return body


@pytest.fixture()
def store_app(sample_index: Path, store_url: str, keys: dict[str, Any]) -> Iterator[Flask]:  # noqa: F811
    repo = open_repository(store_url, seed_dir=sample_guidelines_dir())
    yield create_app(
        {
            "SNOMAP_INDEX": str(sample_index),
            "TESTING": True,
            "SNOMAP_GUIDELINE_REPOSITORY": repo,
            "SNOMAP_CDS_TRUSTED_ISSUERS": keys["issuers"],
            "SNOMAP_CDS_PUBLIC_URL": PUBLIC,
        }
    )
    repo.dispose()


def test_feedback_is_recorded_and_counted(store_app: Flask, keys: dict[str, Any]) -> None:
    client = store_app.test_client()
    got = cards(
        client,
        PROBLEMS,
        problem_list(condition("c1", "1059990001105")),
        headers=auth(token(keys, f"{PUBLIC}/cds-services/{PROBLEMS}")),
    )
    pelvic, workup = got[0], got[1]
    reason = pelvic["overrideReasons"][0]
    url = f"/cds-services/{PROBLEMS}/feedback"
    posts = [
        feedback_of(
            pelvic["uuid"], "overridden", overrideReason={"reason": reason, "userComment": "Seen by orthopaedics"}
        ),
        feedback_of(pelvic["uuid"], "overridden"),
        feedback_of(pelvic["uuid"], "accepted", acceptedSuggestions=[{"id": pelvic["suggestions"][0]["uuid"]}]),
        feedback_of(workup["uuid"], "accepted", acceptedSuggestions=[{"id": workup["suggestions"][0]["uuid"]}]),
    ]
    for n, body in enumerate(posts):
        # aud may name the feedback endpoint or the service it belongs to.
        aud = f"{PUBLIC}{url}" if n % 2 else f"{PUBLIC}/cds-services/{PROBLEMS}"
        resp = client.post(url, json=body, headers=auth(token(keys, aud)))
        assert resp.status_code == 200 and resp.get_json() == {"recorded": 1}
    counts = client.get("/api/v1/guidelines/pelvic-bone-metastasis-fracture-risk/feedback").get_json()
    assert counts == {
        "guidelineId": "pelvic-bone-metastasis-fracture-risk",
        "accepted": 1,
        "overridden": 2,
        "total": 3,
        "comments": 1,
        "overrideReasons": [{**reason, "count": 1}],
    }
    page = client.get("/guidelines/pelvic-bone-metastasis-fracture-risk").get_data(as_text=True)
    assert "Feedback from the EHR" in page and "<strong>1</strong> accepted, <strong>2</strong> overridden" in page
    assert f"{reason['display']}: 1" in page


def test_feedback_on_unknown_cards_and_the_spec_examples(store_app: Flask, keys: dict[str, Any]) -> None:
    client = store_app.test_client()
    url = f"/cds-services/{PROBLEMS}/feedback"
    for heading in ("Example suggestion accepted", "Example overridden guidance with overrideReason"):
        body = example("current.md", heading)
        resp = client.post(url, json=body, headers=auth(token(keys, f"{PUBLIC}{url}")))
        assert resp.status_code == 400 and resp.get_json()["field"] == "feedback.card"
        assert body["feedback"][0]["card"] in resp.get_json()["detail"]
    # The same examples, about a card this service did issue, are recorded.
    issued = cards(
        client,
        PROBLEMS,
        problem_list(condition("c1", "1059990001105")),
        headers=auth(token(keys, f"{PUBLIC}/cds-services/{PROBLEMS}")),
    )[0]
    for heading in (
        "Example suggestion accepted",
        "Example overridden guidance without overrideReason",
        "Example overridden guidance with overrideReason",
    ):
        body = example("current.md", heading)
        body["feedback"][0]["card"] = issued["uuid"]
        resp = client.post(url, json=body, headers=auth(token(keys, f"{PUBLIC}{url}")))
        assert resp.status_code == 200, resp.get_json()
    counts = client.get("/api/v1/guidelines/pelvic-bone-metastasis-fracture-risk/feedback").get_json()
    assert (counts["accepted"], counts["overridden"]) == (1, 2)


def test_malformed_feedback(dev: FlaskClient) -> None:
    url = f"/cds-services/{PROBLEMS}/feedback"
    assert dev.post(url, json={"feedback": []}).status_code == 400
    assert (
        dev.post(
            url, json={"feedback": [{"card": "x", "outcome": "ignored", "outcomeTimestamp": "2020-12-11T00:00:00Z"}]}
        ).status_code
        == 400
    )
    assert (
        dev.post(
            url, json={"feedback": [{"card": "x", "outcome": "accepted", "outcomeTimestamp": "yesterday"}]}
        ).status_code
        == 400
    )


def test_no_feedback_store_with_a_guideline_directory(sample_index: Path) -> None:
    app = create_app(
        {
            "SNOMAP_INDEX": str(sample_index),
            "TESTING": True,
            "SNOMAP_GUIDELINES": str(sample_guidelines_dir()),
            "SNOMAP_CDS_ALLOW_UNAUTHENTICATED": True,
        }
    )
    client = app.test_client()
    got = cards(client, PROBLEMS, problem_list(condition("c1", "1059990001105")))
    assert len(got) == 4
    resp = client.post(f"/cds-services/{PROBLEMS}/feedback", json=feedback_of(got[0]["uuid"], "overridden"))
    assert resp.status_code == 501
    assert client.get("/api/v1/guidelines/pelvic-bone-metastasis-fracture-risk/feedback").status_code == 501
    assert "Feedback from the EHR" not in client.get("/guidelines/pelvic-bone-metastasis-fracture-risk").get_data(
        as_text=True
    )


def test_environment_settings() -> None:
    from service import config
    from service.cds import settings

    env = {
        settings.TRUSTED_ISSUERS: json.dumps([{"iss": ISS, "jwks_url": "https://ehr.example.org/jwks"}]),
        settings.ALLOW_UNAUTHENTICATED: "false",
    }
    got = config.load({}, env)
    assert got[settings.TRUSTED_ISSUERS][0]["iss"] == ISS and got[settings.ALLOW_UNAUTHENTICATED] is False
    assert got[settings.FHIR_TIMEOUT] == 5.0
    with pytest.raises(config.SettingError, match=settings.TRUSTED_ISSUERS):
        config.load({}, {settings.TRUSTED_ISSUERS: "[{"})
    with pytest.raises(config.SettingError, match=settings.ALLOW_UNAUTHENTICATED):
        config.load({}, {settings.ALLOW_UNAUTHENTICATED: "maybe"})
    with pytest.raises(ValueError, match="needs 'jwks_url'"):
        parse_issuers([{"iss": ISS}])
