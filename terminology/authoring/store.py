"""The SQL guideline store: the `GuidelineRepository` read protocol plus every authoring write.

Reads. `tagged(concept_ids)` is one indexed query (`concept IN (...)` on the (concept, guideline_id)
index) that returns guideline ids; the documents come from an in-process cache. The cache is kept
honest by `store_state.revision`, a counter that every write increments in its own transaction: each read
first reads the counter (one primary-key lookup) and, when it moved, evicts exactly the guidelines
whose revisions are newer than what it had seen. So a worker process never serves a guideline that
another worker changed before the request began, and unchanged guidelines are never reloaded.

Writes. Each write is one transaction that (1) takes the writers' lock: increments the state
counter (on PostgreSQL the UPDATE locks that row; on SQLite the transaction began IMMEDIATE, which
takes the database write lock), (2) reads the current guideline, (3) checks If-Match, (4) makes the
change with a conditional `UPDATE guidelines ... WHERE id = :id AND etag = :old` whose row count must
be 1, (5) appends the revision (full snapshot) and the audit row. Writers therefore run one at a time
and always lock in the same order (state row, then guideline rows), so they cannot deadlock; the
conditional UPDATE is the optimistic check that makes a stale If-Match lose even without that lock.
Losing writers roll back completely, including their counter increment.
"""

from __future__ import annotations

import builtins
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine

from loaders.guidelines import GuidelineDocument, GuidelineFileError, TagSpec, read_guidelines, write_guideline

from . import codec
from .database import create_engine, migrate, resolve_url, write_transaction
from .errors import (
    DuplicateTagError,
    GuidelineExistsError,
    GuidelineNotFoundError,
    InvalidGuidelineError,
    PreconditionFailedError,
    PreconditionRequiredError,
    RevisionNotFoundError,
    TagNotFoundError,
)
from .model import AuditEntry, Baseline, ImportReport, Revision, StoredGuideline, TagRecord
from .tables import audit_log, guidelines, recommendations, references, revisions, sections, store_state, tags
from .tokens import TokenStore

# A test hook for crash safety: after this many guidelines an import prints a marker and sleeps, so a test can kill it.
PAUSE_ENV = "SNOMAP_IMPORT_PAUSE_AFTER"
PAUSE_MARKER = "snomap-import-paused"
# Past this many missed store revisions a reader drops its whole cache instead of asking which guidelines changed.
_EVICT_ALL_AFTER = 1000
_CHUNK = 500
_SQLITE_IN_MAX = 30_000
# Imports that write at least this many guidelines refresh the planner statistics afterwards.
_ANALYZE_AFTER = 500

# The linking query, built once (constructing a statement per request costs more than running it).
# PostgreSQL: the cache clock and the tag lookup in one round trip (the state row outer-joined to the matches),
# the ids as one array parameter; SQLite (in-process, so a second statement is free): an expanding IN list.
_MATCHES = (
    sa.select(tags.c.concept, tags.c.guideline_id)
    .where(tags.c.concept == sa.any_(sa.bindparam("ids", type_=ARRAY(sa.BigInteger))))
    .distinct()
    .subquery()
)
_PG_TAGGED = (
    sa.select(store_state.c.revision, store_state.c.generation, _MATCHES.c.concept, _MATCHES.c.guideline_id)
    .select_from(store_state.outerjoin(_MATCHES, sa.true()))
    .where(store_state.c.id == 1)
)
_SQLITE_TAGGED = (
    sa.select(tags.c.concept, tags.c.guideline_id).where(tags.c.concept.in_(sa.bindparam("ids", expanding=True))).distinct()
)

IfMatch = Collection[str] | Literal["*"] | None
BaselineFn = Callable[[TagSpec], Baseline]


@dataclass(frozen=True)
class Actor:
    """Who makes a change (the token name, "release-check", "import" ...) and, for API calls, the request."""

    name: str
    role: str | None = None
    method: str | None = None
    path: str | None = None


def _actor(a: Actor | str) -> Actor:
    return a if isinstance(a, Actor) else Actor(a)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _tag_key(t: TagSpec) -> tuple[Any, ...]:
    return (t.concept, t.ecl, t.term, tuple(t.exclude))


def check_exportable(doc: GuidelineDocument) -> None:
    """Refuse a document the Markdown format cannot hold, so every stored guideline can be exported.

    The loader's own writer is the judge: it renders the file and parses it back, and must get the same
    document (this catches citations of unknown references, a section body holding its own `## `
    heading, duplicate recommendation ids, and everything else the file format validates).
    """
    try:
        write_guideline_check(doc)
    except GuidelineFileError as e:
        raise InvalidGuidelineError(e.problem, e.field or "body") from e


def write_guideline_check(doc: GuidelineDocument) -> None:
    from loaders.guidelines import guideline_text, parse_guideline

    again = parse_guideline(guideline_text(doc), f"{doc.id}.md")
    if again != doc:
        diff = [f for f in doc.__dataclass_fields__ if getattr(again, f) != getattr(doc, f)]
        raise GuidelineFileError(f"cannot be written as a guideline file: {', '.join(diff)} would read back differently", field=diff[0])


class SqlGuidelineRepository:
    """Guidelines in SQLite or PostgreSQL, behind the same protocol as the file store, plus authoring.

    Thread-safe: the engine pools connections per thread, and the cache is a dict replaced under a lock.
    """

    def __init__(self, engine: Engine, *, embedded: bool = False):
        self.engine = engine
        self.embedded = embedded
        self.dialect = engine.dialect.name
        self.tokens = TokenStore(engine)
        self._docs: dict[str, StoredGuideline] = {}
        self._seen: tuple[int, int] | None = None
        self._ecl: tuple[tuple[int, int], builtins.list[tuple[GuidelineDocument, TagSpec]]] | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()

    def _read(self) -> Connection:
        """A connection for reads. On PostgreSQL in autocommit mode: no BEGIN/ROLLBACK round trips per request
        (each read is one statement, or a cache fill whose result the revision counter keeps honest)."""
        conn = self.engine.connect()
        if self.dialect == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        return conn

    # ------------------------------------------------------------------ cache

    def _sync(self, conn: Connection, state: tuple[int, int] | None = None) -> tuple[int, int]:
        """Evict what other writers changed since this process last looked (see the module docstring)."""
        if state is None:
            row = conn.execute(sa.select(store_state.c.revision, store_state.c.generation).where(store_state.c.id == 1)).one()
            state = (int(row[0]), int(row[1]))
        current = state
        seen = self._seen
        if current == seen:
            return current
        with self._lock:
            seen = self._seen
            if current == seen:
                return current
            if seen is not None and current[1] == seen[1] and current[0] < seen[0]:
                return current  # another thread already synced to a newer state; this older view changes nothing
            if seen is None or current[1] != seen[1] or current[0] - seen[0] > _EVICT_ALL_AFTER:
                self._docs = {}
            else:
                changed = conn.execute(
                    sa.select(revisions.c.guideline_id).distinct().where(revisions.c.store_revision > seen[0])
                ).scalars()
                docs = dict(self._docs)
                for gid in changed:
                    docs.pop(gid, None)
                self._docs = docs
            self._ecl = None
            self._seen = current
        return current

    def _cached(self, conn: Connection, gids: Collection[str], state: tuple[int, int]) -> dict[str, StoredGuideline]:
        """The guidelines `gids` from the cache, loading the missing ones (in one snapshot) into it.

        A load is only kept if no other thread synced to a newer state meanwhile: otherwise that
        thread's eviction could have run before this insert, leaving a stale document cached for good.
        """
        docs = self._docs
        missing = [g for g in gids if g not in docs]
        if missing:
            if self.dialect == "postgresql":
                with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as snap, snap.begin():
                    loaded = self._load(snap, missing)
            else:
                loaded = self._load(conn, missing)  # inside the read transaction: one WAL snapshot
            with self._lock:
                merged = dict(self._docs)
                merged.update(loaded)
                if self._seen == state:
                    self._docs = merged
            docs = merged
        return {g: docs[g] for g in gids if g in docs}

    # ------------------------------------------------------------------ loading

    def _load(self, conn: Connection, gids: Collection[str] | None) -> dict[str, StoredGuideline]:
        """Full guidelines by id (all of them when `gids` is None), in a handful of queries per 500 ids."""
        if gids is not None and not gids:
            return {}
        out: dict[str, StoredGuideline] = {}
        batches: Iterable[Sequence[str] | None] = [None] if gids is None else _chunks(sorted(set(gids)))
        for batch in batches:

            def where(col: sa.ColumnElement[Any], batch: Sequence[str] | None = batch) -> sa.ColumnElement[bool]:
                return col.in_(batch) if batch is not None else sa.true()

            heads = conn.execute(sa.select(guidelines).where(where(guidelines.c.id))).mappings().all()
            if not heads:
                continue
            kids: dict[str, dict[str, builtins.list[Any]]] = {h["id"]: {"s": [], "r": [], "f": [], "t": []} for h in heads}
            for key, table in (("s", sections), ("r", recommendations), ("f", references), ("t", tags)):
                q = sa.select(table).where(where(table.c.guideline_id)).order_by(table.c.guideline_id, table.c.position)
                for row in conn.execute(q).mappings():
                    if row["guideline_id"] in kids:
                        kids[row["guideline_id"]][key].append(row)
            for h in heads:
                k = kids[h["id"]]
                records = tuple(
                    TagRecord(
                        id=int(t["id"]),
                        spec=TagSpec(
                            concept=int(t["concept"]) if t["concept"] is not None else None,
                            ecl=t["ecl"],
                            term=t["term"],
                            exclude=[int(x) for x in t["exclude"] or []],
                        ),
                        added_by=t["added_by"],
                        added_at=codec.aware(t["added_at"]),  # type: ignore[arg-type]
                        baseline_count=t["baseline_count"],
                        baseline_release=t["baseline_release"],
                    )
                    for t in k["t"]
                )
                doc = codec.doc_from_json(
                    {
                        "id": h["id"],
                        "title": h["title"],
                        "status": h["status"],
                        "updated": h["updated"],
                        "extra": h["extra"],
                        "tags": [],
                        "recommendations": [{"id": r["rec_id"], "text": r["text"], "strength": r["strength"]} for r in k["r"]],
                        "references": [{**dict(r), "id": r["ref_id"]} for r in k["f"]],
                        "sections": [[s["heading"], s["markdown"]] for s in k["s"]],
                    }
                )
                doc = replace(doc, tags=[r.spec for r in records])
                out[h["id"]] = StoredGuideline(
                    doc=doc,
                    etag=h["etag"],
                    revision=int(h["revision"]),
                    created_at=codec.aware(h["created_at"]),  # type: ignore[arg-type]
                    created_by=h["created_by"],
                    modified_at=codec.aware(h["modified_at"]),  # type: ignore[arg-type]
                    modified_by=h["modified_by"],
                    tags=records,
                )
        return out

    # ------------------------------------------------------------------ the GuidelineRepository protocol

    def list(self) -> builtins.list[GuidelineDocument]:
        """Every guideline, ordered by id."""
        return [r.doc for r in self.records()]

    def records(self) -> builtins.list[StoredGuideline]:
        """Every guideline with its authoring metadata, ordered by id."""
        with self._read() as conn:
            state = self._sync(conn)
            ids = conn.execute(sa.select(guidelines.c.id).order_by(guidelines.c.id)).scalars().all()
            found = self._cached(conn, ids, state)
        return [found[g] for g in ids if g in found]

    def get(self, gid: str) -> GuidelineDocument | None:
        r = self.record(gid)
        return r.doc if r else None

    def record(self, gid: str) -> StoredGuideline | None:
        """One guideline with its ETag, revision and tag records (from the cache when it is current)."""
        with self._read() as conn:
            state = self._sync(conn)
            return self._cached(conn, [gid], state).get(gid)

    def etag(self, gid: str) -> str | None:
        r = self.record(gid)
        return r.etag if r else None

    def tagged(self, concept_ids: Iterable[int]) -> dict[int, builtins.list[GuidelineDocument]]:
        """Guidelines with a concept tag on any of `concept_ids`: one `IN` query on the tag index, documents from cache."""
        ids = sorted({int(c) for c in concept_ids})
        if not ids:
            return {}
        with self._read() as conn:
            rows: builtins.list[tuple[int, str]] = []
            if self.dialect == "postgresql":
                result = conn.execute(_PG_TAGGED, {"ids": ids}).all()
                state = self._sync(conn, (int(result[0][0]), int(result[0][1])))
                rows = [(int(c), g) for _, _, c, g in result if c is not None]
            else:
                state = self._sync(conn)
                for batch in _chunks(ids, _SQLITE_IN_MAX):
                    rows.extend((int(c), g) for c, g in conn.execute(_SQLITE_TAGGED, {"ids": builtins.list(batch)}))
            docs = self._cached(conn, {g for _, g in rows}, state)
        out: dict[int, builtins.list[GuidelineDocument]] = {}
        for concept, gid in sorted(rows):
            if gid in docs:
                out.setdefault(concept, []).append(docs[gid].doc)
        return out

    def ecl_tagged(self) -> builtins.list[tuple[GuidelineDocument, TagSpec]]:
        """Every (guideline, ECL tag), cached until the next write."""
        with self._read() as conn:
            state = self._sync(conn)
            cached = self._ecl
            if cached is not None and cached[0] == state:
                return builtins.list(cached[1])
            gids = conn.execute(sa.select(tags.c.guideline_id).where(tags.c.ecl.is_not(None)).distinct()).scalars().all()
            docs = self._cached(conn, gids, state)
        pairs = [(docs[g].doc, t) for g in sorted(docs) for t in docs[g].doc.tags if t.ecl is not None]
        self._ecl = (state, pairs)
        return builtins.list(pairs)

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(guidelines)).scalar_one())

    # ------------------------------------------------------------------ history and audit

    def revisions(self, gid: str) -> builtins.list[Revision]:
        """A guideline's history, oldest first (also for a deleted guideline: history outlives it)."""
        q = (
            sa.select(revisions.c.guideline_id, revisions.c.n, revisions.c.action, revisions.c.author, revisions.c.at)
            .add_columns(revisions.c.summary, revisions.c.etag)
            .where(revisions.c.guideline_id == gid)
            .order_by(revisions.c.n)
        )
        with self.engine.connect() as conn:
            return [Revision(r[0], int(r[1]), r[2], r[3], codec.aware(r[4]), r[5], r[6]) for r in conn.execute(q)]  # type: ignore[arg-type]

    def revision(self, gid: str, n: int) -> Revision:
        with self.engine.connect() as conn:
            return self._revision(conn, gid, n)

    def _revision(self, conn: Connection, gid: str, n: int) -> Revision:
        r = conn.execute(sa.select(revisions).where(revisions.c.guideline_id == gid, revisions.c.n == n)).mappings().first()
        if r is None:
            raise RevisionNotFoundError(f"guideline {gid!r} has no revision {n}", "n")
        return Revision(gid, int(r["n"]), r["action"], r["author"], codec.aware(r["at"]), r["summary"], r["etag"], r["snapshot"])  # type: ignore[arg-type]

    def audit(
        self, limit: int = 100, offset: int = 0, guideline: str | None = None, actor: str | None = None
    ) -> tuple[int, builtins.list[AuditEntry]]:
        """(total matching, a page of entries newest first)."""
        cond = sa.and_(
            audit_log.c.guideline_id == guideline if guideline else sa.true(),
            audit_log.c.actor == actor if actor else sa.true(),
        )
        with self.engine.connect() as conn:
            total = int(conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(cond)).scalar_one())
            rows = conn.execute(
                sa.select(audit_log).where(cond).order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
            ).mappings()
            entries = [
                AuditEntry(
                    int(r["id"]), codec.aware(r["at"]), r["actor"], r["role"], r["action"], r["outcome"], r["status"],  # type: ignore[arg-type]
                    r["method"], r["path"], r["guideline_id"], r["revision"], r["detail"],
                )
                for r in rows
            ]
        return total, entries

    def record_audit(
        self,
        actor: Actor | str,
        action: str,
        outcome: str,
        status: int | None = None,
        guideline_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """An audit row on its own (refused API writes; accepted ones are audited inside their transaction)."""
        a = _actor(actor)
        with self.engine.begin() as conn:
            conn.execute(
                audit_log.insert().values(
                    at=codec.now(), actor=a.name, role=a.role, action=action, outcome=outcome, status=status,
                    method=a.method, path=a.path, guideline_id=guideline_id, detail=detail,
                )
            )

    def state(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(store_state).where(store_state.c.id == 1)).mappings().one()
            return {k: (codec.iso(v) if k == "seeded_at" else v) for k, v in r.items()}

    # ------------------------------------------------------------------ writing: building blocks

    def _begin(self, conn: Connection, generation: bool = False) -> int:
        """Take the writers' lock and the next store revision in one statement (see the module docstring)."""
        values: dict[str, Any] = {"revision": store_state.c.revision + 1}
        if generation:
            values["generation"] = store_state.c.generation + 1
        q = store_state.update().where(store_state.c.id == 1).values(**values).returning(store_state.c.revision)
        return int(conn.execute(q).scalar_one())

    def _current(self, conn: Connection, gid: str) -> StoredGuideline | None:
        return self._load(conn, [gid]).get(gid)

    @staticmethod
    def _check(current: StoredGuideline | None, gid: str, if_match: IfMatch) -> StoredGuideline:
        if current is None:
            raise GuidelineNotFoundError(f"guideline {gid!r} does not exist", "gid")
        if if_match is None:
            raise PreconditionRequiredError(
                f"changing guideline {gid!r} needs If-Match with its current ETag (from GET /api/v1/guidelines/{gid})"
            )
        if if_match != "*" and current.etag not in if_match:
            raise PreconditionFailedError(
                f"guideline {gid!r} was changed by {current.modified_by} at {codec.iso(current.modified_at)} "
                f"(now revision {current.revision}); fetch it again and reapply your change",
                currentRevision=current.revision,
            )
        return current

    def _new_records(
        self, old: StoredGuideline | None, doc: GuidelineDocument, actor: str, baseline: BaselineFn | None
    ) -> builtins.list[TagRecord]:
        """Tag records for `doc`: a tag equal to an existing one keeps its id, author, date and baseline."""
        pool: dict[tuple[Any, ...], builtins.list[TagRecord]] = {}
        for r in old.tags if old else ():
            pool.setdefault(_tag_key(r.spec), []).append(r)
        out = []
        at = codec.now()
        for spec in doc.tags:
            kept = pool.get(_tag_key(spec))
            if kept:
                out.append(kept.pop(0))
            else:
                b = baseline(spec) if baseline else Baseline(None, None)
                out.append(TagRecord(0, spec, actor, at, b.count, b.release))
        return out

    def _save(
        self,
        conn: Connection,
        store_rev: int,
        gid: str,
        old: StoredGuideline | None,
        doc: GuidelineDocument,
        records: Sequence[TagRecord],
        actor: Actor,
        action: str,
        summary: str | None = None,
        audit: bool = True,
    ) -> StoredGuideline:
        """Write `doc` as the new revision of `gid` (create when `old` is None) and record it."""
        if doc.id != gid:
            raise InvalidGuidelineError(f"the id {doc.id!r} does not match the guideline being written ({gid!r})", "id")
        at = codec.now()
        if old is None:
            prev = conn.execute(sa.select(sa.func.max(revisions.c.n)).where(revisions.c.guideline_id == gid)).scalar()
            n = int(prev or 0) + 1
        else:
            n = old.revision + 1
        etag = f"{n}-{secrets.token_hex(6)}"
        head = {
            "title": doc.title,
            "status": doc.status,
            "updated": doc.updated,
            "extra": codec.extra_text(doc.extra),
            "etag": etag,
            "revision": n,
            "modified_at": at,
            "modified_by": actor.name,
        }
        if old is None:
            if conn.execute(sa.select(guidelines.c.id).where(guidelines.c.id == gid)).first():
                raise GuidelineExistsError(f"guideline {gid!r} already exists; PUT or PATCH it instead", "id")
            conn.execute(guidelines.insert().values(id=gid, created_at=at, created_by=actor.name, **head))
            created_at, created_by = at, actor.name
        else:
            # The optimistic check: only the writer that still holds the current ETag changes the row.
            res = conn.execute(
                guidelines.update().where(guidelines.c.id == gid, guidelines.c.etag == old.etag).values(**head)
            )
            if res.rowcount != 1:
                raise PreconditionFailedError(f"guideline {gid!r} was changed meanwhile; fetch it again and reapply your change")
            for table in (sections, recommendations, references, tags):
                conn.execute(table.delete().where(table.c.guideline_id == gid))
            created_at, created_by = old.created_at, old.created_by
        self._insert_children(conn, gid, doc)
        final = self._insert_tags(conn, gid, records)
        stored = StoredGuideline(doc, etag, n, created_at, created_by, at, actor.name, tuple(final))
        conn.execute(
            revisions.insert().values(
                guideline_id=gid, n=n, store_revision=store_rev, action=action, author=actor.name, at=at,
                summary=summary or codec.summarise(old.doc if old else None, doc), etag=etag,
                snapshot=codec.snapshot(doc, final),
            )
        )
        if audit:
            self._audit(conn, actor, action, gid, n, {"etag": etag})
        return stored

    @staticmethod
    def _insert_children(conn: Connection, gid: str, doc: GuidelineDocument) -> None:
        if doc.sections:
            conn.execute(
                sections.insert(),
                [{"guideline_id": gid, "position": i, "heading": h, "markdown": m} for i, (h, m) in enumerate(doc.sections.items())],
            )
        if doc.recommendations:
            conn.execute(
                recommendations.insert(),
                [
                    {"guideline_id": gid, "position": i, "rec_id": r.id, "text": r.text, "strength": r.strength}
                    for i, r in enumerate(doc.recommendations)
                ],
            )
        if doc.references:
            rows = []
            for i, r in enumerate(doc.references):
                d = codec.reference_to_json(r)
                d["ref_id"] = d.pop("id")
                rows.append({"guideline_id": gid, "position": i, **d})
            conn.execute(references.insert(), rows)

    @staticmethod
    def _insert_tags(conn: Connection, gid: str, records: Sequence[TagRecord]) -> builtins.list[TagRecord]:
        """Insert tag rows; records with id 0 get a new id, others keep theirs unless another guideline has it."""
        wanted = [r.id for r in records if r.id]
        taken: set[int] = set()
        if wanted:
            taken = set(conn.execute(sa.select(tags.c.id).where(tags.c.id.in_(wanted))).scalars())

        def row(i: int, r: TagRecord) -> dict[str, Any]:
            return {
                "guideline_id": gid,
                "position": i,
                "concept": r.spec.concept,
                "ecl": r.spec.ecl,
                "term": r.spec.term,
                "exclude": [str(x) for x in r.spec.exclude],
                "added_by": r.added_by,
                "added_at": r.added_at,
                "baseline_count": r.baseline_count,
                "baseline_release": r.baseline_release,
            }

        final: builtins.list[TagRecord] = builtins.list(records)
        keep = [(i, r) for i, r in enumerate(records) if r.id and r.id not in taken]
        new = [(i, r) for i, r in enumerate(records) if not r.id or r.id in taken]
        if keep:
            conn.execute(tags.insert(), [{"id": r.id, **row(i, r)} for i, r in keep])
        if new:
            q = tags.insert().returning(tags.c.id, sort_by_parameter_order=True)
            ids = conn.execute(q, [row(i, r) for i, r in new]).scalars().all()
            for (i, r), tid in zip(new, ids, strict=True):
                final[i] = replace(r, id=int(tid))
        return final

    @staticmethod
    def _audit(conn: Connection, actor: Actor, action: str, gid: str | None, n: int | None, detail: dict[str, Any] | None) -> None:
        conn.execute(
            audit_log.insert().values(
                at=codec.now(), actor=actor.name, role=actor.role, action=action, outcome="ok",
                status=None, method=actor.method, path=actor.path, guideline_id=gid, revision=n, detail=detail,
            )
        )

    # ------------------------------------------------------------------ writing: operations

    def create(
        self, doc: GuidelineDocument, *, actor: Actor | str, baseline: BaselineFn | None = None, action: str = "create"
    ) -> StoredGuideline:
        """A new guideline (409 GuidelineExistsError when the id is taken). Creating needs no If-Match."""
        a = _actor(actor)
        check_exportable(doc)
        with write_transaction(self.engine) as conn:
            rev = self._begin(conn)
            return self._save(conn, rev, doc.id, None, doc, self._new_records(None, doc, a.name, baseline), a, action)

    def replace(
        self,
        gid: str,
        doc: GuidelineDocument,
        *,
        if_match: IfMatch,
        actor: Actor | str,
        baseline: BaselineFn | None = None,
        action: str = "update",
    ) -> StoredGuideline:
        """Replace the whole guideline (PUT; PATCH merges first, then calls this)."""
        a = _actor(actor)
        check_exportable(doc)
        with write_transaction(self.engine) as conn:
            rev = self._begin(conn)
            old = self._check(self._current(conn, gid), gid, if_match)
            return self._save(conn, rev, gid, old, doc, self._new_records(old, doc, a.name, baseline), a, action)

    def delete(self, gid: str, *, if_match: IfMatch, actor: Actor | str) -> Revision:
        """Delete a guideline; its revisions stay, and the last one (action "delete") can be restored."""
        a = _actor(actor)
        with write_transaction(self.engine) as conn:
            rev = self._begin(conn)
            old = self._check(self._current(conn, gid), gid, if_match)
            res = conn.execute(guidelines.delete().where(guidelines.c.id == gid, guidelines.c.etag == old.etag))
            if res.rowcount != 1:
                raise PreconditionFailedError(f"guideline {gid!r} was changed meanwhile")
            for table in (sections, recommendations, references, tags):  # also without ON DELETE CASCADE support
                conn.execute(table.delete().where(table.c.guideline_id == gid))
            n, at = old.revision + 1, codec.now()
            conn.execute(
                revisions.insert().values(
                    guideline_id=gid, n=n, store_revision=rev, action="delete", author=a.name, at=at,
                    summary="deleted", etag=None, snapshot=codec.snapshot(old.doc, old.tags),
                )
            )
            self._audit(conn, a, "delete", gid, n, None)
            return Revision(gid, n, "delete", a.name, at, "deleted", None)

    def add_tag(
        self, gid: str, tag: TagSpec, *, if_match: IfMatch, actor: Actor | str, baseline: BaselineFn | None = None
    ) -> tuple[StoredGuideline, TagRecord]:
        """Append a tag (409 DuplicateTagError when an identical one exists); returns the guideline and the new tag."""
        a = _actor(actor)
        with write_transaction(self.engine) as conn:
            rev = self._begin(conn)
            old = self._check(self._current(conn, gid), gid, if_match)
            if any(_tag_key(r.spec) == _tag_key(tag) for r in old.tags):
                raise DuplicateTagError(f"guideline {gid!r} already has this tag", "concept" if tag.concept else "ecl")
            doc = replace(old.doc, tags=[*old.doc.tags, tag])
            check_exportable(doc)
            b = baseline(tag) if baseline else Baseline(None, None)
            records = [*old.tags, TagRecord(0, tag, a.name, codec.now(), b.count, b.release)]
            what = f"tag added: {tag.concept or tag.ecl}"
            stored = self._save(conn, rev, gid, old, doc, records, a, "tag-add", what)
            return stored, stored.tags[-1]

    def remove_tag(self, gid: str, tag_id: int, *, if_match: IfMatch, actor: Actor | str) -> StoredGuideline:
        a = _actor(actor)
        with write_transaction(self.engine) as conn:
            rev = self._begin(conn)
            old = self._check(self._current(conn, gid), gid, if_match)
            gone = old.tag(tag_id)
            if gone is None:
                raise TagNotFoundError(f"guideline {gid!r} has no tag {tag_id}", "tagId")
            if len(old.tags) == 1:
                raise InvalidGuidelineError(
                    "a guideline needs at least one tag: add the new tag first, or delete the guideline", "tags"
                )
            records = [r for r in old.tags if r.id != tag_id]
            doc = replace(old.doc, tags=[r.spec for r in records])
            what = f"tag removed: {gone.spec.concept or gone.spec.ecl}"
            return self._save(conn, rev, gid, old, doc, records, a, "tag-remove", what)

    def replace_tag(
        self,
        gid: str,
        tag_id: int,
        new: TagSpec,
        *,
        if_match: IfMatch,
        actor: Actor | str,
        baseline: BaselineFn | None = None,
        why: str = "",
    ) -> StoredGuideline:
        """Swap one tag for another in place (the release check's migration); drops it if `new` is already a tag."""
        a = _actor(actor)
        with write_transaction(self.engine) as conn:
            rev = self._begin(conn)
            old = self._check(self._current(conn, gid), gid, if_match)
            gone = old.tag(tag_id)
            if gone is None:
                raise TagNotFoundError(f"guideline {gid!r} has no tag {tag_id}", "tagId")
            b = baseline(new) if baseline else Baseline(None, None)
            duplicate = any(_tag_key(r.spec) == _tag_key(new) for r in old.tags if r.id != tag_id)
            records = [
                TagRecord(0, new, a.name, codec.now(), b.count, b.release) if r.id == tag_id else r
                for r in old.tags
                if not (duplicate and r.id == tag_id)
            ]
            doc = replace(old.doc, tags=[r.spec for r in records])
            check_exportable(doc)
            what = f"tag {gone.spec.concept or gone.spec.ecl} replaced by {new.concept or new.ecl}" + (f" ({why})" if why else "")
            return self._save(conn, rev, gid, old, doc, records, a, "tag-replace", what)

    def restore(self, gid: str, n: int, *, if_match: IfMatch, actor: Actor | str) -> StoredGuideline:
        """Make revision `n`'s document current again, as a new revision (history is never rewritten).

        Restoring a deleted guideline recreates it and needs no If-Match (there is nothing to match).
        """
        a = _actor(actor)
        with write_transaction(self.engine) as conn:
            rev = self._begin(conn)
            target = self._revision(conn, gid, n)
            assert target.snapshot is not None
            old = self._current(conn, gid)
            if old is not None:
                self._check(old, gid, if_match)
            doc = codec.doc_from_json(target.snapshot["doc"])
            metas = target.snapshot.get("tags") or []
            records = [
                TagRecord(
                    int(m.get("id") or 0), spec, m.get("addedBy") or a.name, codec.aware(m.get("addedAt")) or codec.now(),
                    m.get("baselineCount"), m.get("baselineRelease"),
                )
                for spec, m in zip(doc.tags, metas, strict=True)
            ]
            what = f"restored revision {n}: " + codec.summarise(old.doc if old else None, doc)
            return self._save(conn, rev, gid, old, doc, records, a, "restore", what)

    # ------------------------------------------------------------------ import, export, seeding, baselines

    def import_documents(
        self,
        docs: Iterable[GuidelineDocument],
        *,
        actor: Actor | str = "import",
        baseline: BaselineFn | None = None,
        prune: bool = False,
    ) -> ImportReport:
        """Make the store hold `docs`, in ONE transaction: a crash or kill part-way leaves the store as it was.

        A guideline equal to the stored one is left alone (no revision), so importing what was just
        exported changes nothing. With `prune`, stored guidelines absent from `docs` are deleted.
        """
        a = _actor(actor)
        items = builtins.list(docs)
        seen: set[str] = set()
        for d in items:
            if d.id in seen:
                raise InvalidGuidelineError(f"duplicate guideline id {d.id!r} in the import", "id")
            seen.add(d.id)
        with write_transaction(self.engine) as conn:
            rev = self._begin(conn)
            report = self._import(conn, rev, items, a, baseline, prune)
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
    ) -> ImportReport:
        existing = self._load(conn, None)
        report = ImportReport()
        pause = int(os.environ.get(PAUSE_ENV) or 0)
        for k, doc in enumerate(items, 1):
            old = existing.get(doc.id)
            if old is not None and old.doc == doc:
                report.unchanged.append(doc.id)
            else:
                self._save(conn, rev, doc.id, old, doc, self._new_records(old, doc, a.name, baseline), a, "import", audit=False)
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
                            guideline_id=gid, n=old.revision + 1, store_revision=rev, action="delete", author=a.name,
                            at=codec.now(), summary="deleted (not in the imported directory)", etag=None,
                            snapshot=codec.snapshot(old.doc, old.tags),
                        )
                    )
                    report.deleted.append(gid)
        if report.created or report.updated or report.deleted:
            self._audit(conn, a, "import", None, None, report.as_dict())
        return report

    def import_directory(
        self, directory: str | Path, *, actor: Actor | str = "import", baseline: BaselineFn | None = None, prune: bool = False
    ) -> ImportReport:
        """Read every guideline file under `directory` (all validated first), then import them in one transaction."""
        return self.import_documents(read_guidelines(directory), actor=actor, baseline=baseline, prune=prune)

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
            conn.execute(store_state.update().where(store_state.c.id == 1).values(seeded_from=str(Path(directory).resolve()), seeded_at=codec.now()))
        return True

    def fill_missing_baselines(self, baseline: BaselineFn) -> int:
        """Record the coverage of tags imported without a terminology (e.g. the first-run seed).

        This is bookkeeping, not an edit of the guideline, so it makes no revision and keeps the ETag;
        it bumps the cache generation so every process re-reads the tag records.
        """
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(tags.c.id, tags.c.concept, tags.c.ecl, tags.c.exclude).where(tags.c.baseline_release.is_(None))
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
