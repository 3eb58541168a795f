"""Check-ins: dated progress reports on goals."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import CheckIn, Confidence


def record_checkin(
    *,
    session: Session,
    team_id: str,
    goal_id: int,
    person_id: int,
    progress: int,
    confidence: Confidence,
    note: str | None = None,
) -> CheckIn:
    checkin = CheckIn(
        team_id=team_id,
        goal_id=goal_id,
        person_id=person_id,
        progress=progress,
        confidence=confidence,
        note=note,
    )
    session.add(checkin)
    session.flush()
    return checkin


def list_checkins(*, session: Session, team_id: str, goal_id: int | None = None) -> list[CheckIn]:
    query = select(CheckIn).where(CheckIn.team_id == team_id)
    if goal_id is not None:
        query = query.where(CheckIn.goal_id == goal_id)
    return list(session.exec(query.order_by(col(CheckIn.at), col(CheckIn.id))))
