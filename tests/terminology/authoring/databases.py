"""Database fixtures for the authoring tests: every store test runs on SQLite and on PostgreSQL.

PostgreSQL comes from `SNOMAP_TEST_POSTGRES_URL` when set, else the local server at
postgresql+psycopg://postgres@127.0.0.1:5432/postgres (trust auth, started before each session and CI
run on this machine). One fresh database `snomap_test_<random>` is created per test session and dropped
at the end; each test gets its own schema in it (via the URL's search_path option), which is much
faster than a database per test and just as isolated. When no server answers, the PostgreSQL variant is
skipped with the reason, and the SQLite one still runs.

Imported by name (`from tests.terminology.authoring.databases import ...`) from the conftest here and from
the service tests, so both share one session database.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from loaders import load_release
from terminology import Terminology, build_index
from terminology.authoring import SqlGuidelineRepository, open_repository
from terminology.authoring.database import normalise_url
from terminology.sample import sample_release_dir

POSTGRES_ENV = "SNOMAP_TEST_POSTGRES_URL"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")

_lock = threading.Lock()
_state: dict[str, object] = {"users": 0}


def _server_url() -> str:
    return normalise_url(os.environ.get(POSTGRES_ENV) or LOCAL_POSTGRES)


def _acquire_database() -> str:
    """The session database's URL (created on first use), or pytest.skip with the reason."""
    with _lock:
        if "error" in _state:
            pytest.skip(str(_state["error"]))
        if "url" not in _state:
            server = sa.engine.make_url(_server_url())
            name = f"snomap_test_{secrets.token_hex(4)}"
            try:
                admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
                admin.dispose()
            except Exception as e:  # noqa: BLE001 - any failure to reach the server means "skip", with why
                where = server.render_as_string(hide_password=True)
                _state["error"] = (
                    f"PostgreSQL not reachable at {where} ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else e}); "
                    f"set {POSTGRES_ENV} to run the PostgreSQL variant"
                )
                pytest.skip(str(_state["error"]))
            _state["url"] = server.set(database=name).render_as_string(hide_password=False)
            _state["name"] = name
        _state["users"] = int(_state["users"]) + 1  # type: ignore[call-overload]
        return str(_state["url"])


def _release_database() -> None:
    with _lock:
        _state["users"] = int(_state["users"]) - 1  # type: ignore[call-overload]
        if _state["users"] or "url" not in _state:
            return
        name = _state.pop("name")
        _state.pop("url")
        admin = sa.create_engine(_server_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """URL of this session's fresh PostgreSQL database (skips when no server is reachable)."""
    url = _acquire_database()
    yield url
    _release_database()


def fresh_schema_url(database_url: str) -> str:
    """A new, empty schema in the session database, as a URL whose connections use it (search_path)."""
    schema = f"t_{secrets.token_hex(6)}"
    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    sep = "&" if "?" in database_url else "?"
    return f"{database_url}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty store location on the parametrised backend: a SQLite file, or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'guidelines.db'}"
    return fresh_schema_url(request.getfixturevalue("postgres_database"))


@pytest.fixture()
def repo(store_url: str) -> Iterator[SqlGuidelineRepository]:
    """An empty, migrated store (no seed)."""
    r = open_repository(store_url)
    yield r
    r.dispose()


@pytest.fixture(scope="session")
def delta_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample Snapshot with the sample Delta applied: 1079990001100 (femur) REPLACED BY 1309990001107."""
    out = tmp_path_factory.mktemp("delta") / "delta.idx"
    release = sample_release_dir()
    build_index(load_release(release / "Snapshot", deltas=[release / "Delta"]), out)
    return out


@pytest.fixture(scope="session")
def delta(delta_index: Path) -> Terminology:
    return Terminology.open(delta_index)


# ----------------------------------------------------------------------------- documents for tests

PELVIC_MET = 1049990001107
BONE_MET = 1039990001102
ILIUM_MET = 1059990001105
SACRUM_MET = 1069990001108
FEMUR_MET = 1079990001100
FEMUR_SHAFT_MET = 1309990001107
VERTEBRA_MET = 1089990001103
SECONDARY = 1029990001104
MALIGNANT = 1019990001106
LIVER_MET = 1099990001101
DUPLICATE_ILIUM = 1119990001107  # inactive, REPLACED BY ILIUM_MET
AMBIGUOUS = 1229990001105  # inactive, POSSIBLY EQUIVALENT TO ilium and sacrum
BONE_STRUCTURE = 2009990001102  # body structure: outside the diagnosis hierarchies


def make_doc(gid: str = "test-guideline", *tags: object, title: str = "A test guideline", **kw: object):  # type: ignore[no-untyped-def]
    """A small valid guideline; `tags` are TagSpecs or concept ids."""
    from loaders.guidelines import GuidelineDocument, Recommendation, Reference, TagSpec

    specs = [t if isinstance(t, TagSpec) else TagSpec(concept=int(t)) for t in (tags or (PELVIC_MET,))]  # type: ignore[call-overload]
    fields: dict[str, object] = {
        "id": gid,
        "title": title,
        "status": "draft",
        "tags": specs,
        "recommendations": [Recommendation("r1", "Do the right thing.", "strong")],
        "references": [Reference("smith2020", ["Smith J"], "A study", "A journal", 2020)],
        "sections": {"Overview": "See [smith2020].", "Key recommendations": "- [r1] Do it. (Strength: strong)"},
        "updated": "2025-03-01",
    }
    fields.update(kw)
    return GuidelineDocument(**fields)  # type: ignore[arg-type]
