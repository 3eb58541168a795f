"""where Slack put each message (a DM's channel id), so that a message whose buttons no longer
apply can be rewritten; outbox rows found by what they are about

Revision ID: 0008_outbox_channel
Revises: 0007_manager_as_partner
Create Date: 2026-12-05 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_outbox_channel"
down_revision = "0007_manager_as_partner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=32), nullable=True))
    op.create_index("ix_outbox_subject", "outbox", ["team_id", "subject"])


def downgrade() -> None:
    op.drop_index("ix_outbox_subject", table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("channel")
