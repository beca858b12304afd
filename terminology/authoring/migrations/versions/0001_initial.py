"""Initial guideline store: guidelines with ordered children, tags, revisions, state, tokens and audit.

Written out table by table rather than from `tables.metadata`, because a migration must keep creating
the schema of *its* time when the tables module has moved on (a test compares the two).

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def _child_columns() -> list[sa.Column]:
    return [
        sa.Column("guideline_id", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer, nullable=False, autoincrement=False),
    ]


def _child_keys(name: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.PrimaryKeyConstraint("guideline_id", "position", name=f"pk_{name}"),
        sa.ForeignKeyConstraint(
            ["guideline_id"], ["guidelines.id"], ondelete="CASCADE", name=f"fk_{name}_guideline_id_guidelines"
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "store_state",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("generation", sa.BigInteger, nullable=False),
        sa.Column("seeded_from", sa.Text),
        sa.Column("seeded_at", Timestamp),
        sa.PrimaryKeyConstraint("id", name="pk_store_state"),
    )
    op.execute("INSERT INTO store_state (id, revision, generation) VALUES (1, 0, 0)")

    op.create_table(
        "guidelines",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated", sa.String(10)),
        sa.Column("extra", sa.Text),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("modified_at", Timestamp, nullable=False),
        sa.Column("modified_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_guidelines"),
        sa.CheckConstraint("status IN ('draft', 'published', 'retired')", name="ck_guidelines_status"),
    )
    op.create_table(
        "guideline_sections",
        *_child_columns(),
        sa.Column("heading", sa.Text, nullable=False),
        sa.Column("markdown", sa.Text, nullable=False),
        *_child_keys("guideline_sections"),
    )
    op.create_table(
        "guideline_recommendations",
        *_child_columns(),
        sa.Column("rec_id", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("strength", sa.String(20), nullable=False),
        *_child_keys("guideline_recommendations"),
        sa.CheckConstraint(
            "strength IN ('strong', 'moderate', 'weak', 'expert opinion')", name="ck_guideline_recommendations_strength"
        ),
    )
    op.create_table(
        "guideline_references",
        *_child_columns(),
        sa.Column("ref_id", sa.String(200), nullable=False),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("journal", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("volume", sa.Text),
        sa.Column("pmid", sa.Text),
        sa.Column("doi", sa.Text),
        sa.Column("url", sa.Text),
        *_child_keys("guideline_references"),
    )
    op.create_table(
        "guideline_tags",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("guideline_id", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("concept", sa.BigInteger),
        sa.Column("ecl", sa.Text),
        sa.Column("term", sa.Text),
        sa.Column("exclude", sa.JSON, nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("added_at", Timestamp, nullable=False),
        sa.Column("baseline_count", sa.Integer),
        sa.Column("baseline_release", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name="pk_guideline_tags"),
        sa.ForeignKeyConstraint(
            ["guideline_id"], ["guidelines.id"], ondelete="CASCADE", name="fk_guideline_tags_guideline_id_guidelines"
        ),
        sa.CheckConstraint("(concept IS NULL) <> (ecl IS NULL)", name="ck_guideline_tags_concept_or_ecl"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_guideline_tags_concept_guideline", "guideline_tags", ["concept", "guideline_id"])
    op.create_index("ix_guideline_tags_guideline_position", "guideline_tags", ["guideline_id", "position"])

    op.create_table(
        "guideline_revisions",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("guideline_id", sa.String(200), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("store_revision", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("etag", sa.String(64)),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_guideline_revisions"),
        sa.UniqueConstraint("guideline_id", "n", name="uq_guideline_revisions_guideline_id_n"),
    )
    op.create_index("ix_guideline_revisions_store_revision", "guideline_revisions", ["store_revision"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("salt", sa.LargeBinary, nullable=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
        sa.Column("kdf", sa.String(100), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("revoked_at", Timestamp),
        sa.Column("revoked_by", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.CheckConstraint("role IN ('reader', 'author', 'admin')", name="ck_api_tokens_role"),
    )
    op.create_index(
        "uq_api_tokens_active_name",
        "api_tokens",
        ["name"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20)),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("method", sa.String(10)),
        sa.Column("path", sa.Text),
        sa.Column("guideline_id", sa.String(200)),
        sa.Column("revision", sa.Integer),
        sa.Column("detail", sa.JSON),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_guideline_id", "audit_log", ["guideline_id"])


def downgrade() -> None:
    for name in (
        "audit_log",
        "api_tokens",
        "guideline_revisions",
        "guideline_tags",
        "guideline_references",
        "guideline_recommendations",
        "guideline_sections",
        "guidelines",
        "store_state",
    ):
        op.drop_table(name)
