"""Units (the organisation tree) and who belongs to which."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from storage.models import Membership, Person, Unit


def create_unit(
    *, session: Session, team_id: str, name: str, parent_id: int | None, manager_id: int | None
) -> Unit:
    unit = Unit(team_id=team_id, name=name, parent_id=parent_id, manager_id=manager_id)
    session.add(unit)
    session.flush()
    return unit


def get_unit(*, session: Session, team_id: str, unit_id: int) -> Unit | None:
    return session.exec(select(Unit).where(Unit.team_id == team_id, Unit.id == unit_id)).first()


def find_unit(*, session: Session, team_id: str, name: str) -> Unit | None:
    """A unit by name, ignoring case."""
    return session.exec(
        select(Unit).where(Unit.team_id == team_id, func.lower(Unit.name) == func.lower(name))
    ).first()


def list_units(*, session: Session, team_id: str) -> list[Unit]:
    return list(session.exec(select(Unit).where(Unit.team_id == team_id).order_by(col(Unit.id))))


def root_units(*, session: Session, team_id: str) -> list[Unit]:
    return [u for u in list_units(session=session, team_id=team_id) if u.parent_id is None]


def units_managed_by(*, session: Session, team_id: str, person_id: int) -> list[Unit]:
    return list(
        session.exec(
            select(Unit)
            .where(Unit.team_id == team_id, Unit.manager_id == person_id)
            .order_by(col(Unit.id))
        )
    )


def unit_of(*, session: Session, team_id: str, person_id: int) -> Unit | None:
    """The unit a person belongs to."""
    return session.exec(
        select(Unit)
        .join(Membership, col(Membership.unit_id) == col(Unit.id))
        .where(Membership.team_id == team_id, Membership.person_id == person_id)
    ).first()


def members_of(*, session: Session, team_id: str, unit_id: int) -> list[Person]:
    return list(
        session.exec(
            select(Person)
            .join(Membership, col(Membership.person_id) == col(Person.id))
            .where(Membership.team_id == team_id, Membership.unit_id == unit_id)
            .order_by(col(Person.name))
        )
    )


def memberships(*, session: Session, team_id: str) -> dict[int, int]:
    """person id → unit id, for everyone who belongs to a unit."""
    rows = session.exec(select(Membership).where(Membership.team_id == team_id))
    return {m.person_id: m.unit_id for m in rows}


def set_unit_of(*, session: Session, team_id: str, person_id: int, unit_id: int | None) -> bool:
    """Move a person into a unit (or out of every unit); returns whether anything changed."""
    membership = session.exec(
        select(Membership).where(Membership.team_id == team_id, Membership.person_id == person_id)
    ).first()
    if membership is not None and membership.unit_id == unit_id:
        return False
    if membership is None and unit_id is None:
        return False
    if membership is not None and unit_id is None:
        session.delete(membership)
    elif membership is not None and unit_id is not None:
        membership.unit_id = unit_id
    elif unit_id is not None:
        session.add(Membership(team_id=team_id, person_id=person_id, unit_id=unit_id))
    session.flush()
    return True


def set_members(
    *, session: Session, team_id: str, unit_id: int, person_ids: list[int]
) -> tuple[list[int], list[int]]:
    """Make exactly these people the unit's members; returns (added, removed) person ids."""
    current = {p.id for p in members_of(session=session, team_id=team_id, unit_id=unit_id)}
    wanted = set(person_ids)
    added = [p for p in person_ids if p not in current]
    removed = sorted(p for p in current if p is not None and p not in wanted)
    for person_id in removed:
        set_unit_of(session=session, team_id=team_id, person_id=person_id, unit_id=None)
    for person_id in added:
        set_unit_of(session=session, team_id=team_id, person_id=person_id, unit_id=unit_id)
    return added, removed
