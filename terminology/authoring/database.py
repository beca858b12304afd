"""Opening the guideline database: URL resolution, engine set-up per dialect, and migrations on open.

The embedded default is a SQLite file in WAL mode, so the service works with nothing configured and
readers never wait for a writer; PostgreSQL is used when a URL says so. Both get the same schema from
the same Alembic migrations, run here in code (no alembic.ini), inside one transaction under a lock:
several gunicorn workers or CLI processes may open a fresh database at the same moment.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from .errors import StoreConfigurationError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DATABASE_ENV = "SNOMAP_DATABASE_URL"
DATA_DIR_ENV = "SNOMAP_DATA_DIR"
DB_FILE = "guidelines.db"
# Writers wait this long for SQLite's write lock before giving up (authoring writes are short).
SQLITE_BUSY_MS = 30_000
# An arbitrary but fixed key: every process migrating the same PostgreSQL database takes this lock.
_PG_MIGRATION_LOCK = 0x736E6F6D6170  # "snomap"
_WRITE = "snomap_write"


def default_database_path() -> Path:
    """`$SNOMAP_DATA_DIR/guidelines.db`, else `$XDG_DATA_HOME/snomap/guidelines.db` (~/.local/share by default)."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env) / DB_FILE
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "snomap" / DB_FILE


def resolve_url(url: str | None) -> tuple[str, bool]:
    """(the URL to open, whether it is the embedded default): argument, then $SNOMAP_DATABASE_URL, then the file."""
    if url:
        return normalise_url(url), False
    env = os.environ.get(DATABASE_ENV)
    if env:
        return normalise_url(env), False
    path = default_database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}", True


def normalise_url(url: str) -> str:
    """`postgres://` and `postgresql://` mean psycopg 3 here (the driver we depend on), not psycopg2."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_engine(url: str) -> Engine:
    """An engine with the per-dialect settings the store relies on (see `_sqlite_setup`)."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as e:
        raise StoreConfigurationError(f"not a database URL: {url!r}") from e
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_MS / 1000, "check_same_thread": False}}
        if memory:
            # One shared connection, or every checkout would see a different, empty database.
            kwargs["poolclass"] = sa.pool.StaticPool
        else:
            Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, **kwargs)
        _sqlite_setup(engine, memory)
    elif backend == "postgresql":
        # No pre-ping (it costs a round trip per request): a connection the server dropped fails one request,
        # after which SQLAlchemy invalidates the whole pool; recycling keeps idle connections fresh.
        engine = sa.create_engine(parsed, pool_size=10, max_overflow=20, pool_recycle=1800)
    else:
        raise StoreConfigurationError(f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://...")
    _dispose_after_fork(engine)
    return engine


def _sqlite_setup(engine: Engine, memory: bool) -> None:
    """WAL, foreign keys, a busy timeout, and transactions we begin ourselves.

    pysqlite's own transaction handling begins lazily and never with IMMEDIATE, so two writers can
    both read, then both try to upgrade to a write lock and one fails with "database is locked" at once
    (no busy wait is possible in that deadlock). Taking the driver out of it (isolation_level=None) and
    emitting BEGIN ourselves lets writers start with BEGIN IMMEDIATE (they queue on the lock, honouring
    the busy timeout) while readers use a plain BEGIN, which in WAL mode never blocks or is blocked.
    """

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable against process crashes in WAL mode; only a power cut may lose the last commits.
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def _dispose_after_fork(engine: Engine) -> None:
    """Forked workers (gunicorn preloads the app) must not share the parent's pooled connections."""
    ref = weakref.ref(engine)

    def reset() -> None:
        e = ref()
        if e is not None:
            e.dispose(close=False)

    os.register_at_fork(after_in_child=reset)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction for a write: SQLite takes its write lock up front (BEGIN IMMEDIATE).

    PostgreSQL callers lock the `store_state` row first thing (see `store._lock_state`), which orders
    all writers the same way SQLite's single write lock does.
    """
    with engine.connect().execution_options(**{_WRITE: True}) as conn, conn.begin():
        yield conn


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config built in code: the script location is this package's migrations directory."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the database to the latest schema, in one transaction, under a cross-process lock.

    The check for "already at head" runs first without any lock, so opening an up-to-date store (every
    start but the first) costs one small query and never waits for a writer.
    """
    head = head_revision()
    if current_revision(engine) == head:
        return
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        if MigrationContext.configure(conn).get_current_revision() != head:
            command.upgrade(alembic_config(conn), "head")
