"""Issue 16, items 4 and 5 through the API and `snomap guidelines import`, on SQLite and PostgreSQL.

An oversized guideline is refused (413) before anything is written; the API, the import and the workspace
(which writes through the API) refuse the same tags the same way.  Concepts: sample_data/README.md
(1119990001107 inactive, REPLACED BY 1059990001105).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from loaders.guidelines import TagSpec, write_guideline
from service.cli import main
from terminology import Terminology
from terminology.authoring import SqlGuidelineRepository, open_repository
from terminology.authoring.validation import MAX_TAGS, baselines
from terminology.sample import sample_guidelines_dir
from tests.service.test_api_authoring import GID, PROBLEM, etag_of, h, make_app, new_guideline
from tests.terminology.authoring import databases as db
from tests.terminology.authoring.databases import DUPLICATE_ILIUM, FEMUR_MET, ILIUM_MET, PELVIC_MET, make_doc

backend, postgres_database, repo, store_url = db.backend, db.postgres_database, db.repo, db.store_url


@pytest.fixture()
def store(repo: SqlGuidelineRepository, sample: Terminology) -> SqlGuidelineRepository:
    repo.import_directory(sample_guidelines_dir(), baseline=baselines(sample))
    return repo


@pytest.fixture()
def token(store: SqlGuidelineRepository) -> str:
    return store.tokens.create("author-user", "author")


@pytest.fixture()
def client(store: SqlGuidelineRepository, sample_index: Path, sample: Terminology) -> Iterator[FlaskClient]:
    yield make_app(sample_index, sample, store).test_client()


def many(n: int) -> list[dict[str, str]]:
    return [{"concept": str(FEMUR_MET)}] * n


def test_an_oversized_guideline_is_refused_before_it_is_written(
    client: FlaskClient, token: str, store: SqlGuidelineRepository
) -> None:
    revision = store.state()["revision"]
    r = client.post("/api/v1/guidelines", json=new_guideline("big", *many(MAX_TAGS + 1)), headers=h(token))
    assert r.status_code == 413 and r.mimetype == PROBLEM
    body = r.get_json()
    assert body["type"].endswith("/too-many-tags") and body["field"] == "tags" and body["limit"] == 200
    assert store.record("big") is None and store.state()["revision"] == revision
    e = etag_of(client, GID)
    before = client.get(f"/api/v1/guidelines/{GID}/source").get_json()
    src = dict(before)
    r = client.patch(f"/api/v1/guidelines/{GID}", json={"tags": many(5000)}, headers=h(token, e))
    assert r.status_code == 413  # the 5,000 tags: refused, nothing committed
    assert client.get(f"/api/v1/guidelines/{GID}/source").get_json()["etag"] == src["etag"]
    assert store.state()["revision"] == revision


def test_the_200th_tag_is_accepted_and_the_201st_is_not(
    client: FlaskClient, token: str, store: SqlGuidelineRepository
) -> None:
    tags = [{"ecl": f"<< {PELVIC_MET} /* {i} */"} for i in range(MAX_TAGS - 1)]
    r = client.post("/api/v1/guidelines", json=new_guideline("full", *tags), headers=h(token))
    assert r.status_code == 201, r.get_json()
    url = "/api/v1/guidelines/full/tags"
    r = client.post(url, json={"concept": str(ILIUM_MET)}, headers=h(token, r.headers["ETag"].strip('"')))
    assert r.status_code == 201
    source = client.get("/api/v1/guidelines/full/source", headers=h(token))  # a draft: authors only
    assert len(source.get_json()["tags"]) == MAX_TAGS
    r = client.post(url, json={"concept": str(FEMUR_MET)}, headers=h(token, source.headers["ETag"].strip('"')))
    assert r.status_code == 413 and r.get_json()["type"].endswith("/too-many-tags")
    assert len(store.record("full").tags) == MAX_TAGS  # type: ignore[union-attr]


def test_ecl_tags_on_inactive_or_missing_concepts_are_a_422(client: FlaskClient, token: str) -> None:
    url = f"/api/v1/guidelines/{GID}/tags"
    e = etag_of(client, GID)
    r = client.post(url, json={"ecl": f"<< {DUPLICATE_ILIUM}"}, headers=h(token, e))
    assert r.status_code == 422 and r.get_json()["replacements"][0]["conceptId"] == str(ILIUM_MET)
    r = client.post(url, json={"ecl": "<< 22298006"}, headers=h(token, e))  # not in the sample release
    assert r.status_code == 422 and r.get_json()["conceptId"] == "22298006"
    r = client.post(
        "/api/v1/guidelines",
        json=new_guideline("x", {"ecl": "(" * 600 + "<< 1049990001107" + ")" * 600}),
        headers=h(token),
    )
    assert r.status_code == 400 and r.get_json()["position"] == 50 and r.get_json()["field"] == "tags[0].ecl"


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    ("tag", "says"),
    [
        (TagSpec(concept=DUPLICATE_ILIUM), "inactive"),  # stored before ("1 updated"), refused by the API
        (TagSpec(concept=None, ecl=f"<< {DUPLICATE_ILIUM}"), "inactive"),
        (TagSpec(concept=None, ecl="(" * 600 + f"<< {PELVIC_MET}" + ")" * 600), "more than 50 deep"),  # stopped serve
    ],
)
def test_the_import_refuses_what_the_api_refuses(
    store_url: str, sample_index: Path, tmp_path: Path, tag: TagSpec, says: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_guideline(make_doc("good-one"), folder)
    write_guideline(make_doc("bad-one", tag), folder)
    r = run("guidelines", "import", str(folder), "--database", store_url, "--index", str(sample_index))
    assert r.exit_code != 0 and "bad-one" in r.output and says in r.output and "Traceback" not in r.output, r.output
    repo = open_repository(store_url)
    try:
        assert len(repo) == 0  # all or nothing
    finally:
        repo.dispose()


def test_the_import_refuses_an_oversized_guideline(store_url: str, sample_index: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_guideline(make_doc("huge", *([FEMUR_MET] * (MAX_TAGS + 1))), folder)
    r = run("guidelines", "import", str(folder), "--database", store_url, "--index", str(sample_index))
    assert r.exit_code != 0 and "huge" in r.output and "at most 200 tags" in r.output, r.output
