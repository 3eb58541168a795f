"""One organisation builder for the tests: people, units, a cycle and objectives, in one go."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from storage import cycles, objectives, people, units, workspaces
from storage.models import Cycle, Objective, ObjectiveStatus, Unit
from storage.people import SlackProfile


def profile(user_id: str, name: str, **kw: object) -> SlackProfile:
    """A Slack directory entry with sensible defaults."""
    fields: dict[str, object] = {
        "email": f"{name.split()[0].lower()}@example.com",
        "tz": "UTC",
        "is_admin": False,
        "is_bot": False,
        "deleted": False,
    }
    fields.update(kw)
    return SlackProfile(user_id=user_id, name=name, **fields)  # type: ignore[arg-type]


@dataclass(frozen=True)
class UnitSpec:
    name: str
    manager: str | None  # a Slack user id
    parent: str | None = None  # a unit name
    members: Sequence[str] = ()  # Slack user ids


@dataclass(frozen=True)
class ObjectiveSpec:
    unit: str
    title: str
    parent: str | None = None  # the title of the parent unit's objective
    status: ObjectiveStatus = ObjectiveStatus.PUBLISHED


@dataclass
class Org:
    team_id: str
    ids: dict[str, int]  # Slack user id → person id
    units: dict[str, Unit] = field(default_factory=dict)
    cycle: Cycle | None = None
    objectives: dict[str, Objective] = field(default_factory=dict)


def build_org(
    session: Session,
    *,
    team_id: str,
    profiles: Sequence[SlackProfile],
    units_: Sequence[UnitSpec] = (),
    cycle: tuple[str, date, date] | None = None,
    objectives_: Sequence[ObjectiveSpec] = (),
    now: datetime,
    synced: bool = False,
) -> Org:
    """People (as synced from Slack), units top-down (a manager belongs to the unit above), a
    cycle, and objectives; `synced` marks the directory fresh, as after a sync."""
    people.upsert_profiles(session=session, team_id=team_id, profiles=profiles, at=now)
    ids = {p.user_id: p.id or 0 for p in people.list_people(session=session, team_id=team_id)}
    org = Org(team_id=team_id, ids=ids)
    for spec in units_:
        parent = org.units[spec.parent] if spec.parent else None
        unit = units.create_unit(
            session=session,
            team_id=team_id,
            name=spec.name,
            parent_id=parent.id if parent else None,
            manager_id=ids[spec.manager] if spec.manager else None,
        )
        org.units[spec.name] = unit
        if parent is not None and spec.manager:
            units.set_unit_of(
                session=session, team_id=team_id, person_id=ids[spec.manager], unit_id=parent.id
            )
        for member in spec.members:
            units.set_unit_of(
                session=session, team_id=team_id, person_id=ids[member], unit_id=unit.id
            )
    if cycle is not None:
        name, start, end = cycle
        org.cycle = cycles.add_cycle(
            session=session, team_id=team_id, name=name, start=start, end=end
        )
    for spec_ in objectives_:
        assert org.cycle is not None and org.cycle.id is not None
        parent_objective = org.objectives[spec_.parent] if spec_.parent else None
        org.objectives[spec_.title] = objectives.create_objective(
            session=session,
            team_id=team_id,
            unit_id=org.units[spec_.unit].id or 0,
            cycle_id=org.cycle.id,
            title=spec_.title,
            parent_id=parent_objective.id if parent_objective else None,
            status=spec_.status,
            published_at=now if spec_.status == ObjectiveStatus.PUBLISHED else None,
        )
    if synced:
        workspaces.mark_directory_synced(session=session, team_id=team_id, at=now)
    return org
