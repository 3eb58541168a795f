"""The alignment tree (`/goals tree`): objectives and goals below a unit, with coverage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from conversations.actor import Actor
from conversations.errors import Refusal
from conversations.services import planning
from conversations.services.organisation import unit_named
from storage import cycles, goals, objectives, units
from storage.models import (
    Cycle,
    Goal,
    GoalStatus,
    Person,
)

TREE_ROWS = 120  # beyond this the tree is cut, with a count and a pointer to a smaller subtree
# Objectives, and goals, counted at most in a tree that units alone fill: "more than" past it (at
# 100,000 people, counting every goal of the organisation was half the tree's time).
LINES_COUNTED = 10_000


@dataclass
class Row:
    depth: int
    kind: str  # unit | objective | goal
    item: Any
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Tree:
    unit: units.UnitRow
    cycle: Cycle
    rows: list[Row]
    hidden: int
    at_least: bool = False  # counting stopped at LINES_COUNTED: more than `hidden` are left out
    just_ended: bool = False  # `cycle` has ended and the next has not started
    next_cycle: Cycle | None = None  # then: the next, if an admin has added it


def alignment_tree(
    *,
    session: Session,
    actor: Actor,
    unit_name: str | None,
    now: datetime,
    cycle_name: str | None = None,
) -> Tree:
    """The tree below a unit (the top one by default) in a cycle (the current one by default).
    A single name may be a cycle's: `/goals tree "FY27 H1"`."""
    team_id = actor.team_id
    if (
        unit_name
        and cycle_name is None
        and units.find_unit(session=session, team_id=team_id, name=unit_name) is None
        and cycles.find_cycle(session=session, team_id=team_id, name=unit_name)
    ):
        unit_name, cycle_name = None, unit_name
    view = (
        planning.InView(planning.named(session=session, team_id=team_id, name=cycle_name))
        if cycle_name
        else planning.in_view(session=session, team_id=team_id, now=now)
    )
    cycle = view.cycle
    if cycle is None or cycle.id is None:
        raise Refusal("no_active_cycle")
    all_units = units.unit_outline(session=session, team_id=team_id)
    if unit_name:
        named = unit_named(session=session, team_id=team_id, name=unit_name)
        top = next(u for u in all_units if u.id == named.id)
    else:
        roots = [u for u in all_units if u.parent_id is None]
        if not roots:
            raise Refusal("no_units_yet")
        top = roots[0]
    tree = _tree(session, team_id, top, cycle, all_units)
    tree.just_ended, tree.next_cycle = view.just_ended, view.next
    return tree


SHOWN_GOALS = (GoalStatus.PROPOSED, GoalStatus.AGREED, GoalStatus.ACHIEVED, GoalStatus.MISSED)
MISSING_NAMED = 8  # members without an agreed goal, named per unit; the rest counted


def _tree(
    session: Session, team_id: str, top: units.UnitRow, cycle: Cycle, all_units: list[units.UnitRow]
) -> Tree:
    """Units nested under their parents, with who has no agreed goal yet; then each objective
    with, under it, every unit objective derived from it and every goal built on it. Read in a
    fixed number of queries whatever the size, and only what is shown is read whole: the rest
    (beyond TREE_ROWS) is counted."""
    assert cycle.id is not None
    below = _units_below(top, all_units)
    subtree = {u.id for _, u in below}
    rows = _unit_rows(session, team_id, cycle.id, below[:TREE_ROWS], subtree)
    room = TREE_ROWS - len(rows)
    stopped = False
    if room > 0:
        objective_rows, objective_lines = _objective_rows(
            session, team_id, cycle.id, subtree, {u.id: u for u in all_units}, room=room
        )
    else:  # units fill the tree: its objectives and goals are only counted
        objective_rows = []
        objective_lines, stopped = objectives.lines_below(
            session=session,
            team_id=team_id,
            cycle_id=cycle.id,
            # Every unit of the workspace needs no list of ten thousand ids.
            unit_ids=None if len(subtree) == len(all_units) else subtree,
            statuses=SHOWN_GOALS,
            at_most=LINES_COUNTED,
        )
    shown = [*rows, *objective_rows][:TREE_ROWS]
    total = len(below) + objective_lines
    return Tree(unit=top, cycle=cycle, rows=shown, hidden=total - len(shown), at_least=stopped)


def _units_below(
    top: units.UnitRow, all_units: list[units.UnitRow]
) -> list[tuple[int, units.UnitRow]]:
    """`top` and every unit below it, depth first, each with its depth."""
    children: dict[int | None, list[units.UnitRow]] = {}
    for unit in all_units:
        children.setdefault(unit.parent_id, []).append(unit)
    below: list[tuple[int, units.UnitRow]] = []
    seen: set[int] = set()

    def collect(unit: units.UnitRow, depth: int) -> None:
        seen.add(unit.id)
        below.append((depth, unit))
        for child in children.get(unit.id, []):
            if child.id not in seen:
                collect(child, depth + 1)

    collect(top, 0)
    return below


def _unit_rows(
    session: Session,
    team_id: str,
    cycle_id: int,
    shown_units: list[tuple[int, units.UnitRow]],
    subtree: set[int],
) -> list[Row]:
    """A line per unit shown: its members with an agreed goal, and who has none yet."""
    if not shown_units:
        return []
    shown_ids = [u.id for _, u in shown_units]
    members_of: dict[int, dict[int, units.MemberName]] = {}  # unit → person → member
    covered: set[int] = set()
    for member, goal_unit in units.members_and_cover(
        session=session, team_id=team_id, cycle_id=cycle_id, unit_ids=shown_ids
    ):
        members_of.setdefault(member.unit_id, {}).setdefault(member.person_id, member)
        if goal_unit in subtree:
            covered.add(member.person_id)
    rows: list[Row] = []
    for depth, unit in shown_units:
        members = sorted(members_of.get(unit.id, {}).values(), key=lambda m: m.name.lower())
        missing = [m for m in members if m.person_id not in covered]
        extra = {
            "covered": len(members) - len(missing),
            "members": len(members),
            "missing": missing[:MISSING_NAMED],
            "more_missing": max(len(missing) - MISSING_NAMED, 0),
        }
        rows.append(Row(depth, "unit", unit, extra))
    return rows


def _objective_rows(
    session: Session,
    team_id: str,
    cycle_id: int,
    subtree: set[int],
    by_id: dict[int, units.UnitRow],
    room: int,
) -> tuple[list[Row], int]:
    """The subtree's published objectives in tree order, each followed by the goals built on
    it: the rows that fit in `room` (goals read only for those), and how many lines in all."""
    published = [
        o
        for o in objectives.published_lines(session=session, team_id=team_id, cycle_id=cycle_id)
        if o.unit_id in subtree
    ]
    ids = {o.id for o in published}
    derived: dict[int | None, list[objectives.ObjectiveLine]] = {}
    for objective in published:
        parent = objective.parent_id if objective.parent_id in ids else None
        derived.setdefault(parent, []).append(objective)
    built: dict[int, int] = {}  # objective id → goals built on it, in the subtree
    for objective_id, unit_id, count in goals.counts_by_objective(
        session=session, team_id=team_id, cycle_id=cycle_id, statuses=SHOWN_GOALS
    ):
        if unit_id in subtree:
            built[objective_id] = built.get(objective_id, 0) + count
    order: list[tuple[int, objectives.ObjectiveLine]] = []  # depth first

    def walk(objective: objectives.ObjectiveLine, depth: int) -> None:
        order.append((depth, objective))
        for kid in derived.get(objective.id, []):
            walk(kid, depth + 1)

    for root in derived.get(None, []):
        walk(root, 0)
    lines = sum(1 + built.get(o.id, 0) for _, o in order)
    shown: list[tuple[int, objectives.ObjectiveLine]] = []
    for depth, objective in order:
        if room <= 0:
            break
        shown.append((depth, objective))
        room -= 1 + built.get(objective.id, 0)
    supporting: dict[int | None, list[tuple[Goal, Person | None]]] = {}
    for goal, owner in goals.goals_with_owners(
        session=session,
        team_id=team_id,
        cycle_id=cycle_id,
        objective_ids=[o.id for _, o in shown if built.get(o.id)],
        statuses=SHOWN_GOALS,
    ):
        if goal.unit_id in subtree:
            supporting.setdefault(goal.objective_id, []).append((goal, owner))
    rows: list[Row] = []
    for depth, objective in shown:
        orphan = not derived.get(objective.id) and not built.get(objective.id)
        extra = {"unit": by_id.get(objective.unit_id), "orphan": orphan}
        rows.append(Row(depth, "objective", objective, extra))
        for goal, owner in supporting.get(objective.id, []):
            rows.append(Row(depth + 1, "goal", goal, {"owner": owner}))
    return rows, lines
