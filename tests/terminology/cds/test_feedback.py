"""Issued cards and feedback in the authoring store, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from terminology.authoring import SqlGuidelineRepository
from terminology.authoring.tables import cds_cards, cds_feedback
from terminology.cds import FeedbackItem, IssuedCard, UnknownCardError, feedback_store

AT = dt.datetime(2020, 12, 11, tzinfo=dt.UTC)
REASON = ("https://snomap.dev/cds-hooks/override-reasons", "not-relevant", "Not relevant to this patient")


def test_cards_are_stored_once(repo: SqlGuidelineRepository) -> None:
    store = feedback_store(repo)
    assert store is not None
    a = IssuedCard("00000000-0000-5000-8000-000000000001", "svc", "g1", "1059990001105")
    assert store.record_cards([a, a]) == 1
    assert store.record_cards([a]) == 0
    # Another process (a fresh store object) inserting the same card does not fail.
    assert feedback_store(repo).record_cards([a]) == 1  # type: ignore[union-attr]
    with repo.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(cds_cards)).scalar_one() == 1


def test_feedback_counts_per_guideline(repo: SqlGuidelineRepository) -> None:
    store = feedback_store(repo)
    assert store is not None
    c1 = IssuedCard("00000000-0000-5000-8000-000000000001", "svc", "g1", "1")
    c2 = IssuedCard("00000000-0000-5000-8000-000000000002", "svc", "g1", "2")
    c3 = IssuedCard("00000000-0000-5000-8000-000000000003", "svc", "g2", "1")
    store.record_cards([c1, c2, c3])
    items = [
        FeedbackItem(c1.uuid, "accepted", AT, accepted_suggestions=["s1"]),
        FeedbackItem(c2.uuid, "overridden", AT, *REASON),
        FeedbackItem(c2.uuid, "overridden", AT, *REASON, user_comment="seen elsewhere"),
        FeedbackItem(c1.uuid, "overridden", AT),
        FeedbackItem(c3.uuid, "accepted", AT),
    ]
    assert store.record_feedback("svc", items, client="https://ehr.example.org") == 5
    g1 = store.counts("g1")
    assert (g1.accepted, g1.overridden, g1.total, g1.comments) == (1, 3, 4, 1)
    assert [(r.code, r.display, r.count) for r in g1.reasons] == [("not-relevant", REASON[2], 2)]
    assert store.counts("g2").accepted == 1
    assert store.counts("none").total == 0


def test_unknown_card_records_nothing(repo: SqlGuidelineRepository) -> None:
    store = feedback_store(repo)
    assert store is not None
    known = IssuedCard("00000000-0000-5000-8000-000000000001", "svc", "g1", "1")
    store.record_cards([known])
    items = [FeedbackItem(known.uuid, "accepted", AT), FeedbackItem("not-a-card", "overridden", AT)]
    with pytest.raises(UnknownCardError) as e:
        store.record_feedback("svc", items)
    assert e.value.uuids == ["not-a-card"]
    # A card of another service is unknown to this one.
    with pytest.raises(UnknownCardError):
        store.record_feedback("other", [FeedbackItem(known.uuid, "accepted", AT)])
    with repo.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(cds_feedback)).scalar_one() == 0
