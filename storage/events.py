"""Events API deliveries already acted on: recorded in the transaction of the work each caused."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import SlackEvent


def claim_event(*, session: Session, team_id: str, event_id: str) -> bool:
    """Record an event id; False when it was already recorded (a retry, or another process)."""
    try:
        with session.begin_nested():
            session.add(SlackEvent(event_id=event_id, team_id=team_id))
    except IntegrityError:
        return False
    return True
