"""Barriers: what gets in the way, and who holds each one now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage import people
from storage.db import update_fields
from storage.memo import keep, remembered
from storage.models import Barrier, BarrierStatus, Person


def report_barrier(
    *,
    session: Session,
    team_id: str,
    reporter_id: int,
    text: str,
    holder_id: int | None,
    goal_id: int | None = None,
    now: datetime | None = None,
) -> Barrier:
    barrier = Barrier(
        team_id=team_id,
        reporter_id=reporter_id,
        text=text,
        holder_id=holder_id,
        goal_id=goal_id,
        chain=[] if holder_id is None else [holder_id],
    )
    if now is not None:
        barrier.reported_at = now
    session.add(barrier)
    session.flush()
    return barrier


def get_barrier(
    *, session: Session, team_id: str, barrier_id: int, lock: bool = False
) -> Barrier | None:
    query = select(Barrier).where(Barrier.team_id == team_id, Barrier.id == barrier_id)
    return session.exec(query.with_for_update() if lock else query).first()


def lock_barriers(
    *, session: Session, team_id: str, barrier_ids: Sequence[int]
) -> dict[int, Barrier]:
    """These barriers, locked for update and read afresh (another process may have moved them),
    in one query."""
    query = (
        select(Barrier)
        .where(Barrier.team_id == team_id, col(Barrier.id).in_(sorted(set(barrier_ids))))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {b.id: b for b in session.exec(query) if b.id is not None}


def move_up(*, session: Session, moves: Sequence[tuple[Barrier, int]], now: datetime) -> None:
    """Each barrier to its new holder (added to its chain), escalated `now`, unacknowledged: one
    flush, which writes them all in one executemany (every row changes the same columns)."""
    for barrier, holder_id in moves:
        barrier.holder_id = holder_id
        barrier.status = BarrierStatus.OPEN
        barrier.acknowledged_at = None
        barrier.escalated_at = now
        barrier.chain = [*barrier.chain, holder_id]  # a new list, so the JSON column is written
        session.add(barrier)
    session.flush()


def update_barrier(*, session: Session, barrier: Barrier, **fields: Any) -> Barrier:
    """Change a barrier's fields (names as in the model)."""
    if "chain" in fields:
        fields["chain"] = list(fields["chain"])  # a new list, so the JSON column is written
    update_fields(session, barrier, fields)
    return barrier


def list_barriers(*, session: Session, team_id: str) -> list[Barrier]:
    return list(
        session.exec(select(Barrier).where(Barrier.team_id == team_id).order_by(col(Barrier.id)))
    )


def open_barriers_of(*, session: Session, team_id: str, person_id: int) -> list[Barrier]:
    """The unresolved barriers this person reported or holds, oldest first (with their reporters
    and holders: `people_by_ids` of them reads no more)."""
    key = ("open_barriers", team_id, person_id)
    return list(
        remembered(
            session,
            key,
            lambda: open_barriers_of_people(
                session=session, team_id=team_id, person_ids=[person_id]
            ),
        )
    )


def unacknowledged(*, session: Session, team_id: str) -> list[Barrier]:
    """Every open barrier with a holder who has not acknowledged it yet (the tick's list)."""
    return list(
        session.exec(
            select(Barrier)
            .where(
                Barrier.team_id == team_id,
                Barrier.status == BarrierStatus.OPEN,
                col(Barrier.holder_id).is_not(None),
            )
            .order_by(col(Barrier.id))
        )
    )


def open_barriers_of_people(
    *, session: Session, team_id: str, person_ids: Sequence[int]
) -> list[Barrier]:
    """Unresolved barriers any of these people reported or hold, oldest first, in one query with
    their reporters and holders; `open_barriers_of` each of them, and `people_by_ids` of those
    it names, read no more."""
    if not person_ids:
        return []
    reporter, holder = aliased(Person), aliased(Person)
    rows = session.exec(
        select(Barrier, reporter, holder)
        .join(reporter, col(reporter.id) == col(Barrier.reporter_id))
        .outerjoin(holder, col(holder.id) == col(Barrier.holder_id))
        .where(
            Barrier.team_id == team_id,
            Barrier.status != BarrierStatus.RESOLVED,
            or_(col(Barrier.reporter_id).in_(person_ids), col(Barrier.holder_id).in_(person_ids)),
        )
        .order_by(col(Barrier.reported_at), col(Barrier.id))
    ).all()
    found = [b for b, _, _ in rows]
    people.remember_people(session, team_id, [p for row in rows for p in row[1:] if p is not None])
    for person_id in person_ids:
        touching = [b for b in found if person_id in (b.reporter_id, b.holder_id)]
        keep(session, ("open_barriers", team_id, person_id), touching)
    return found


def acknowledged_by(
    *, session: Session, team_id: str, holder_ids: Sequence[int], since: datetime
) -> list[Barrier]:
    """Barriers these people acknowledged since `since` (a barrier that moves up is acknowledged
    afresh by its new holder, so its holder is who acknowledged it), in one query."""
    if not holder_ids:
        return []
    return list(
        session.exec(
            select(Barrier).where(
                Barrier.team_id == team_id,
                col(Barrier.holder_id).in_(list(holder_ids)),
                col(Barrier.acknowledged_at).is_not(None),
                col(Barrier.acknowledged_at) >= since,
            )
        )
    )


def held_by(*, session: Session, team_id: str, person_id: int) -> list[Barrier]:
    """Barriers someone else reported that this person holds (resolved ones too)."""
    query = select(Barrier).where(
        Barrier.team_id == team_id,
        Barrier.holder_id == person_id,
        Barrier.reporter_id != person_id,
    )
    return list(session.exec(query.order_by(col(Barrier.id))))
