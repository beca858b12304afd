"""The authoring API over HTTP (Flask test client), on SQLite and on PostgreSQL.

Each test gets an app over the sample release whose guideline repository is a fresh SQL store seeded
with the sample guidelines, plus three tokens (reader, author, admin).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.api import authoring
from terminology import Terminology
from terminology.authoring import SqlGuidelineRepository
from terminology.authoring.validation import baselines
from terminology.linking.guidelines import FileGuidelineRepository
from terminology.sample import sample_guidelines_dir
from tests.terminology.authoring import databases as db
from tests.terminology.authoring.databases import (
    BONE_MET,
    BONE_STRUCTURE,
    DUPLICATE_ILIUM,
    FEMUR_MET,
    FEMUR_SHAFT_MET,
    ILIUM_MET,
    PELVIC_MET,
)

# The shared SQLite/PostgreSQL fixtures (tests/service/conftest.py belongs to the read API's tests).
backend, delta, delta_index, postgres_database, repo, store_url = (
    db.backend,
    db.delta,
    db.delta_index,
    db.postgres_database,
    db.repo,
    db.store_url,
)

GID = "pelvic-bone-metastasis-fracture-risk"
PROBLEM = "application/problem+json"


def make_app(sample_index: Path, t: Terminology, guidelines: Any, **config: Any) -> Flask:
    app = create_app(
        {
            "SNOMAP_INDEX": str(sample_index),
            "SNOMAP_TERMINOLOGY": t,
            "SNOMAP_GUIDELINE_REPOSITORY": guidelines,
            "TESTING": True,
            **config,
        }
    )
    if "authoring" not in app.blueprints:  # until service/app.py registers it
        app.register_blueprint(authoring.bp)
    return app


@pytest.fixture()
def store(repo: SqlGuidelineRepository, sample: Terminology) -> SqlGuidelineRepository:
    repo.import_directory(sample_guidelines_dir(), baseline=baselines(sample))
    return repo


@pytest.fixture()
def tokens(store: SqlGuidelineRepository) -> dict[str, str]:
    return {role: store.tokens.create(f"{role}-user", role) for role in ("reader", "author", "admin")}


@pytest.fixture()
def client(store: SqlGuidelineRepository, sample_index: Path, sample: Terminology) -> Iterator[FlaskClient]:
    yield make_app(sample_index, sample, store).test_client()


def h(token: str | None = None, etag: str | None = None) -> dict[str, str]:
    out = {}
    if token:
        out["Authorization"] = f"Bearer {token}"
    if etag:
        out["If-Match"] = f'"{etag}"'
    return out


def new_guideline(gid: str = "new-guideline", *tags: dict[str, Any], **kw: Any) -> dict[str, Any]:
    body = {
        "id": gid,
        "title": "Femoral metastases",
        "status": "draft",
        "updated": "2025-09-01",
        "sections": [{"heading": "Overview", "markdown": "Read [mirels1989]."}],
        "recommendations": [{"id": "r1", "text": "Score the lesion.", "strength": "moderate"}],
        "references": [
            {
                "id": "mirels1989",
                "authors": ["Mirels H"],
                "title": "Metastatic disease in long bones",
                "journal": "CORR",
                "year": 1989,
            }
        ],
        "tags": list(tags) or [{"concept": str(FEMUR_MET), "term": "femur"}],
    }
    body.update(kw)
    return body


def etag_of(client: FlaskClient, gid: str) -> str:
    r = client.get(f"/api/v1/guidelines/{gid}")
    assert r.status_code == 200
    return r.headers["ETag"].strip('"')


# ----------------------------------------------------------------------------- reads keep working


def test_read_endpoints_answer_as_with_the_file_store(
    client: FlaskClient, sample_index: Path, sample: Terminology
) -> None:
    files = make_app(sample_index, sample, FileGuidelineRepository(sample_guidelines_dir())).test_client()
    for url in (
        f"/api/v1/guidelines?concept={ILIUM_MET}",
        "/api/v1/guidelines",
        f"/api/v1/guidelines/{GID}",
        "/api/v1/guidelines?concept=1119990001107",
    ):
        a, b = client.get(url), files.get(url)
        assert a.status_code == b.status_code == 200 and a.get_json() == b.get_json(), url
    items = client.get(f"/api/v1/guidelines?concept={ILIUM_MET}").get_json()["items"]
    assert [i["id"] for i in items][:2] == [GID, "suspected-bone-metastasis-workup"]


def test_single_guideline_has_an_etag_and_honours_if_none_match(client: FlaskClient) -> None:
    r = client.get(f"/api/v1/guidelines/{GID}")
    etag = r.headers["ETag"]
    assert etag.startswith('"1-')
    assert client.get(f"/api/v1/guidelines/{GID}", headers={"If-None-Match": etag}).status_code == 304
    src = client.get(f"/api/v1/guidelines/{GID}/source")
    assert src.headers["ETag"] == etag and src.get_json()["etag"] == etag.strip('"')


# ----------------------------------------------------------------------------- access control


def test_writes_need_an_author_or_admin_token(
    client: FlaskClient, tokens: dict[str, str], store: SqlGuidelineRepository
) -> None:
    r = client.post("/api/v1/guidelines", json=new_guideline())
    assert r.status_code == 401 and r.mimetype == PROBLEM and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.get_json()["type"].endswith("/unauthorized")
    r = client.post("/api/v1/guidelines", json=new_guideline(), headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    r = client.post("/api/v1/guidelines", json=new_guideline(), headers=h("snm_nope_nope"))
    assert r.status_code == 401 and "not accepted" in r.get_json()["detail"]
    r = client.post("/api/v1/guidelines", json=new_guideline(), headers=h(tokens["reader"]))
    assert r.status_code == 403 and r.mimetype == PROBLEM and r.get_json()["requiredRoles"] == ["author", "admin"]
    assert client.post("/api/v1/guidelines", json=new_guideline(), headers=h(tokens["author"])).status_code == 201
    assert (
        client.post("/api/v1/guidelines", json=new_guideline("by-admin"), headers=h(tokens["admin"])).status_code == 201
    )


def test_revoked_token_is_refused(client: FlaskClient, tokens: dict[str, str], store: SqlGuidelineRepository) -> None:
    assert client.post("/api/v1/guidelines", json=new_guideline(), headers=h(tokens["author"])).status_code == 201
    assert store.tokens.revoke("author-user")
    r = client.post("/api/v1/guidelines", json=new_guideline("other"), headers=h(tokens["author"]))
    assert r.status_code == 401 and r.mimetype == PROBLEM


def test_reads_can_require_a_token(
    store: SqlGuidelineRepository, tokens: dict[str, str], sample_index: Path, sample: Terminology
) -> None:
    c = make_app(sample_index, sample, store, SNOMAP_READS_REQUIRE_TOKEN="true").test_client()
    r = c.get(f"/api/v1/guidelines?concept={ILIUM_MET}")
    assert r.status_code == 401 and r.mimetype == PROBLEM
    assert c.get(f"/api/v1/guidelines/{GID}/revisions").status_code == 401
    assert c.get(f"/api/v1/guidelines?concept={ILIUM_MET}", headers=h(tokens["reader"])).status_code == 200
    assert c.get("/api/v1/openapi.json").status_code == 200 and c.get("/healthz").status_code == 200
    open_app = make_app(sample_index, sample, store).test_client()
    assert open_app.get(f"/api/v1/guidelines?concept={ILIUM_MET}").status_code == 200


def test_audit_log_is_for_admins_and_records_refused_writes(client: FlaskClient, tokens: dict[str, str]) -> None:
    assert client.post("/api/v1/guidelines", json=new_guideline()).status_code == 401
    assert client.post("/api/v1/guidelines", json=new_guideline(), headers=h(tokens["author"])).status_code == 201
    r = client.put("/api/v1/guidelines/new-guideline", json=new_guideline(), headers=h(tokens["author"], "1-stale"))
    assert r.status_code == 412
    assert client.get("/api/v1/audit", headers=h(tokens["author"])).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401
    page = client.get("/api/v1/audit", headers=h(tokens["admin"])).get_json()
    rows = [(e["actor"], e["action"], e["outcome"], e["status"]) for e in page["items"]]
    assert rows[:3] == [
        ("author-user", "replace_guideline", "refused", 412),
        ("author-user", "create", "ok", None),
        ("anonymous", "create_guideline", "refused", 401),
    ]
    created = page["items"][1]
    assert created["method"] == "POST" and created["path"] == "/api/v1/guidelines" and created["role"] == "author"
    assert created["guidelineId"] == "new-guideline" and created["revision"] == 1
    only = client.get("/api/v1/audit?guideline=new-guideline&limit=1", headers=h(tokens["admin"])).get_json()
    assert only["total"] == 2 and len(only["items"]) == 1


# ----------------------------------------------------------------------------- create and validation


def test_an_ecl_tag_links_the_guideline_to_its_members(client: FlaskClient, tokens: dict[str, str]) -> None:
    # << bone metastasis MINUS << pelvic bone metastasis: femur metastasis (is-a bone metastasis,
    # Relationship line 25) is a member, one step below the named 1039990001102; ilium (under pelvic) is not.
    body = new_guideline("ecl-only", {"ecl": "<< 1039990001102 MINUS << 1049990001107"})
    assert client.post("/api/v1/guidelines", json=body, headers=h(tokens["author"])).status_code == 201
    # The new guideline is a draft (new_guideline's default): linked for authors only (issue 16).
    femur = client.get(f"/api/v1/guidelines?concept={FEMUR_MET}", headers=h(tokens["author"])).get_json()["items"]
    link = next(x for x in femur if x["id"] == "ecl-only")
    assert (link["via"]["conceptId"], link["distance"]) == (str(BONE_MET), 1)
    assert [p["conceptId"] for p in link["path"]] == [str(FEMUR_MET), str(BONE_MET)]
    ilium = client.get(f"/api/v1/guidelines?concept={ILIUM_MET}", headers=h(tokens["author"])).get_json()["items"]
    assert "ecl-only" not in [x["id"] for x in ilium]


def test_create_returns_the_guideline_with_etag_sizes_and_warnings(client: FlaskClient, tokens: dict[str, str]) -> None:
    body = new_guideline(
        "new-guideline",
        {"concept": str(BONE_MET), "exclude": [str(PELVIC_MET)]},
        {"concept": str(FEMUR_MET)},  # under BONE_MET: redundant
        {"concept": str(BONE_STRUCTURE)},  # not a diagnosis hierarchy
        {"ecl": "<< 1049990001107"},
    )
    r = client.post("/api/v1/guidelines", json=body, headers=h(tokens["author"]))
    assert r.status_code == 201, r.get_json()
    assert r.headers["Location"] == "/api/v1/guidelines/new-guideline"
    out = r.get_json()
    assert r.headers["ETag"] == f'"{out["etag"]}"' and out["revision"] == 1 and out["createdBy"] == "author-user"
    assert [t["size"] for t in out["tags"][:2]] == [4, 1]
    assert out["tags"][0]["exclude"] == [
        {"conceptId": str(PELVIC_MET), "pt": "Secondary malignant neoplasm of pelvic bone"}
    ]
    assert (
        out["tags"][1]["pt"] == "Metastatic malignant neoplasm to femur" and out["tags"][1]["addedBy"] == "author-user"
    )
    assert out["tags"][0]["baselineCount"] == 4
    codes = sorted((w["code"], w["tag"]) for w in out["warnings"])
    assert ("redundant", 1) in codes and ("hierarchy", 2) in codes
    # A draft (new_guideline's default) is found with an author token only (issue 16).
    assert client.get("/api/v1/guidelines/new-guideline").status_code == 404
    assert (
        client.get("/api/v1/guidelines/new-guideline", headers=h(tokens["author"])).get_json()["title"]
        == "Femoral metastases"
    )
    links = client.get(f"/api/v1/guidelines?concept={FEMUR_MET}", headers=h(tokens["author"])).get_json()["items"]
    assert "new-guideline" in [x["id"] for x in links]
    r = client.post("/api/v1/guidelines", json=body, headers=h(tokens["author"]))
    assert r.status_code == 409 and r.mimetype == PROBLEM


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"status": "final"}, "status"),
        ({"id": "Not A Slug"}, "id"),
        ({"id": "check"}, "id"),
        ({"updated": "2025-13-01"}, "updated"),
        ({"tags": []}, "tags"),
        ({"recommendations": [{"id": "r1", "text": "x", "strength": "very strong"}]}, "recommendations"),
        ({"references": [{"id": "a", "authors": [], "title": "t", "journal": "j", "year": "1999"}]}, "references"),
        ({"nonsense": 1}, "nonsense"),
    ],
)
def test_schema_errors_are_per_field(
    client: FlaskClient, tokens: dict[str, str], change: dict[str, Any], field: str
) -> None:
    r = client.post("/api/v1/guidelines", json=new_guideline(**change), headers=h(tokens["author"]))
    assert r.status_code == 400 and r.mimetype == PROBLEM
    assert field in r.get_json()["errors"], r.get_json()


def test_tag_and_content_errors(client: FlaskClient, tokens: dict[str, str]) -> None:
    def post(*tags: dict[str, Any], **kw: Any) -> Any:
        return client.post("/api/v1/guidelines", json=new_guideline("x", *tags, **kw), headers=h(tokens["author"]))

    r = post({"concept": "1079990001101"})  # wrong check digit
    assert r.status_code == 400 and "check digit" in str(r.get_json()["errors"]["tags"])
    r = post({"concept": str(FEMUR_MET), "ecl": "<< 1"})
    assert r.status_code == 400 and "exactly one" in str(r.get_json()["errors"])
    r = post({"concept": str(DUPLICATE_ILIUM)})
    p = r.get_json()
    assert r.status_code == 422 and r.mimetype == PROBLEM and p["field"] == "tags[0].concept"
    assert p["replacements"] == [
        {
            "association": "REPLACED BY",
            "conceptId": str(ILIUM_MET),
            "pt": "Metastatic malignant neoplasm to ilium",
            "active": True,
        }
    ]
    assert p["errors"] == {"tags[0].concept": [p["detail"]]}
    r = post({"concept": "9999990001104"})
    assert r.status_code == 422 and "not in the release" in r.get_json()["detail"]
    r = post({"ecl": "<< 1039990001102 OR"})
    p = r.get_json()
    assert (
        r.status_code == 400
        and p["type"].endswith("/invalid-ecl")
        and p["position"] == 19
        and p["field"] == "tags[0].ecl"
    )
    r = post(sections=[{"heading": "Overview", "markdown": "Cites [nobody]."}])
    assert r.status_code == 400 and "nobody" in r.get_json()["detail"] and "body" in r.get_json()["errors"]
    r = post(sections=[{"heading": "A", "markdown": "x"}, {"heading": "A", "markdown": "y"}])
    assert r.status_code == 400 and "sections[1].heading" in r.get_json()["errors"]
    r = client.post("/api/v1/guidelines", data="not json", headers=h(tokens["author"]))
    assert r.status_code == 400 and r.mimetype == PROBLEM


# ----------------------------------------------------------------------------- update, patch, delete


def test_put_needs_if_match_and_a_current_etag(client: FlaskClient, tokens: dict[str, str]) -> None:
    src = client.get(f"/api/v1/guidelines/{GID}/source").get_json()
    body = {k: src[k] for k in ("title", "status", "updated", "sections", "recommendations", "references", "extra")}
    body["tags"] = [
        {"concept": t["conceptId"], "term": t["term"], "exclude": [x["conceptId"] for x in t["exclude"]]}
        for t in src["tags"]
    ]
    body["title"] = "Pelvic metastases"
    url = f"/api/v1/guidelines/{GID}"
    r = client.put(url, json=body, headers=h(tokens["author"]))
    assert r.status_code == 428 and r.mimetype == PROBLEM and "If-Match" in r.get_json()["detail"]
    assert client.put(url, json={"title": ""}, headers=h(tokens["author"])).status_code == 428  # 428 before body errors
    r = client.put(url, json=body, headers=h(tokens["author"], "1-not-it"))
    assert r.status_code == 412 and r.get_json()["currentRevision"] == 1
    r = client.put(url, json=body, headers=h(tokens["author"], src["etag"]))
    assert r.status_code == 200 and r.get_json()["revision"] == 2 and r.get_json()["title"] == "Pelvic metastases"
    assert r.get_json()["tags"][0]["id"] == src["tags"][0]["id"]  # unchanged tag keeps its id
    assert client.put(url, json=body, headers=h(tokens["author"], src["etag"])).status_code == 412  # now stale
    r = client.put(url, json={**body, "id": "other"}, headers=h(tokens["author"], r.get_json()["etag"]))
    assert r.status_code == 400 and "id" in r.get_json()["errors"]
    assert client.put("/api/v1/guidelines/missing", json=body, headers=h(tokens["author"], "x")).status_code == 404
    assert client.get(url).get_json()["title"] == "Pelvic metastases"


def test_patch_changes_only_what_it_names(client: FlaskClient, tokens: dict[str, str]) -> None:
    url = f"/api/v1/guidelines/{GID}"
    before = client.get(f"{url}/source").get_json()
    r = client.patch(url, json={"status": "retired", "updated": None}, headers=h(tokens["author"], before["etag"]))
    assert r.status_code == 200, r.get_json()
    after = r.get_json()
    assert (after["status"], after["updated"], after["title"]) == ("retired", None, before["title"])
    assert after["recommendations"] == before["recommendations"] and after["sections"] == before["sections"]
    r = client.patch(url, json={"tags": [{"concept": str(BONE_MET)}]}, headers=h(tokens["author"], after["etag"]))
    assert r.status_code == 200 and [t["conceptId"] for t in r.get_json()["tags"]] == [str(BONE_MET)]
    r = client.patch(url, json={"recommendations": []}, headers=h(tokens["author"], r.get_json()["etag"]))
    assert r.status_code == 400 and "recommendations" in r.get_json()["errors"]
    assert client.patch(url, json={"title": "x"}, headers=h(tokens["author"])).status_code == 428
    assert client.patch(url, json={"id": "renamed"}, headers=h(tokens["author"], "*")).status_code == 400


def test_delete_then_restore(client: FlaskClient, tokens: dict[str, str]) -> None:
    url = f"/api/v1/guidelines/{GID}"
    etag = etag_of(client, GID)
    assert client.delete(url, headers=h(tokens["author"])).status_code == 428
    assert client.delete(url, headers=h(tokens["author"], "stale")).status_code == 412
    r = client.delete(url, headers=h(tokens["author"], etag))
    assert r.status_code == 200 and r.get_json() == {"deleted": GID, "revision": 2}
    assert client.get(url).status_code == 404
    assert GID not in [x["id"] for x in client.get(f"/api/v1/guidelines?concept={ILIUM_MET}").get_json()["items"]]
    revs = client.get(f"{url}/revisions").get_json()
    assert [(x["n"], x["action"]) for x in revs["items"]] == [(1, "import"), (2, "delete")]
    r = client.post(f"{url}/revisions/1/restore", headers=h(tokens["author"]))
    assert r.status_code == 200 and r.get_json()["revision"] == 3
    assert GID in [x["id"] for x in client.get(f"/api/v1/guidelines?concept={ILIUM_MET}").get_json()["items"]]
    assert client.get("/api/v1/guidelines/never-existed/revisions").status_code == 404


# ----------------------------------------------------------------------------- tags


def test_tag_endpoints(client: FlaskClient, tokens: dict[str, str]) -> None:
    url = f"/api/v1/guidelines/{GID}/tags"
    listing = client.get(url).get_json()
    assert [t["conceptId"] for t in listing["items"]] == [str(PELVIC_MET)] and listing["items"][0]["size"] == 3
    etag = listing["etag"]
    assert client.post(url, json={"concept": str(ILIUM_MET)}, headers=h(tokens["author"])).status_code == 428
    r = client.post(url, json={"concept": str(ILIUM_MET)}, headers=h(tokens["author"], etag))
    assert r.status_code == 201, r.get_json()
    out = r.get_json()
    assert (
        out["tag"]["conceptId"] == str(ILIUM_MET) and out["tag"]["size"] == 1 and out["tag"]["addedBy"] == "author-user"
    )
    assert [w["code"] for w in out["guideline"]["warnings"]] == ["redundant"]
    etag = r.headers["ETag"].strip('"')
    assert client.post(url, json={"concept": str(ILIUM_MET)}, headers=h(tokens["author"], etag)).status_code == 409
    r = client.post(url, json={"concept": str(DUPLICATE_ILIUM)}, headers=h(tokens["author"], etag))
    assert r.status_code == 422 and r.get_json()["replacements"][0]["conceptId"] == str(ILIUM_MET)
    r = client.post(url, json={"ecl": "<< 1039990001102 MINUS << 1049990001107"}, headers=h(tokens["author"], etag))
    assert r.status_code == 201
    assert r.get_json()["tag"]["ecl"] and (r.get_json()["tag"]["size"] is None) == (
        r.get_json()["tag"]["sizeNote"] is not None
    )
    etag = r.headers["ETag"].strip('"')
    tag_id = out["tag"]["id"]
    assert client.delete(f"{url}/{tag_id}", headers=h(tokens["author"], "stale")).status_code == 412
    r = client.delete(f"{url}/{tag_id}", headers=h(tokens["author"], etag))
    assert r.status_code == 200 and str(ILIUM_MET) not in [t["conceptId"] for t in r.get_json()["tags"]]
    assert client.delete(f"{url}/{tag_id}", headers=h(tokens["author"], r.get_json()["etag"])).status_code == 404
    actions = [x["action"] for x in client.get(f"/api/v1/guidelines/{GID}/revisions").get_json()["items"]]
    assert actions == ["import", "tag-add", "tag-add", "tag-remove"]


def test_revisions_and_restore_over_http(client: FlaskClient, tokens: dict[str, str]) -> None:
    url = f"/api/v1/guidelines/{GID}"
    e1 = etag_of(client, GID)
    r = client.patch(url, json={"title": "Second title"}, headers=h(tokens["author"], e1))
    e2 = r.get_json()["etag"]
    one = client.get(f"{url}/revisions/1").get_json()
    assert one["snapshot"]["doc"]["title"].startswith("Pelvic and periacetabular") and one["author"] == "import"
    assert client.get(f"{url}/revisions/9").status_code == 404
    assert client.post(f"{url}/revisions/1/restore", headers=h(tokens["author"])).status_code == 428
    assert client.post(f"{url}/revisions/1/restore", headers=h(tokens["author"], e1)).status_code == 412
    assert client.post(f"{url}/revisions/1/restore", headers=h(tokens["reader"], e2)).status_code == 403
    r = client.post(f"{url}/revisions/1/restore", headers=h(tokens["author"], e2))
    assert (
        r.status_code == 200
        and r.get_json()["title"].startswith("Pelvic and periacetabular")
        and r.get_json()["revision"] == 3
    )
    items = client.get(f"{url}/revisions").get_json()["items"]
    assert [(x["n"], x["action"], x["author"]) for x in items][1:] == [
        (2, "patch", "author-user"),
        (3, "restore", "author-user"),
    ]
    assert "title" in items[1]["summary"]


# ----------------------------------------------------------------------------- coverage, release check, docs


def test_coverage(client: FlaskClient) -> None:
    r = client.get("/api/v1/guidelines/suspected-bone-metastasis-workup/coverage?sample=3")
    body = r.get_json()
    assert r.status_code == 200 and body["total"] == 7 and len(body["sample"]) == 3
    assert body["tags"] == [{"tagId": body["tags"][0]["tagId"], "conceptId": str(BONE_MET), "ecl": None, "count": 7}]
    assert all(s["pt"] for s in body["sample"])
    assert client.get("/api/v1/guidelines/nope/coverage").status_code == 404


def test_release_check_endpoint_on_the_new_release(
    store: SqlGuidelineRepository, tokens: dict[str, str], sample_index: Path, sample: Terminology, delta: Terminology
) -> None:
    old = make_app(sample_index, sample, store).test_client()
    r = old.post("/api/v1/guidelines", json=new_guideline(), headers=h(tokens["author"]))
    assert r.status_code == 201
    assert old.get("/api/v1/guidelines/check").get_json()["findings"] == []
    new = make_app(sample_index, delta, store).test_client()  # the service now runs on the Delta release
    body = new.get("/api/v1/guidelines/check").get_json()
    assert body["release"] == delta.release.uri and body["summary"]["findings"] == 1
    (f,) = body["findings"]
    assert (f["guidelineId"], f["kind"], f["decision"], f["conceptId"]) == (
        "new-guideline",
        "inactive",
        "migrate",
        str(FEMUR_MET),
    )
    assert f["replacements"][0]["conceptId"] == str(FEMUR_SHAFT_MET)
    assert new.get("/api/v1/guidelines/check?ratio=-1").status_code == 400


def test_concurrent_puts_over_http_one_winner(client: FlaskClient, tokens: dict[str, str]) -> None:
    url = f"/api/v1/guidelines/{GID}"
    app = client.application
    n = 6
    for rnd in range(3):
        etag = etag_of(client, GID)
        barrier = threading.Barrier(n)
        codes: list[int] = [0] * n

        def put(
            i: int, etag: str = etag, barrier: threading.Barrier = barrier, codes: list[int] = codes, rnd: int = rnd
        ) -> None:
            c = app.test_client()
            barrier.wait()
            codes[i] = c.patch(
                url, json={"title": f"round {rnd} writer {i}"}, headers=h(tokens["author"], etag)
            ).status_code

        threads = [threading.Thread(target=put, args=(i,)) for i in range(n)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert sorted(codes) == [200] + [412] * (n - 1), codes
    assert len(client.get(f"{url}/revisions").get_json()["items"]) == 1 + 3


def test_openapi_lists_the_authoring_endpoints(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert set(paths["/api/v1/guidelines/{gid}"]) >= {"get", "put", "patch", "delete"}
    for p in (
        "/api/v1/guidelines/{gid}/tags/{tag_id}",
        "/api/v1/guidelines/{gid}/revisions/{n}/restore",
        "/api/v1/guidelines/check",
        "/api/v1/audit",
    ):
        assert p in paths, p
    assert client.get("/api/v1/docs").status_code == 200
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)


def test_file_store_cannot_be_authored(sample_index: Path, sample: Terminology) -> None:
    c = make_app(sample_index, sample, FileGuidelineRepository(sample_guidelines_dir())).test_client()
    r = c.get(f"/api/v1/guidelines/{GID}/revisions")
    assert r.status_code == 501 and r.mimetype == PROBLEM
    assert (
        c.get(f"/api/v1/guidelines/{GID}").status_code == 200
        and "ETag" not in c.get(f"/api/v1/guidelines/{GID}").headers
    )
