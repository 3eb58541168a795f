"""The cycle retrospective, as plain data: per unit, goals achieved, missed and dropped, barriers
raised and resolved with their median age, and the lessons people wrote when closing goals.

It goes out the first working day after a cycle ends, at 09:00 in the workspace's time zone: to
each unit's manager for their subtree, lessons included (they go only to the managers above the
one who wrote them), and the organisation's to the summary channel, without lessons. Read for the
whole organisation in a fixed number of queries; each manager's part is a filter of it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from statistics import median

from sqlmodel import Session

from conversations import clock
from conversations.views.summary import subtree
from storage import summaries, units
from storage.models import Cycle, GoalStatus
from storage.units import UnitRow

AT = time(9)


@dataclass(frozen=True)
class Lesson:
    owner: str  # Slack user id
    statement: str
    learning: str


@dataclass(frozen=True)
class UnitRetro:
    unit_id: int
    name: str
    depth: int
    outcomes: Counter[str]  # achieved, missed, dropped, agreed (never closed)
    raised: int
    resolved: int
    median_days: float | None  # of the resolved ones
    lessons: tuple[Lesson, ...]


@dataclass
class Retrospective:
    cycle: Cycle
    units: list[UnitRetro] = field(default_factory=list)  # the subtree, depth first
    next_cycle: Cycle | None = None

    @property
    def totals(self) -> Counter[str]:
        return sum((u.outcomes for u in self.units), Counter())

    def of(self, top_unit_ids: set[int], rows: list[UnitRow]) -> Retrospective:
        """The part under these units (a manager's subtrees)."""
        wanted = {u.id for top in top_unit_ids for u, _, _ in subtree(rows, top)}
        part = [u for u in self.units if u.unit_id in wanted]
        return Retrospective(self.cycle, part, self.next_cycle)


def due_at(cycle: Cycle, tz: str, working: frozenset[int]) -> datetime:
    """09:00 on the first working day after the cycle's last day, in `tz`."""
    day = clock.add_working_days(cycle.end, 1, working)
    return clock.at_local(day, AT, tz)


def retrospective(
    *, session: Session, team_id: str, cycle: Cycle, next_cycle: Cycle | None, tz: str
) -> Retrospective:
    """The whole organisation's retrospective of `cycle` (three queries)."""
    rows = units.unit_rows(session=session, team_id=team_id)
    roots = [u for u in rows if u.parent_id is None]
    outcomes = summaries.cycle_outcomes(session=session, team_id=team_id, cycle_id=cycle.id or 0)
    start = clock.at_local(cycle.start, time(0), tz)
    end = clock.at_local(cycle.end + timedelta(days=1), time(0), tz)
    spans = summaries.barriers_between(session=session, team_id=team_id, start=start, end=end)
    found = Retrospective(cycle, next_cycle=next_cycle)
    for root in roots:
        for unit, depth, _ in subtree(rows, root.id):
            mine = [o for o in outcomes if o.unit_id == unit.id]
            raised = [s for s in spans if s.unit_id == unit.id]
            ages = [
                (s.resolved_at - s.reported_at).total_seconds() / 86400
                for s in raised
                if s.resolved_at is not None
            ]
            lessons = tuple(
                Lesson(o.owner_user_id, o.statement, o.learning)
                for o in mine
                if o.learning and o.status != GoalStatus.AGREED
            )
            found.units.append(
                UnitRetro(
                    unit.id,
                    unit.name,
                    depth,
                    Counter(o.status for o in mine),
                    len(raised),
                    len(ages),
                    round(median(ages), 1) if ages else None,
                    lessons,
                )
            )
    return found
