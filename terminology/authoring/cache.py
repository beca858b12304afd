"""Reads of the SQL guideline store, served from an in-process cache that is kept honest.

`tagged(concept_ids)` is one indexed query (`concept IN (...)` on the (concept, guideline_id)
index) that returns guideline ids; the documents come from an in-process cache. The cache is kept
honest by `store_state.revision`, a counter that every write increments in its own transaction: each read
first reads the counter (one primary-key lookup) and, when it moved, evicts exactly the guidelines
whose revisions are newer than what it had seen. So a worker process never serves a guideline that
another worker changed before the request began, and unchanged guidelines are never reloaded.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine

from loaders.guidelines import GuidelineDocument, TagSpec

from . import codec
from .model import StoredGuideline, TagRecord
from .tables import guidelines, recommendations, references, revisions, sections, store_state, tags
from .tokens import TokenStore

# Past this many missed store revisions a reader drops its whole cache instead of asking which guidelines changed.
_EVICT_ALL_AFTER = 1000
_CHUNK = 500
_SQLITE_IN_MAX = 30_000

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
    sa.select(tags.c.concept, tags.c.guideline_id)
    .where(tags.c.concept.in_(sa.bindparam("ids", expanding=True)))
    .distinct()
)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class GuidelineCache:
    """The `GuidelineRepository` read protocol over the SQL tables, with the per-process document cache.

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
            row = conn.execute(
                sa.select(store_state.c.revision, store_state.c.generation).where(store_state.c.id == 1)
            ).one()
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
            kids: dict[str, dict[str, builtins.list[Any]]] = {
                h["id"]: {"s": [], "r": [], "f": [], "t": []} for h in heads
            }
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
                        "recommendations": [
                            {"id": r["rec_id"], "text": r["text"], "strength": r["strength"]} for r in k["r"]
                        ],
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
            gids = (
                conn.execute(sa.select(tags.c.guideline_id).where(tags.c.ecl.is_not(None)).distinct()).scalars().all()
            )
            docs = self._cached(conn, gids, state)
        pairs = [(docs[g].doc, t) for g in sorted(docs) for t in docs[g].doc.tags if t.ecl is not None]
        self._ecl = (state, pairs)
        return builtins.list(pairs)

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(guidelines)).scalar_one())

    def state(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(store_state).where(store_state.c.id == 1)).mappings().one()
            return {k: (codec.iso(v) if k == "seeded_at" else v) for k, v in r.items()}
