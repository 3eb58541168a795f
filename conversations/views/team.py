"""A manager's team, as plain data (`/goals team`, and the App Home): each member's goals by state,
their last check-in, their open barriers; then what needs the manager now. Read in a fixed number
of queries, whatever the team's size."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from conversations.actor import Actor
from conversations.errors import Refusal
from storage import barriers, checkins, goals, units
from storage import people as people_store
from storage.models import Barrier, BarrierStatus, CheckIn, Goal, GoalStatus, Person, Unit

STATES = (GoalStatus.AGREED, GoalStatus.PROPOSED, GoalStatus.DRAFT)


@dataclass(frozen=True)
class Member:
    person: Person
    goals: Counter[str]  # status → how many (agreed, proposed, draft)
    last_checkin: CheckIn | None
    barriers: int  # open barriers they reported or hold

    @property
    def no_goals(self) -> bool:
        return not any(self.goals[s] for s in STATES)


@dataclass(frozen=True)
class Waiting:
    """A barrier waiting for the manager to acknowledge it (they hold it: they may read it)."""

    barrier: Barrier
    reporter: Person | None
    age: int  # days


@dataclass
class Team:
    unit: Unit
    members: list[Member] = field(default_factory=list)
    to_agree: list[tuple[Goal, Person]] = field(default_factory=list)  # proposed to the manager
    to_acknowledge: list[Waiting] = field(default_factory=list)
    agreed: list[tuple[Goal, Person]] = field(default_factory=list)  # the manager may promise help


def teams_of(*, session: Session, actor: Actor, now: datetime) -> list[Team]:
    """The teams this person manages, or a refusal when they manage none."""
    managed = units.units_managed_by(
        session=session, team_id=actor.team_id, person_id=actor.person_id
    )
    if not managed:
        raise Refusal("not_a_manager")
    team_id = actor.team_id
    unit_ids = [u.id for u in managed if u.id is not None]
    members = units.members_of_units(session=session, team_id=team_id, unit_ids=unit_ids)
    people = {p.id: p for _, p in members if p.id is not None}
    # The manager's own goals and barriers come in the same queries (the Home shows them too).
    both = [*people, actor.person_id]
    open_goals = [
        g
        for g in goals.goals_of_owners(session=session, team_id=team_id, owner_ids=both)
        if g.status in STATES
    ]
    latest = checkins.latest_of(session=session, team_id=team_id, person_ids=list(people))
    touching = barriers.open_barriers_of_people(session=session, team_id=team_id, person_ids=both)
    by_owner: dict[int, Counter[str]] = defaultdict(Counter)
    for goal in open_goals:
        by_owner[goal.owner_id][goal.status] += 1
    barrier_count = Counter(
        person_id
        for b in touching
        for person_id in {b.reporter_id, b.holder_id}
        if person_id in people
    )
    teams = {u.id: Team(unit=u) for u in managed}
    for unit_id, person in members:
        if person.id is None or person.deleted or person.id == actor.person_id:
            continue
        member = Member(
            person, by_owner[person.id], latest.get(person.id), barrier_count[person.id]
        )
        teams[unit_id].members.append(member)
    for goal in open_goals:
        owner = people.get(goal.owner_id)
        if owner is not None and goal.unit_id in teams and goal.status == GoalStatus.PROPOSED:
            teams[goal.unit_id].to_agree.append((goal, owner))
        elif owner is not None and goal.unit_id in teams and goal.status == GoalStatus.AGREED:
            teams[goal.unit_id].agreed.append((goal, owner))
    teams[managed[0].id].to_acknowledge = _waiting(session, actor, now)
    return list(teams.values())


def _waiting(session: Session, actor: Actor, now: datetime) -> list[Waiting]:
    """The barriers this manager holds and has not acknowledged yet, with their reporters."""
    held = [
        b
        for b in barriers.open_barriers_of(
            session=session, team_id=actor.team_id, person_id=actor.person_id
        )
        if b.holder_id == actor.person_id and b.status == BarrierStatus.OPEN
    ]
    reporters = {
        p.id: p
        for p in people_store.people_by_ids(
            session=session, team_id=actor.team_id, person_ids=[b.reporter_id for b in held]
        )
    }
    return [
        Waiting(barrier=b, reporter=reporters.get(b.reporter_id), age=(now - b.reported_at).days)
        for b in held
    ]
