"""the inbox: each DM and click recorded before it is acked, and done from there once

Revision ID: 0009_inbox
Revises: 0008_outbox_channel
Create Date: 2026-12-05 02:00:00
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0009_inbox"
down_revision = "0008_outbox_channel"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("delivery", sa.String(length=100), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "delivery"),
    )
    op.create_index("ix_inbox_waiting", "inbox", ["status", "team_id", "user_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_inbox_waiting", table_name="inbox")
    op.drop_table("inbox")
