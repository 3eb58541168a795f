"""Examples of `/goals` commands built from this workspace, so that each one runs as shown:
real unit names, real people, cycle dates that neither overlap nor lie in the past."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from conversations.actor import Actor
from conversations.services import planning
from storage import people, units, workspaces
from storage.models import Person, Unit

UNIT_NAMES = ("Sales", "Marketing", "Engineering", "Support", "Operations", "Finance", "People")


@dataclass(frozen=True)
class Examples:
    cycle_name: str
    cycle_start: date
    cycle_end: date
    new_unit: str  # a name no unit has yet
    parent: str | None  # the top unit, or None while there is none
    manager: str | None  # a Slack user id
    members_unit: str | None
    members: tuple[str, ...]  # Slack user ids
    pause_until: date  # a date a little ahead, so that the example never goes stale
    tree_unit: str | None


MEMBERS_NAMED = 8  # a unit's members an example names; past that it shows the form, not a command
SAMPLE = 50  # people enough to find examples among, whatever the size of the workspace


def _people(session: Session, team_id: str) -> list[Person]:
    return [
        p
        for p in people.some_people(session=session, team_id=team_id, limit=SAMPLE)
        if not p.deleted and not p.is_bot and p.id is not None
    ]


def _members_example(
    session: Session, actor: Actor, unit: Unit | None
) -> tuple[str | None, tuple[str, ...]]:
    """A unit and people that `unit members` accepts from this actor: its members as they
    are, or (while it has none) people who belong to no unit yet, whom only an admin places."""
    if unit is None or unit.id is None:
        return None, ()
    current = [
        p.user_id
        for p in units.members_of(session=session, team_id=actor.team_id, unit_id=unit.id)
        if not p.deleted
    ]
    if current:  # all of them, or none: the command sets exactly the people it names
        return unit.name, tuple(current) if len(current) <= MEMBERS_NAMED else ()
    if not actor.is_admin:  # a manager places nobody new (`member_unplaced`): no names to show
        return unit.name, ()
    placed = units.memberships(session=session, team_id=actor.team_id)
    everyone = _people(session, actor.team_id)
    free = [p.user_id for p in everyone if p.id not in placed and p.id != unit.manager_id]
    return unit.name, tuple(free[:2])


def examples(*, session: Session, actor: Actor, now: datetime) -> Examples:
    team_id = actor.team_id
    name, start, end = planning.suggested_next(session=session, team_id=team_id, now=now)
    all_units = units.list_units(session=session, team_id=team_id)
    taken = {u.name.lower() for u in all_units}
    roots = [u for u in all_units if u.parent_id is None]
    everyone = _people(session, team_id) if actor.is_admin else []  # only admins add units
    managing = {u.manager_id for u in all_units}
    manager = next((p for p in everyone if p.id not in managing and p.id != actor.person_id), None)
    if manager is None:
        manager = next((p for p in everyone if p.id == actor.person_id), None)
    if not roots:
        workspace, _ = workspaces.calendar(session=session, team_id=team_id)
        named = workspace.name if workspace is not None else None
        candidates: tuple[str, ...] = (named, "Acme") if named else ("Acme",)
    else:
        candidates = UNIT_NAMES
    new_unit = next(
        (n for n in candidates if n.lower() not in taken),
        f"Team {len(all_units) + 1}",
    )
    mine = units.units_managed_by(session=session, team_id=team_id, person_id=actor.person_id)
    below = [u for u in all_units if u.parent_id is not None]
    shown = mine or below or roots
    members_unit, members = (
        _members_example(session, actor, shown[0] if shown else None)
        if actor.is_admin or mine  # only they may set a unit's members
        else (None, ())
    )
    tree = below or roots
    return Examples(
        cycle_name=name,
        cycle_start=start,
        cycle_end=end,
        new_unit=new_unit,
        parent=roots[0].name if roots else None,
        manager=manager.user_id if manager else None,
        members_unit=members_unit,
        members=members,
        tree_unit=tree[0].name if tree else None,
        pause_until=planning.months_later(
            planning.today(session=session, team_id=team_id, now=now), 2
        ),
    )
