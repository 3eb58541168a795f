"""outbox (replaces the delivery ledger); conversations keep state, history, who asked last

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:39:46.140506
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("period_key", sa.String(length=64), nullable=True),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "kind", "subject", "period_key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)

    # The ledger only remembered which gate nudges went out today: forgetting it at most lets one
    # manager be nudged a second time on the day of the upgrade.
    op.drop_table("delivery")

    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="active")
        )
        batch_op.add_column(sa.Column("history", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("asked_seq", sa.Integer(), nullable=False, server_default="0")
        )

    # The engine's history used to live among the answers, under "_history".
    conversation = sa.table(
        "conversation",
        sa.column("id", sa.Integer()),
        sa.column("answers", sa.JSON()),
        sa.column("history", sa.JSON()),
        sa.column("asked_seq", sa.Integer()),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(conversation.c.id, conversation.c.answers)).all():
        answers = row.answers if isinstance(row.answers, dict) else json.loads(row.answers or "{}")
        history = answers.pop("_history", [])
        answers.pop("questions", None)  # rendered coach questions are no longer stored
        bind.execute(
            conversation.update()
            .where(conversation.c.id == row.id)
            .values(answers=answers, history=history)
        )
    bind.execute(conversation.update().values(asked_seq=conversation.c.id))

    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.alter_column("state", server_default=None)
        batch_op.alter_column("history", server_default=None)
        batch_op.alter_column("asked_seq", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_column("asked_seq")
        batch_op.drop_column("history")
        batch_op.drop_column("state")

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("period_key", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "kind", "subject", "period_key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
    op.drop_table("outbox")
