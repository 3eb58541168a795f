"""a workspace can be suspended: Slack refuses the app's token (uninstalled, revoked), so nothing
is sent and what is owed waits until a token works again

Revision ID: 0010_installation
Revises: 0009_inbox
Create Date: 2026-12-05 00:10:00
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0010_installation"
down_revision = "0009_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("suspended_reason", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.drop_column("suspended_reason")
        batch_op.drop_column("suspended_at")
