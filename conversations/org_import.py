"""`cascade org import people.csv`: validate the whole file, then apply it idempotently."""

from __future__ import annotations

import csv
import io
from collections import deque
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from conversations.errors import Refusal
from storage import people, units, workspaces
from storage.models import Person, Unit

REQUIRED_COLUMNS = ("email", "name", "manager_email")
UNIT_NAME_LIMIT = 80


@dataclass(frozen=True)
class Row:
    line: int
    email: str
    name: str
    manager_email: str | None
    unit: str | None


@dataclass(frozen=True)
class ImportResult:
    people: int
    units_created: int
    units_changed: int
    moves: int

    @property
    def changed(self) -> bool:
        return bool(self.units_created or self.units_changed or self.moves)


def _bad(line: int, problem: str, **params: Any) -> Refusal:
    return Refusal("import_" + problem, line=line, **params)


def parse_rows(text: str) -> list[Row]:
    """Read and check the CSV; raises a Refusal naming the first bad line."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise _bad(1, "missing_column", columns=missing)
    reader.fieldnames = columns
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in record.items() if k is not None}
        if None in record:
            raise _bad(line, "extra_values")
        email, name = values.get("email", "").lower(), values.get("name", "")
        if not email or "@" not in email:
            raise _bad(line, "bad_email", value=email)
        if not name:
            raise _bad(line, "missing_name")
        if email in seen:
            raise _bad(line, "duplicate_email", email=email, first=seen[email])
        unit = values.get("unit") or None
        if unit is not None and len(unit) > UNIT_NAME_LIMIT:
            raise _bad(line, "unit_too_long", limit=UNIT_NAME_LIMIT)
        seen[email] = line
        manager = values.get("manager_email", "").lower() or None
        rows.append(Row(line=line, email=email, name=name, manager_email=manager, unit=unit))
    if not rows:
        raise _bad(1, "empty")
    _check_tree(rows)
    return rows


def _check_tree(rows: list[Row]) -> None:
    by_email = {r.email: r for r in rows}
    roots = [r for r in rows if r.manager_email is None]
    for row in rows:
        if row.manager_email is not None and row.manager_email not in by_email:
            raise _bad(row.line, "unknown_manager", manager=row.manager_email)
    if len(roots) > 1:
        raise _bad(roots[1].line, "two_roots", first=roots[0].line, email=roots[1].email)
    for row in rows:  # with no root at all, every chain loops: this catches that too
        chain = [row.email]
        boss = row.manager_email
        while boss is not None:
            if boss in chain:
                raise _bad(row.line, "manager_cycle", chain=" → ".join([*chain, boss]))
            chain.append(boss)
            boss = by_email[boss].manager_email


def _unit_name(row: Row) -> str:
    return row.unit or f"{row.name}'s team"[:UNIT_NAME_LIMIT]


def apply_rows(*, session: Session, team_id: str, rows: list[Row]) -> ImportResult:
    """Make the organisation match the file. Raises before writing if a person is not in Slack."""
    directory = people.people_by_email(session=session, team_id=team_id)
    for row in rows:
        if row.email not in directory:
            raise _bad(row.line, "not_in_slack", email=row.email)
    person_of: dict[str, Person] = {r.email: directory[r.email] for r in rows}
    reports: dict[str, list[Row]] = {}
    for row in rows:
        if row.manager_email is not None:
            reports.setdefault(row.manager_email, []).append(row)
    root = next(r for r in rows if r.manager_email is None)
    workspaces.get_workspace(session=session, team_id=team_id)

    created = changed = moves = 0
    unit_of_manager: dict[str, Unit] = {}
    queue = deque([root])
    while queue:  # top-down, so every parent unit exists before its children
        row = queue.popleft()
        if row.email not in reports:
            continue
        parent = unit_of_manager.get(row.manager_email or "")
        unit, was_created, was_changed = _ensure_unit(
            session, team_id, row, person_of[row.email], parent
        )
        created += was_created
        changed += was_changed
        unit_of_manager[row.email] = unit
        queue.extend(reports[row.email])
    for row in rows:
        target = unit_of_manager.get(row.manager_email or "")
        moves += units.set_unit_of(
            session=session,
            team_id=team_id,
            person_id=person_of[row.email].id or 0,
            unit_id=None if target is None else target.id,
        )
    return ImportResult(people=len(rows), units_created=created, units_changed=changed, moves=moves)


def _ensure_unit(
    session: Session, team_id: str, row: Row, manager: Person, parent: Unit | None
) -> tuple[Unit, bool, bool]:
    """The unit this manager runs, created or updated to match the file."""
    name = _unit_name(row)
    managed = units.units_managed_by(session=session, team_id=team_id, person_id=manager.id or 0)
    unit = next((u for u in managed if u.name.lower() == name.lower()), None)
    unit = unit or (managed[0] if managed else None)
    unit = unit or units.find_unit(session=session, team_id=team_id, name=name)
    if unit is None and parent is None:
        roots = units.root_units(session=session, team_id=team_id)
        unit = roots[0] if roots else None
    if unit is None:
        unit = units.create_unit(
            session=session,
            team_id=team_id,
            name=name,
            parent_id=None if parent is None else parent.id,
            manager_id=manager.id,
        )
        return unit, True, False
    wanted = {
        "name": name,
        "parent_id": None if parent is None else parent.id,
        "manager_id": manager.id,
    }
    if all(getattr(unit, k) == v for k, v in wanted.items()):
        return unit, False, False
    clash = units.find_unit(session=session, team_id=team_id, name=name)
    if clash is not None and clash.id != unit.id:
        raise _bad(row.line, "unit_name_taken", name=name)
    for key, value in wanted.items():
        setattr(unit, key, value)
    session.flush()
    return unit, False, True
