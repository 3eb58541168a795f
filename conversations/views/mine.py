"""`/goals mine`: a person's goals with the chain each serves, and their open barriers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from conversations.actor import Actor
from conversations.offers import Choice, Offer
from conversations.services import planning
from storage import barriers, cycles, goals, objectives, people
from storage.models import (
    Barrier,
    Cycle,
    Goal,
    GoalStatus,
    Objective,
    Person,
)

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
    just_ended: bool = False  # `cycle` has ended and the next has not started
    next_cycle: Cycle | None = None  # then: the next, if an admin has added it
    planned_next: int = 0  # then: my goals already set for the next

    @property
    def results(self) -> dict[str, int]:
        """How many of this cycle's goals ended each way (draft, proposed and agreed count as
        not closed)."""
        counted = {"achieved": 0, "missed": 0, "dropped": 0, "open": 0}
        for item in self.mine:
            status = item.goal.status
            counted["open" if status in OPEN else str(status)] += 1
        return counted

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


def _with_chains(session: Session, team_id: str, mine: list[Goal]) -> list[MyGoal]:
    """Each goal with its chain of objectives, read a level of the tree at a time (a query per
    level, however many goals)."""
    known = objectives.with_ancestors(
        session=session, team_id=team_id, objective_ids={g.objective_id for g in mine}
    )

    def chain(objective_id: int | None) -> list[Objective]:
        found: list[Objective] = []
        while objective_id in known and known[objective_id] not in found:
            found.append(known[objective_id])
            objective_id = known[objective_id].parent_id
        return list(reversed(found))

    return [MyGoal(g, chain(g.objective_id)) for g in mine]


def my_goals(
    *, session: Session, actor: Actor, now: datetime, cycle_name: str | None = None
) -> MyGoals:
    """My goals in the named cycle, else in the current one (with what is still open from
    cycles that have ended)."""
    team_id = actor.team_id
    view = (
        planning.InView(planning.named(session=session, team_id=team_id, name=cycle_name))
        if cycle_name
        else planning.in_view(session=session, team_id=team_id, now=now)
    )
    cycle = view.cycle
    if cycle is None:
        return MyGoals(None, [])
    every = goals.list_goals(session=session, team_id=team_id, owner_id=actor.person_id)
    ended = {
        c.id: c
        for c in cycles.list_cycles(session=session, team_id=team_id)
        if c.end < cycle.start and not cycle_name
    }
    shown = [
        g for g in every if g.cycle_id == cycle.id or (g.cycle_id in ended and g.status in OPEN)
    ]
    chained = {m.goal.id: m for m in _with_chains(session, team_id, shown)}
    earlier = []
    for past in ended.values():
        still_open = [chained[g.id] for g in shown if g.cycle_id == past.id]
        if still_open:
            earlier.append((past, still_open))
    mine = [chained[g.id] for g in shown if g.cycle_id == cycle.id]
    coming = view.next.id if view.next else None
    return MyGoals(
        cycle,
        mine,
        earlier,
        just_ended=view.just_ended,
        next_cycle=view.next,
        planned_next=sum(1 for g in every if coming is not None and g.cycle_id == coming),
    )


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
        p.id: p
        for p in people.people_by_ids(session=session, team_id=actor.team_id, person_ids=ids)
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
