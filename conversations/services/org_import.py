"""`cascade org import people.csv`: validate the whole file, then apply it idempotently."""

from __future__ import annotations

import csv
import io
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session

from conversations.errors import Refusal
from storage import forgotten, people, units, workspaces

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
    skipped: int = 0  # rows naming someone erased (`cascade forget`): never brought back

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


@dataclass
class _Draft:
    """A unit as the import will leave it. `key` is its id, or for a unit the import creates a
    provisional one (above every id in use) until it is inserted; `parent` is such a key."""

    key: int
    name: str
    parent: int | None
    manager_id: int | None
    new: bool = False


class _Plan:
    """The organisation in memory: read once, changed as the file says, written in bulk."""

    def __init__(self, rows: list[units.UnitRow]) -> None:
        self.units = {r.id: _Draft(r.id, r.name, r.parent_id, r.manager_id) for r in rows}
        self.stored_parent = {r.id: r.parent_id for r in rows}
        # Keys in order in both indexes; names are unique in the database, but not lower-cased.
        self.by_name: dict[str, list[int]] = {}
        self.by_manager: dict[int, list[int]] = {}
        for row in rows:
            self.by_name.setdefault(row.name.lower(), []).append(row.id)
            if row.manager_id is not None:
                self.by_manager.setdefault(row.manager_id, []).append(row.id)
        self.roots = [r.id for r in rows if r.parent_id is None]
        self.next_key = max(self.units, default=0) + 1
        self.renames: list[units.UnitRow] = []  # name and manager changes, in the file's order
        self.id_of: dict[int, int] = {}  # key → id, once written

    def named(self, name: str) -> _Draft | None:
        """The unit with this name, ignoring case (the oldest, if several)."""
        keys = self.by_name.get(name.lower())
        return self.units[keys[0]] if keys else None

    def managed_by(self, manager_id: int) -> list[_Draft]:
        return [self.units[k] for k in self.by_manager.get(manager_id, [])]

    def create(self, name: str, parent: int | None, manager_id: int) -> _Draft:
        unit = _Draft(self.next_key, name, parent, manager_id, new=True)
        self.next_key += 1
        self.units[unit.key] = unit
        self.by_name.setdefault(name.lower(), []).append(unit.key)
        self.by_manager.setdefault(manager_id, []).append(unit.key)
        return unit

    def change(self, unit: _Draft, name: str, parent: int | None, manager_id: int) -> None:
        if not unit.new and (name, manager_id) != (unit.name, unit.manager_id):
            self.renames.append(units.UnitRow(unit.key, name, None, manager_id))
        self.by_name[unit.name.lower()].remove(unit.key)
        self.by_name.setdefault(name.lower(), []).append(unit.key)
        self.by_name[name.lower()].sort()
        if unit.manager_id is not None:
            self.by_manager[unit.manager_id].remove(unit.key)
        self.by_manager.setdefault(manager_id, []).append(unit.key)
        self.by_manager[manager_id].sort()
        unit.name, unit.parent, unit.manager_id = name, parent, manager_id

    def write(self, session: Session, team_id: str) -> None:
        """Renames first (they may free names that new units take), then the new units, then
        parents (which may be new units): a few statements, however large the organisation."""
        units.rename_units(session=session, team_id=team_id, units=self.renames)
        created = [u for u in self.units.values() if u.new]
        ids = units.create_units(
            session=session,
            team_id=team_id,
            units=[
                units.NewUnit(u.name, self._in_database(u.parent), u.manager_id) for u in created
            ],
        )
        self.id_of = {k: k for k, u in self.units.items() if not u.new}
        self.id_of |= {u.key: id for u, id in zip(created, ids, strict=True)}
        for unit in created:
            self.stored_parent[unit.key] = self._in_database(unit.parent)
        parents = {
            self.id_of[u.key]: self._id(u.parent)
            for u in self.units.values()
            if self._id(u.parent) != self.stored_parent[u.key]
        }
        units.set_parents(session=session, team_id=team_id, parents=parents)

    def _in_database(self, key: int | None) -> int | None:
        """The id of a unit that is already in the database; None for one not yet inserted."""
        return None if key is None or self.units[key].new else key

    def _id(self, key: int | None) -> int | None:
        return None if key is None else self.id_of[key]


def apply_rows(*, session: Session, team_id: str, rows: list[Row]) -> ImportResult:
    """Make the organisation match the file. Raises before writing if a person is not in Slack
    or a unit name is taken. Reads in four queries and writes in a handful of bulk statements,
    whatever the size of the file; an unchanged file writes nothing."""
    rows, skipped = _without_forgotten(session, team_id, rows)
    person_of = people.person_ids_by_email(session=session, team_id=team_id)
    for row in rows:
        if row.email not in person_of:
            raise _bad(row.line, "not_in_slack", email=row.email)
    reports: dict[str, list[Row]] = {}
    for row in rows:
        if row.manager_email is not None:
            reports.setdefault(row.manager_email, []).append(row)
    root = next(r for r in rows if r.manager_email is None)
    workspaces.get_workspace(session=session, team_id=team_id)

    plan = _Plan(units.unit_rows(session=session, team_id=team_id))
    created = changed = 0
    unit_of_manager: dict[str, int] = {}  # manager's email → their unit's key
    queue = deque([root])
    while queue:  # top-down, so every parent unit exists before its children
        row = queue.popleft()
        if row.email not in reports:
            continue
        parent = unit_of_manager.get(row.manager_email or "")
        unit, was_created, was_changed = _ensure_unit(plan, row, person_of[row.email], parent)
        created += was_created
        changed += was_changed
        unit_of_manager[row.email] = unit.key
        queue.extend(reports[row.email])

    plan.write(session, team_id)
    targets: dict[int, int | None] = {}
    for row in rows:
        target = unit_of_manager.get(row.manager_email or "")
        targets[person_of[row.email]] = None if target is None else plan.id_of[target]
    moves = units.set_units_of(session=session, team_id=team_id, units=targets)
    return ImportResult(
        people=len(rows), units_created=created, units_changed=changed, moves=moves, skipped=skipped
    )


def _without_forgotten(session: Session, team_id: str, rows: list[Row]) -> tuple[list[Row], int]:
    """The rows but those naming someone forgotten; whoever reported to them reports to the
    first manager above them the file names who is not. Refused, by line and without their
    email, when that leaves the organisation with more than one top (or none)."""
    gone = forgotten.hashes(session=session, team_id=team_id)
    erased = {r.email for r in rows if gone.has_email(r.email)}
    if not erased:
        return rows, 0
    by_email = {r.email: r for r in rows}

    def boss(row: Row) -> str | None:
        manager = row.manager_email
        while manager in erased:
            manager = by_email[manager].manager_email
        return manager

    kept = [replace(r, manager_email=boss(r)) for r in rows if r.email not in erased]
    roots = [r for r in kept if r.manager_email is None]
    if len(roots) != 1:
        top = next(r for r in rows if r.manager_email is None)
        raise _bad(top.line, "forgotten_top")
    return kept, len(erased)


def _ensure_unit(
    plan: _Plan, row: Row, manager_id: int, parent: int | None
) -> tuple[_Draft, bool, bool]:
    """The unit this manager runs, created or changed (in the plan) to match the file."""
    name = _unit_name(row)
    managed = plan.managed_by(manager_id)
    unit = next((u for u in managed if u.name.lower() == name.lower()), None)
    unit = unit or (managed[0] if managed else None)
    unit = unit or plan.named(name)
    if unit is None and parent is None and plan.roots:
        unit = plan.units[plan.roots[0]]
    if unit is None:
        return plan.create(name, parent, manager_id), True, False
    if (unit.name, unit.parent, unit.manager_id) == (name, parent, manager_id):
        return unit, False, False
    if any(other != unit.key for other in plan.by_name.get(name.lower(), [])):
        raise _bad(row.line, "unit_name_taken", name=name)
    plan.change(unit, name, parent, manager_id)
    return unit, False, True
