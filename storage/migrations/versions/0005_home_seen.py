"""people who have opened their App Home: only theirs is refreshed when something changes

Revision ID: 0005
Revises: 0002_directory_lease
Create Date: 2026-11-28 20:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002_directory_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("home_seen_at")
