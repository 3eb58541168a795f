"""The stable export format (SPEC: Export format): one list of rows per entity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, select

from storage import erasure
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


# An access request gets what else Cascade keeps of theirs, after the export format's keys.
PERSON_COLUMNS: dict[str, list[str]] = EXPORT_COLUMNS | {
    "conversations": ["id", "team_id", "person_id", "flow", "step", "state", "answers"],
    "one_on_ones": ["id", "team_id", "manager_id", "report_id", "weekday", "time", "active"],
    "agenda_items": ["id", "team_id", "manager_id", "report_id", "goal_id", "text", "created_at"],
    "messages": ["id", "team_id", "kind", "recipient", "status", "created_at", "sent_at", "text"],
}
PERSON_KEYS = tuple(PERSON_COLUMNS)
PERSON_FIELDS |= {"report_id"}


def _about(row: Row, user_id: str, goal_ids: set[str]) -> bool:
    """Whether an export row is about this person (theirs, or on one of their goals)."""
    people_fields = ("user_id", "owner_id", "person_id", "reporter_id", "holder_id", "manager_id")
    return any(row.get(k) == user_id for k in people_fields) or row.get("goal_id") in goal_ids


def export_person(
    *, session: Session, person: Person, now: datetime | None = None
) -> dict[str, list[Row]]:
    """One person's rows, in the export format: their person row, the units they manage, their
    goals and what hangs on them, check-ins, barriers they reported or hold, commitments made to
    or by them; then their interviews, 1:1s, agenda items and the messages Cascade sent them."""
    team = export_workspace(session=session, team_id=person.team_id, now=now)
    uid = person.user_id
    goal_ids = {g["id"] for g in team["goals"] if g["owner_id"] == uid}
    result = {key: [r for r in team[key] if _about(r, uid, goal_ids)] for key in EXPORT_KEYS}
    user_ids = {p.id: p.user_id for p in list_people(session=session, team_id=person.team_id)}
    theirs: dict[str, Sequence[Any]] = {
        "conversations": erasure.conversations_of(session=session, person=person),
        "one_on_ones": erasure.one_on_ones_of(session=session, person=person),
        "agenda_items": erasure.agenda_items_of(session=session, person=person),
    }
    for key, items in theirs.items():
        result[key] = [_row(item, PERSON_COLUMNS[key], user_ids) for item in items]
    result["messages"] = [
        _row(m, PERSON_COLUMNS["messages"][:-1], user_ids) | {"text": m.payload.get("text")}
        for m in erasure.messages_to(session=session, person=person)
    ]
    return result
