"""How managers are doing, as plain data: per manager, their team's coverage, the median days
from a proposal to their agreement, their team's check-ins last week, the median time they took
to acknowledge a barrier, and their promises of help kept and open. Facts, never a grade; read
for many managers at once in a fixed number of queries (`/goals team` shows a manager their own,
the leadership summary everyone's in a subtree)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlmodel import Session

from conversations import clock
from storage import barriers, checkins, commitments, goals, units
from storage.models import Barrier, Commitment, CommitmentStatus, Cycle, Goal, GoalStatus, Person

LOOKBACK = timedelta(days=90)  # barriers acknowledged, goals agreed: this recent
AGREED = (GoalStatus.AGREED, GoalStatus.ACHIEVED, GoalStatus.MISSED)


@dataclass(frozen=True)
class ManagerNumbers:
    manager: Person
    members: int
    covered: int  # members with an agreed goal linked to their unit's objectives, this cycle
    days_to_agree: float | None  # median, from proposal to agreement
    expected: int  # members with an agreed goal: asked to check in last week
    checked_in: int  # … who did, in their own week
    hours_to_acknowledge: float | None  # median, from a barrier reaching them to acknowledging
    kept: int  # promises of help done
    open: int  # … still open
    dropped: int


def _median(values: Sequence[float]) -> float | None:
    return round(median(values), 1) if values else None


@dataclass
class _Read:
    """Everything the numbers need, for every manager asked about at once."""

    members: list[tuple[int | None, Person]]  # (the unit a manager runs, a member of it)
    manager_of_unit: dict[int | None, int | None]
    covered: set[int]  # members with an agreed goal linked to their unit's objectives
    with_goal: set[int]  # members with an agreed goal this cycle
    last_week: dict[int | None, str]  # member → their last week
    checked: set[tuple[int, str]]
    acknowledged: list[Barrier]
    promised: list[Commitment]
    agreed: list[Goal]


def _read(
    session: Session, team_id: str, ids: list[int], cycle: Cycle | None, now: datetime
) -> _Read:
    managed = [u for u in units.list_units(session=session, team_id=team_id) if u.manager_id in ids]
    unit_ids = [u.id or 0 for u in managed]
    members = units.members_of_units(session=session, team_id=team_id, unit_ids=unit_ids)
    member_ids = [p.id or 0 for _, p in members if not p.deleted]
    # The managers' own goals come in the same query: a team view read after this reads none.
    owners = [*member_ids, *ids]
    theirs = goals.goals_of_owners(session=session, team_id=team_id, owner_ids=owners)
    agreed_now = [
        g for g in theirs if cycle is not None and g.cycle_id == cycle.id and g.status in AGREED
    ]
    last_week = {p.id: clock.week_key(now - timedelta(days=7), p.tz) for _, p in members}
    since = now - LOOKBACK
    return _Read(
        members=[(u, p) for u, p in members],
        manager_of_unit={u.id: u.manager_id for u in managed},
        # A goal's objective is one of its unit's (the interview offers no other).
        covered={g.owner_id for g in agreed_now if g.objective_id is not None},
        with_goal={g.owner_id for g in agreed_now},
        last_week=last_week,
        checked=checkins.checked_in(
            session=session, team_id=team_id, weeks=sorted(set(last_week.values()))
        ),
        acknowledged=barriers.acknowledged_by(
            session=session, team_id=team_id, holder_ids=ids, since=since
        ),
        promised=commitments.of_managers(session=session, team_id=team_id, manager_ids=ids),
        agreed=[g for g in theirs if g.agreed_by_id in ids and (g.agreed_at or since) >= since],
    )


def numbers(
    *,
    session: Session,
    team_id: str,
    managers: Sequence[Person],
    cycle: Cycle | None,
    now: datetime,
) -> list[ManagerNumbers]:
    """Each manager's numbers, in seven queries whatever their number (fewer after a team view
    in the same transaction: its units, members and goals are read once)."""
    read = _read(session, team_id, [m.id or 0 for m in managers], cycle, now)
    return [_of(manager, read) for manager in managers]


def _of(manager: Person, read: _Read) -> ManagerNumbers:
    team = [
        p
        for unit_id, p in read.members
        if read.manager_of_unit.get(unit_id) == manager.id and not p.deleted and p.id != manager.id
    ]
    expected = [p for p in team if p.id in read.with_goal]
    days = [
        (g.agreed_at - g.owner_agreed_at).total_seconds() / 86400
        for g in read.agreed
        if g.agreed_by_id == manager.id and g.agreed_at and g.owner_agreed_at
    ]
    hours = [
        (b.acknowledged_at - (b.escalated_at or b.reported_at)).total_seconds() / 3600
        for b in read.acknowledged
        if b.holder_id == manager.id and b.acknowledged_at
    ]
    promises = Counter(c.status for c in read.promised if c.manager_id == manager.id)
    return ManagerNumbers(
        manager=manager,
        members=len(team),
        covered=sum(1 for p in team if p.id in read.covered),
        days_to_agree=_median(days),
        expected=len(expected),
        checked_in=sum(1 for p in expected if (p.id, read.last_week[p.id]) in read.checked),
        hours_to_acknowledge=_median(hours),
        kept=promises[CommitmentStatus.DONE],
        open=promises[CommitmentStatus.OPEN],
        dropped=promises[CommitmentStatus.DROPPED],
    )
