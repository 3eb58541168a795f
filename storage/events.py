"""Events API deliveries already acted on: recorded in the transaction of the work each caused."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from storage.db import insert_or, table_of
from storage.models import SlackEvent


def claim_event(*, session: Session, team_id: str, event_id: str) -> bool:
    """Record an event id; False when it was already recorded (a retry, or another process).
    One statement: a duplicate is skipped ON CONFLICT, not raised, so no savepoint is needed."""
    statement = (
        insert_or(session, SlackEvent)
        .values(event_id=event_id, team_id=team_id, received_at=datetime.now(UTC))
        .on_conflict_do_nothing()
        .returning(table_of(SlackEvent).c.event_id)
    )
    return session.execute(statement).first() is not None
