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
from storage import barriers, commitments, conversations, in_play, one_on_ones, workspaces
from storage.goals import GoalLike
from storage.in_play import InPlay, Setting
from storage.models import (
    Barrier,
    Commitment,
    Conversation,
    Cycle,
    OneOnOne,
    Workspace,
)
from storage.people import PersonLike, PersonRow
from storage.units import UnitLike

WINDOW = timedelta(hours=12)  # how late a nudge may still go out
OFFICE_HOURS = (time(9), time(18))
CHECKIN = "checkin"  # the weekly check-in nudge's outbox kind
AGREEMENT_WAIT = timedelta(days=1)  # a proposed goal waits this long before its manager is told
CHECKIN_REMINDER_AFTER = timedelta(hours=24)
# A reminder falls due 24 h after its check-in was sent, or later (moved to a working day); read
# back as local time on a day the clocks go back, up to the change's size earlier (2 h at most).
REMINDED_AFTER = CHECKIN_REMINDER_AFTER - timedelta(hours=3)


@dataclass
class World:
    """One workspace as the tick sees it."""

    workspace: Workspace
    now: datetime
    admin_ids: frozenset[str]
    people: dict[int, PersonLike]  # plain rows (storage.people.PersonRow): everyone in play
    units: dict[int, UnitLike]  # plain rows (storage.units.UnitRow)
    member_of: dict[int, int]  # person id → unit id
    cycle: Cycle | None
    open_goals: list[GoalLike]  # plain rows (storage.goals.GoalRow): the open goals in play
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
    # a handful of answers for 100,000 people, each worked out once per World (and looked up
    # without building a closure: at 100,000 people these are called half a million times).
    def once(self, key: tuple[Any, ...], work: Callable[..., Any], *args: Any) -> Any:
        """`work(*args)` the first time `key` is asked of this World, the same answer after."""
        try:
            return self._memo[key]
        except KeyError:
            found = self._memo[key] = work(*args)
            return found

    def today(self, person: PersonLike) -> date:
        found: date = self.once(("today", person.tz), clock.local_date, self.now, person.tz)
        return found

    def week(self, person: PersonLike) -> str:
        found: str = self.once(("week", person.tz), clock.week_key, self.now, person.tz)
        return found

    def in_office_hours(self, person: PersonLike) -> bool:
        found: bool = self.once(("office", person.tz), self._in_office_hours, person.tz)
        return found

    def _in_office_hours(self, tz: str) -> bool:
        local = clock.local_now(self.now, tz)
        start, end = OFFICE_HOURS
        return local.weekday() in self.working and start <= local.time() < end

    def paused(self, person: PersonLike) -> bool:
        return person.paused_until is not None and is_paused(
            person.paused_until, self.today(person)
        )

    def checkin_slot(self, person: PersonLike) -> datetime | None:
        """This week's check-in instant for this person (moved to a working day), if any."""
        key = ("slot", person.tz, person.checkin_weekday, person.checkin_time)
        try:  # `slot_of`, looked up in one step: it is asked once or twice a person
            found: datetime | None = self._memo[key]
        except KeyError:
            found = self.slot_of((person.tz, person.checkin_weekday, person.checkin_time))
        return found

    def slot_of(self, setting: Setting) -> datetime | None:
        """This week's check-in instant for anyone with this setting: a time zone, a weekday
        and a time as stored (None: the workspace's)."""
        found: datetime | None = self.once(("slot", *setting), self._slot, *setting)
        return found

    def _slot(self, tz: str, weekday: int | None, when: str | None) -> datetime | None:
        day = self.workspace.checkin_weekday if weekday is None else weekday
        for moved in range(day, 7):  # the set day, or the next working day that week
            if moved in self.working:
                return clock.this_weeks(self.now, tz, moved, when or self.workspace.checkin_time)
        return None

    def due_now(self, instant: datetime | None) -> bool:
        return instant is not None and instant <= self.now < instant + WINDOW

    def weeks_before(self, person: PersonLike, n: int) -> str:
        """The person's ISO week `n` weeks before this one."""
        found: str = self.once(
            ("weeks_before", person.tz, n), clock.week_key, self.now - timedelta(weeks=n), person.tz
        )
        return found

    def manager_of(self, person: PersonLike) -> PersonLike | None:
        """The manager of the unit this person belongs to (none for the head, or a vacancy)."""
        managers: dict[int, int | None] = self.once(("managers",), self._managers)
        manager_id = managers.get(self.member_of.get(person.id or 0, 0))
        manager = self.people.get(manager_id) if manager_id else None
        return manager if manager is not None and manager.id != person.id else None

    def _managers(self) -> dict[int, int | None]:
        return {unit_id: unit.manager_id for unit_id, unit in self.units.items()}


def read_world(
    *, session: Session, team_id: str, now: datetime, admin_ids: frozenset[str], whole: bool = False
) -> World:
    """The snapshot every scheduled rule reads: of people and goals, only those a rule may act on
    as of `now` (storage/in_play.py); with `whole`, all of them (the rules find the same)."""
    workspaces.calendar(session=session, team_id=team_id)  # the workspace with its cycles: once
    workspace = workspaces.get_workspace(session=session, team_id=team_id)
    cycle = planning.running(session=session, team_id=team_id, now=now)
    unit_list, published = in_play.units_published(
        session=session, team_id=team_id, cycle_id=cycle.id if cycle else None
    )
    # First what names people (and how often each setting is due), then those people.
    world = World(
        workspace=workspace,
        now=now,
        admin_ids=admin_ids,
        people={},
        units={u.id: u for u in unit_list},
        member_of={},
        cycle=cycle,
        open_goals=[],
        published=published,
        checked_in=set(),
        working=clock.parse_working_days(workspace.working_days),
        interviews=conversations.active_of_flow(
            session=session, team_id=team_id, flow=goal_interview.FLOW
        ),
        barriers=barriers.unacknowledged(session=session, team_id=team_id),
        promises=commitments.open_of_managers(session=session, team_id=team_id),
        one_on_ones=one_on_ones.active_schedules(session=session, team_id=team_id),
        ended=planning.ended(session=session, team_id=team_id, now=now),
    )
    settings = in_play.checkin_settings(session=session, team_id=team_id)
    scope = _in_play(world, settings, whole=whole)
    rows, world.member_of = in_play.people(session=session, in_play=scope)
    world.people = {p.id: p for p in rows if p.id is not None and not p.deleted and not p.is_bot}
    world.open_goals = list(in_play.goals(session=session, in_play=scope))
    world.checked_in = in_play.checked_in(session=session, in_play=scope)
    world.checkins_sent = in_play.checkins_sent(session=session, in_play=scope)
    world.tz = summary.summary_tz(
        session=session, workspace=workspace, head_tz=_head_tz(world.units, rows)
    )
    return world


def _in_play(world: World, settings: list[Setting], *, whole: bool) -> InPlay:
    """What the snapshot reads of people and goals, as of the world's instant: each check-in
    setting worked out once, however many people share it."""
    now, cycle = world.now, world.cycle
    zones = {tz for tz, _, _ in settings}
    latest = max((clock.local_date(now, tz) for tz in zones), default=now.date())
    return InPlay(
        team_id=world.team_id,
        cycle_id=cycle.id if cycle is not None else None,
        due_settings=[s for s in settings if world.due_now(world.slot_of(s))],
        admin_ids=world.admin_ids,
        person_ids={b.reporter_id for b in world.barriers}
        | {b.holder_id for b in world.barriers if b.holder_id is not None}
        | {c.person_id for c in world.interviews}
        | {p for m in world.one_on_ones for p in (m.manager_id, m.report_id)},
        promised_goal_ids={p.goal_id for p in world.promises},
        closing_before=latest,  # nobody's today is later: a goal past due is due before it
        closing_cycle_id=cycle.id if cycle is not None and cycle.end < latest else None,
        proposed_before=now - AGREEMENT_WAIT,
        checkin_kind=CHECKIN,
        # This week and the two before, where each person lives: check-ins missed twice in a row.
        weeks=sorted(
            {clock.week_key(now - timedelta(weeks=n), tz) for tz in zones for n in (0, 1, 2)}
        ),
        this_weeks={(tz, clock.week_key(now, tz)) for tz in zones},
        reminded_before=now - REMINDED_AFTER,
        whole=whole,
    )


def _head_tz(units_: dict[int, UnitLike], rows: list[PersonRow]) -> str | None:
    """`units.head_tz` from what the snapshot has read: the root unit's manager's time zone (every
    manager is read)."""
    tz = {p.id: p.tz for p in rows}
    roots = [u for _, u in sorted(units_.items()) if u.parent_id is None and u.manager_id]
    return next((tz[u.manager_id] for u in roots if tz.get(u.manager_id or 0)), None)
