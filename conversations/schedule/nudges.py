"""The nudges: SPEC's scheduled reminders, each kind declared once with its rule, a plain function
of the tick's World (world.py). Each nudge is an outbox row with its own period key, so it is owed
exactly once however many ticks, late or concurrent, ask (storage/outbox.py). Its message is
prompts/nudges/<kind>.md.j2; what is said of it when a budget holds it back ("also" in the
person's next message) is prompts/nudges/also/<kind>.md.j2.

Kinds, most important first (the order a short weekly budget is spent in); barrier escalations
(escalations.py) come before all of them:

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from conversations import clock
from conversations.offers import Choice, Offer
from conversations.schedule.world import AGREEMENT_WAIT, CHECKIN, CHECKIN_REMINDER_AFTER, World
from conversations.services import commitments
from conversations.views.retrospective import due_at as retro_due_at
from storage import outbox
from storage.goals import GoalLike
from storage.models import Commitment, GoalStatus
from storage.people import PersonLike

RETROSPECTIVE = "retrospective"
AGENDA = "one_on_one_agenda"
AGENDA_BEFORE = timedelta(hours=2)
ALERT = "confidence_alert"  # the manager's alert (conversations/services/alerts.py)
PROMISES_LISTED = 10  # with their buttons, in a manager's check-in
INTERVIEW_IDLE = timedelta(days=2)
PLAN_EVERY = 3  # working days
PUBLISHED_FOR = timedelta(days=1)  # before members are reminded to set goals
CHECK_IN = (Choice(Offer.CHECK_IN, primary=True),)  # the check-in's button, one for all of them
LATEST_ZONE = timedelta(hours=16)  # no zone is further ahead of UTC (Kiritimati, at 14, is)


# Not frozen: a frozen dataclass sets each field through object.__setattr__, three times the
# cost of building one, and the tick builds 50,000 of them in the busiest hour at 100,000 people.
@dataclass(slots=True)
class Candidate:
    """A nudge that is due, before the budget and the outbox decide whether it goes (a value:
    nothing changes one once made; `dataclasses.replace` makes another)."""

    kind: str
    person: PersonLike
    subject: str
    period_key: str
    context: dict[str, Any] = field(default_factory=dict)  # for prompts/nudges/<kind>
    choices: tuple[Choice, ...] = ()
    also: dict[str, Any] = field(default_factory=dict)  # for prompts/nudges/also/<kind>
    rows: tuple[tuple[Choice, ...], ...] = ()  # more rows of buttons, one per item it lists

    @property
    def key(self) -> outbox.Key:
        return (self.kind, self.subject, self.period_key)

    @property
    def template(self) -> str:
        return f"nudges/{self.kind}"

    @property
    def held(self) -> dict[str, Any]:
        """What is kept of it when the budget holds it back: enough for its "also" line."""
        return {"kind": self.kind, **self.also}


Rule = Callable[[World], Iterable[Candidate]]
KINDS: dict[str, Rule] = {}  # in priority order: the first are kept when the budget is short


def nudge(kind: str) -> Callable[[Rule], Rule]:
    """Declare a nudge kind by its rule; declared in priority order, most important first."""

    def declare(rule: Rule) -> Rule:
        if kind in KINDS:
            raise TypeError(f"nudge {kind} is declared twice")
        KINDS[kind] = rule
        return rule

    return declare


def candidates(world: World) -> list[Candidate]:
    """Every nudge due as of the world's instant, of every kind."""
    return [c for rule in KINDS.values() for c in rule(world)]


# -- the kinds, most important first ---------------------------------------------------------


@nudge(AGENDA)
def one_on_one_agendas(world: World) -> Iterable[Candidate]:
    """The 1:1 agenda, to both, two hours before each weekly 1:1 (the manager's local time)."""
    for slot in world.one_on_ones:
        manager, report = world.people.get(slot.manager_id), world.people.get(slot.report_id)
        if manager is None or report is None:
            continue
        this_week = clock.this_weeks(world.now, manager.tz, slot.weekday, slot.time)
        for meeting in (this_week, this_week + timedelta(weeks=1)):  # crossing a week's end
            if not world.due_now(meeting - AGENDA_BEFORE):
                continue
            for person in (manager, report):
                if world.paused(person):
                    continue
                context = {"pair": (manager, report), "meeting": meeting, "tz": manager.tz}
                key = f"one_on_one:{slot.id}:{person.id}"
                yield Candidate(AGENDA, person, key, meeting.date().isoformat(), context)


def _missed(world: World, person: PersonLike, week: str) -> bool:
    """Asked to check in that week, and didn't."""
    return (person.user_id, week) in world.checkins_sent and (
        person.id,
        week,
    ) not in world.checked_in


@nudge(ALERT)
def missed_checkins(world: World) -> Iterable[Candidate]:
    """A second missed check-in in a row: the manager hears, at the report's check-in time."""
    asked = {user_id for user_id, _ in world.checkins_sent}  # none else can have missed one
    for owner_id, agreed in _agreed_by_owner(world).items():
        person = world.people.get(owner_id)
        if person is None or person.user_id not in asked:
            continue
        if not world.due_now(world.checkin_slot(person)):
            continue
        if not all(_missed(world, person, world.weeks_before(person, n)) for n in (1, 2)):
            continue
        manager = world.manager_of(person)
        if manager is not None and not world.paused(person):
            yield Candidate(
                ALERT,
                manager,
                f"person:{person.id}",
                world.week(person),
                {"owner": person, "goals": agreed},
                (Choice(Offer.ADD_TO_ONE_ON_ONE, str(agreed[0].id), primary=True),),
                {"owner": person.user_id, "missed": True},
            )


@nudge(RETROSPECTIVE)
def retrospectives(world: World) -> Iterable[Candidate]:
    """The cycle that ended, looked back on: to each unit's manager, the first working day after
    its end at 09:00 (the workspace's time), once."""
    ended = world.ended
    if ended is None or not world.due_now(retro_due_at(ended, world.tz, world.working)):
        return
    managed: dict[int, list[int]] = defaultdict(list)
    for unit in world.units.values():
        if unit.manager_id is not None and unit.id is not None:
            managed[unit.manager_id].append(unit.id)
    for manager_id, unit_ids in sorted(managed.items()):
        manager = world.people.get(manager_id)
        if manager is None or world.paused(manager):
            continue
        plan = Choice(Offer.PLAN_NEXT_CYCLE, f"{min(unit_ids)}/{ended.id}", primary=True)
        yield Candidate(
            RETROSPECTIVE,
            manager,
            f"manager:{manager_id}",
            f"cycle:{ended.id}",
            {"tops": sorted(unit_ids), "cycle": ended},
            (plan,),
            {"cycle": ended.name},
        )


@nudge("close_goal")
def close_goals(world: World) -> Iterable[Candidate]:
    cycle = world.cycle
    cycle_id, cycle_end = (cycle.id, cycle.end) if cycle is not None else (None, None)
    latest = (world.now + LATEST_ZONE).date()  # nobody's today is later
    cycle_over = cycle_end is not None and cycle_end < latest
    for goal in world.open_goals:
        if goal.status != GoalStatus.AGREED:
            continue
        if not (goal.due is not None and goal.due < latest or cycle_over):
            continue  # not past due anywhere: its owner need not be looked at
        person = world.people.get(goal.owner_id)
        if person is None:
            continue
        today = world.today(person)
        ended = cycle_end is not None and goal.cycle_id == cycle_id and cycle_end < today
        if not ((goal.due is not None and goal.due < today) or ended):
            continue
        if world.paused(person) or not world.in_office_hours(person):
            continue
        value = str(goal.id)
        yield Candidate(
            "close_goal",
            person,
            f"goal:{goal.id}",
            world.week(person),
            {"goal": goal},
            (
                Choice(Offer.GOAL_ACHIEVED, value, primary=True),
                Choice(Offer.GOAL_MISSED, value),
                Choice(Offer.GOAL_DROPPED, value),
            ),
            {"goal": goal.statement[:80]},
        )


def approvers(world: World, goal: GoalLike) -> list[PersonLike]:
    """Who agrees a goal (as conversations.services.agreement.approvers, from the world)."""
    unit = world.units.get(goal.unit_id)
    manager = world.people.get(unit.manager_id) if unit and unit.manager_id else None
    if manager is not None and manager.id != goal.owner_id:
        return [manager]
    return [p for p in world.people.values() if p.user_id in world.admin_ids or p.is_slack_admin]


@nudge("agreement_reminder")
def agreement_reminders(world: World) -> Iterable[Candidate]:
    waiting: dict[int, list[GoalLike]] = defaultdict(list)
    for goal in world.open_goals:
        if goal.status == GoalStatus.PROPOSED and goal.updated_at <= world.now - AGREEMENT_WAIT:
            for approver in approvers(world, goal):
                if approver.id is not None:
                    waiting[approver.id].append(goal)
    for approver_id, proposed in waiting.items():
        person = world.people[approver_id]
        if world.paused(person) or not world.in_office_hours(person):
            continue
        owners = {g.owner_id: world.people.get(g.owner_id) for g in proposed}
        yield Candidate(
            "agreement_reminder",
            person,
            person.user_id,
            world.today(person).isoformat(),
            {"goals": proposed, "owners": owners},
            (),
            {"count": len(proposed)},
        )


@nudge("plan_nudge")
def plan_nudges(world: World) -> Iterable[Candidate]:
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
        yield Candidate(
            "plan_nudge",
            manager,
            f"unit:{unit.id}",
            f"{world.cycle.id}:{rounds}",
            {"unit": unit, "parent": world.units.get(unit.parent_id), "cycle": world.cycle},
            (Choice(Offer.PLAN_UNIT, str(unit.id), primary=True),),
            {"unit": unit.name},
        )


def _agreed_by_owner(world: World) -> dict[int, list[GoalLike]]:
    """Each owner's agreed goals (worked out once per World: two rules ask)."""
    found: dict[int, list[GoalLike]] = world.once(("agreed by owner",), _agreed, world.open_goals)
    return found


def _agreed(goals: list[GoalLike]) -> dict[int, list[GoalLike]]:
    found: dict[int, list[GoalLike]] = defaultdict(list)
    for goal in goals:
        if goal.status == GoalStatus.AGREED:
            found[goal.owner_id].append(goal)
    return found


def _promised_by_manager(world: World) -> dict[int, list[tuple[Commitment, GoalLike]]]:
    promised = {p.goal_id for p in world.promises}
    if not promised:
        return {}
    goals = {
        g.id: g for g in world.open_goals if g.id in promised and g.status == GoalStatus.AGREED
    }
    found: dict[int, list[tuple[Commitment, GoalLike]]] = defaultdict(list)
    for promise in world.promises:
        if promise.goal_id in goals:
            found[promise.manager_id].append((promise, goals[promise.goal_id]))
    return found


@nudge(CHECKIN)
def checkins(world: World) -> Iterable[Candidate]:
    """Each person's own goals, and, for a manager, the help they promised: Done, Not yet, Drop."""
    agreed, promised = _agreed_by_owner(world), _promised_by_manager(world)
    for person_id in sorted({*agreed, *promised}):
        person = world.people.get(person_id)
        if person is None or not world.due_now(world.checkin_slot(person)):
            continue
        week = world.week(person)
        if (person_id, week) in world.checked_in or world.paused(person):
            continue
        mine, helping = agreed.get(person_id, []), promised.get(person_id, [])[:PROMISES_LISTED]
        yield Candidate(
            CHECKIN,
            person,
            person.user_id,
            week,
            {"goals": mine, "promises": helping, "owners": world.people},
            CHECK_IN if mine else (),
            rows=tuple(commitments.choices(c) for c, _ in helping) if helping else (),
        )


@nudge("interview_reminder")
def interview_reminders(world: World) -> Iterable[Candidate]:
    idle_since = world.now - INTERVIEW_IDLE
    for talk in world.interviews:
        person = world.people.get(talk.person_id)
        if person is None or world.paused(person) or not world.in_office_hours(person):
            continue
        if not world.now - timedelta(days=30) < talk.last_activity <= idle_since:
            continue
        yield Candidate(
            "interview_reminder",
            person,
            f"conversation:{talk.id}",
            f"v{talk.version}",
            {"since": talk.last_activity},
            (Choice(Offer.SET_GOALS, primary=True),),
        )


@nudge("set_goals_reminder")
def set_goals_reminders(world: World) -> Iterable[Candidate]:
    if world.cycle is None:
        return
    cycle_id = world.cycle.id
    with_goals = {g.owner_id for g in world.open_goals if g.cycle_id == cycle_id}
    interviewing = {c.person_id for c in world.interviews}
    since = world.now - PUBLISHED_FOR
    for person_id, unit_id in world.member_of.items():
        person = world.people.get(person_id)
        published = world.published.get(unit_id)
        if person is None or published is None or published > since:
            continue
        if person_id in with_goals or person_id in interviewing or world.paused(person):
            continue
        if not world.due_now(world.checkin_slot(person)):
            continue
        yield Candidate(
            "set_goals_reminder",
            person,
            person.user_id,
            world.week(person),
            {"unit": world.units[unit_id], "cycle": world.cycle},
            (Choice(Offer.SET_GOALS, primary=True),),
        )


@nudge("checkin_reminder")
def checkin_reminders(world: World) -> Iterable[Candidate]:
    by_user = {p.user_id: p for p in world.people.values()}
    for (user_id, week), at in world.checkins_sent.items():
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
            "checkin_reminder",
            person,
            user_id,
            week,
            {},
            (Choice(Offer.CHECK_IN, primary=True),),
        )
