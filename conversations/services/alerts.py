"""Alerts to the manager, at once, in one message: a check-in that moves a goal to at risk or
off track, or leaves its progress unchanged two check-ins in a row (here); a second missed
check-in in a row (the tick: conversations/schedule/nudges.py). Each says what changed, quotes the
note, asks one question and offers **Add to our 1:1**.

At most one alert a person a week (an outbox key: a check-in resubmitted sends nothing more), and
within the manager's nudge budget: a paused or full manager has it held, and told later."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from conversations import clock
from conversations.actor import Actor
from conversations.flows.spec import Notice
from conversations.offers import Choice, Offer
from conversations.schedule.nudges import ALERT as KIND
from conversations.schedule.nudges import KINDS  # the tick's nudges count toward a budget too
from conversations.services import barrier
from conversations.services.pause import is_paused
from storage import checkins, outbox, workspaces
from storage.models import CheckIn, Confidence, Goal, Person

RANK = {Confidence.ON_TRACK: 0, Confidence.AT_RISK: 1, Confidence.OFF_TRACK: 2}
# Messages that count toward a person's weekly budget besides the tick's nudges.
BUDGETED = (KIND, "barrier_escalation")


@dataclass(frozen=True)
class Moved:
    """What a check-in did to one goal that its manager should hear of."""

    goal: Goal
    trend: tuple[CheckIn, ...]  # the goal's recent check-ins, oldest first, this one last
    worse: bool  # confidence went to at risk or off track
    stalled: bool  # progress unchanged two check-ins in a row

    @property
    def latest(self) -> CheckIn:
        return self.trend[-1]

    @property
    def before(self) -> CheckIn | None:
        return self.trend[-2] if len(self.trend) > 1 else None


def _rank(confidence: str | None) -> int:
    return RANK.get(Confidence(confidence), 0) if confidence else 0


def moved(goal: Goal, trend: Sequence[CheckIn]) -> Moved | None:
    """Whether this goal's latest check-in (the last of `trend`) is one to tell the manager of."""
    if not trend:
        return None
    latest, before = trend[-1], trend[-2] if len(trend) > 1 else None
    worse = _rank(latest.confidence) >= 1 and _rank(latest.confidence) > _rank(
        before.confidence if before else None
    )
    last_three = [c.progress for c in trend[-3:]]
    stalled = len(last_three) == 3 and len(set(last_three)) == 1 and latest.progress < 100
    return Moved(goal, tuple(trend), worse, stalled) if worse or stalled else None


def once(owner: Person, now: datetime) -> tuple[str, str]:
    """The alert's key: one a person (the report) a week, in their own week."""
    return f"person:{owner.id}", clock.week_key(now, owner.tz)


def held_back(session: Session, team_id: str, manager: Person, now: datetime) -> bool:
    """Whether a message to this manager waits: paused, or this week's nudge budget spent."""
    if is_paused(manager.paused_until, clock.local_date(now, manager.tz)):
        return True

    week = clock.week_key(now, manager.tz)
    sent = outbox.owed_since(
        session=session, team_id=team_id, kinds=(*KINDS, *BUDGETED), since=now - timedelta(days=8)
    )
    used = sum(
        1 for who, at in sent if who == manager.user_id and clock.week_key(at, manager.tz) == week
    )
    return used >= workspaces.get_workspace(session=session, team_id=team_id).nudge_budget


def after_checkin(
    *, session: Session, actor: Actor, recorded: Sequence[tuple[Goal, CheckIn]], now: datetime
) -> list[Notice]:
    """The alert a check-in owes its manager, if any (held when the manager's messages wait)."""
    manager = barrier.manager_of(session, actor.team_id, actor.person)
    if manager is None or not recorded:
        return []
    trends = checkins.recent_of_goals(
        session=session, team_id=actor.team_id, goal_ids=[g.id or 0 for g, _ in recorded]
    )
    found = [m for goal, _ in recorded if (m := moved(goal, trends.get(goal.id or 0, [])))]
    if not found:
        return []
    subject, week = once(actor.person, now)
    if outbox.owed(
        session=session, team_id=actor.team_id, kind=KIND, subject=subject, period_key=week
    ):
        return []  # this week's alert about this person has gone (or waits): one a week
    first = found[0].goal
    context = {"owner": actor.person, "moved": found}
    also = None
    if held_back(session, actor.team_id, manager, now):
        also = {"kind": KIND, "owner": actor.person.user_id, "goal": first.statement[:80]}
    return [
        Notice(
            manager.user_id,
            "alerts/confidence",
            context,
            (Choice(Offer.ADD_TO_ONE_ON_ONE, str(first.id), primary=True),),
            kind=KIND,
            once=(subject, week),
            held=also,
        )
    ]
