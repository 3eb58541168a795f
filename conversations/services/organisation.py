"""Organisation set-up: cycles, units and members."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from conversations.actor import Actor, require_admin
from conversations.errors import Refusal
from conversations.services import planning
from storage import cycles, people, units, workspaces
from storage.models import Cycle, Person, Unit

NAME_LIMIT = 80
_ALLOWED_FORMAT_CHARACTERS = "\u200d\ufe0f"  # emoji joiners and variation selectors


def clean_name(text: str, *, field: str = "name") -> str:
    """A unit or cycle name: spaces collapsed, not empty, not too long, no control characters."""
    name = " ".join(text.split())
    if not name:
        raise Refusal("empty_name", field=field)
    if len(name) > NAME_LIMIT:
        raise Refusal("too_long", field=field, limit=NAME_LIMIT, length=len(name))
    if any(
        unicodedata.category(ch) in ("Cc", "Cf") and ch not in _ALLOWED_FORMAT_CHARACTERS
        for ch in name
    ):
        raise Refusal("bad_characters", field=field)
    return name


def iso_date(raw: str, *, field: str) -> date:
    """A YYYY-MM-DD date, or a refusal that says which date could not be read."""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Refusal("bad_date", field=field, value=raw[:40], what=field) from None


def manager_user_id(*, session: Session, unit: Unit) -> str | None:
    """The Slack user id of a unit's manager, to name who can do what a person may not."""
    if unit.manager_id is None:
        return None
    manager = people.get_person_by_id(
        session=session, team_id=unit.team_id, person_id=unit.manager_id
    )
    return None if manager is None or manager.deleted else manager.user_id


def person_named(session: Session, team_id: str, user_id: str, field: str) -> Person:
    """A person someone mentioned: known to the directory, active and human, or a refusal."""
    person = people.get_person(session=session, team_id=team_id, user_id=user_id)
    if person is None:
        raise Refusal("unknown_user", field=field, user_id=user_id)
    if person.deleted:
        raise Refusal("deleted_user", field=field, name=person.name)
    if person.is_bot:
        raise Refusal("bot_user", field=field, name=person.name)
    return person


def unit_named(*, session: Session, team_id: str, name: str, field: str = "unit") -> Unit:
    """The unit called `name`, or a refusal that lists the units there are."""
    unit = units.find_unit(session=session, team_id=team_id, name=name)
    if unit is None:
        known = [u.name for u in units.list_units(session=session, team_id=team_id)]
        raise Refusal(
            "unknown_unit", field=field, name=name, known=known[:10], more=len(known) > 10
        )
    return unit


@dataclass(frozen=True)
class CycleAdded:
    cycle: Cycle
    today: date  # the workspace's
    running: Cycle | None  # the cycle running today, which may be this one

    @property
    def is_running(self) -> bool:
        return self.running is not None and self.running.id == self.cycle.id


def managed_above(*, session: Session, team_id: str, person_id: int, unit: Unit) -> Unit | None:
    """The unit at or above `unit` that this person manages, if any: then everyone in `unit`
    reports to them, directly or not, and they may never be placed under `unit`'s manager."""
    seen: set[int | None] = set()
    current: Unit | None = unit
    while current is not None and current.id not in seen:
        if current.manager_id == person_id:
            return current
        seen.add(current.id)
        current = (
            None
            if current.parent_id is None
            else units.get_unit(session=session, team_id=team_id, unit_id=current.parent_id)
        )
    return None


def add_cycle(
    *, session: Session, actor: Actor, name: str, start: date, end: date, now: datetime
) -> CycleAdded:
    """Create a cycle. It is active while its dates contain today (in the workspace's time zone),
    so a future cycle changes nothing anyone sees until it starts. Cycles may not overlap."""
    require_admin(session, actor)
    team_id = actor.team_id
    today = planning.today(session=session, team_id=team_id, now=now)
    if end <= start:
        raise Refusal("end_before_start", field="end", start=start, end=end)
    if end < today:
        raise Refusal("cycle_in_past", field="end", end=end, today=today)
    if cycles.find_cycle(session=session, team_id=team_id, name=name) is not None:
        raise Refusal("duplicate_cycle", field="name", name=name)
    clash = cycles.overlapping_cycle(session=session, team_id=team_id, start=start, end=end)
    if clash is not None:
        raise Refusal(
            "cycle_overlaps",
            field="start",
            other=clash.name,
            other_start=clash.start,
            other_end=clash.end,
            start=start,
        )
    workspaces.get_workspace(session=session, team_id=team_id)
    cycle = cycles.add_cycle(session=session, team_id=team_id, name=name, start=start, end=end)
    return CycleAdded(
        cycle=cycle,
        today=today,
        running=cycles.running_cycle(session=session, team_id=team_id, today=today),
    )


@dataclass(frozen=True)
class UnitAdded:
    unit: Unit
    parent: Unit | None
    manager: Person
    manager_joined_parent: bool


def add_unit(
    *, session: Session, actor: Actor, name: str, parent_name: str | None, manager_user_id: str
) -> UnitAdded:
    """Create a unit under a parent (or the root, when there is none yet)."""
    require_admin(session, actor)
    team_id = actor.team_id
    if units.find_unit(session=session, team_id=team_id, name=name) is not None:
        raise Refusal("duplicate_unit", field="name", name=name)
    parent = (
        None
        if parent_name is None
        else unit_named(session=session, team_id=team_id, name=parent_name, field="parent")
    )
    roots = units.root_units(session=session, team_id=team_id)
    if parent is None and roots:
        raise Refusal("second_root", field="parent", root=roots[0].name)
    manager = person_named(session, team_id, manager_user_id, "manager")
    workspaces.get_workspace(session=session, team_id=team_id)
    unit = units.create_unit(
        session=session,
        team_id=team_id,
        name=name,
        parent_id=None if parent is None else parent.id,
        manager_id=manager.id,
    )
    # A manager belongs to the unit above the one they manage.
    joined = False
    assert manager.id is not None
    if (
        parent is not None
        and units.unit_of(session=session, team_id=team_id, person_id=manager.id) is None
        and managed_above(session=session, team_id=team_id, person_id=manager.id, unit=parent)
        is None  # never under someone who reports to them
    ):
        joined = units.set_unit_of(
            session=session, team_id=team_id, person_id=manager.id, unit_id=parent.id
        )
    return UnitAdded(unit=unit, parent=parent, manager=manager, manager_joined_parent=joined)


@dataclass(frozen=True)
class MembersSet:
    unit: Unit
    added: list[Person]
    removed: list[Person]
    moved_from: dict[str, str]  # person name → previous unit name


def set_unit_members(
    *, session: Session, actor: Actor, name: str, member_user_ids: list[str]
) -> MembersSet:
    """Make exactly these people the unit's members.

    Nobody is placed under someone who reports to them (directly or not), and only an admin
    places someone who is in no unit yet: a manager arranges their own people, nobody else."""
    team_id = actor.team_id
    unit = unit_named(session=session, team_id=team_id, name=name)
    if not actor.is_admin and unit.manager_id != actor.person_id:
        raise Refusal(
            "not_unit_manager", unit=unit.name, manager=manager_user_id(session=session, unit=unit)
        )
    members = [person_named(session, team_id, uid, "members") for uid in member_user_ids]
    moved_from: dict[str, str] = {}
    for person in members:
        assert person.id is not None
        if person.id == unit.manager_id:
            raise Refusal("manager_as_member", field="members", name=person.name, unit=unit.name)
        above = managed_above(session=session, team_id=team_id, person_id=person.id, unit=unit)
        if above is not None:
            raise Refusal(
                "member_above", field="members", name=person.name, unit=unit.name, above=above.name
            )
        current = units.unit_of(session=session, team_id=team_id, person_id=person.id)
        if current is None and not actor.is_admin:
            raise Refusal("member_unplaced", field="members", name=person.name, unit=unit.name)
        if current is not None and current.id != unit.id:
            if not actor.is_admin and current.manager_id != actor.person_id:
                raise Refusal(
                    "member_elsewhere",
                    field="members",
                    name=person.name,
                    unit=current.name,
                    manager=manager_user_id(session=session, unit=current),
                )
            moved_from[person.name] = current.name
    before = {
        p.id: p for p in units.members_of(session=session, team_id=team_id, unit_id=unit.id or 0)
    }
    added_ids, removed_ids = units.set_members(
        session=session,
        team_id=team_id,
        unit_id=unit.id or 0,
        person_ids=[p.id for p in members if p.id is not None],
    )
    by_id = {p.id: p for p in members}
    return MembersSet(
        unit=unit,
        added=[by_id[i] for i in added_ids],
        removed=[before[i] for i in removed_ids],
        moved_from=moved_from,
    )
