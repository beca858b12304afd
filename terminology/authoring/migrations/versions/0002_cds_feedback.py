"""CDS Hooks feedback: the cards issued (uuid -> guideline) and the accepted/overridden outcomes clients report.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cds_cards",
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("service_id", sa.String(100), nullable=False),
        sa.Column("guideline_id", sa.String(200), nullable=False),
        sa.Column("concept", sa.Text, nullable=False),
        sa.Column("first_issued_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("uuid", name="pk_cds_cards"),
    )
    op.create_index("ix_cds_cards_guideline_id", "cds_cards", ["guideline_id"])
    op.create_table(
        "cds_feedback",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("card_uuid", sa.String(36), nullable=False),
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
        sa.Column("client", sa.String(500)),
        sa.PrimaryKeyConstraint("id", name="pk_cds_feedback"),
        sa.ForeignKeyConstraint(["card_uuid"], ["cds_cards.uuid"], name="fk_cds_feedback_card_uuid_cds_cards"),
        sa.CheckConstraint("outcome IN ('accepted', 'overridden')", name="ck_cds_feedback_outcome"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_cds_feedback_guideline_id", "cds_feedback", ["guideline_id"])


def downgrade() -> None:
    op.drop_table("cds_feedback")
    op.drop_table("cds_cards")
