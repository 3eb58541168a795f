"""the tick finds agreed goals past due and proposed goals by an index, not by reading every goal

Revision ID: 0013_tick_goal_index
Revises: 0012_outbox_pending_to
Create Date: 2026-12-05 03:20:00
"""

from alembic import op

revision = "0013_tick_goal_index"
down_revision = "0012_outbox_pending_to"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.create_index("ix_goal_team_status_due", ["team_id", "status", "due"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.drop_index("ix_goal_team_status_due")
