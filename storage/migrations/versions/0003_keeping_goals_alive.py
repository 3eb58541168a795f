"""keeping goals alive: working days and a nudge budget per workspace, closing goals, check-in
weeks, the chain a barrier travels, when objectives were published

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 20:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("working_days", sa.String(13), nullable=False, server_default="0,1,2,3,4")
        )
        batch_op.add_column(
            sa.Column("nudge_budget", sa.Integer(), nullable=False, server_default="5")
        )
    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("learning", sa.String(3000), nullable=True))
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("week", sa.String(10), nullable=True))
        batch_op.create_index(batch_op.f("ix_checkin_week"), ["week"], unique=False)
    with op.batch_alter_table("barrier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain", sa.JSON(), nullable=False, server_default="[]"))

    # What existed before: published objectives were published when last changed; a barrier's
    # chain so far is its holder.
    objective = sa.table(
        "objective",
        sa.column("status", sa.String()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("published_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        objective.update()
        .where(objective.c.status != "draft")
        .values(published_at=objective.c.updated_at)
    )
    bind = op.get_bind()
    barrier = sa.table(
        "barrier",
        sa.column("id", sa.Integer()),
        sa.column("holder_id", sa.Integer()),
        sa.column("chain", sa.JSON()),
    )
    for row in bind.execute(sa.select(barrier.c.id, barrier.c.holder_id)).all():
        if row.holder_id is not None:
            bind.execute(
                barrier.update().where(barrier.c.id == row.id).values(chain=[row.holder_id])
            )
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.alter_column("working_days", server_default=None)
        batch_op.alter_column("nudge_budget", server_default=None)
    with op.batch_alter_table("barrier", schema=None) as batch_op:
        batch_op.alter_column("chain", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("barrier", schema=None) as batch_op:
        batch_op.drop_column("chain")
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_week"))
        batch_op.drop_column("week")
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.drop_column("learning")
        batch_op.drop_column("closed_at")
    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.drop_column("published_at")
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.drop_column("nudge_budget")
        batch_op.drop_column("working_days")
