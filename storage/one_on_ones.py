"""1:1s between a manager and a direct report: their weekly slot and what either side added."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import AgendaItem, OneOnOne


def add_item(
    *,
    session: Session,
    team_id: str,
    manager_id: int,
    report_id: int,
    added_by_id: int,
    text: str,
    goal_id: int | None,
    now: datetime,
) -> AgendaItem:
    item = AgendaItem(
        team_id=team_id,
        manager_id=manager_id,
        report_id=report_id,
        added_by_id=added_by_id,
        goal_id=goal_id,
        text=text,
        created_at=now,
    )
    session.add(item)
    session.flush()
    return item


def items_of_pairs(
    *, session: Session, team_id: str, pairs: Sequence[tuple[int, int]], since: datetime
) -> list[AgendaItem]:
    """What either side of these (manager, report) pairs added since `since`, oldest first."""
    if not pairs:
        return []
    managers = {m for m, _ in pairs}
    rows = session.exec(
        select(AgendaItem)
        .where(
            AgendaItem.team_id == team_id,
            col(AgendaItem.manager_id).in_(managers),
            col(AgendaItem.created_at) >= since,
        )
        .order_by(col(AgendaItem.id))
    )
    wanted = set(pairs)
    return [item for item in rows if (item.manager_id, item.report_id) in wanted]


def get_schedule(
    *, session: Session, team_id: str, manager_id: int, report_id: int
) -> OneOnOne | None:
    return session.exec(
        select(OneOnOne).where(
            OneOnOne.team_id == team_id,
            OneOnOne.manager_id == manager_id,
            OneOnOne.report_id == report_id,
        )
    ).first()


def set_schedule(
    *,
    session: Session,
    team_id: str,
    manager_id: int,
    report_id: int,
    weekday: int,
    time: str,
    now: datetime,
) -> OneOnOne:
    """The pair's weekly 1:1 (one per pair: a new one replaces the old)."""
    found = get_schedule(
        session=session, team_id=team_id, manager_id=manager_id, report_id=report_id
    )
    row = found or OneOnOne(
        team_id=team_id,
        manager_id=manager_id,
        report_id=report_id,
        weekday=0,
        time="",
        created_at=now,
    )
    row.weekday, row.time, row.active = weekday, time, True
    session.add(row)
    session.flush()
    return row


def active_schedules(*, session: Session, team_id: str) -> list[OneOnOne]:
    """Every weekly 1:1 of a workspace (the tick's), in one query."""
    return list(
        session.exec(
            select(OneOnOne)
            .where(OneOnOne.team_id == team_id, col(OneOnOne.active).is_(True))
            .order_by(col(OneOnOne.id))
        )
    )
