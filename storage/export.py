"""The stable export format (SPEC: Export format): one list of rows per entity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, select

from storage.barriers import list_barriers
from storage.checkins import list_checkins
from storage.commitments import list_commitments
from storage.cycles import list_cycles
from storage.goals import list_goals
from storage.models import Cycle, Person, Unit, Workspace
from storage.objectives import list_objectives
from storage.people import list_people
from storage.units import list_units, memberships
from storage.workspaces import local_today

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
    "commitments": [
        "id",
        "team_id",
        "goal_id",
        "manager_id",
        "text",
        "due",
        "status",
        "created_at",
        "done_at",
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


PERSON_FIELDS = {"manager_id", "owner_id", "person_id", "reporter_id", "holder_id"}
ID_FIELDS = {"id", "unit_id", "cycle_id", "parent_id", "goal_id", "objective_id"}


def _row(item: Any, columns: list[str], user_ids: dict[int | None, str]) -> Row:
    """A model's fields as export values: ids as strings, people as Slack user ids, ISO times."""
    row: Row = {}
    for column in columns:
        value = item.team_id if column == "team_id" else getattr(item, column)
        if column in PERSON_FIELDS:
            value = None if value is None else user_ids.get(value)
        elif column in ID_FIELDS:
            value = _id(value)
        elif isinstance(value, date | datetime):
            value = _time(value)
        row[column] = value
    return row


def export_workspace(
    *, session: Session, team_id: str, now: datetime | None = None
) -> dict[str, list[Row]]:
    """One workspace's rows, in the export format; a cycle is `active` while its dates contain
    the workspace's today (as of `now`)."""
    today = local_today(session=session, team_id=team_id, now=now or datetime.now(UTC))
    people = list_people(session=session, team_id=team_id)
    user_ids: dict[int | None, str] = {p.id: p.user_id for p in people}
    units = list_units(session=session, team_id=team_id)
    member_of = memberships(session=session, team_id=team_id)
    manages: dict[int, list[str]] = {}
    for unit in units:
        if unit.manager_id is not None:
            manages.setdefault(unit.manager_id, []).append(str(unit.id))
    rows: dict[str, Sequence[Any]] = {
        "units": units,
        "cycles": list_cycles(session=session, team_id=team_id),
        "objectives": list_objectives(session=session, team_id=team_id),
        "goals": list_goals(session=session, team_id=team_id),
        "checkins": list_checkins(session=session, team_id=team_id),
        "barriers": list_barriers(session=session, team_id=team_id),
        "commitments": list_commitments(session=session, team_id=team_id),
    }
    result = {
        key: [_row(item, EXPORT_COLUMNS[key], user_ids) for item in items]
        for key, items in rows.items()
    }
    for row, cycle in zip(result["cycles"], rows["cycles"], strict=True):
        row["active"] = cycle.start <= today <= cycle.end
    result["people"] = [
        {
            "team_id": team_id,
            "user_id": p.user_id,
            "email": p.email,
            "name": p.name,
            "tz": p.tz,
            "unit_id": _id(member_of.get(p.id or 0)),
            "manages": manages.get(p.id or 0, []),
        }
        for p in people
    ]
    return {key: result[key] for key in EXPORT_KEYS}


def export_all(*, session: Session, now: datetime | None = None) -> dict[str, list[Row]]:
    """Every workspace's rows, in the export format."""
    result: dict[str, list[Row]] = {key: [] for key in EXPORT_KEYS}
    for team_id in all_team_ids(session=session):
        for key, rows in export_workspace(session=session, team_id=team_id, now=now).items():
            result[key].extend(rows)
    return result
