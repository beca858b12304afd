"""Server-side page sessions bound to a token id; the client address and a repeat count on audit rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.LargeBinary, nullable=False),
        sa.Column("token_id", sa.String(32), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("revoked_at", Timestamp),
        sa.Column("client", sa.String(100)),
        sa.PrimaryKeyConstraint("id_hash", name="pk_web_sessions"),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"], name="fk_web_sessions_token_id_api_tokens"),
    )
    op.create_index("ix_web_sessions_token_id", "web_sessions", ["token_id"])
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("client", sa.String(100)))
        batch.add_column(sa.Column("count", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("count")
        batch.drop_column("client")
    op.drop_index("ix_web_sessions_token_id", "web_sessions")
    op.drop_table("web_sessions")
