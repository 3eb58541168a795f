"""Planning cycles; one per workspace is active."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, func, select

from storage.models import Cycle


def add_cycle(*, session: Session, team_id: str, name: str, start: date, end: date) -> Cycle:
    """Create a cycle and make it the active one."""
    for other in list_cycles(session=session, team_id=team_id):
        other.active = False
    cycle = Cycle(team_id=team_id, name=name, start=start, end=end, active=True)
    session.add(cycle)
    session.flush()
    return cycle


def active_cycle(*, session: Session, team_id: str) -> Cycle | None:
    return session.exec(
        select(Cycle).where(Cycle.team_id == team_id, col(Cycle.active).is_(True))
    ).first()


def find_cycle(*, session: Session, team_id: str, name: str) -> Cycle | None:
    return session.exec(
        select(Cycle).where(Cycle.team_id == team_id, func.lower(Cycle.name) == func.lower(name))
    ).first()


def list_cycles(*, session: Session, team_id: str) -> list[Cycle]:
    return list(session.exec(select(Cycle).where(Cycle.team_id == team_id).order_by(col(Cycle.id))))
