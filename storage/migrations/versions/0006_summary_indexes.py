"""leadership summary: the snapshot each weekly summary keeps, and the indexes its queries need

Revision ID: 0006_summary_indexes
Revises: 0005
Create Date: 2026-11-28 21:00:00

(0004_directory_lease.py's revision id is "0002_directory_lease": that is the one to follow.)
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_summary_indexes"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "summary_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("scope_unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "scope_unit_id", "period"),
    )
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.create_index(
            "ix_goal_owner_cycle_status", ["owner_id", "cycle_id", "status"], unique=False
        )
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.create_index("ix_checkin_person_week", ["person_id", "week"], unique=False)
    with op.batch_alter_table("barrier", schema=None) as batch_op:
        batch_op.create_index(
            "ix_barrier_team_status", ["team_id", "status", "reported_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("barrier", schema=None) as batch_op:
        batch_op.drop_index("ix_barrier_team_status")
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_person_week")
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.drop_index("ix_goal_owner_cycle_status")
    op.drop_table("summary_snapshot")
