"""Check-ins: dated progress reports on goals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, func, select

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
    at: datetime | None = None,
    week: str | None = None,
) -> CheckIn:
    checkin = CheckIn(
        team_id=team_id,
        goal_id=goal_id,
        person_id=person_id,
        progress=progress,
        confidence=confidence,
        note=note,
        week=week,
    )
    if at is not None:
        checkin.at = at
    session.add(checkin)
    session.flush()
    return checkin


def list_checkins(*, session: Session, team_id: str, goal_id: int | None = None) -> list[CheckIn]:
    query = select(CheckIn).where(CheckIn.team_id == team_id)
    if goal_id is not None:
        query = query.where(CheckIn.goal_id == goal_id)
    return list(session.exec(query.order_by(col(CheckIn.at), col(CheckIn.id))))


def last_checkin_at(
    *, session: Session, team_id: str, person_ids: Sequence[int]
) -> dict[int, datetime]:
    """When each of these people last checked in, in one query."""
    if not person_ids:
        return {}
    rows = session.exec(
        select(CheckIn.person_id, func.max(CheckIn.at))
        .where(CheckIn.team_id == team_id, col(CheckIn.person_id).in_(person_ids))
        .group_by(col(CheckIn.person_id))
    )
    return {person_id: at for person_id, at in rows if at is not None}


def checked_in(*, session: Session, team_id: str, weeks: Sequence[str]) -> set[tuple[int, str]]:
    """(person id, week) for everyone who checked in during these weeks, in one query."""
    if not weeks:
        return set()
    rows = session.exec(
        select(CheckIn.person_id, CheckIn.week)
        .where(CheckIn.team_id == team_id, col(CheckIn.week).in_(weeks))
        .distinct()
    )
    return {(person_id, week or "") for person_id, week in rows}


def latest_of(*, session: Session, team_id: str, person_ids: Sequence[int]) -> dict[int, CheckIn]:
    """Each of these people's latest check-in, in one query."""
    if not person_ids:
        return {}
    latest = (
        select(CheckIn.person_id, func.max(CheckIn.at).label("at"))
        .where(CheckIn.team_id == team_id, col(CheckIn.person_id).in_(person_ids))
        .group_by(col(CheckIn.person_id))
        .subquery()
    )
    rows = session.exec(
        select(CheckIn)
        .join(
            latest,
            (col(CheckIn.person_id) == latest.c.person_id) & (col(CheckIn.at) == latest.c.at),
        )
        .where(CheckIn.team_id == team_id)
        .order_by(col(CheckIn.id))
    )
    return {c.person_id: c for c in rows}


def recent_of_goals(
    *, session: Session, team_id: str, goal_ids: Sequence[int], limit: int = 4
) -> dict[int, list[CheckIn]]:
    """The last `limit` check-ins of each goal, oldest first, in one query."""
    if not goal_ids:
        return {}
    ranked = (
        select(
            col(CheckIn.id).label("id"),
            func.row_number()
            .over(
                partition_by=col(CheckIn.goal_id),
                order_by=(col(CheckIn.at).desc(), col(CheckIn.id).desc()),
            )
            .label("rank"),
        )
        .where(CheckIn.team_id == team_id, col(CheckIn.goal_id).in_(list(goal_ids)))
        .subquery()
    )
    rows = session.exec(
        select(CheckIn)
        .join(ranked, col(CheckIn.id) == ranked.c.id)
        .where(ranked.c.rank <= limit)
        .order_by(col(CheckIn.at), col(CheckIn.id))
    )
    found: dict[int, list[CheckIn]] = {}
    for checkin in rows:
        found.setdefault(checkin.goal_id, []).append(checkin)
    return found
