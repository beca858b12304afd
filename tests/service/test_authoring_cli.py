"""`snomap guidelines import|export|check` and `snomap tokens ...`, on SQLite and PostgreSQL, through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from loaders.guidelines import TagSpec, read_guidelines, write_guideline
from service.cli import main
from terminology.authoring import open_repository
from terminology.sample import sample_guidelines_dir
from tests.terminology.authoring import databases as db
from tests.terminology.authoring.databases import (
    FEMUR_MET,
    FEMUR_SHAFT_MET,
    make_doc,
)

# The shared SQLite/PostgreSQL fixtures (tests/service/conftest.py belongs to the read API's tests).
backend, delta, delta_index, postgres_database, store_url = (
    db.backend,
    db.delta,
    db.delta_index,
    db.postgres_database,
    db.store_url,
)

SAMPLES = sample_guidelines_dir()


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_import_export_import(store_url: str, sample_index: Path, tmp_path: Path) -> None:
    r = run("guidelines", "import", str(SAMPLES), "--database", store_url, "--index", str(sample_index))
    assert r.exit_code == 0, r.output
    assert "7 created, 0 updated, 0 unchanged, 0 deleted" in r.output
    out = tmp_path / "export"
    r = run("guidelines", "export", str(out), "--database", store_url)
    assert r.exit_code == 0 and "exported 7 guideline(s)" in r.output
    assert read_guidelines(out) == read_guidelines(SAMPLES)
    r = run("guidelines", "import", str(out), "--database", store_url, "--index", str(sample_index), "--json")
    assert r.exit_code == 0 and json.loads(r.output)["unchanged"] == 7 and json.loads(r.output)["changed"] == []
    repo = open_repository(store_url)
    try:
        assert repo.records()[0].tags[0].baseline_count is not None  # baselines recorded against --index
        assert repo.revisions(repo.list()[0].id)[0].author.startswith("cli")
    finally:
        repo.dispose()


def test_import_of_a_bad_directory_fails_cleanly_and_changes_nothing(
    store_url: str, sample_index: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    write_guideline(make_doc("good-one"), bad)
    (bad / "broken.md").write_text("---\nid: broken\ntitle: x\n---\n")
    r = run("guidelines", "import", str(bad), "--database", store_url, "--index", str(sample_index))
    assert r.exit_code == 2 and "broken.md" in r.output and "Traceback" not in r.output
    repo = open_repository(store_url)
    try:
        assert len(repo) == 0
    finally:
        repo.dispose()


def test_release_check_and_apply(store_url: str, sample_index: Path, delta_index: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for d in read_guidelines(SAMPLES):
        write_guideline(d, src)
    write_guideline(make_doc("femur-fixation", TagSpec(concept=FEMUR_MET, term="femur")), src)
    assert run("guidelines", "import", str(src), "--database", store_url, "--index", str(sample_index)).exit_code == 0

    r = run("guidelines", "check", "--database", store_url, "--index", str(sample_index))
    assert r.exit_code == 0 and "0 finding(s)" in r.output, r.output
    r = run("guidelines", "check", "--database", store_url, "--index", str(delta_index))
    assert r.exit_code == 1 and "[migrate] femur-fixation" in r.output and f"REPLACED BY: {FEMUR_SHAFT_MET}" in r.output
    r = run("guidelines", "check", "--database", store_url, "--index", str(delta_index), "--apply", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert [(m["guidelineId"], m["from"], m["to"]) for m in out["migrated"]] == [
        ("femur-fixation", str(FEMUR_MET), str(FEMUR_SHAFT_MET))
    ]
    assert out["toDecide"] == []
    r = run("guidelines", "check", "--database", store_url, "--index", str(delta_index))
    assert r.exit_code == 0 and "0 finding(s)" in r.output
    repo = open_repository(store_url)
    try:
        assert repo.revisions("femur-fixation")[-1].author == "release-check"
    finally:
        repo.dispose()


def test_tokens(store_url: str) -> None:
    r = run("tokens", "create", "--name", "alice", "--role", "author", "--database", store_url)
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[0]
    assert token.startswith("snm_")
    repo = open_repository(store_url)
    try:
        who = repo.tokens.verify(token)
        assert who is not None and (who.name, who.role) == ("alice", "author")
    finally:
        repo.dispose()
    assert run("tokens", "create", "--name", "alice", "--database", store_url).exit_code == 2
    assert run("tokens", "create", "--name", "bob", "--role", "superuser", "--database", store_url).exit_code == 2
    r = run("tokens", "list", "--database", store_url, "--json")
    assert [(x["name"], x["role"], x["revoked"]) for x in json.loads(r.output)] == [("alice", "author", None)]
    assert token not in r.output
    assert run("tokens", "revoke", "alice", "--database", store_url).exit_code == 0
    r = run("tokens", "revoke", "alice", "--database", store_url)
    assert r.exit_code == 2 and "no active token" in r.output


def test_embedded_default_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNOMAP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SNOMAP_DATABASE_URL", raising=False)
    r = run("guidelines", "export", str(tmp_path / "out"))
    assert r.exit_code == 0 and "exported 7 guideline(s)" in r.output  # seeded with the samples on first use
    assert (tmp_path / "guidelines.db").is_file()
