"""The guideline store's schema as SQLAlchemy Core tables (the Alembic migrations create exactly these).

Why Core and not the ORM: the store's hot paths are a single `IN` query and conditional
`UPDATE ... WHERE etag = :old` statements whose row counts decide who won a race; Core states them
directly, and the domain objects stay the loader's plain dataclasses instead of a second, mapped model.

Layout, and why:
- `guidelines` holds one row per guideline with its ETag and revision number: the conditional
  update on this row is the optimistic-concurrency check.
- sections, recommendations and references are child tables ordered by `position`, so a round trip
  through the Markdown files keeps the authored order exactly.
- `guideline_tags` has its own surrogate id (the API deletes tags by id), who added it and when, and
  the descendant count at tagging time (`baseline_count`) that the new-release check compares against.
  The (concept, guideline_id) index answers "guidelines tagged on any of these ~30 ancestors" from the
  index alone.
- `guideline_revisions` is append-only: every change stores the full resulting document (or, for a
  delete, the last one), so any revision can be restored. It has no foreign key on purpose: the history
  of a deleted guideline must survive it.
- `store_state` is a single row whose `revision` counter every write increments in its transaction;
  readers compare it with what they cached (see `store.SqlGuidelineRepository`), and writers lock it
  first, which serialises writers and rules out deadlocks.
- `api_tokens` keeps only a salted hash of each token; `web_sessions` the pages' server-side sessions;
  `audit_log` records every write and sign-in.
"""

from __future__ import annotations

import sqlalchemy as sa

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

# SQLite's INTEGER PRIMARY KEY is the rowid (auto-increments); PostgreSQL gets a BIGINT identity.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

store_state = sa.Table(
    "store_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("revision", sa.BigInteger, nullable=False),
    # Bumped by changes that have no guideline revision (e.g. filling baselines): readers drop their whole cache.
    sa.Column("generation", sa.BigInteger, nullable=False),
    sa.Column("seeded_from", sa.Text),
    sa.Column("seeded_at", Timestamp),
)

guidelines = sa.Table(
    "guidelines",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("updated", sa.String(10)),
    sa.Column("extra", sa.Text),  # unknown front-matter keys as YAML, so export keeps what import read
    sa.Column("etag", sa.String(64), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("modified_at", Timestamp, nullable=False),
    sa.Column("modified_by", sa.String(200), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'published', 'retired')", name="status"),
)


def _child(name: str, *columns: sa.Column) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("guideline_id", sa.String(200), sa.ForeignKey("guidelines.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        *columns,
    )


sections = _child(
    "guideline_sections",
    sa.Column("heading", sa.Text, nullable=False),  # "" is the text before the first heading
    sa.Column("markdown", sa.Text, nullable=False),
)

recommendations = _child(
    "guideline_recommendations",
    sa.Column("rec_id", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("strength", sa.String(20), nullable=False),
    sa.CheckConstraint("strength IN ('strong', 'moderate', 'weak', 'expert opinion')", name="strength"),
)

references = _child(
    "guideline_references",
    sa.Column("ref_id", sa.String(200), nullable=False),
    sa.Column("authors", sa.JSON, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("journal", sa.Text, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("volume", sa.Text),
    sa.Column("pmid", sa.Text),
    sa.Column("doi", sa.Text),
    sa.Column("url", sa.Text),
)

tags = sa.Table(
    "guideline_tags",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("guideline_id", sa.String(200), sa.ForeignKey("guidelines.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("concept", sa.BigInteger),
    sa.Column("ecl", sa.Text),
    sa.Column("term", sa.Text),
    sa.Column("exclude", sa.JSON, nullable=False),  # SCTIDs as strings (JSON numbers lose precision in JS)
    sa.Column("added_by", sa.String(200), nullable=False),
    sa.Column("added_at", Timestamp, nullable=False),
    sa.Column("baseline_count", sa.Integer),  # concepts covered when tagged (descendants-or-self, or ECL size)
    sa.Column("baseline_release", sa.String(200)),  # the release that count was taken on
    sa.CheckConstraint("(concept IS NULL) <> (ecl IS NULL)", name="concept_or_ecl"),
    sa.Index("ix_guideline_tags_concept_guideline", "concept", "guideline_id"),
    sa.Index("ix_guideline_tags_guideline_position", "guideline_id", "position"),
    # SQLite would otherwise reuse the id of the last deleted tag; ids name tags in revisions and the API.
    sqlite_autoincrement=True,
)

revisions = sa.Table(
    "guideline_revisions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("guideline_id", sa.String(200), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("store_revision", sa.BigInteger, nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("etag", sa.String(64)),  # the guideline's ETag after this revision (None after a delete)
    sa.Column("snapshot", sa.JSON, nullable=False),
    sa.UniqueConstraint("guideline_id", "n"),
    sa.Index("ix_guideline_revisions_store_revision", "store_revision"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # public lookup part of the token
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("salt", sa.LargeBinary, nullable=False),
    sa.Column("hash", sa.LargeBinary, nullable=False),
    sa.Column("kdf", sa.String(100), nullable=False),  # e.g. "scrypt:n=16384,r=8,p=1", so parameters can change later
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("revoked_at", Timestamp),
    sa.Column("revoked_by", sa.String(200)),
    sa.CheckConstraint("role IN ('reader', 'author', 'admin')", name="role"),
    sa.Index(
        "uq_api_tokens_active_name",
        "name",
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    ),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20)),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),  # "ok" or "refused"
    sa.Column("status", sa.Integer),  # HTTP status for API writes
    sa.Column("method", sa.String(10)),
    sa.Column("path", sa.Text),
    sa.Column("guideline_id", sa.String(200)),
    sa.Column("revision", sa.Integer),
    sa.Column("detail", sa.JSON),
    sa.Column("client", sa.String(100)),  # the caller's address (after the configured proxies)
    # Refusals with no accepted token are one row per (client, action, status) per minute, counted here.
    sa.Column("count", sa.Integer, nullable=False, server_default="1"),
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_guideline_id", "guideline_id"),
)

# Page sessions: the cookie holds only a random session id; its SHA-256 is the key here, bound to the token it
# was opened with. Sign-out sets `revoked_at`, so a cookie captured before it no longer signs anyone in.
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id_hash", sa.LargeBinary, primary_key=True),
    sa.Column("token_id", sa.String(32), sa.ForeignKey("api_tokens.id"), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp),
    sa.Column("client", sa.String(100)),
    sa.Index("ix_web_sessions_token_id", "token_id"),
)

# CDS Hooks (terminology/cds/feedback.py): the cards issued, and the feedback clients post about them.
# `cds_cards` maps a card's stable uuid to its guideline (one row per service, guideline and diagnosis, not per
# call); `cds_feedback` has no foreign key to `guidelines`, so feedback outlives a deleted guideline.
cds_cards = sa.Table(
    "cds_cards",
    metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("service_id", sa.String(100), nullable=False),
    sa.Column("guideline_id", sa.String(200), nullable=False),
    sa.Column("concept", sa.Text, nullable=False),  # the SCTID or expression read
    sa.Column("first_issued_at", Timestamp, nullable=False),
    sa.Index("ix_cds_cards_guideline_id", "guideline_id"),
)

cds_feedback = sa.Table(
    "cds_feedback",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("card_uuid", sa.String(36), sa.ForeignKey("cds_cards.uuid"), nullable=False),
    sa.Column("service_id", sa.String(100), nullable=False),
    sa.Column("guideline_id", sa.String(200), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("reason_system", sa.Text),
    sa.Column("reason_code", sa.Text),
    sa.Column("reason_display", sa.Text),
    sa.Column("user_comment", sa.Text),
    sa.Column("accepted_suggestions", sa.JSON),
    sa.Column("outcome_at", Timestamp, nullable=False),
    sa.Column("received_at", Timestamp, nullable=False),
    sa.Column("client", sa.String(500)),  # the authenticated client's JWT issuer
    sa.CheckConstraint("outcome IN ('accepted', 'overridden')", name="outcome"),
    sa.Index("ix_cds_feedback_guideline_id", "guideline_id"),
    sqlite_autoincrement=True,
)
