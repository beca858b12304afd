"""Authoring writes: create, replace, delete, tag changes and restore, each one transaction.

Each write is one transaction that (1) takes the writers' lock: increments the state
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
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from loaders.guidelines import GuidelineDocument, GuidelineFileError, TagSpec

from . import codec
from .audit import Actor, AuditedStore, as_actor
from .database import write_transaction
from .errors import (
    DuplicateTagError,
    GuidelineExistsError,
    GuidelineNotFoundError,
    InvalidGuidelineError,
    PreconditionFailedError,
    PreconditionRequiredError,
    TagNotFoundError,
)
from .model import Baseline, Revision, StoredGuideline, TagRecord
from .tables import guidelines, recommendations, references, revisions, sections, store_state, tags
from .validation import check_tag_count

IfMatch = Collection[str] | Literal["*"] | None
BaselineFn = Callable[[TagSpec], Baseline]


def tag_key(t: TagSpec) -> tuple[Any, ...]:
    return (t.concept, t.ecl, t.term, tuple(t.exclude))


def check_exportable(doc: GuidelineDocument) -> None:
    """Refuse a document the Markdown format cannot hold, so every stored guideline can be exported.

    The loader's own writer is the judge: it renders the file and parses it back, and must get the same
    document (this catches citations of unknown references, a section body holding its own `## `
    heading, duplicate recommendation ids, and everything else the file format validates).
    """
    check_tag_count(len(doc.tags))  # first: the round trip below costs time per tag
    try:
        write_guideline_check(doc)
    except GuidelineFileError as e:
        raise InvalidGuidelineError(e.problem, e.field or "body") from e


def write_guideline_check(doc: GuidelineDocument) -> None:
    from loaders.guidelines import guideline_text, parse_guideline

    again = parse_guideline(guideline_text(doc), f"{doc.id}.md")
    if again != doc:
        diff = [f for f in doc.__dataclass_fields__ if getattr(again, f) != getattr(doc, f)]
        raise GuidelineFileError(
            f"cannot be written as a guideline file: {', '.join(diff)} would read back differently", field=diff[0]
        )


class WritableStore(AuditedStore):
    """The store with every authoring write (optimistic concurrency on the guideline's ETag)."""

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
            pool.setdefault(tag_key(r.spec), []).append(r)
        out = []
        at = codec.now()
        for spec in doc.tags:
            kept = pool.get(tag_key(spec))
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
                raise PreconditionFailedError(
                    f"guideline {gid!r} was changed meanwhile; fetch it again and reapply your change"
                )
            for table in (sections, recommendations, references, tags):
                conn.execute(table.delete().where(table.c.guideline_id == gid))
            created_at, created_by = old.created_at, old.created_by
        self._insert_children(conn, gid, doc)
        final = self._insert_tags(conn, gid, records)
        stored = StoredGuideline(doc, etag, n, created_at, created_by, at, actor.name, tuple(final))
        conn.execute(
            revisions.insert().values(
                guideline_id=gid,
                n=n,
                store_revision=store_rev,
                action=action,
                author=actor.name,
                at=at,
                summary=summary or codec.summarise(old.doc if old else None, doc),
                etag=etag,
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
                [
                    {"guideline_id": gid, "position": i, "heading": h, "markdown": m}
                    for i, (h, m) in enumerate(doc.sections.items())
                ],
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

    # ------------------------------------------------------------------ writing: operations

    def create(
        self, doc: GuidelineDocument, *, actor: Actor | str, baseline: BaselineFn | None = None, action: str = "create"
    ) -> StoredGuideline:
        """A new guideline (409 GuidelineExistsError when the id is taken). Creating needs no If-Match."""
        a = as_actor(actor)
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
        a = as_actor(actor)
        check_exportable(doc)
        with write_transaction(self.engine) as conn:
            rev = self._begin(conn)
            old = self._check(self._current(conn, gid), gid, if_match)
            return self._save(conn, rev, gid, old, doc, self._new_records(old, doc, a.name, baseline), a, action)

    def delete(self, gid: str, *, if_match: IfMatch, actor: Actor | str) -> Revision:
        """Delete a guideline; its revisions stay, and the last one (action "delete") can be restored."""
        a = as_actor(actor)
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
                    guideline_id=gid,
                    n=n,
                    store_revision=rev,
                    action="delete",
                    author=a.name,
                    at=at,
                    summary="deleted",
                    etag=None,
                    snapshot=codec.snapshot(old.doc, old.tags),
                )
            )
            self._audit(conn, a, "delete", gid, n, None)
            return Revision(gid, n, "delete", a.name, at, "deleted", None)

    def add_tag(
        self, gid: str, tag: TagSpec, *, if_match: IfMatch, actor: Actor | str, baseline: BaselineFn | None = None
    ) -> tuple[StoredGuideline, TagRecord]:
        """Append a tag (409 DuplicateTagError when an identical one exists); returns the guideline and the new tag."""
        a = as_actor(actor)
        with write_transaction(self.engine) as conn:
            rev = self._begin(conn)
            old = self._check(self._current(conn, gid), gid, if_match)
            if any(tag_key(r.spec) == tag_key(tag) for r in old.tags):
                raise DuplicateTagError(f"guideline {gid!r} already has this tag", "concept" if tag.concept else "ecl")
            doc = replace(old.doc, tags=[*old.doc.tags, tag])
            check_exportable(doc)
            b = baseline(tag) if baseline else Baseline(None, None)
            records = [*old.tags, TagRecord(0, tag, a.name, codec.now(), b.count, b.release)]
            what = f"tag added: {tag.concept or tag.ecl}"
            stored = self._save(conn, rev, gid, old, doc, records, a, "tag-add", what)
            return stored, stored.tags[-1]

    def remove_tag(self, gid: str, tag_id: int, *, if_match: IfMatch, actor: Actor | str) -> StoredGuideline:
        a = as_actor(actor)
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
        a = as_actor(actor)
        with write_transaction(self.engine) as conn:
            rev = self._begin(conn)
            old = self._check(self._current(conn, gid), gid, if_match)
            gone = old.tag(tag_id)
            if gone is None:
                raise TagNotFoundError(f"guideline {gid!r} has no tag {tag_id}", "tagId")
            b = baseline(new) if baseline else Baseline(None, None)
            duplicate = any(tag_key(r.spec) == tag_key(new) for r in old.tags if r.id != tag_id)
            records = [
                TagRecord(0, new, a.name, codec.now(), b.count, b.release) if r.id == tag_id else r
                for r in old.tags
                if not (duplicate and r.id == tag_id)
            ]
            doc = replace(old.doc, tags=[r.spec for r in records])
            check_exportable(doc)
            what = f"tag {gone.spec.concept or gone.spec.ecl} replaced by {new.concept or new.ecl}" + (
                f" ({why})" if why else ""
            )
            return self._save(conn, rev, gid, old, doc, records, a, "tag-replace", what)

    def restore(self, gid: str, n: int, *, if_match: IfMatch, actor: Actor | str) -> StoredGuideline:
        """Make revision `n`'s document current again, as a new revision (history is never rewritten).

        Restoring a deleted guideline recreates it and needs no If-Match (there is nothing to match).
        """
        a = as_actor(actor)
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
                    int(m.get("id") or 0),
                    spec,
                    m.get("addedBy") or a.name,
                    codec.aware(m.get("addedAt")) or codec.now(),
                    m.get("baselineCount"),
                    m.get("baselineRelease"),
                )
                for spec, m in zip(doc.tags, metas, strict=True)
            ]
            what = f"restored revision {n}: " + codec.summarise(old.doc if old else None, doc)
            return self._save(conn, rev, gid, old, doc, records, a, "restore", what)
