"""What is due as of an instant: SPEC's scheduled work, found in a fixed number of queries per
workspace, whatever its size. Each nudge is a kind of outbox row with its own period key, so it is
owed exactly once however many ticks, late or concurrent, ask (storage/outbox.py).

Kinds, most important first (the order a short weekly budget is spent in):

- barrier_escalation, to the next manager up: unacknowledged for `barrier_escalation_days`
  working days (a state change; it always goes).
- close_goal, to a goal's owner: its due date (or its cycle) has passed; weekly until closed.
- agreement_reminder, to a manager: goals proposed to them over a day ago; daily.
- plan_nudge, to a unit's manager: the parent unit published, theirs has not; every 3 working days.
- checkin, to a person with agreed goals: their weekday and time, in their own time zone; weekly.
- interview_reminder, to someone mid-interview: left unfinished for 2 days; once per answer.
- set_goals_reminder, to a member of a published unit with no goal yet: at their check-in slot.
- checkin_reminder, to a person whose check-in is unanswered: 24 h later (a working day); once.

Check-ins and set-goals reminders go out at the person's own check-in time, on working days;
the other reminders within office hours (09:00–18:00 local) on working days. A tick late by less
than `WINDOW` still sends what fell due; anything older is stale and skipped, never replayed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from conversations import clock
from conversations.flows import goal_interview
from conversations.flows.spec import Notice
from conversations.offers import Choice, Offer
from conversations.services import barrier, planning
from conversations.services.pause import is_paused
from storage import (
    checkins,
    conversations,
    goals,
    objectives,
    outbox,
    people,
    units,
    workspaces,
)
from storage.models import Cycle, Goal, GoalStatus, Person, Unit, Workspace

ESCALATION = barrier.ESCALATION
CLOSE = "close_goal"
AGREEMENT = "agreement_reminder"
PLAN = "plan_nudge"
CHECKIN = "checkin"
INTERVIEW = "interview_reminder"
SET_GOALS = "set_goals_reminder"
CHECKIN_REMINDER = "checkin_reminder"
PRIORITY = (ESCALATION, CLOSE, AGREEMENT, PLAN, CHECKIN, INTERVIEW, SET_GOALS, CHECKIN_REMINDER)

WINDOW = timedelta(hours=12)  # how late a nudge may still go out
OFFICE_HOURS = (time(9), time(18))
INTERVIEW_IDLE = timedelta(days=2)
PLAN_EVERY = 3  # working days
AGREEMENT_WAIT = timedelta(days=1)
PUBLISHED_FOR = timedelta(days=1)  # before members are reminded to set goals
CHECKIN_REMINDER_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Candidate:
    """A nudge that is due, before the budget and the outbox decide whether it goes."""

    kind: str
    person: Person
    subject: str
    period_key: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()
    also: dict[str, Any] = field(default_factory=dict)  # what to say of it if held back

    @property
    def key(self) -> outbox.Key:
        return (self.kind, self.subject, self.period_key)


@dataclass
class World:
    """One workspace as the tick sees it, read in a fixed number of queries."""

    workspace: Workspace
    now: datetime
    admin_ids: frozenset[str]
    people: dict[int, Person]
    units: dict[int, Unit]
    member_of: dict[int, int]  # person id → unit id
    cycle: Cycle | None
    open_goals: list[Goal]
    published: dict[int, datetime]  # unit id → when it first published (this cycle)
    checked_in: set[tuple[int, str]]
    working: frozenset[int]

    def today(self, person: Person) -> date:
        return clock.local_date(self.now, person.tz)

    def week(self, person: Person) -> str:
        return clock.week_key(self.now, person.tz)

    def in_office_hours(self, person: Person) -> bool:
        local = clock.local_now(self.now, person.tz)
        start, end = OFFICE_HOURS
        return local.weekday() in self.working and start <= local.time() < end

    def paused(self, person: Person) -> bool:
        return is_paused(person.paused_until, self.today(person))

    def checkin_slot(self, person: Person) -> datetime | None:
        """This week's check-in instant for this person (moved to a working day), if any."""
        weekday = (
            person.checkin_weekday
            if person.checkin_weekday is not None
            else self.workspace.checkin_weekday
        )
        when = person.checkin_time or self.workspace.checkin_time
        for day in range(weekday, 7):  # the set day, or the next working day that week
            if day in self.working:
                return clock.this_weeks(self.now, person.tz, day, when)
        return None

    def due_now(self, instant: datetime | None) -> bool:
        return instant is not None and instant <= self.now < instant + WINDOW


def _world(session: Session, team_id: str, now: datetime, admin_ids: frozenset[str]) -> World:
    workspace = workspaces.get_workspace(session=session, team_id=team_id)
    everyone = {
        p.id: p
        for p in people.list_people(session=session, team_id=team_id)
        if p.id is not None and not p.deleted and not p.is_bot
    }
    cycle = planning.running(session=session, team_id=team_id, now=now)
    weeks = sorted({clock.week_key(now, p.tz) for p in everyone.values()})
    return World(
        workspace=workspace,
        now=now,
        admin_ids=admin_ids,
        people=everyone,
        units={u.id: u for u in units.list_units(session=session, team_id=team_id) if u.id},
        member_of=units.memberships(session=session, team_id=team_id),
        cycle=cycle,
        open_goals=goals.open_goals(session=session, team_id=team_id),
        published=objectives.first_published(session=session, team_id=team_id, cycle_id=cycle.id)
        if cycle is not None and cycle.id is not None
        else {},
        checked_in=checkins.checked_in(session=session, team_id=team_id, weeks=weeks),
        working=clock.parse_working_days(workspace.working_days),
    )


def due(*, session: Session, now: datetime, admin_ids: frozenset[str]) -> dict[str, list[Notice]]:
    """Everything scheduled that is due as of `now`, by workspace: claimed in the outbox (each
    notice carries its claimed row), with escalations applied."""
    return {
        team_id: _due_in(session, team_id, now, admin_ids)
        for team_id in workspaces.team_ids(session=session)
    }


def _due_in(
    session: Session, team_id: str, now: datetime, admin_ids: frozenset[str]
) -> list[Notice]:
    escalated = barrier.escalations_due(session=session, team_id=team_id, now=now)
    world = _world(session, team_id, now, admin_ids)
    candidates = [
        *_close_goals(world),
        *_agreement_reminders(world),
        *_plan_nudges(world),
        *_checkins(world),
        *_interview_reminders(session, world),
        *_set_goals_reminders(session, world),
        *_checkin_reminders(session, world),
    ]
    return [*escalated, *_within_budget(session, world, candidates, escalated)]


# -- each kind ------------------------------------------------------------------------------


def _agreed_by_owner(world: World) -> dict[int, list[Goal]]:
    found: dict[int, list[Goal]] = defaultdict(list)
    for goal in world.open_goals:
        if goal.status == GoalStatus.AGREED:
            found[goal.owner_id].append(goal)
    return found


def _checkins(world: World) -> Iterable[Candidate]:
    for owner_id, agreed in _agreed_by_owner(world).items():
        person = world.people.get(owner_id)
        if person is None or world.paused(person):
            continue
        week = world.week(person)
        if (owner_id, week) in world.checked_in or not world.due_now(world.checkin_slot(person)):
            continue
        yield Candidate(
            CHECKIN,
            person,
            person.user_id,
            week,
            "nudges/checkin",
            {"goals": agreed},
            (Choice(Offer.CHECK_IN, primary=True),),
            {"kind": CHECKIN},
        )


def _checkin_reminders(session: Session, world: World) -> Iterable[Candidate]:
    weeks = sorted({world.week(p) for p in world.people.values()})
    sent = outbox.sent_at(
        session=session, team_id=world.workspace.team_id, kind=CHECKIN, period_keys=weeks
    )
    by_user = {p.user_id: p for p in world.people.values()}
    for (user_id, week), at in sent.items():
        person = by_user.get(user_id)
        if person is None or person.id is None or week != world.week(person):
            continue
        if (person.id, week) in world.checked_in or world.paused(person):
            continue
        local = clock.local_now(at + CHECKIN_REMINDER_AFTER, person.tz)
        day = local.date()
        if day.weekday() not in world.working:
            day = clock.add_working_days(day, 1, world.working)
        if not world.due_now(clock.at_local(day, local.time(), person.tz)):
            continue
        yield Candidate(
            CHECKIN_REMINDER,
            person,
            user_id,
            week,
            "nudges/checkin_reminder",
            {},
            (Choice(Offer.CHECK_IN, primary=True),),
            {"kind": CHECKIN_REMINDER},
        )


def _interview_reminders(session: Session, world: World) -> Iterable[Candidate]:
    idle_since = world.now - INTERVIEW_IDLE
    for talk in conversations.active_of_flow(
        session=session, team_id=world.workspace.team_id, flow=goal_interview.FLOW
    ):
        person = world.people.get(talk.person_id)
        if person is None or world.paused(person) or not world.in_office_hours(person):
            continue
        if not world.now - timedelta(days=30) < talk.last_activity <= idle_since:
            continue
        yield Candidate(
            INTERVIEW,
            person,
            f"conversation:{talk.id}",
            f"v{talk.version}",
            "nudges/interview_reminder",
            {"since": talk.last_activity},
            (Choice(Offer.SET_GOALS, primary=True),),
            {"kind": INTERVIEW},
        )


def _plan_nudges(world: World) -> Iterable[Candidate]:
    if world.cycle is None:
        return
    for unit in world.units.values():
        if unit.parent_id is None or unit.manager_id is None or unit.id in world.published:
            continue
        parent_since = world.published.get(unit.parent_id)
        manager = world.people.get(unit.manager_id)
        if parent_since is None or manager is None or world.paused(manager):
            continue
        if not world.in_office_hours(manager):
            continue
        since = clock.local_date(parent_since, manager.tz)
        days = clock.working_days_between(since, world.today(manager), world.working)
        rounds = days // PLAN_EVERY
        if rounds < 1:
            continue
        parent = world.units.get(unit.parent_id)
        yield Candidate(
            PLAN,
            manager,
            f"unit:{unit.id}",
            f"{world.cycle.id}:{rounds}",
            "nudges/plan_nudge",
            {"unit": unit, "parent": parent, "cycle": world.cycle},
            (Choice(Offer.PLAN_UNIT, str(unit.id), primary=True),),
            {"kind": PLAN, "unit": unit.name},
        )


def _approvers(world: World, goal: Goal) -> list[Person]:
    """Who agrees a goal (as conversations.agreement.approvers, from what the world holds)."""
    unit = world.units.get(goal.unit_id)
    manager = world.people.get(unit.manager_id) if unit and unit.manager_id else None
    if manager is not None and manager.id != goal.owner_id:
        return [manager]
    return [p for p in world.people.values() if p.user_id in world.admin_ids or p.is_slack_admin]


def _agreement_reminders(world: World) -> Iterable[Candidate]:
    waiting: dict[int, list[Goal]] = defaultdict(list)
    for goal in world.open_goals:
        if goal.status == GoalStatus.PROPOSED and goal.updated_at <= world.now - AGREEMENT_WAIT:
            for approver in _approvers(world, goal):
                if approver.id is not None:
                    waiting[approver.id].append(goal)
    for approver_id, proposed in waiting.items():
        person = world.people[approver_id]
        if world.paused(person) or not world.in_office_hours(person):
            continue
        owners = {g.owner_id: world.people.get(g.owner_id) for g in proposed}
        yield Candidate(
            AGREEMENT,
            person,
            person.user_id,
            world.today(person).isoformat(),
            "nudges/agreement_reminder",
            {"goals": proposed, "owners": owners},
            (),
            {"kind": AGREEMENT, "count": len(proposed)},
        )


def _set_goals_reminders(session: Session, world: World) -> Iterable[Candidate]:
    if world.cycle is None:
        return
    with_goals = {g.owner_id for g in world.open_goals if g.cycle_id == world.cycle.id}
    interviewing = {
        c.person_id
        for c in conversations.active_of_flow(
            session=session, team_id=world.workspace.team_id, flow=goal_interview.FLOW
        )
    }
    for person_id, unit_id in world.member_of.items():
        person = world.people.get(person_id)
        published = world.published.get(unit_id)
        if person is None or published is None or published > world.now - PUBLISHED_FOR:
            continue
        if person_id in with_goals or person_id in interviewing or world.paused(person):
            continue
        if not world.due_now(world.checkin_slot(person)):
            continue
        unit = world.units[unit_id]
        yield Candidate(
            SET_GOALS,
            person,
            person.user_id,
            world.week(person),
            "nudges/set_goals_reminder",
            {"unit": unit, "cycle": world.cycle},
            (Choice(Offer.SET_GOALS, primary=True),),
            {"kind": SET_GOALS},
        )


def _close_goals(world: World) -> Iterable[Candidate]:
    cycle_end = world.cycle.end if world.cycle is not None else None
    for goal in world.open_goals:
        person = world.people.get(goal.owner_id)
        if goal.status != GoalStatus.AGREED or person is None or world.paused(person):
            continue
        today = world.today(person)
        ended = goal.cycle_id == (world.cycle.id if world.cycle else None) and (
            cycle_end is not None and cycle_end < today
        )
        if not ((goal.due is not None and goal.due < today) or ended):
            continue
        if not world.in_office_hours(person):
            continue
        value = str(goal.id)
        yield Candidate(
            CLOSE,
            person,
            f"goal:{goal.id}",
            world.week(person),
            "nudges/close_goal",
            {"goal": goal},
            (
                Choice(Offer.GOAL_ACHIEVED, value, primary=True),
                Choice(Offer.GOAL_MISSED, value),
                Choice(Offer.GOAL_DROPPED, value),
            ),
            {"kind": CLOSE, "goal": goal.statement[:80]},
        )


# -- the budget -----------------------------------------------------------------------------


def _within_budget(
    session: Session, world: World, candidates: list[Candidate], escalated: list[Notice]
) -> list[Notice]:
    """At most `nudge_budget` nudges a person a week, the most important first; what is held
    back is told as an "also" line in the person's next message."""
    team_id = world.workspace.team_id
    owed_already = outbox.owed_subjects(
        session=session,
        team_id=team_id,
        kinds=sorted({c.kind for c in candidates}),
        period_keys=sorted({c.period_key for c in candidates}),
    )
    fresh = [c for c in candidates if c.key not in owed_already]
    used = _used_this_week(session, world)
    for notice in escalated:
        if notice.kind == ESCALATION:
            used[notice.user_id] += 1
    by_person: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in sorted(fresh, key=lambda c: PRIORITY.index(c.kind)):
        by_person[candidate.person.user_id].append(candidate)
    chosen: list[Candidate] = []
    held_back: list[Candidate] = []
    for user_id, theirs in by_person.items():
        room = max(world.workspace.nudge_budget - used[user_id], 0)
        chosen.extend(theirs[:room])
        held_back.extend(theirs[room:])
    claimed = outbox.claim(
        session=session,
        team_id=team_id,
        claims=[(c.key, c.person.user_id) for c in chosen],
        now=world.now,
    )
    outbox.hold(
        session=session,
        team_id=team_id,
        items=[(c.key, c.person.user_id, c.also) for c in held_back],
        now=world.now,
    )
    also = _fold_held(session, world, {c.person.user_id for c in chosen if c.key in claimed})
    notices = []
    for candidate in chosen:
        row = claimed.get(candidate.key)
        if row is None:
            continue  # another tick claimed it first
        context = {**candidate.context, "also": also.pop(candidate.person.user_id, [])}
        notices.append(
            Notice(
                candidate.person.user_id,
                candidate.template,
                context,
                candidate.choices,
                kind=candidate.kind,
                claimed=row,
            )
        )
    return notices


def _used_this_week(session: Session, world: World) -> defaultdict[str, int]:
    since = world.now - timedelta(days=8)
    by_user = {p.user_id: p for p in world.people.values()}
    used: defaultdict[str, int] = defaultdict(int)
    for recipient, at in outbox.owed_since(
        session=session, team_id=world.workspace.team_id, kinds=PRIORITY, since=since
    ):
        person = by_user.get(recipient)
        if person is not None and clock.week_key(at, person.tz) == world.week(person):
            used[recipient] += 1
    return used


def _fold_held(session: Session, world: World, recipients: set[str]) -> dict[str, list[Any]]:
    """The held-back nudges of people about to get a message, to tell as "also" lines."""
    folded: dict[str, list[Any]] = defaultdict(list)
    ids = []
    for row in outbox.held(session=session, team_id=world.workspace.team_id):
        if row.recipient in recipients and row.id is not None:
            folded[row.recipient].append(row.payload.get("also") or {})
            ids.append(row.id)
    outbox.mark_folded(session=session, message_ids=ids, now=world.now)
    return folded
