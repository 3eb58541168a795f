"""1:1s between a manager and a direct report: who may ask for their agenda (either of the two),
the manager's weekly slot for it (`every thu 10:00`), and what either side adds to talk about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from sqlmodel import Session

from conversations.actor import Actor
from conversations.errors import Refusal
from conversations.services import barrier
from conversations.services.organisation import person_named
from storage import goals, one_on_ones, people
from storage.models import AgendaItem, OneOnOne, Person

TOPIC_LIMIT = 500
WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]?([0-5]\d)?\s*(am|pm)?$")


@dataclass(frozen=True)
class Pair:
    """A manager and one of their direct reports."""

    manager: Person
    report: Person

    def other(self, person_id: int) -> Person:
        return self.report if person_id == self.manager.id else self.manager


def pair_with(*, session: Session, actor: Actor, user_id: str) -> Pair:
    """The 1:1 pair of this person and someone they named: their manager or a direct report.
    Anyone else is refused, told whose 1:1 it would be."""
    other = person_named(session, actor.team_id, user_id, "person")
    if other.id == actor.person_id:
        raise Refusal("one_on_one_self", field="person")
    me = actor.person
    if _id(barrier.manager_of(session, actor.team_id, other)) == me.id:
        return Pair(me, other)
    if _id(barrier.manager_of(session, actor.team_id, me)) == other.id:
        return Pair(other, me)
    theirs = barrier.manager_of(session, actor.team_id, other)
    raise Refusal(
        "not_a_pair",
        field="person",
        other=other.user_id,
        manager=theirs.user_id if theirs else None,
    )


def read_slot(words: list[str]) -> tuple[int, str]:
    """`thu 10:00`, `Thursday 9.30`, `fri 2pm` → (weekday, "HH:MM"), or a refusal."""
    if len(words) != 2 or words[0].lower() not in WEEKDAYS:
        raise Refusal("bad_slot", value=" ".join(words)[:40])
    found = TIME.match(words[1].lower())
    if found is None:
        raise Refusal("bad_slot", value=" ".join(words)[:40])
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if found.group(3):
        if not 1 <= hour <= 12:
            raise Refusal("bad_slot", value=" ".join(words)[:40])
        hour = hour % 12 + (12 if found.group(3) == "pm" else 0)
    return WEEKDAYS[words[0].lower()], time(hour, minute).strftime("%H:%M")


def schedule(
    *, session: Session, actor: Actor, pair: Pair, weekday: int, at: str, now: datetime
) -> OneOnOne:
    """The manager sets their weekly 1:1 with this report; its agenda goes to both before it."""
    _manager_only(pair, actor)
    return one_on_ones.set_schedule(
        session=session,
        team_id=actor.team_id,
        manager_id=pair.manager.id or 0,
        report_id=pair.report.id or 0,
        weekday=weekday,
        time=at,
        now=now,
    )


def stop(*, session: Session, actor: Actor, pair: Pair) -> OneOnOne | None:
    """No more scheduled agendas for this pair (asking for one still works)."""
    _manager_only(pair, actor)
    found = one_on_ones.get_schedule(
        session=session,
        team_id=actor.team_id,
        manager_id=pair.manager.id or 0,
        report_id=pair.report.id or 0,
    )
    if found is None or not found.active:
        return None
    found.active = False
    session.add(found)
    session.flush()
    return found


def _manager_only(pair: Pair, actor: Actor) -> None:
    if pair.manager.id != actor.person_id:
        raise Refusal("one_on_one_manager_only", manager=pair.manager.user_id)


def add_topic(
    *,
    session: Session,
    actor: Actor,
    pair: Pair,
    text: str,
    now: datetime,
    goal_id: int | None = None,
) -> AgendaItem:
    """Either side adds something to talk about at their next 1:1."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise Refusal("empty_topic", field="topic")
    if len(cleaned) > TOPIC_LIMIT:
        raise Refusal("topic_too_long", field="topic", limit=TOPIC_LIMIT, length=len(cleaned))
    return one_on_ones.add_item(
        session=session,
        team_id=actor.team_id,
        manager_id=pair.manager.id or 0,
        report_id=pair.report.id or 0,
        added_by_id=actor.person_id,
        text=cleaned,
        goal_id=goal_id,
        now=now,
    )


def add_goal(
    *, session: Session, actor: Actor, goal_id: int, now: datetime
) -> tuple[Pair, AgendaItem]:
    """From an alert: the manager puts a report's goal on their next 1:1."""
    goal = goals.get_goal(session=session, team_id=actor.team_id, goal_id=goal_id)
    if goal is None:
        raise Refusal("goal_gone")
    owner = people.get_person_by_id(session=session, team_id=actor.team_id, person_id=goal.owner_id)
    if owner is None:
        raise Refusal("goal_gone")
    pair = pair_with(session=session, actor=actor, user_id=owner.user_id)
    return pair, add_topic(
        session=session,
        actor=actor,
        pair=pair,
        text=goal.statement[:TOPIC_LIMIT],
        now=now,
        goal_id=goal.id,
    )


def _id(person: Person | None) -> int | None:
    return person.id if person is not None else None
