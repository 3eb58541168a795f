"""What a person can do next, given their role and the cascade's state (`/goals help`, the
Home, a DM outside any flow), with commands that run as shown in this workspace."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlmodel import Session

from conversations.actor import Actor
from conversations.services import planning
from conversations.views import examples
from conversations.views.examples import Examples
from storage import goals, objectives, units
from storage.models import Cycle, Unit


@dataclass(frozen=True)
class NextSteps:
    """What a person can do next, given their role and the cascade's state."""

    is_admin: bool
    cycle: Cycle | None
    has_units: bool
    unit: Unit | None
    unit_published: bool
    manages: list[Unit]
    parent_published: dict[str, bool]  # managed unit name → its parent unit has published
    published: dict[str, bool] = field(default_factory=dict)  # managed unit name → it has published
    goals: int = 0  # my goals in the current cycle
    running: bool = False  # whether `cycle` has started (else it is the next, and none runs)
    later: Cycle | None = None  # the cycle after `cycle`, once added
    today: date | None = None  # the workspace's
    examples: Examples | None = None  # commands that run as shown, in this workspace
    ended: Cycle | None = None  # with no cycle to plan: the one that ended last, if any


def _published(session: Session, team_id: str, unit_id: int | None, cycle: Cycle | None) -> bool:
    if cycle is None or unit_id is None or cycle.id is None:
        return False
    return bool(
        objectives.published_units(
            session=session, team_id=team_id, cycle_id=cycle.id, unit_ids=[unit_id]
        )
    )


def units_in(*, session: Session, team_id: str, cycle: Cycle | None) -> list[Unit]:
    """Every unit, read once for the rest of the transaction, with which have published their
    objectives for `cycle`: a view that asks about several units (mine, those I manage, their
    parents, examples) then reads no more."""
    if cycle is None or cycle.id is None:
        return units.list_units(session=session, team_id=team_id)
    return objectives.units_and_published(session=session, team_id=team_id, cycle_id=cycle.id)


def next_steps(*, session: Session, actor: Actor, now: datetime | None = None) -> NextSteps:
    """What `actor` can do next, in the current cycle (the running one, else the next)."""
    team_id = actor.team_id
    now = now or datetime.now(UTC)
    cycle = planning.current(session=session, team_id=team_id, now=now)
    today = planning.today(session=session, team_id=team_id, now=now)
    units_in(session=session, team_id=team_id, cycle=cycle)  # what follows asks of them again
    unit = units.unit_of(session=session, team_id=team_id, person_id=actor.person_id)
    manages = units.units_managed_by(session=session, team_id=team_id, person_id=actor.person_id)
    asked = {u.id for u in manages} | {u.parent_id for u in manages} | {unit.id if unit else None}
    published = (
        objectives.published_units(
            session=session,
            team_id=team_id,
            cycle_id=cycle.id,
            unit_ids=[i for i in asked if i is not None],
        )
        if cycle is not None and cycle.id is not None
        else set()
    )
    return NextSteps(
        is_admin=actor.is_admin,
        cycle=cycle,
        has_units=units.any_units(session=session, team_id=team_id),
        unit=unit,
        unit_published=unit is not None and unit.id in published,
        manages=manages,
        goals=sum(  # of the person's goals (read once, as `my_goals` reads them)
            g.cycle_id == cycle.id
            for g in goals.list_goals(session=session, team_id=team_id, owner_id=actor.person_id)
        )
        if cycle is not None
        else 0,
        published={m.name: m.id in published for m in manages},
        parent_published={m.name: m.parent_id is None or m.parent_id in published for m in manages},
        running=cycle is not None and cycle.start <= today,
        later=planning.after(session=session, team_id=team_id, cycle=cycle) if cycle else None,
        today=today,
        examples=examples.examples(session=session, actor=actor, now=now),
        ended=planning.ended(session=session, team_id=team_id, now=now) if cycle is None else None,
    )
