"""Barriers: what gets in the way, and who holds each one now."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import Barrier


def report_barrier(
    *,
    session: Session,
    team_id: str,
    reporter_id: int,
    text: str,
    holder_id: int | None,
    goal_id: int | None = None,
) -> Barrier:
    barrier = Barrier(
        team_id=team_id, reporter_id=reporter_id, text=text, holder_id=holder_id, goal_id=goal_id
    )
    session.add(barrier)
    session.flush()
    return barrier


def list_barriers(*, session: Session, team_id: str) -> list[Barrier]:
    return list(
        session.exec(select(Barrier).where(Barrier.team_id == team_id).order_by(col(Barrier.id)))
    )
