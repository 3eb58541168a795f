"""Planning cycles. Cycles never overlap; which one is active follows from the dates alone: the
one whose dates contain today (the workspace's today), so adding a future cycle changes nothing
until it starts."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, func, select

from storage import workspaces
from storage.models import Cycle


def add_cycle(*, session: Session, team_id: str, name: str, start: date, end: date) -> Cycle:
    """Create a cycle (the caller has checked that it overlaps no other)."""
    cycle = Cycle(team_id=team_id, name=name, start=start, end=end)
    session.add(cycle)
    session.flush()
    return cycle


def running_cycle(*, session: Session, team_id: str, today: date) -> Cycle | None:
    """The cycle whose dates contain `today`, if any."""
    listed = list_cycles(session=session, team_id=team_id)
    return next((c for c in listed if c.start <= today <= c.end), None)


def upcoming_cycle(*, session: Session, team_id: str, after: date) -> Cycle | None:
    """The first cycle that starts after `after`."""
    return next((c for c in list_cycles(session=session, team_id=team_id) if c.start > after), None)


def current_cycle(*, session: Session, team_id: str, today: date) -> Cycle | None:
    """The cycle people work on: the running one, else the next to start. Cycles never overlap,
    so that is the first, by start, that has not ended."""
    return next((c for c in list_cycles(session=session, team_id=team_id) if c.end >= today), None)


def overlapping_cycle(*, session: Session, team_id: str, start: date, end: date) -> Cycle | None:
    """A cycle that shares at least one day with `start`–`end`."""
    return session.exec(
        select(Cycle)
        .where(Cycle.team_id == team_id, Cycle.start <= end, Cycle.end >= start)
        .order_by(col(Cycle.start))
    ).first()


def get_cycle(*, session: Session, team_id: str, cycle_id: int) -> Cycle | None:
    return session.exec(select(Cycle).where(Cycle.team_id == team_id, Cycle.id == cycle_id)).first()


def find_cycle(*, session: Session, team_id: str, name: str) -> Cycle | None:
    return session.exec(
        select(Cycle).where(Cycle.team_id == team_id, func.lower(Cycle.name) == func.lower(name))
    ).first()


def list_cycles(*, session: Session, team_id: str) -> list[Cycle]:
    """A workspace's cycles, in date order (a few dozen at most: read once per transaction, with
    the workspace)."""
    return list(workspaces.calendar(session=session, team_id=team_id)[1])
