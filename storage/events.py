"""Events API deliveries already acted on: recorded in the transaction of the work each caused."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import SlackEvent


def claim_event(*, session: Session, team_id: str, event_id: str) -> bool:
    """Record an event id; False when it was already recorded (a retry, or another process)."""
    try:
        with session.begin_nested():
            session.add(SlackEvent(event_id=event_id, team_id=team_id))
    except IntegrityError:
        return False
    return True


def handled(*, session: Session, team_id: str, event_id: str) -> bool:
    """Whether this event's work has committed (a read: it takes no lock)."""
    found = session.exec(
        select(SlackEvent.event_id).where(
            col(SlackEvent.event_id) == event_id, col(SlackEvent.team_id) == team_id
        )
    ).first()
    return found is not None
