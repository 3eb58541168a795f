"""What a person's App Home shows, as plain data: their chain of goals, their next check-in, their
open barriers; a manager's team and what awaits them; an admin's view of the organisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from conversations import clock
from conversations.actor import Actor
from conversations.errors import Refusal
from conversations.services import planning
from conversations.services.pause import is_paused
from conversations.views import mine
from conversations.views.next_steps import NextSteps, next_steps, units_in
from conversations.views.team import Team, teams_of
from storage import goals, workspaces
from storage.models import GoalStatus


@dataclass(frozen=True)
class Coverage:
    """Across the organisation: members with an agreed goal linked to an objective, of all."""

    covered: int
    members: int


@dataclass
class Home:
    steps: NextSteps
    found: mine.MyGoals
    next_checkin: datetime | None  # in the person's own time zone
    paused_until: date | None
    barriers: list[mine.OpenBarrier]
    teams: list[Team] = field(default_factory=list)
    coverage: Coverage | None = None  # admins only
    is_admin: bool = False
    can_check_in: bool = False  # an agreed goal to check in on (else the button would only refuse)


def home_of(*, session: Session, actor: Actor, now: datetime) -> Home:
    """Five views in one. Each reads what it needs, and what one has read the next finds
    remembered (storage/memo.py): first the units (with which have published in the current
    cycle), then the team (its members, and their goals and barriers with the manager's own), so
    that next steps, my goals and my barriers read little more."""
    person, team_id = actor.person, actor.team_id
    units_in(
        session=session,
        team_id=team_id,
        cycle=planning.current(session=session, team_id=team_id, now=now),
    )
    try:
        teams = teams_of(session=session, actor=actor, now=now)
    except Refusal:
        teams = []
    found = mine.my_goals(session=session, actor=actor, now=now)
    cycle = found.cycle
    today = clock.local_date(now, person.tz)
    paused = person.paused_until if is_paused(person.paused_until, today) else None
    every = [*found.mine, *(g for _, mine in found.earlier for g in mine)]
    has_agreed = any(m.goal.status == GoalStatus.AGREED for m in every)
    home = Home(
        steps=next_steps(session=session, actor=actor, now=now),
        found=found,
        next_checkin=_next_checkin(session, actor, now) if has_agreed and not paused else None,
        paused_until=paused,
        barriers=mine.open_barriers(session=session, actor=actor, now=now),
        teams=teams,
        is_admin=actor.is_admin,
        can_check_in=has_agreed,
    )
    if actor.is_admin and cycle is not None and cycle.id is not None:  # the cycle in view
        home.coverage = _coverage(session, actor.team_id, cycle.id)
    return home


def _next_checkin(session: Session, actor: Actor, now: datetime) -> datetime:
    workspace = workspaces.get_workspace(session=session, team_id=actor.team_id)
    person = actor.person
    weekday = (
        person.checkin_weekday if person.checkin_weekday is not None else workspace.checkin_weekday
    )
    at = clock.next_weekday_at(
        now, person.tz, weekday, person.checkin_time or workspace.checkin_time
    )
    return at.astimezone(clock.zone(person.tz))


def _coverage(session: Session, team_id: str, cycle_id: int) -> Coverage:
    covered, members = goals.coverage(session=session, team_id=team_id, cycle_id=cycle_id)
    return Coverage(covered=covered, members=members)
