"""the manager as partner: commitments of help, 1:1 agenda items, weekly 1:1s

Revision ID: 0007_manager_as_partner
Revises: 0006_summary_indexes
Create Date: 2026-12-04 23:00:00
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0007_manager_as_partner"
down_revision = "0006_summary_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("barrier_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["barrier_id"], ["barrier.id"]),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"]),
        sa.ForeignKeyConstraint(["manager_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("team_id", "goal_id", "manager_id"):
        op.create_index(f"ix_commitment_{column}", "commitment", [column])
    op.create_table(
        "agenda_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["added_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"]),
        sa.ForeignKeyConstraint(["manager_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("team_id", "manager_id", "report_id"):
        op.create_index(f"ix_agenda_item_{column}", "agenda_item", [column])
    op.create_table(
        "one_on_one",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("time", sa.String(length=5), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["manager_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "manager_id", "report_id"),
    )
    op.create_index("ix_one_on_one_team_id", "one_on_one", ["team_id"])
    op.create_index("ix_one_on_one_manager_id", "one_on_one", ["manager_id"])


def downgrade() -> None:
    op.drop_table("one_on_one")
    op.drop_table("agenda_item")
    op.drop_table("commitment")
