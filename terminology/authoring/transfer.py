"""Moving guidelines in and out of the store: import (all or nothing), export, first-run seeding, baselines."""

from __future__ import annotations

import builtins
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from loaders.guidelines import GuidelineDocument, TagSpec, read_guidelines, write_guideline

from . import codec
from .audit import Actor, as_actor
from .database import write_transaction
from .errors import AuthoringError, InvalidGuidelineError
from .model import ImportReport, StoredGuideline
from .tables import guidelines, recommendations, references, revisions, sections, store_state, tags
from .validation import check_tag_count
from .writes import BaselineFn, WritableStore

# Judges one guideline of an import (the document, and what the store holds under its id): raises to refuse.
ValidateFn = Callable[[GuidelineDocument, StoredGuideline | None], None]

# A test hook for crash safety: after this many guidelines an import prints a marker and sleeps, so a test can kill it.
PAUSE_ENV = "SNOMAP_IMPORT_PAUSE_AFTER"
PAUSE_MARKER = "snomap-import-paused"
# Imports that write at least this many guidelines refresh the planner statistics afterwards.
_ANALYZE_AFTER = 500


class TransferableStore(WritableStore):
    """The store with bulk import and export of the Markdown guideline files."""

    def import_documents(
        self,
        docs: Iterable[GuidelineDocument],
        *,
        actor: Actor | str = "import",
        baseline: BaselineFn | None = None,
        prune: bool = False,
        validate: ValidateFn | None = None,
    ) -> ImportReport:
        """Make the store hold `docs`, in ONE transaction: a crash or kill part-way leaves the store as it was.

        A guideline equal to the stored one is left alone (no revision), so importing what was just
        exported changes nothing. With `prune`, stored guidelines absent from `docs` are deleted.
        `validate(doc, stored)` judges each changed guideline before it is written (the API's tag check,
        ``validation.check_guideline_tags``); its error names the guideline and the import writes nothing.
        """
        a = as_actor(actor)
        items = builtins.list(docs)
        seen: set[str] = set()
        for d in items:
            if d.id in seen:
                raise InvalidGuidelineError(f"duplicate guideline id {d.id!r} in the import", "id")
            seen.add(d.id)
            try:
                check_tag_count(len(d.tags))
            except AuthoringError as e:
                raise type(e)(f"guideline {d.id!r}: {e.detail}", e.field, **e.extra) from None
        with write_transaction(self.engine) as conn:
            rev = self._begin(conn)
            report = self._import(conn, rev, items, a, baseline, prune, validate)
            if not (report.created or report.updated or report.deleted):
                conn.rollback()  # nothing changed: do not move the revision counter (caches stay warm)
        if len(report.created) + len(report.updated) >= _ANALYZE_AFTER:
            self.analyze()
        return report

    def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk change.

        Without it, PostgreSQL plans the tag query for the empty table it last saw (a sequential scan
        over every tag) until autovacuum gets round to it; SQLite uses the statistics to pick indexes too.
        """
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if self.dialect == "postgresql":
                for table in (guidelines, tags, revisions):
                    conn.exec_driver_sql(f"ANALYZE {table.name}")
            else:
                conn.exec_driver_sql("ANALYZE")

    def _import(
        self,
        conn: Connection,
        rev: int,
        items: Sequence[GuidelineDocument],
        a: Actor,
        baseline: BaselineFn | None,
        prune: bool,
        validate: ValidateFn | None = None,
    ) -> ImportReport:
        existing = self._load(conn, None)
        report = ImportReport()
        pause = int(os.environ.get(PAUSE_ENV) or 0)
        for k, doc in enumerate(items, 1):
            old = existing.get(doc.id)
            if old is not None and old.doc == doc:
                report.unchanged.append(doc.id)
            else:
                if validate is not None:
                    try:
                        validate(doc, old)
                    except AuthoringError as e:
                        raise type(e)(f"guideline {doc.id!r}: {e.detail}", e.field, **e.extra) from None
                self._save(
                    conn, rev, doc.id, old, doc, self._new_records(old, doc, a.name, baseline), a, "import", audit=False
                )
                (report.updated if old else report.created).append(doc.id)
            if pause and k == pause:
                print(PAUSE_MARKER, file=sys.stderr, flush=True)
                time.sleep(3600)
        if prune:
            wanted = {d.id for d in items}
            for gid, old in sorted(existing.items()):
                if gid not in wanted:
                    conn.execute(guidelines.delete().where(guidelines.c.id == gid))
                    for table in (sections, recommendations, references, tags):
                        conn.execute(table.delete().where(table.c.guideline_id == gid))
                    conn.execute(
                        revisions.insert().values(
                            guideline_id=gid,
                            n=old.revision + 1,
                            store_revision=rev,
                            action="delete",
                            author=a.name,
                            at=codec.now(),
                            summary="deleted (not in the imported directory)",
                            etag=None,
                            snapshot=codec.snapshot(old.doc, old.tags),
                        )
                    )
                    report.deleted.append(gid)
        if report.created or report.updated or report.deleted:
            self._audit(conn, a, "import", None, None, report.as_dict())
        return report

    def import_directory(
        self,
        directory: str | Path,
        *,
        actor: Actor | str = "import",
        baseline: BaselineFn | None = None,
        prune: bool = False,
        validate: ValidateFn | None = None,
    ) -> ImportReport:
        """Read every guideline file under `directory` (all validated first), then import them in one transaction."""
        return self.import_documents(
            read_guidelines(directory), actor=actor, baseline=baseline, prune=prune, validate=validate
        )

    def export_directory(self, directory: str | Path) -> builtins.list[Path]:
        """Write every guideline as `<id>.md` (the loader's canonical layout); returns the files written."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        return [write_guideline(doc, out) for doc in self.list()]

    def seed_if_new(self, directory: str | Path, baseline: BaselineFn | None = None) -> bool:
        """Import `directory` once, on the first open of a new store (never again, even if emptied later)."""
        if self.state()["seeded_from"] is not None:
            return False
        docs = read_guidelines(directory)
        with write_transaction(self.engine) as conn:
            rev = self._begin(conn)
            row = conn.execute(sa.select(store_state.c.seeded_from).where(store_state.c.id == 1)).one()
            has_any = conn.execute(sa.select(revisions.c.id).limit(1)).first()
            if row[0] is not None or has_any:
                conn.rollback()
                return False
            self._import(conn, rev, docs, Actor("seed"), baseline, prune=False)
            conn.execute(
                store_state.update()
                .where(store_state.c.id == 1)
                .values(seeded_from=str(Path(directory).resolve()), seeded_at=codec.now())
            )
        return True

    def fill_missing_baselines(self, baseline: BaselineFn) -> int:
        """Record the coverage of tags imported without a terminology (e.g. the first-run seed).

        This is bookkeeping, not an edit of the guideline, so it makes no revision and keeps the ETag;
        it bumps the cache generation so every process re-reads the tag records.
        """
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(tags.c.id, tags.c.concept, tags.c.ecl, tags.c.exclude).where(
                    tags.c.baseline_release.is_(None)
                )
            ).all()
        if not rows:
            return 0
        updates = []
        for tid, concept, ecl, exclude in rows:
            spec = TagSpec(int(concept) if concept is not None else None, ecl, None, [int(x) for x in exclude or []])
            b = baseline(spec)
            updates.append({"tid": int(tid), "c": b.count, "r": b.release or "unknown"})
        with write_transaction(self.engine) as conn:
            self._begin(conn, generation=True)
            conn.execute(
                tags.update()
                .where(tags.c.id == sa.bindparam("tid"), tags.c.baseline_release.is_(None))
                .values(baseline_count=sa.bindparam("c"), baseline_release=sa.bindparam("r")),
                updates,
            )
        return len(updates)
