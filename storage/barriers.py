"""Barriers: what gets in the way, and who holds each one now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from storage.db import update_fields
from storage.models import Barrier, BarrierStatus


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
    """The unresolved barriers this person reported or holds, oldest first."""
    return list(
        session.exec(
            select(Barrier)
            .where(
                Barrier.team_id == team_id,
                Barrier.status != BarrierStatus.RESOLVED,
                or_(col(Barrier.reporter_id) == person_id, col(Barrier.holder_id) == person_id),
            )
            .order_by(col(Barrier.reported_at), col(Barrier.id))
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
    """Unresolved barriers any of these people reported or hold, in one query."""
    if not person_ids:
        return []
    return list(
        session.exec(
            select(Barrier)
            .where(
                Barrier.team_id == team_id,
                Barrier.status != BarrierStatus.RESOLVED,
                or_(
                    col(Barrier.reporter_id).in_(person_ids), col(Barrier.holder_id).in_(person_ids)
                ),
            )
            .order_by(col(Barrier.id))
        )
    )
