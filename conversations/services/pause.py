"""Pausing a person's nudges: `/goals pause 2w`, `/goals pause until 2027-03-01`, `resume`."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from conversations.actor import Actor
from conversations.errors import Refusal
from storage import outbox, people

LONGEST = timedelta(days=366)
UNITS = {
    "d": 1, "day": 1, "days": 1,
    "w": 7, "wk": 7, "wks": 7, "week": 7, "weeks": 7,
    "m": 30, "mo": 30, "month": 30, "months": 30,
}  # fmt: skip
DURATION = re.compile(r"^\s*([+-]?\d{1,4})\s*([a-z]+)\s*$")


def pause_for(text: str, today: date) -> date:
    """The day nudges resume after a pause of `text` ("2w", "10 days", "1 month") from today."""
    match = DURATION.match(text.lower())
    if match is None or match.group(2) not in UNITS:
        raise Refusal("bad_pause", field="duration", value=text[:40])
    amount = int(match.group(1))
    if amount <= 0:
        raise Refusal("pause_not_positive", field="duration", value=text[:40])
    length = timedelta(days=amount * UNITS[match.group(2)])
    if length > LONGEST:
        raise Refusal("pause_too_long", field="duration", value=text[:40])
    return today + length


def pause(*, session: Session, actor: Actor, until: date, today: date) -> date:
    """Pause every nudge to this person until `until` (they start again that day)."""
    if until <= today:
        raise Refusal("pause_in_past", field="until", until=until, today=today)
    if until - today > LONGEST:
        raise Refusal("pause_too_long", field="until", value=until.isoformat())
    people.set_paused_until(session=session, person=actor.person, until=until)
    return until


def resume(*, session: Session, actor: Actor, today: date) -> date | None:
    """Nudges start again now; returns the day the pause would have ended, if there was one."""
    was = actor.person.paused_until
    people.set_paused_until(session=session, person=actor.person, until=None)
    return was if was is not None and was > today else None


def held_for(*, session: Session, actor: Actor, now: datetime) -> list[dict[str, Any]]:
    """What was held back for this person while they were paused (an alert, say), to tell them
    now: it is marked told."""
    held = [
        row
        for row in outbox.held(session=session, team_id=actor.team_id)
        if row.recipient == actor.person.user_id and row.id is not None
    ]
    outbox.mark_folded(session=session, message_ids=[r.id or 0 for r in held], now=now)
    return [row.payload.get("also") or {} for row in held]


def is_paused(paused_until: date | None, today: date) -> bool:
    return paused_until is not None and today < paused_until
