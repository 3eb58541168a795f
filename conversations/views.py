"""Read-only views: `/goals mine` and the alignment tree (`/goals tree`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from conversations import planning
from conversations.errors import Refusal
from conversations.flow import Choice, Offer
from conversations.organisation import Actor, unit_named
from storage import barriers, cycles, goals, objectives, people, units
from storage.models import Barrier, Cycle, Goal, GoalStatus, Objective, Person, Unit

TREE_ROWS = 120  # beyond this the tree is cut, with a count and a pointer to a smaller subtree
OPEN = (GoalStatus.DRAFT, GoalStatus.PROPOSED, GoalStatus.AGREED)  # not yet closed by the owner
GOAL_BUTTONS = 10  # goals with buttons under `/goals mine` (each a row: Resume, or Change/Drop)


@dataclass(frozen=True)
class MyGoal:
    goal: Goal
    chain: list[Objective]  # org objective first … the unit objective it links to


def chain_of(session: Session, team_id: str, objective_id: int | None) -> list[Objective]:
    found: list[Objective] = []
    seen: set[int] = set()
    while objective_id is not None and objective_id not in seen:
        seen.add(objective_id)
        objective = objectives.get_objective(
            session=session, team_id=team_id, objective_id=objective_id
        )
        if objective is None:
            break
        found.append(objective)
        objective_id = objective.parent_id
    return list(reversed(found))


@dataclass(frozen=True)
class MyGoals:
    """`/goals mine`: one cycle's goals, and (for the current cycle) goals of ended cycles that
    their owner has not closed yet: a cycle's end never hides a goal."""

    cycle: Cycle | None
    mine: list[MyGoal]
    earlier: list[tuple[Cycle, list[MyGoal]]] = field(default_factory=list)

    @property
    def choices(self) -> list[tuple[Choice, ...]]:
        """Per goal, what its owner can do with it now: resume a draft, change or drop an
        agreed goal."""
        rows: list[tuple[Choice, ...]] = []
        every = [*self.mine, *(g for _, mine in self.earlier for g in mine)]
        for item in every:
            goal, value = item.goal, str(item.goal.id)
            if goal.status == GoalStatus.DRAFT:
                rows.append((Choice(Offer.RESUME_GOAL, value, context={"goal": goal}),))
            elif goal.status == GoalStatus.AGREED:
                rows.append(
                    (
                        Choice(Offer.CHANGE_GOAL, value, context={"goal": goal}),
                        Choice(Offer.DROP_GOAL, value),
                    )
                )
        return rows[:GOAL_BUTTONS]


def _mine_in(session: Session, actor: Actor, cycle: Cycle) -> list[MyGoal]:
    mine = goals.list_goals(
        session=session, team_id=actor.team_id, owner_id=actor.person_id, cycle_id=cycle.id
    )
    return [MyGoal(g, chain_of(session, actor.team_id, g.objective_id)) for g in mine]


def my_goals(
    *, session: Session, actor: Actor, now: datetime, cycle_name: str | None = None
) -> MyGoals:
    """My goals in the named cycle, else in the current one (with what is still open from
    cycles that have ended)."""
    team_id = actor.team_id
    if cycle_name:
        named = planning.named(session=session, team_id=team_id, name=cycle_name)
        return MyGoals(named, _mine_in(session, actor, named))
    cycle = planning.current(session=session, team_id=team_id, now=now)
    if cycle is None:
        return MyGoals(None, [])
    earlier = []
    for past in cycles.list_cycles(session=session, team_id=team_id):
        if past.end < cycle.start:
            still_open = [g for g in _mine_in(session, actor, past) if g.goal.status in OPEN]
            if still_open:
                earlier.append((past, still_open))
    return MyGoals(cycle, _mine_in(session, actor, cycle), earlier)


@dataclass
class Row:
    depth: int
    kind: str  # unit | objective | goal
    item: Any
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Tree:
    unit: Unit
    cycle: Cycle
    rows: list[Row]
    hidden: int


def _coverage(
    session: Session, team_id: str, unit: Unit, unit_goals: list[Goal]
) -> tuple[int, int]:
    """(members with at least one agreed goal linked to a unit objective, members)."""
    assert unit.id is not None
    members = [
        m
        for m in units.members_of(session=session, team_id=team_id, unit_id=unit.id)
        if not m.deleted
    ]
    covered = {g.owner_id for g in unit_goals if g.status == GoalStatus.AGREED and g.objective_id}
    return sum(1 for m in members if m.id in covered), len(members)


def alignment_tree(
    *,
    session: Session,
    actor: Actor,
    unit_name: str | None,
    now: datetime,
    cycle_name: str | None = None,
) -> Tree:
    """The tree below a unit (the top one by default) in a cycle (the current one by default).
    A single name may be a cycle's: `/goals tree "FY27 H1"`."""
    team_id = actor.team_id
    if (
        unit_name
        and cycle_name is None
        and units.find_unit(session=session, team_id=team_id, name=unit_name) is None
        and cycles.find_cycle(session=session, team_id=team_id, name=unit_name)
    ):
        unit_name, cycle_name = None, unit_name
    cycle = (
        planning.named(session=session, team_id=team_id, name=cycle_name)
        if cycle_name
        else planning.current(session=session, team_id=team_id, now=now)
    )
    if cycle is None or cycle.id is None:
        raise Refusal("no_active_cycle")
    if unit_name:
        top = unit_named(session=session, team_id=team_id, name=unit_name)
    else:
        roots = units.root_units(session=session, team_id=team_id)
        if not roots:
            raise Refusal("no_units_yet")
        top = roots[0]
    all_units = units.list_units(session=session, team_id=team_id)
    owners: dict[int, Person] = {
        p.id: p for p in people.list_people(session=session, team_id=team_id) if p.id
    }
    rows: list[Row] = []

    def walk(unit: Unit, depth: int, seen: set[int]) -> None:
        assert unit.id is not None and cycle is not None and cycle.id is not None
        seen.add(unit.id)
        unit_goals = goals.goals_of_unit(
            session=session, team_id=team_id, unit_id=unit.id, cycle_id=cycle.id
        )
        covered, members = _coverage(session, team_id, unit, unit_goals)
        rows.append(Row(depth, "unit", unit, {"covered": covered, "members": members}))
        for objective in objectives.published_objectives(
            session=session, team_id=team_id, unit_id=unit.id, cycle_id=cycle.id
        ):
            linked = [
                g
                for g in unit_goals
                if g.objective_id == objective.id
                and g.status not in (GoalStatus.DROPPED, GoalStatus.DRAFT)
            ]
            rows.append(Row(depth + 1, "objective", objective, {"orphan": not linked}))
            for goal in linked:
                rows.append(Row(depth + 2, "goal", goal, {"owner": owners.get(goal.owner_id)}))
        for child in all_units:
            if child.parent_id == unit.id and child.id not in seen:
                walk(child, depth + 1, seen)

    walk(top, 0, set())
    shown = rows[:TREE_ROWS]
    return Tree(unit=top, cycle=cycle, rows=shown, hidden=len(rows) - len(shown))


@dataclass(frozen=True)
class OpenBarrier:
    barrier: Barrier
    held: bool  # this person holds it (else they reported it)
    reporter: Person | None
    holder: Person | None
    age: int  # days since it was reported


def open_barriers(*, session: Session, actor: Actor, now: datetime) -> list[OpenBarrier]:
    """The unresolved barriers this person reported or holds, with their age."""
    found = barriers.open_barriers_of(
        session=session, team_id=actor.team_id, person_id=actor.person_id
    )
    ids = {b.reporter_id for b in found} | {b.holder_id for b in found if b.holder_id}
    known = {
        p.id: p for p in people.list_people(session=session, team_id=actor.team_id) if p.id in ids
    }
    return [
        OpenBarrier(
            barrier=b,
            held=b.holder_id == actor.person_id,
            reporter=known.get(b.reporter_id),
            holder=known.get(b.holder_id) if b.holder_id else None,
            age=(now - b.reported_at).days,
        )
        for b in found
    ]
