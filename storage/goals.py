"""Personal goals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from storage.db import update_fields
from storage.memo import keep, recall, remembered
from storage.models import ALIGNING, Goal, GoalStatus, Membership, Person


def create_goal(
    *,
    session: Session,
    team_id: str,
    owner_id: int,
    unit_id: int,
    cycle_id: int,
    objective_id: int | None,
    statement: str,
    now: datetime | None = None,
) -> Goal:
    goal = Goal(
        team_id=team_id,
        owner_id=owner_id,
        unit_id=unit_id,
        cycle_id=cycle_id,
        objective_id=objective_id,
        statement=statement,
    )
    if now is not None:
        goal.created_at = goal.updated_at = now
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
    key = ("goals", team_id, owner_id, cycle_id)
    return list(remembered(session, key, lambda: list(session.exec(query.order_by(col(Goal.id))))))


def get_goal(*, session: Session, team_id: str, goal_id: int) -> Goal | None:
    return session.exec(select(Goal).where(Goal.team_id == team_id, Goal.id == goal_id)).first()


def update_goal(*, session: Session, goal: Goal, now: datetime, **fields: Any) -> Goal:
    """Change a goal's fields (names as in the model)."""
    update_fields(session, goal, {**fields, "updated_at": now})
    return goal


def goals_linked_to(*, session: Session, team_id: str, objective_id: int) -> list[Goal]:
    return list(
        session.exec(
            select(Goal)
            .where(Goal.team_id == team_id, Goal.objective_id == objective_id)
            .order_by(col(Goal.id))
        )
    )


def goals_of_unit(*, session: Session, team_id: str, unit_id: int, cycle_id: int) -> list[Goal]:
    return list(
        session.exec(
            select(Goal)
            .where(Goal.team_id == team_id, Goal.unit_id == unit_id, Goal.cycle_id == cycle_id)
            .order_by(col(Goal.id))
        )
    )


@dataclass(slots=True, eq=False)
class GoalRow:
    """A goal as the tick's rules and their messages read it: plain data, each field the column
    of `Goal` of that name (not its lifecycle's timestamps and notes, which no nudge reads)."""

    id: int | None
    team_id: str
    owner_id: int
    unit_id: int
    cycle_id: int
    objective_id: int | None
    statement: str
    measure: str | None
    due: date | None
    status: str
    progress: int
    confidence: str | None
    updated_at: datetime


GoalLike = Goal | GoalRow  # what code that only reads a goal accepts
OPEN = (GoalStatus.DRAFT, GoalStatus.PROPOSED, GoalStatus.AGREED)


def open_goals(*, session: Session, team_id: str) -> list[Goal]:
    """Every goal still in play (draft, proposed or agreed), in every cycle, in one query."""
    return list(
        session.exec(
            select(Goal)
            .where(
                Goal.team_id == team_id,
                col(Goal.status).in_((GoalStatus.DRAFT, GoalStatus.PROPOSED, GoalStatus.AGREED)),
            )
            .order_by(col(Goal.id))
        )
    )


def goals_of_owners(*, session: Session, team_id: str, owner_ids: Sequence[int]) -> list[Goal]:
    """These people's goals, in one query (none when this transaction has read them already);
    `list_goals` of each of them reads no more."""
    if not owner_ids:
        return []
    known = [recall(session, ("goals", team_id, owner_id, None)) for owner_id in owner_ids]
    if all(k is not None for k in known):
        return sorted((g for owned in known for g in owned), key=lambda g: g.id or 0)
    found = list(
        session.exec(
            select(Goal)
            .where(Goal.team_id == team_id, col(Goal.owner_id).in_(owner_ids))
            .order_by(col(Goal.id))
        )
    )
    by_owner: dict[int, list[Goal]] = {owner_id: [] for owner_id in owner_ids}
    for goal in found:
        by_owner[goal.owner_id].append(goal)
    for owner_id, owned in by_owner.items():
        keep(session, ("goals", team_id, owner_id, None), owned)
    return found


def _covering(team_id: str, cycle_id: int) -> tuple[ColumnElement[bool], ...]:
    """The goals that cover their owner: agreed (or since achieved or missed), linked to an
    objective, in this cycle, owned by a member (the first condition joins Membership on the
    owner)."""
    return (
        col(Membership.person_id) == col(Goal.owner_id),
        col(Goal.team_id) == team_id,
        col(Goal.cycle_id) == cycle_id,
        col(Goal.status).in_(ALIGNING),
        col(Goal.objective_id).is_not(None),
    )


def coverage(*, session: Session, team_id: str, cycle_id: int) -> tuple[int, int]:
    """(members with an agreed goal linked to an objective in this cycle, members), counted in
    the database in one query."""
    covered = (
        select(func.count(func.distinct(Goal.owner_id)))
        .where(*_covering(team_id, cycle_id))
        .scalar_subquery()
    )
    members = (
        select(func.count()).select_from(Membership).where(Membership.team_id == team_id)
    ).scalar_subquery()
    both = session.exec(select(covered, members)).one()
    return int(both[0]), int(both[1])


def agreed_owner_units(
    *, session: Session, team_id: str, cycle_id: int, member_of: Sequence[int]
) -> set[tuple[int, int]]:
    """(owner id, unit id) of the agreed goals linked to an objective in a cycle whose owners
    belong to these units, in one query."""
    if not member_of:
        return set()
    return set(
        session.exec(
            select(Goal.owner_id, Goal.unit_id)
            .where(*_covering(team_id, cycle_id), col(Membership.unit_id).in_(list(member_of)))
            .distinct()
        )
    )


def counts_by_objective(
    *, session: Session, team_id: str, cycle_id: int, statuses: Sequence[GoalStatus]
) -> list[tuple[int, int, int]]:
    """(objective id, unit id, goals) for a cycle's goals in these statuses, in one query."""
    rows = session.exec(
        select(Goal.objective_id, Goal.unit_id, func.count())
        .where(
            Goal.team_id == team_id,
            Goal.cycle_id == cycle_id,
            col(Goal.status).in_(list(statuses)),
            col(Goal.objective_id).is_not(None),
        )
        .group_by(col(Goal.objective_id), col(Goal.unit_id))
    )
    return [(objective or 0, unit, count) for objective, unit, count in rows]


def goals_with_owners(
    *,
    session: Session,
    team_id: str,
    cycle_id: int,
    objective_ids: Sequence[int],
    statuses: Sequence[GoalStatus],
) -> list[tuple[Goal, Person | None]]:
    """A cycle's goals in these statuses built on these objectives, each with its owner, in id
    order, in one query."""
    if not objective_ids:
        return []
    rows = session.exec(
        select(Goal, Person)
        .outerjoin(Person, col(Person.id) == col(Goal.owner_id))
        .where(
            Goal.team_id == team_id,
            Goal.cycle_id == cycle_id,
            col(Goal.status).in_(list(statuses)),
            col(Goal.objective_id).in_(list(objective_ids)),
        )
        .order_by(col(Goal.id))
    )
    return [(goal, owner) for goal, owner in rows]
