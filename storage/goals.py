"""Personal goals."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import Goal


def create_goal(
    *,
    session: Session,
    team_id: str,
    owner_id: int,
    unit_id: int,
    cycle_id: int,
    objective_id: int | None,
    statement: str,
) -> Goal:
    goal = Goal(
        team_id=team_id,
        owner_id=owner_id,
        unit_id=unit_id,
        cycle_id=cycle_id,
        objective_id=objective_id,
        statement=statement,
    )
    session.add(goal)
    session.flush()
    return goal


def list_goals(
    *, session: Session, team_id: str, owner_id: int | None = None, cycle_id: int | None = None
) -> list[Goal]:
    query = select(Goal).where(Goal.team_id == team_id)
    if owner_id is not None:
        query = query.where(Goal.owner_id == owner_id)
    if cycle_id is not None:
        query = query.where(Goal.cycle_id == cycle_id)
    return list(session.exec(query.order_by(col(Goal.id))))
