"""directory sync lease on the workspace

Revision ID: 0002_directory_lease
Revises: 0003
Create Date: 2026-11-28 04:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_directory_lease"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("directory_sync_lease_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("directory_sync_owner", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.drop_column("directory_sync_owner")
        batch_op.drop_column("directory_sync_lease_until")
