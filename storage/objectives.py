"""Objectives: what each unit commits to in a cycle."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import true
from sqlmodel import Session, col, func, select

from storage.db import update_fields
from storage.memo import keep, recall, remembered
from storage.models import Goal, GoalStatus, Objective, ObjectiveStatus, Unit


def create_objective(
    *,
    session: Session,
    team_id: str,
    unit_id: int,
    cycle_id: int,
    title: str,
    parent_id: int | None = None,
    measure: str | None = None,
    status: ObjectiveStatus = ObjectiveStatus.DRAFT,
    position: int = 0,
    published_at: datetime | None = None,
) -> Objective:
    objective = Objective(
        team_id=team_id,
        unit_id=unit_id,
        cycle_id=cycle_id,
        title=title,
        parent_id=parent_id,
        measure=measure,
        status=status,
        position=position,
        published_at=published_at,
    )
    session.add(objective)
    session.flush()
    return objective


def list_objectives(
    *, session: Session, team_id: str, unit_id: int | None = None, cycle_id: int | None = None
) -> list[Objective]:
    query = select(Objective).where(Objective.team_id == team_id)
    if unit_id is not None:
        query = query.where(Objective.unit_id == unit_id)
    if cycle_id is not None:
        query = query.where(Objective.cycle_id == cycle_id)
    return list(session.exec(query.order_by(col(Objective.position), col(Objective.id))))


def get_objective(*, session: Session, team_id: str, objective_id: int) -> Objective | None:
    return session.exec(
        select(Objective).where(Objective.team_id == team_id, Objective.id == objective_id)
    ).first()


def published_objectives(
    *, session: Session, team_id: str, unit_id: int, cycle_id: int
) -> list[Objective]:
    return [
        o
        for o in list_objectives(
            session=session, team_id=team_id, unit_id=unit_id, cycle_id=cycle_id
        )
        if o.status == ObjectiveStatus.PUBLISHED
    ]


def update_objective(
    *, session: Session, objective: Objective, now: datetime, **fields: Any
) -> Objective:
    update_fields(session, objective, {**fields, "updated_at": now})
    return objective


def delete_objective(*, session: Session, objective: Objective) -> None:
    session.delete(objective)
    session.flush()


def children_of(*, session: Session, team_id: str, objective_id: int) -> list[Objective]:
    return list(
        session.exec(
            select(Objective)
            .where(Objective.team_id == team_id, Objective.parent_id == objective_id)
            .order_by(col(Objective.id))
        )
    )


def with_ancestors(
    *, session: Session, team_id: str, objective_ids: Collection[int | None]
) -> dict[int, Objective]:
    """These objectives and every objective above them, by id, in one (recursive) query."""
    wanted = {i for i in objective_ids if i is not None}
    if not wanted:
        return {}
    chain = (
        select(col(Objective.id), col(Objective.parent_id))
        .where(Objective.team_id == team_id, col(Objective.id).in_(wanted))
        .cte("chain", recursive=True)
    )
    above = select(col(Objective.id), col(Objective.parent_id)).join(
        chain, col(Objective.id) == chain.c.parent_id
    )
    chain = chain.union(above)  # UNION, not UNION ALL: a loop in the data still ends
    rows = session.exec(
        select(Objective).where(
            Objective.team_id == team_id, col(Objective.id).in_(select(chain.c.id))
        )
    )
    return {o.id: o for o in rows if o.id is not None}


def units_and_published(*, session: Session, team_id: str, cycle_id: int) -> list[Unit]:
    """Every unit, reading in the same query which have published objectives for this cycle:
    `units.list_units` and `published_units` then read no more (the App Home wants both)."""
    published = (
        select(Objective.id)
        .where(
            Objective.team_id == team_id,
            col(Objective.unit_id) == col(Unit.id),
            Objective.cycle_id == cycle_id,
            Objective.status == ObjectiveStatus.PUBLISHED,
        )
        .exists()
    )

    def load() -> list[Unit]:
        rows = session.exec(
            select(Unit, published).where(Unit.team_id == team_id).order_by(col(Unit.id))
        ).all()
        every = [unit for unit, _ in rows]
        keep(session, ("units", team_id), every)
        keep(session, ("published", team_id, cycle_id), {u.id for u, done in rows if done})
        return every

    return list(remembered(session, ("units_and_published", team_id, cycle_id), load))


def published_units(
    *, session: Session, team_id: str, cycle_id: int, unit_ids: Collection[int]
) -> set[int]:
    """Which of these units have published objectives for this cycle, in one query."""
    if not unit_ids:
        return set()
    known: set[int] | None = recall(session, ("published", team_id, cycle_id))
    if known is not None:
        return known & set(unit_ids)
    return set(
        session.exec(
            select(Objective.unit_id)
            .where(
                Objective.team_id == team_id,
                Objective.cycle_id == cycle_id,
                Objective.status == ObjectiveStatus.PUBLISHED,
                col(Objective.unit_id).in_(list(unit_ids)),
            )
            .distinct()
        )
    )


class ObjectiveLine(NamedTuple):
    """A published objective as a tree shows it (no ORM: a tree reads thousands)."""

    id: int
    unit_id: int
    parent_id: int | None
    title: str


def published_lines(*, session: Session, team_id: str, cycle_id: int) -> list[ObjectiveLine]:
    """Every published objective of a cycle, in the order units list them, in one query."""
    rows = session.exec(
        select(Objective.id, Objective.unit_id, Objective.parent_id, Objective.title)
        .where(
            Objective.team_id == team_id,
            Objective.cycle_id == cycle_id,
            Objective.status == ObjectiveStatus.PUBLISHED,
        )
        .order_by(col(Objective.position), col(Objective.id))
    )
    return [ObjectiveLine(id or 0, unit, parent, title) for id, unit, parent, title in rows]


def lines_below(
    *,
    session: Session,
    team_id: str,
    cycle_id: int,
    unit_ids: Collection[int] | None,
    statuses: Sequence[GoalStatus],
    at_most: int,
) -> tuple[int, bool]:
    """How many lines the published objectives of these units (None: of every unit of the
    workspace) take in a tree: one each, and one per goal in `statuses` of these units built on
    it; counted in one query, none of them read, and no further than `at_most` of each kind, so
    that a tree cut anyway never counts a whole organisation's goals: (lines, whether counting
    stopped there, so that there are more)."""

    def within(column: Any) -> Any:
        return true() if unit_ids is None else column.in_(list(unit_ids))

    published = (
        col(Objective.team_id) == team_id,
        col(Objective.cycle_id) == cycle_id,
        col(Objective.status) == ObjectiveStatus.PUBLISHED,
        within(col(Objective.unit_id)),
    )
    objectives = select(Objective.id).where(*published).limit(at_most + 1).subquery()
    built = (
        select(Goal.id)
        .join(Objective, col(Objective.id) == col(Goal.objective_id))
        .where(
            col(Goal.team_id) == team_id,
            col(Goal.cycle_id) == cycle_id,
            col(Goal.status).in_(list(statuses)),
            within(col(Goal.unit_id)),
            *published,
        )
        .limit(at_most + 1)  # one past it: whether there are more
        .subquery()
    )
    both = session.exec(
        select(
            select(func.count()).select_from(objectives).scalar_subquery(),
            select(func.count()).select_from(built).scalar_subquery(),
        )
    ).one()
    counted = [int(both[0]), int(both[1])]
    return sum(min(n, at_most) for n in counted), max(counted) > at_most


def published_objective_units(*, session: Session, team_id: str, cycle_id: int) -> dict[int, int]:
    """objective id → its unit id, for every published objective of a cycle, in one query."""
    rows = session.exec(
        select(Objective.id, Objective.unit_id).where(
            Objective.team_id == team_id,
            Objective.cycle_id == cycle_id,
            Objective.status == ObjectiveStatus.PUBLISHED,
        )
    )
    return {objective_id: unit_id for objective_id, unit_id in rows if objective_id is not None}
