"""Units (the organisation tree) and who belongs to which."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, delete, insert, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, func, select

from storage import people
from storage.db import expire_rows, insert_rows, plain_rows, restricted_to, table_of, update_rows
from storage.memo import keep, recall, remembered
from storage.models import ALIGNING, Goal, Membership, Person, Unit, utcnow


class UnitRow(NamedTuple):
    """A unit's place in the tree, without the ORM: what a bulk import reads and writes."""

    id: int
    name: str
    parent_id: int | None
    manager_id: int | None
    manager_user_id: str | None = None  # read with it: the Slack user id of its manager
    manager_tz: str | None = None


UnitLike = Unit | UnitRow  # what code that only reads a unit's place in the tree accepts


class NewUnit(NamedTuple):
    name: str
    parent_id: int | None
    manager_id: int | None


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
    """Every unit of the workspace (read once per transaction: composed views ask again)."""
    query = select(Unit).where(Unit.team_id == team_id).order_by(col(Unit.id))
    return list(remembered(session, ("units", team_id), lambda: list(session.exec(query))))


def root_units(*, session: Session, team_id: str) -> list[Unit]:
    return [u for u in list_units(session=session, team_id=team_id) if u.parent_id is None]


def units_managed_by(*, session: Session, team_id: str, person_id: int) -> list[Unit]:
    every: list[Unit] | None = recall(session, ("units", team_id))
    if every is not None:
        return [u for u in every if u.manager_id == person_id]
    query = (
        select(Unit)
        .where(Unit.team_id == team_id, Unit.manager_id == person_id)
        .order_by(col(Unit.id))
    )
    return list(
        remembered(session, ("managed", team_id, person_id), lambda: list(session.exec(query)))
    )


def unit_of(*, session: Session, team_id: str, person_id: int) -> Unit | None:
    """The unit a person belongs to."""
    placed: tuple[int | None] | None = recall(session, ("unit_of", team_id, person_id))
    if placed is not None:
        return None if placed[0] is None else session.get(Unit, placed[0])
    return session.exec(
        select(Unit)
        .join(Membership, col(Membership.unit_id) == col(Unit.id))
        .where(Membership.team_id == team_id, Membership.person_id == person_id)
    ).first()


def members_of(*, session: Session, team_id: str, unit_id: int) -> list[Person]:
    read: list[Person] | None = recall(session, ("members", team_id, unit_id))
    if read is not None:
        return list(read)
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
    rows = session.exec(  # two columns, no ORM objects: the tick reads everyone's every hour
        select(Membership.person_id, Membership.unit_id).where(Membership.team_id == team_id)
    )
    return dict(rows.all())


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


def unit_rows(*, session: Session, team_id: str) -> list[UnitRow]:
    """Every unit of the workspace as plain rows with its manager's user id and time zone, in id
    order, in one query (once per transaction: the summary's schedule and its numbers both ask)."""

    def load() -> list[UnitRow]:
        rows = plain_rows(
            session,
            core_select(
                col(Unit.id),
                col(Unit.name),
                col(Unit.parent_id),
                col(Unit.manager_id),
                col(Person.user_id),
                col(Person.tz),
            )
            .outerjoin(Person, col(Person.id) == col(Unit.manager_id))
            .where(col(Unit.team_id) == team_id)
            .order_by(col(Unit.id)),
        )
        return [UnitRow(i or 0, n, parent, m, user, tz) for i, n, parent, m, user, tz in rows]

    return list(remembered(session, ("unit_rows", team_id), load))


def unit_outline(*, session: Session, team_id: str) -> list[UnitRow]:
    """Every unit of the workspace as plain rows, in id order, in one query: its place in the
    tree and its name, not its manager's user id or time zone (a tree of ten thousand units is
    drawn without reading its ten thousand managers)."""
    rows = plain_rows(
        session,
        core_select(col(Unit.id), col(Unit.name), col(Unit.parent_id), col(Unit.manager_id))
        .where(col(Unit.team_id) == team_id)
        .order_by(col(Unit.id)),
    )
    return [UnitRow(i, name, parent, manager) for i, name, parent, manager in rows]


def create_units(*, session: Session, team_id: str, units: Sequence[NewUnit]) -> list[int]:
    """Insert units (names unique in the workspace) in one statement, then read their ids in
    another: a list in the same order. (INSERT … RETURNING in parameter order would insert one
    row at a time on SQLite.)"""
    if not units:
        return []
    at = utcnow()
    rows = [{"team_id": team_id, "created_at": at, **unit._asdict()} for unit in units]
    insert_rows(session, insert(table_of(Unit)), rows)
    names = [unit.name for unit in units]
    query: Select[Any] = core_select(table_of(Unit).c.name, table_of(Unit).c.id)
    query = restricted_to(session, query.where(col(Unit.team_id) == team_id), col(Unit.name), names)
    ids: dict[str, int] = {name: unit_id for name, unit_id in session.execute(query)}
    return [ids[name] or 0 for name in names]


def rename_units(*, session: Session, team_id: str, units: Sequence[UnitRow]) -> None:
    """Set each unit's name and manager, by id, in the order given: one statement run once per
    unit (a unit may appear twice), since a rename may free the name the next one takes."""
    if not units:
        return
    params = [{"id": u.id, "name": u.name, "manager_id": u.manager_id} for u in units]
    scoped = update(Unit).where(col(Unit.team_id) == team_id)
    session.execute(scoped.execution_options(synchronize_session=None), params)
    expire_rows(session, Unit, {unit.id for unit in units})


def set_parents(*, session: Session, team_id: str, parents: Mapping[int, int | None]) -> None:
    """Give these units (by id) these parents, in one statement."""
    table = table_of(Unit)
    rows = [{"id": unit_id, "parent_id": parent_id} for unit_id, parent_id in parents.items()]
    update_rows(session, table, rows, where=[table.c.team_id == team_id])
    expire_rows(session, Unit, set(parents))


def set_units_of(*, session: Session, team_id: str, units: Mapping[int, int | None]) -> int:
    """Move each person id into its unit (None: out of every unit). One read of the workspace's
    memberships, then at most one INSERT, one UPDATE and one DELETE; returns how many moved."""
    if not units:
        return 0
    current = memberships(session=session, team_id=team_id)
    joins: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    leaves: list[int] = []
    for person_id, unit_id in units.items():
        now_in = current.get(person_id)
        if now_in == unit_id:
            continue
        if unit_id is None:
            leaves.append(person_id)
        elif now_in is None:
            joins.append({"team_id": team_id, "person_id": person_id, "unit_id": unit_id})
        else:
            moves.append({"person_id": person_id, "unit_id": unit_id})
    table = table_of(Membership)
    insert_rows(session, insert(table), joins)
    update_rows(session, table, moves, key="person_id", where=[table.c.team_id == team_id])
    if leaves:
        session.execute(
            delete(Membership)
            .where(col(Membership.team_id) == team_id, col(Membership.person_id).in_(leaves))
            .execution_options(synchronize_session=False)
        )
    if moves or leaves:
        for row in list(session.identity_map.values()):
            if isinstance(row, Membership) and row.team_id == team_id:
                session.expire(row)
    return len(joins) + len(moves) + len(leaves)


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


def members_of_units(
    *, session: Session, team_id: str, unit_ids: Sequence[int]
) -> list[tuple[int, Person]]:
    """(unit id, person) for every member of these units, by name, in one query (none when this
    transaction has read them already)."""
    if not unit_ids:
        return []
    known = [recall(session, ("members", team_id, unit_id)) for unit_id in unit_ids]
    if all(k is not None for k in known):
        pairs = [(u, p) for u, members in zip(unit_ids, known, strict=True) for p in members]
        return sorted(pairs, key=lambda pair: pair[1].name)
    rows = session.exec(
        select(Membership.unit_id, Person)
        .join(Person, col(Membership.person_id) == col(Person.id))
        .where(col(Membership.team_id) == team_id, col(Membership.unit_id).in_(unit_ids))
        .order_by(col(Person.name))
    )
    found = [(unit_id, person) for unit_id, person in rows]
    by_unit: dict[int, list[Person]] = {unit_id: [] for unit_id in unit_ids}
    for unit_id, person in found:
        by_unit[unit_id].append(person)
    for unit_id, members in by_unit.items():  # `members_of` these units reads no more
        keep(session, ("members", team_id, unit_id), members)
    people.remember_people(session, team_id, (person for _, person in found))
    return found


def any_units(*, session: Session, team_id: str) -> bool:
    """Whether this workspace has a unit yet."""
    every: list[Unit] | None = recall(session, ("units", team_id))
    if every is not None:
        return bool(every)
    return session.exec(select(Unit.id).where(Unit.team_id == team_id).limit(1)).first() is not None


def head_tz(*, session: Session, team_id: str) -> str | None:
    """The time zone of the head of the organisation (the root unit's manager), if there is one."""
    roots = [u for u in unit_rows(session=session, team_id=team_id) if u.parent_id is None]
    return next((u.manager_tz for u in roots if u.manager_tz), None)


class MemberName(NamedTuple):
    """Who belongs to a unit, as a view names them (no ORM: a tree reads thousands)."""

    unit_id: int
    person_id: int
    name: str
    user_id: str


class CoveredMember(NamedTuple):
    """A member of a unit, with the unit of one goal that covers them (None: no goal does)."""

    member: MemberName
    goal_unit_id: int | None


def members_and_cover(
    *, session: Session, team_id: str, cycle_id: int, unit_ids: Sequence[int]
) -> list[CoveredMember]:
    """The members of these units who are still in Slack and not bots, each with the unit of
    every goal that covers them (agreed, or since achieved or missed, linked to an objective, in
    this cycle), one row per member and goal, or one with None: in one query."""
    if not unit_ids:
        return []
    covering = and_(
        col(Goal.owner_id) == col(Person.id),
        col(Goal.team_id) == team_id,
        col(Goal.cycle_id) == cycle_id,
        col(Goal.status).in_(ALIGNING),
        col(Goal.objective_id).is_not(None),
    )
    rows = plain_rows(
        session,
        core_select(col(Membership.unit_id), col(Person.id), col(Person.name), col(Person.user_id))
        .add_columns(col(Goal.unit_id))
        .join(Person, col(Person.id) == col(Membership.person_id))
        .outerjoin(Goal, covering)
        .where(
            col(Membership.team_id) == team_id,
            col(Membership.unit_id).in_(list(unit_ids)),
            col(Person.deleted).is_(False),
            col(Person.is_bot).is_(False),
        ),
    )
    return [
        CoveredMember(MemberName(unit, person, name, user), goal_unit)
        for unit, person, name, user, goal_unit in rows
    ]


def active_member_names(
    *, session: Session, team_id: str, unit_ids: Sequence[int]
) -> list[MemberName]:
    """The members of these units who are still in Slack and not bots, in one query."""
    if not unit_ids:
        return []
    rows = session.exec(
        select(Membership.unit_id, Person.id, Person.name, Person.user_id)
        .join(Person, col(Person.id) == col(Membership.person_id))
        .where(
            Membership.team_id == team_id,
            col(Membership.unit_id).in_(list(unit_ids)),
            col(Person.deleted).is_(False),
            col(Person.is_bot).is_(False),
        )
    )
    return [MemberName(unit, person or 0, name, user) for unit, person, name, user in rows]
