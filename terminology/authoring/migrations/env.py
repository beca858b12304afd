"""Alembic environment: always runs on the connection (and transaction) handed in by `database.migrate`.

Why not an engine from a URL here: the store opens the database itself and runs the migrations inside
its own transaction, under a lock (SQLite's write lock, a PostgreSQL advisory lock), so that several
processes starting at once cannot race to create the same tables.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable when someone runs alembic by hand without the helper
    raise RuntimeError("run migrations through terminology.authoring.database.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=None,
    render_as_batch=connection.dialect.name == "sqlite",
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
