"""The SQL guideline store on SQLite and PostgreSQL: schema, protocol, CRUD, ETags, revisions, import/export, tokens.

Every test here runs twice (the `backend` fixture): once on a fresh SQLite file, once in a fresh
PostgreSQL schema of the session's test database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from loaders.guidelines import TagSpec, read_guidelines
from terminology import Terminology
from terminology.authoring import (
    DuplicateTagError,
    GuidelineExistsError,
    GuidelineNotFoundError,
    InvalidGuidelineError,
    PreconditionFailedError,
    PreconditionRequiredError,
    RevisionNotFoundError,
    SqlGuidelineRepository,
    TagNotFoundError,
    open_repository,
)
from terminology.authoring.database import current_revision, head_revision
from terminology.authoring.model import Baseline
from terminology.authoring.tables import api_tokens, metadata
from terminology.authoring.validation import baselines
from terminology.linking.guidelines import FileGuidelineRepository, guidelines_for_concept
from terminology.sample import sample_guidelines_dir
from tests.terminology.authoring.databases import (
    BONE_MET,
    ILIUM_MET,
    PELVIC_MET,
    SACRUM_MET,
    VERTEBRA_MET,
    make_doc,
)

SAMPLES = sample_guidelines_dir()


# ----------------------------------------------------------------------------- schema


def test_open_migrates_to_head_and_schema_matches_the_tables(repo: SqlGuidelineRepository) -> None:
    assert current_revision(repo.engine) == head_revision() == "0003"
    with repo.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    # Index/constraint naming and server defaults are identical; only type-affinity noise may differ on SQLite.
    assert [d for d in diffs if d[0] not in ("modify_type",)] == []


def test_reopening_is_a_no_op_and_keeps_data(store_url: str) -> None:
    r1 = open_repository(store_url)
    r1.create(make_doc("kept"), actor="a")
    r1.dispose()
    r2 = open_repository(store_url)
    assert [g.id for g in r2.list()] == ["kept"]
    assert r2.state()["seeded_from"] is None  # an explicit URL is never seeded
    r2.dispose()


def test_sqlite_store_uses_wal(tmp_path: Path) -> None:
    r = open_repository(f"sqlite:///{tmp_path / 'g.db'}")
    with r.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    r.dispose()


def test_embedded_default_is_seeded_once_from_the_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNOMAP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SNOMAP_DATABASE_URL", raising=False)
    r = open_repository(None)
    assert r.embedded and (tmp_path / "data" / "guidelines.db").is_file()
    assert sorted(g.id for g in r.list()) == sorted(d.id for d in read_guidelines(SAMPLES))
    g = r.record("pelvic-bone-metastasis-fracture-risk")
    assert g is not None
    r.delete(g.id, if_match=[g.etag], actor="a")
    r.dispose()
    again = open_repository(None)  # not re-seeded: the deletion is respected
    assert again.get("pelvic-bone-metastasis-fracture-risk") is None
    assert len(again) == 6
    again.dispose()


def test_database_url_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNOMAP_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    r = open_repository(None)
    assert not r.embedded and len(r) == 0 and (tmp_path / "env.db").is_file()
    r.dispose()


# ----------------------------------------------------------------------------- the repository protocol


def test_same_answers_as_the_file_store(repo: SqlGuidelineRepository, sample: Terminology) -> None:
    repo.import_directory(SAMPLES)
    files = FileGuidelineRepository(SAMPLES)
    assert repo.list() == files.list()
    assert repo.get("suspected-bone-metastasis-workup") == files.get("suspected-bone-metastasis-workup")
    assert repo.get("nope") is None
    wanted = [ILIUM_MET, PELVIC_MET, BONE_MET, SACRUM_MET, VERTEBRA_MET, 1, 2]
    assert repo.tagged(wanted) == files.tagged(wanted)
    assert repo.tagged([]) == {}
    for concept in (ILIUM_MET, SACRUM_MET, VERTEBRA_MET, 1099990001101):
        sql = guidelines_for_concept(sample, repo, concept)
        ref = guidelines_for_concept(sample, files, concept)
        assert [(x.guideline.id, x.via, x.distance, x.path) for x in sql] == [
            (x.guideline.id, x.via, x.distance, x.path) for x in ref
        ]
    assert repo.ecl_tagged() == files.ecl_tagged() == []


def test_tagged_uses_one_query_on_the_tag_index(repo: SqlGuidelineRepository) -> None:
    repo.import_directory(SAMPLES)
    repo.tagged([PELVIC_MET, BONE_MET])  # warm the cache
    statements: list[str] = []

    def spy(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(repo.engine, "before_cursor_execute", spy)
    try:
        got = repo.tagged(list(range(1000, 1030)) + [PELVIC_MET, BONE_MET])
    finally:
        sa.event.remove(repo.engine, "before_cursor_execute", spy)
    assert set(got) == {PELVIC_MET, BONE_MET}
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # SQLite: the revision-counter check, then the IN query; PostgreSQL: both in one statement (one round trip).
    # Either way the documents came from the cache.
    assert len(queries) == (1 if repo.dialect == "postgresql" else 2), statements
    tag_query = queries[-1]
    assert "guideline_tags" in tag_query and (" IN " in tag_query.upper() or "ANY" in tag_query.upper())
    if repo.dialect == "postgresql":
        with repo.engine.connect() as conn:
            plan = "\n".join(
                r[0]
                for r in conn.exec_driver_sql(
                    "EXPLAIN SELECT DISTINCT concept, guideline_id FROM guideline_tags WHERE concept IN (1, 2, 3)"
                )
            )
        # a table this small may be scanned; what matters is that the index exists for the planner
        assert "guideline_tags" in plan
    else:
        with repo.engine.connect() as conn:
            plan = " ".join(
                str(r[-1])
                for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT DISTINCT concept, guideline_id FROM guideline_tags WHERE concept IN (1, 2, 3)"
                )
            )
        assert "ix_guideline_tags_concept_guideline" in plan


def test_ecl_tags_are_listed_for_the_caller(repo: SqlGuidelineRepository) -> None:
    ecl = TagSpec(concept=None, ecl="<< 1039990001102 MINUS << 1049990001107", term="bone but not pelvis")
    repo.create(make_doc("with-ecl", PELVIC_MET, ecl), actor="a")
    pairs = repo.ecl_tagged()
    assert [(g.id, t) for g, t in pairs] == [("with-ecl", ecl)]
    assert set(repo.tagged([PELVIC_MET])) == {PELVIC_MET}


# ----------------------------------------------------------------------------- writes, ETags, tags


def test_create_read_update_delete(repo: SqlGuidelineRepository) -> None:
    g = repo.create(make_doc("crud"), actor="alice")
    assert (g.revision, g.created_by, g.modified_by) == (1, "alice", "alice")
    assert repo.record("crud") == g
    with pytest.raises(GuidelineExistsError):
        repo.create(make_doc("crud"), actor="bob")

    g2 = repo.replace("crud", dataclasses.replace(g.doc, title="New title"), if_match=[g.etag], actor="bob")
    assert g2.revision == 2 and g2.etag != g.etag and g2.modified_by == "bob" and g2.created_by == "alice"
    assert repo.get("crud").title == "New title"  # type: ignore[union-attr]

    with pytest.raises(PreconditionFailedError):
        repo.replace("crud", g.doc, if_match=[g.etag], actor="carol")  # stale
    with pytest.raises(PreconditionRequiredError):
        repo.replace("crud", g.doc, if_match=None, actor="carol")
    with pytest.raises(GuidelineNotFoundError):
        repo.replace("missing", make_doc("missing"), if_match="*", actor="carol")
    g3 = repo.replace("crud", dataclasses.replace(g.doc, status="published"), if_match="*", actor="carol")
    assert g3.revision == 3

    with pytest.raises(PreconditionFailedError):
        repo.delete("crud", if_match=[g2.etag], actor="dave")
    deleted = repo.delete("crud", if_match=[g3.etag], actor="dave")
    assert deleted.n == 4 and repo.get("crud") is None and repo.record("crud") is None
    assert [r.action for r in repo.revisions("crud")] == ["create", "update", "update", "delete"]


def test_invalid_content_is_refused_with_the_field(repo: SqlGuidelineRepository) -> None:
    bad = make_doc("bad", sections={"Overview": "Cites [nobody]."})
    with pytest.raises(InvalidGuidelineError) as e:
        repo.create(bad, actor="a")
    assert "nobody" in e.value.detail and e.value.field == "body"
    heading_in_body = make_doc("bad2", sections={"Overview": "text\n\n## Sneaky heading\n\nmore"})
    with pytest.raises(InvalidGuidelineError):
        repo.create(heading_in_body, actor="a")
    assert len(repo) == 0


def test_tags_keep_identity_and_provenance(repo: SqlGuidelineRepository) -> None:
    b = {"n": 0}

    def baseline(spec: TagSpec) -> Baseline:
        b["n"] += 1
        return Baseline(100 + b["n"], "rel-1")

    g = repo.create(make_doc("tags", PELVIC_MET), actor="alice", baseline=baseline)
    (t0,) = g.tags
    assert (t0.added_by, t0.baseline_count, t0.baseline_release) == ("alice", 101, "rel-1")

    g, added = repo.add_tag(
        "tags", TagSpec(concept=VERTEBRA_MET, term="vertebra"), if_match=[g.etag], actor="bob", baseline=baseline
    )
    assert added.added_by == "bob" and added.id != t0.id and added.baseline_count == 102
    with pytest.raises(DuplicateTagError):
        repo.add_tag("tags", TagSpec(concept=VERTEBRA_MET, term="vertebra"), if_match=[g.etag], actor="bob")

    # PUT with the same tags in another order plus a new one: equal tags keep id, author and baseline
    new = TagSpec(concept=SACRUM_MET)
    g = repo.replace(
        "tags",
        dataclasses.replace(g.doc, tags=[added.spec, t0.spec, new]),
        if_match=[g.etag],
        actor="carol",
        baseline=baseline,
    )
    assert [t.id for t in g.tags[:2]] == [added.id, t0.id]
    assert [t.added_by for t in g.tags] == ["bob", "alice", "carol"]
    assert g.tags[2].id not in (added.id, t0.id)

    g = repo.remove_tag("tags", added.id, if_match=[g.etag], actor="dave")
    assert [t.spec.concept for t in g.tags] == [PELVIC_MET, SACRUM_MET]
    with pytest.raises(TagNotFoundError):
        repo.remove_tag("tags", added.id, if_match=[g.etag], actor="dave")
    g = repo.remove_tag("tags", g.tags[1].id, if_match=[g.etag], actor="dave")
    with pytest.raises(InvalidGuidelineError, match="at least one tag"):
        repo.remove_tag("tags", g.tags[0].id, if_match=[g.etag], actor="dave")
    assert [r.action for r in repo.revisions("tags")] == ["create", "tag-add", "update", "tag-remove", "tag-remove"]
    assert repo.tagged([VERTEBRA_MET]) == {}


def test_reads_see_writes_from_another_process(store_url: str) -> None:
    """Two repositories (two engines, two caches): like two gunicorn workers."""
    a, b = open_repository(store_url), open_repository(store_url)
    try:
        g = a.create(make_doc("shared"), actor="x")
        assert b.get("shared") == g.doc  # b caches it
        assert set(b.tagged([PELVIC_MET])) == {PELVIC_MET}
        g2 = a.replace(
            "shared",
            dataclasses.replace(g.doc, title="Changed", tags=[TagSpec(concept=BONE_MET)]),
            if_match=[g.etag],
            actor="x",
        )
        assert b.get("shared").title == "Changed"  # type: ignore[union-attr]
        assert b.tagged([PELVIC_MET]) == {} and set(b.tagged([BONE_MET])) == {BONE_MET}
        a.delete("shared", if_match=[g2.etag], actor="x")
        assert b.get("shared") is None and b.tagged([BONE_MET]) == {}
    finally:
        a.dispose()
        b.dispose()


# ----------------------------------------------------------------------------- revisions


def test_revisions_record_who_when_what_and_restore(repo: SqlGuidelineRepository) -> None:
    g1 = repo.create(make_doc("hist", title="First"), actor="alice")
    g2 = repo.replace("hist", dataclasses.replace(g1.doc, title="Second"), if_match=[g1.etag], actor="bob")
    g3, _ = repo.add_tag("hist", TagSpec(concept=VERTEBRA_MET), if_match=[g2.etag], actor="carol")
    revs = repo.revisions("hist")
    assert [(r.n, r.action, r.author) for r in revs] == [
        (1, "create", "alice"),
        (2, "update", "bob"),
        (3, "tag-add", "carol"),
    ]
    assert "title: 'First' -> 'Second'" in revs[1].summary and "tag added: 1089990001103" in revs[2].summary
    assert all(isinstance(r.at, dt.datetime) and r.at.tzinfo is not None for r in revs)
    assert revs[0].at <= revs[1].at <= revs[2].at
    snap = repo.revision("hist", 1).snapshot
    assert snap is not None and snap["doc"]["title"] == "First"
    with pytest.raises(RevisionNotFoundError):
        repo.revision("hist", 9)

    with pytest.raises(PreconditionRequiredError):
        repo.restore("hist", 1, if_match=None, actor="dave")
    with pytest.raises(PreconditionFailedError):
        repo.restore("hist", 1, if_match=[g2.etag], actor="dave")
    r4 = repo.restore("hist", 1, if_match=[g3.etag], actor="dave")
    assert r4.revision == 4 and r4.doc == g1.doc
    assert r4.tags[0].id == g1.tags[0].id and r4.tags[0].added_by == "alice"  # provenance restored too
    assert (
        repo.revisions("hist")[-1].action == "restore" and "restored revision 1" in repo.revisions("hist")[-1].summary
    )

    repo.delete("hist", if_match=[r4.etag], actor="erin")
    back = repo.restore("hist", 3, if_match=None, actor="frank")  # a deleted guideline needs no If-Match
    assert back.revision == 6 and back.doc == g3.doc and back.created_by == "frank"
    assert [r.n for r in repo.revisions("hist")] == [1, 2, 3, 4, 5, 6]
    # revisions are immutable: the first one still says what it said
    assert repo.revision("hist", 1).snapshot == snap


# ----------------------------------------------------------------------------- import and export


def test_import_export_import_round_trip(repo: SqlGuidelineRepository, store_url: str, tmp_path: Path) -> None:
    first = repo.import_directory(SAMPLES, actor="importer")
    assert len(first.created) == 7 and not first.updated
    before = repo.records()
    state = repo.state()

    out1 = tmp_path / "out1"
    files = repo.export_directory(out1)
    assert sorted(p.name for p in files) == sorted(p.name for p in SAMPLES.glob("*.md") if p.name != "README.md")
    again = repo.import_directory(out1, actor="importer")
    assert len(again.unchanged) == 7 and not (again.created or again.updated or again.deleted)
    assert repo.records() == before  # same documents, ETags, revisions, tag ids and provenance
    assert repo.state() == state  # not even the revision counter moved
    assert read_guidelines(out1) == read_guidelines(SAMPLES)

    out2 = tmp_path / "out2"
    repo.export_directory(out2)
    assert {p.name: p.read_text() for p in out1.iterdir()} == {p.name: p.read_text() for p in out2.iterdir()}


def test_round_trip_keeps_everything_the_format_can_hold(repo: SqlGuidelineRepository, tmp_path: Path) -> None:
    rich = make_doc(
        "rich",
        TagSpec(concept=BONE_MET, term="bone", exclude=[PELVIC_MET, VERTEBRA_MET]),
        TagSpec(concept=None, ecl="<< 1029990001104 |Secondary| MINUS << 1039990001102", term="non-bone secondaries"),
        sections={
            "": "Text before any heading.",
            "Overview": "Cites [smith2020].\n\n```\n## not a heading\n```",
            "Ünïcode": "é ≥ 5 mg",
        },
        extra={"reviewed": dt.date(2025, 1, 2), "owner": {"team": "onc", "ids": [1, 2]}},
        updated=None,
        status="retired",
    )
    repo.create(rich, actor="a")
    repo.export_directory(tmp_path)
    assert read_guidelines(tmp_path) == [rich]

    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    fresh = open_repository(fresh_url)
    fresh.import_directory(tmp_path)
    assert fresh.list() == repo.list() == [rich]
    fresh.dispose()


def test_import_updates_and_prunes(repo: SqlGuidelineRepository, tmp_path: Path) -> None:
    repo.import_directory(SAMPLES)
    repo.create(make_doc("only-in-store"), actor="a")
    docs = read_guidelines(SAMPLES)
    changed = dataclasses.replace(docs[0], title="Retitled")
    report = repo.import_documents([changed, *docs[1:]], actor="imp", prune=True)
    assert report.updated == [changed.id] and report.deleted == ["only-in-store"] and len(report.unchanged) == 6
    assert repo.get(changed.id).title == "Retitled"  # type: ignore[union-attr]
    assert repo.revisions("only-in-store")[-1].action == "delete"
    with pytest.raises(InvalidGuidelineError, match="duplicate"):
        repo.import_documents([docs[0], docs[0]])


# ----------------------------------------------------------------------------- baselines, tokens, audit


def test_missing_baselines_are_filled_without_new_revisions(repo: SqlGuidelineRepository, sample: Terminology) -> None:
    repo.import_directory(SAMPLES)
    g = repo.record("suspected-bone-metastasis-workup")
    assert g is not None and g.tags[0].baseline_count is None
    assert repo.fill_missing_baselines(baselines(sample)) == 8
    g2 = repo.record("suspected-bone-metastasis-workup")
    assert g2 is not None and g2.etag == g.etag and g2.revision == g.revision
    # bone metastasis: itself + pelvic, ilium, sacrum, femur, vertebra, pathological fracture
    assert g2.tags[0].baseline_count == 7 and g2.tags[0].baseline_release == sample.release.uri
    assert repo.fill_missing_baselines(baselines(sample)) == 0


def test_tokens_are_hashed_verified_and_revoked(repo: SqlGuidelineRepository) -> None:
    tok = repo.tokens.create("alice", "author")
    other = repo.tokens.create("root", "admin")
    assert tok.startswith("snm_") and tok != other
    who = repo.tokens.verify(tok)
    assert who is not None and (who.name, who.role) == ("alice", "author")
    assert repo.tokens.verify(tok) == who  # cached path
    assert repo.tokens.verify(tok[:-1] + ("A" if tok[-1] != "A" else "B")) is None
    assert repo.tokens.verify("garbage") is None and repo.tokens.verify("snm_x_y") is None
    with repo.engine.connect() as conn:
        rows = conn.execute(sa.select(api_tokens)).mappings().all()
    secret = tok.split("_", 2)[2].encode()
    for r in rows:
        assert secret not in bytes(r["hash"]) and len(bytes(r["salt"])) == 16
    assert len({bytes(r["salt"]) for r in rows}) == 2
    with pytest.raises(Exception, match="exists"):
        repo.tokens.create("alice", "admin")
    assert repo.tokens.revoke("alice") and not repo.tokens.revoke("alice")
    assert repo.tokens.verify(tok) is None
    again = repo.tokens.create("alice", "reader")  # the name is free again after revocation
    assert repo.tokens.verify(again).role == "reader"  # type: ignore[union-attr]
    assert [(t.name, t.revoked_at is not None) for t in repo.tokens.list()] == [
        ("alice", True),
        ("root", False),
        ("alice", False),
    ]


def test_every_write_is_audited(repo: SqlGuidelineRepository) -> None:
    g = repo.create(make_doc("aud"), actor="alice")
    repo.replace("aud", dataclasses.replace(g.doc, title="T"), if_match="*", actor="bob")
    repo.tokens.create("t1", "author")
    total, entries = repo.audit()
    assert total == 3
    assert [(e.actor, e.action, e.outcome) for e in entries] == [
        ("cli", "token-create", "ok"),
        ("bob", "update", "ok"),
        ("alice", "create", "ok"),
    ]
    assert entries[1].revision == 2 and entries[1].guideline_id == "aud"
    total, only = repo.audit(guideline="aud", limit=1)
    assert total == 2 and [e.action for e in only] == ["update"]
