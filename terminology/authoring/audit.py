"""Who changed what: the actor of a change, a guideline's revision history and the audit log."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import codec
from .cache import GuidelineCache
from .errors import (
    RevisionNotFoundError,
)
from .model import AuditEntry, Revision
from .tables import audit_log, revisions


@dataclass(frozen=True)
class Actor:
    """Who makes a change (the token name, "release-check", "import" ...) and, for API calls, the request."""

    name: str
    role: str | None = None
    method: str | None = None
    path: str | None = None
    client: str | None = None  # the caller's address


def as_actor(a: Actor | str) -> Actor:
    return a if isinstance(a, Actor) else Actor(a)


class AuditedStore(GuidelineCache):
    """The store's history: immutable revisions per guideline and an audit row per accepted or refused write."""

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
        r = (
            conn.execute(sa.select(revisions).where(revisions.c.guideline_id == gid, revisions.c.n == n))
            .mappings()
            .first()
        )
        if r is None:
            raise RevisionNotFoundError(f"guideline {gid!r} has no revision {n}", "n")
        at = codec.aware(r["at"])
        assert at is not None  # revisions.at is NOT NULL
        return Revision(gid, int(r["n"]), r["action"], r["author"], at, r["summary"], r["etag"], r["snapshot"])

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
                    int(r["id"]),
                    codec.aware(r["at"]),  # type: ignore[arg-type]  # audit_log.at is NOT NULL
                    r["actor"],
                    r["role"],
                    r["action"],
                    r["outcome"],
                    r["status"],
                    r["method"],
                    r["path"],
                    r["guideline_id"],
                    r["revision"],
                    r["detail"],
                    r["client"],
                    int(r["count"] or 1),
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
        aggregate: bool = False,
    ) -> None:
        """An audit row on its own (refused API writes, sign-ins; accepted writes are audited inside their transaction).

        `aggregate` (refusals of callers with no accepted token, which anyone can send by the thousand):
        one row per (client, actor, action, status) per clock minute, whose `count` says how many there were.
        """
        a = as_actor(actor)
        at = codec.now()
        with self.engine.begin() as conn:
            if aggregate:
                minute = at.replace(second=0, microsecond=0)
                same = sa.and_(
                    audit_log.c.at >= minute,
                    audit_log.c.actor == a.name,
                    audit_log.c.action == action,
                    audit_log.c.outcome == outcome,
                    audit_log.c.client == a.client if a.client is not None else audit_log.c.client.is_(None),
                    audit_log.c.status == status if status is not None else audit_log.c.status.is_(None),
                    audit_log.c.count >= 1,
                )
                row = conn.execute(
                    sa.select(audit_log.c.id).where(same).order_by(audit_log.c.id.desc()).limit(1)
                ).first()
                if row is not None:
                    conn.execute(audit_log.update().where(audit_log.c.id == row[0]).values(count=audit_log.c.count + 1))
                    return
            conn.execute(
                audit_log.insert().values(
                    at=at,
                    actor=a.name,
                    role=a.role,
                    action=action,
                    outcome=outcome,
                    status=status,
                    method=a.method,
                    path=a.path,
                    guideline_id=guideline_id,
                    detail=detail,
                    client=a.client,
                    count=1,
                )
            )

    @staticmethod
    def _audit(
        conn: Connection, actor: Actor, action: str, gid: str | None, n: int | None, detail: dict[str, Any] | None
    ) -> None:
        conn.execute(
            audit_log.insert().values(
                at=codec.now(),
                actor=actor.name,
                role=actor.role,
                action=action,
                outcome="ok",
                status=None,
                method=actor.method,
                path=actor.path,
                guideline_id=gid,
                revision=n,
                detail=detail,
                client=actor.client,
            )
        )
