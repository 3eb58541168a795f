"""One workspace as the tick sees it at an instant: everything the scheduled rules read, in a
fixed number of queries whatever the workspace's size. The rules (nudges.py, escalations.py) are
plain functions of it, so they are tested over a World built by hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from conversations import clock
from conversations.flows import goal_interview
from conversations.services import planning
from conversations.services.pause import is_paused
from conversations.views import summary
from storage import (
    barriers,
    checkins,
    commitments,
    conversations,
    goals,
    objectives,
    one_on_ones,
    outbox,
    people,
    units,
    workspaces,
)
from storage.goals import GoalLike
from storage.models import (
    Barrier,
    Commitment,
    Conversation,
    Cycle,
    OneOnOne,
    Unit,
    Workspace,
)
from storage.people import PersonLike, PersonRow

WINDOW = timedelta(hours=12)  # how late a nudge may still go out
OFFICE_HOURS = (time(9), time(18))
CHECKIN = "checkin"  # the weekly check-in nudge's outbox kind


@dataclass
class World:
    """One workspace as the tick sees it."""

    workspace: Workspace
    now: datetime
    admin_ids: frozenset[str]
    people: dict[int, PersonLike]  # plain rows (storage.people.PersonRow): everyone
    units: dict[int, Unit]
    member_of: dict[int, int]  # person id → unit id
    cycle: Cycle | None
    open_goals: list[GoalLike]  # plain rows (storage.goals.GoalRow): every goal in play
    published: dict[int, datetime]  # unit id → when it first published (this cycle)
    checked_in: set[tuple[int, str]]  # (person id, week)
    working: frozenset[int]
    interviews: list[Conversation] = field(default_factory=list)  # goal interviews going on
    checkins_sent: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (user, week)
    barriers: list[Barrier] = field(default_factory=list)  # open, held, not acknowledged
    promises: list[Commitment] = field(default_factory=list)  # open promises of help
    one_on_ones: list[OneOnOne] = field(default_factory=list)  # weekly 1:1s
    ended: Cycle | None = None  # the cycle that ended last (its retrospective)
    tz: str = "UTC"  # the workspace's (the head of the organisation's, until one is set)
    _memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def team_id(self) -> str:
        return self.workspace.team_id

    # Everything below depends on a person only through their time zone (and check-in setting):
    # a handful of answers for 100,000 people, each worked out once per World.
    def _once(self, key: tuple[Any, ...], work: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = work()
        return self._memo[key]

    def today(self, person: PersonLike) -> date:
        found: date = self._once(
            ("today", person.tz), lambda: clock.local_date(self.now, person.tz)
        )
        return found

    def week(self, person: PersonLike) -> str:
        found: str = self._once(("week", person.tz), lambda: clock.week_key(self.now, person.tz))
        return found

    def in_office_hours(self, person: PersonLike) -> bool:
        def work() -> bool:
            local = clock.local_now(self.now, person.tz)
            start, end = OFFICE_HOURS
            return local.weekday() in self.working and start <= local.time() < end

        found: bool = self._once(("office", person.tz), work)
        return found

    def paused(self, person: PersonLike) -> bool:
        return is_paused(person.paused_until, self.today(person))

    def checkin_slot(self, person: PersonLike) -> datetime | None:
        """This week's check-in instant for this person (moved to a working day), if any."""
        weekday = (
            person.checkin_weekday
            if person.checkin_weekday is not None
            else self.workspace.checkin_weekday
        )
        when = person.checkin_time or self.workspace.checkin_time

        def work() -> datetime | None:
            for day in range(weekday, 7):  # the set day, or the next working day that week
                if day in self.working:
                    return clock.this_weeks(self.now, person.tz, day, when)
            return None

        found: datetime | None = self._once(("slot", person.tz, weekday, when), work)
        return found

    def due_now(self, instant: datetime | None) -> bool:
        return instant is not None and instant <= self.now < instant + WINDOW

    def weeks_before(self, person: PersonLike, n: int) -> str:
        """The person's ISO week `n` weeks before this one."""
        found: str = self._once(
            ("weeks_before", person.tz, n),
            lambda: clock.week_key(self.now - timedelta(weeks=n), person.tz),
        )
        return found

    def manager_of(self, person: PersonLike) -> PersonLike | None:
        """The manager of the unit this person belongs to (none for the head, or a vacancy)."""
        unit = self.units.get(self.member_of.get(person.id or 0, 0))
        manager = self.people.get(unit.manager_id) if unit and unit.manager_id else None
        return manager if manager is not None and manager.id != person.id else None


def read_world(
    *, session: Session, team_id: str, now: datetime, admin_ids: frozenset[str]
) -> World:
    """The snapshot every scheduled rule reads."""
    workspaces.calendar(session=session, team_id=team_id)  # the workspace with its cycles: once
    workspace = workspaces.get_workspace(session=session, team_id=team_id)
    rows, member_of = people.people_rows(session=session, team_id=team_id)
    everyone: dict[int, PersonLike] = {
        p.id: p for p in rows if p.id is not None and not p.deleted and not p.is_bot
    }
    unit_rows = {u.id: u for u in units.list_units(session=session, team_id=team_id) if u.id}
    cycle = planning.running(session=session, team_id=team_id, now=now)
    # This week and the two before, where each person lives: check-ins missed twice in a row.
    zones = {p.tz for p in everyone.values()}
    weeks = sorted({clock.week_key(now - timedelta(weeks=n), tz) for tz in zones for n in range(3)})
    sent = outbox.sent_at(session=session, team_id=team_id, kind=CHECKIN, period_keys=weeks)
    return World(
        workspace=workspace,
        now=now,
        admin_ids=admin_ids,
        people=everyone,
        units=unit_rows,
        member_of=member_of,
        cycle=cycle,
        open_goals=list(goals.open_goal_rows(session=session, team_id=team_id)),
        published=objectives.first_published(session=session, team_id=team_id, cycle_id=cycle.id)
        if cycle is not None and cycle.id is not None
        else {},
        checked_in=checkins.checked_in(session=session, team_id=team_id, weeks=weeks),
        working=clock.parse_working_days(workspace.working_days),
        interviews=conversations.active_of_flow(
            session=session, team_id=team_id, flow=goal_interview.FLOW
        ),
        checkins_sent=sent,
        barriers=barriers.unacknowledged(session=session, team_id=team_id),
        promises=commitments.open_of_managers(session=session, team_id=team_id),
        one_on_ones=one_on_ones.active_schedules(session=session, team_id=team_id),
        ended=planning.ended(session=session, team_id=team_id, now=now),
        tz=summary.summary_tz(
            session=session, workspace=workspace, head_tz=_head_tz(unit_rows, rows)
        ),
    )


def _head_tz(units_: dict[int, Unit], rows: list[PersonRow]) -> str | None:
    """`units.head_tz` from what the snapshot has read: the root unit's manager's time zone."""
    tz = {p.id: p.tz for p in rows}
    roots = [u for _, u in sorted(units_.items()) if u.parent_id is None and u.manager_id]
    return next((tz[u.manager_id] for u in roots if tz.get(u.manager_id or 0)), None)
