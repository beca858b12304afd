"""CDS Hooks feedback in the authoring store: which card was which guideline, and what clinicians did with it.

Cards are recorded when issued (`record_cards`), one row per stable card uuid: a hook call that shows
cards already known writes nothing (each process remembers the uuids it has stored), so the hot path
stays read-only after warm-up. Feedback (`record_feedback`) names cards by uuid only; the stored card
says which guideline it was, and the counts per guideline are then one indexed query (`counts`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from ..authoring.database import write_transaction
from ..authoring.tables import cds_cards, cds_feedback
from ..errors import TerminologyError

OUTCOMES = ("accepted", "overridden")


class UnknownCardError(TerminologyError):
    """Feedback on a card this service never issued (or issued by another service)."""

    def __init__(self, service_id: str, uuids: Sequence[str]):
        self.service_id = service_id
        self.uuids = list(uuids)
        self.field = "feedback.card"
        self.status = 400
        super().__init__(f"service {service_id!r} issued no card {', '.join(self.uuids)}")


@dataclass(frozen=True)
class IssuedCard:
    uuid: str
    service_id: str
    guideline_id: str
    concept: str


@dataclass(frozen=True)
class FeedbackItem:
    """One outcome as the specification's Feedback object carries it (override reason flattened)."""

    card: str
    outcome: str
    outcome_at: dt.datetime
    reason_system: str | None = None
    reason_code: str | None = None
    reason_display: str | None = None
    user_comment: str | None = None
    accepted_suggestions: list[str] | None = None


@dataclass(frozen=True)
class ReasonCount:
    system: str | None
    code: str | None
    display: str | None
    count: int


@dataclass(frozen=True)
class FeedbackCounts:
    """Outcomes reported for one guideline's cards, over every service and diagnosis."""

    guideline_id: str
    accepted: int = 0
    overridden: int = 0
    reasons: list[ReasonCount] = field(default_factory=list)
    comments: int = 0

    @property
    def total(self) -> int:
        return self.accepted + self.overridden


class FeedbackStore:
    """Issued cards and feedback in the authoring store's database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def record_cards(self, cards: Iterable[IssuedCard]) -> int:
        """Store the cards not stored yet (by uuid); returns how many were new to this process."""
        with self._lock:
            new = {c.uuid: c for c in cards if c.uuid not in self._known}
        if not new:
            return 0
        now = dt.datetime.now(dt.UTC)
        rows = [
            {
                "uuid": c.uuid,
                "service_id": c.service_id,
                "guideline_id": c.guideline_id,
                "concept": c.concept,
                "first_issued_at": now,
            }
            for c in new.values()
        ]
        insert = (postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert)(cds_cards)
        with write_transaction(self.engine) as conn:
            conn.execute(insert.on_conflict_do_nothing(index_elements=["uuid"]), rows)
        with self._lock:
            self._known.update(new)
        return len(new)

    def record_feedback(self, service_id: str, items: Sequence[FeedbackItem], client: str | None = None) -> int:
        """Record every item, or none: a card this service did not issue refuses the whole request."""
        uuids = sorted({i.card for i in items})
        now = dt.datetime.now(dt.UTC)
        with write_transaction(self.engine) as conn:
            found = dict(
                conn.execute(
                    sa.select(cds_cards.c.uuid, cds_cards.c.guideline_id).where(
                        cds_cards.c.uuid.in_(uuids), cds_cards.c.service_id == service_id
                    )
                ).all()
            )
            missing = [u for u in uuids if u not in found]
            if missing:
                raise UnknownCardError(service_id, missing)
            conn.execute(
                sa.insert(cds_feedback),
                [
                    {
                        "card_uuid": i.card,
                        "service_id": service_id,
                        "guideline_id": found[i.card],
                        "outcome": i.outcome,
                        "reason_system": i.reason_system,
                        "reason_code": i.reason_code,
                        "reason_display": i.reason_display,
                        "user_comment": i.user_comment,
                        "accepted_suggestions": i.accepted_suggestions,
                        "outcome_at": i.outcome_at,
                        "received_at": now,
                        "client": client,
                    }
                    for i in items
                ],
            )
        return len(items)

    def counts(self, guideline_id: str) -> FeedbackCounts:
        """Accepted and overridden counts for a guideline's cards, with the override reasons given."""
        f = cds_feedback.c
        with self.engine.connect() as conn:
            by_outcome: dict[str, int] = dict(
                conn.execute(
                    sa.select(f.outcome, sa.func.count()).where(f.guideline_id == guideline_id).group_by(f.outcome)
                ).all()
            )
            reasons = conn.execute(
                sa.select(f.reason_system, f.reason_code, sa.func.max(f.reason_display), sa.func.count())
                .where(f.guideline_id == guideline_id, f.outcome == "overridden", f.reason_code.is_not(None))
                .group_by(f.reason_system, f.reason_code)
                .order_by(sa.func.count().desc(), f.reason_code)
            ).all()
            comments = conn.execute(
                sa.select(sa.func.count()).where(f.guideline_id == guideline_id, f.user_comment.is_not(None))
            ).scalar_one()
        return FeedbackCounts(
            guideline_id,
            accepted=int(by_outcome.get("accepted", 0)),
            overridden=int(by_outcome.get("overridden", 0)),
            reasons=[ReasonCount(s, c, d, int(n)) for s, c, d, n in reasons],
            comments=int(comments),
        )


def feedback_store(repo: Any) -> FeedbackStore | None:
    """The feedback store beside a guideline repository that has a database (the authoring store), else None."""
    engine = getattr(repo, "engine", None)
    return FeedbackStore(engine) if isinstance(engine, Engine) else None
