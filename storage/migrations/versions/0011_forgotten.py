"""who `cascade forget` erased, as keyed hashes of their Slack user id and email only, so the
directory sync, an org import and their own messages never write them back

Revision ID: 0011_forgotten
Revises: 0010_installation
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_forgotten"
down_revision = "0010_installation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forgotten",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_hash", sa.String(length=64), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("forgotten_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_hash"),
    )
    op.create_index("ix_forgotten_email", "forgotten", ["team_id", "email_hash"])


def downgrade() -> None:
    op.drop_index("ix_forgotten_email", table_name="forgotten")
    op.drop_table("forgotten")
