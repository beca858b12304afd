"""The SQL guideline store: the `GuidelineRepository` read protocol plus every authoring write.

It is built up in layers, one module each: `cache` (reads and the per-process document cache),
`audit` (revisions and the audit log), `writes` (the authoring writes and their locking) and
`transfer` (import, export, seeding and baselines). `open_repository` opens one.
"""

from __future__ import annotations

from pathlib import Path

from .audit import Actor
from .database import create_engine, migrate, resolve_url
from .transfer import TransferableStore
from .writes import check_exportable

__all__ = ["Actor", "SqlGuidelineRepository", "check_exportable", "open_repository"]


class SqlGuidelineRepository(TransferableStore):
    """Guidelines in SQLite or PostgreSQL, behind the same protocol as the file store, plus authoring.

    Thread-safe: the engine pools connections per thread, and the cache is a dict replaced under a lock.
    """


def open_repository(url: str | None = None, *, seed_dir: str | Path | None = None) -> SqlGuidelineRepository:
    """Open (creating and migrating as needed) the guideline store at `url`.

    `url` None means `$SNOMAP_DATABASE_URL`, else the embedded SQLite file (`$SNOMAP_DATA_DIR/guidelines.db`
    or `~/.local/share/snomap/guidelines.db`). The embedded default is seeded with the sample guidelines on
    its first run, so the service works out of the box; any store is seeded from `seed_dir` when given.
    """
    resolved, embedded = resolve_url(url)
    engine = create_engine(resolved)
    migrate(engine)
    repo = SqlGuidelineRepository(engine, embedded=embedded)
    if seed_dir is None and embedded:
        from terminology.sample import sample_guidelines_dir

        seed_dir = sample_guidelines_dir()
    if seed_dir is not None:
        repo.seed_if_new(seed_dir)
    return repo
