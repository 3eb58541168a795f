"""The stable export format (SPEC: Export format): one list of rows per entity."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from storage.barriers import list_barriers
from storage.checkins import list_checkins
from storage.cycles import list_cycles
from storage.goals import list_goals
from storage.models import Cycle, Person, Unit, Workspace
from storage.objectives import list_objectives
from storage.people import list_people
from storage.units import list_units, memberships

EXPORT_COLUMNS: dict[str, list[str]] = {
    "units": ["id", "team_id", "name", "parent_id", "manager_id"],
    "people": ["team_id", "user_id", "email", "name", "tz", "unit_id", "manages"],
    "cycles": ["id", "team_id", "name", "start", "end", "active"],
    "objectives": [
        "id",
        "team_id",
        "unit_id",
        "cycle_id",
        "title",
        "measure",
        "parent_id",
        "status",
    ],
    "goals": [
        "id",
        "team_id",
        "owner_id",
        "unit_id",
        "cycle_id",
        "objective_id",
        "statement",
        "measure",
        "due",
        "status",
        "progress",
        "confidence",
        "agreed_at",
    ],
    "checkins": ["id", "team_id", "goal_id", "person_id", "at", "progress", "confidence", "note"],
    "barriers": [
        "id",
        "team_id",
        "reporter_id",
        "goal_id",
        "text",
        "status",
        "holder_id",
        "reported_at",
        "acknowledged_at",
        "resolved_at",
    ],
}
EXPORT_KEYS = tuple(EXPORT_COLUMNS)

Row = dict[str, Any]


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


def _time(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def all_team_ids(*, session: Session) -> list[str]:
    """Every workspace that has any data."""
    ids: set[str] = set()
    for model in (Workspace, Person, Unit, Cycle):
        ids.update(session.exec(select(model.team_id).distinct()))
    return sorted(ids)


def export_workspace(*, session: Session, team_id: str) -> dict[str, list[Row]]:
    """One workspace's rows, in the export format."""
    people = list_people(session=session, team_id=team_id)
    user_ids = {p.id: p.user_id for p in people}

    def uid(person_id: int | None) -> str | None:
        return None if person_id is None else user_ids.get(person_id)

    units = list_units(session=session, team_id=team_id)
    member_of = memberships(session=session, team_id=team_id)
    manages: dict[int, list[str]] = {}
    for unit in units:
        if unit.manager_id is not None:
            manages.setdefault(unit.manager_id, []).append(str(unit.id))
    t = team_id
    return {
        "units": [
            {
                "id": _id(u.id),
                "team_id": t,
                "name": u.name,
                "parent_id": _id(u.parent_id),
                "manager_id": uid(u.manager_id),
            }
            for u in units
        ],
        "people": [
            {
                "team_id": t,
                "user_id": p.user_id,
                "email": p.email,
                "name": p.name,
                "tz": p.tz,
                "unit_id": _id(member_of.get(p.id or 0)),
                "manages": manages.get(p.id or 0, []),
            }
            for p in people
        ],
        "cycles": [
            {
                "id": _id(c.id),
                "team_id": t,
                "name": c.name,
                "start": _time(c.start),
                "end": _time(c.end),
                "active": c.active,
            }
            for c in list_cycles(session=session, team_id=team_id)
        ],
        "objectives": [
            {
                "id": _id(o.id),
                "team_id": t,
                "unit_id": _id(o.unit_id),
                "cycle_id": _id(o.cycle_id),
                "title": o.title,
                "measure": o.measure,
                "parent_id": _id(o.parent_id),
                "status": o.status,
            }
            for o in list_objectives(session=session, team_id=team_id)
        ],
        "goals": [
            {
                "id": _id(g.id),
                "team_id": t,
                "owner_id": uid(g.owner_id),
                "unit_id": _id(g.unit_id),
                "cycle_id": _id(g.cycle_id),
                "objective_id": _id(g.objective_id),
                "statement": g.statement,
                "measure": g.measure,
                "due": _time(g.due),
                "status": g.status,
                "progress": g.progress,
                "confidence": g.confidence,
                "agreed_at": _time(g.agreed_at),
            }
            for g in list_goals(session=session, team_id=team_id)
        ],
        "checkins": [
            {
                "id": _id(c.id),
                "team_id": t,
                "goal_id": _id(c.goal_id),
                "person_id": uid(c.person_id),
                "at": _time(c.at),
                "progress": c.progress,
                "confidence": c.confidence,
                "note": c.note,
            }
            for c in list_checkins(session=session, team_id=team_id)
        ],
        "barriers": [
            {
                "id": _id(b.id),
                "team_id": t,
                "reporter_id": uid(b.reporter_id),
                "goal_id": _id(b.goal_id),
                "text": b.text,
                "status": b.status,
                "holder_id": uid(b.holder_id),
                "reported_at": _time(b.reported_at),
                "acknowledged_at": _time(b.acknowledged_at),
                "resolved_at": _time(b.resolved_at),
            }
            for b in list_barriers(session=session, team_id=team_id)
        ],
    }


def export_all(*, session: Session) -> dict[str, list[Row]]:
    """Every workspace's rows, in the export format."""
    result: dict[str, list[Row]] = {key: [] for key in EXPORT_KEYS}
    for team_id in all_team_ids(session=session):
        for key, rows in export_workspace(session=session, team_id=team_id).items():
            result[key].extend(rows)
    return result
