"""the sender's one read of a batch asks, for each row, whether an earlier message to the same
person is still owed: a partial index on pending rows by recipient answers it without scanning
what waits (30,000 check-ins at one 09:00)

Revision ID: 0012_outbox_pending_to
Revises: 0011_forgotten
Create Date: 2026-12-08 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_outbox_pending_to"
down_revision = "0011_forgotten"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_pending_to",
        "outbox",
        ["team_id", "recipient", "id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending_to", table_name="outbox")
