"""The leadership summary's reads, each one aggregate query grouped by unit (whatever the size of
the organisation), and the snapshots that let the next summary say what changed."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    true,
    union_all,
)
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import Session, col, select

from storage.db import insert_or, one_of, plain_rows
from storage.models import (
    ALIGNING,
    Barrier,
    BarrierStatus,
    CheckIn,
    Commitment,
    Confidence,
    Goal,
    GoalStatus,
    Membership,
    Objective,
    ObjectiveStatus,
    Person,
    SummarySnapshot,
    Unit,
)

AGREED = ALIGNING
# A goal supports its objective from the moment it is proposed (as the alignment tree shows it).
SUPPORTING = (GoalStatus.PROPOSED, *AGREED)


class MemberCounts(NamedTuple):
    members: int  # people in the unit (not deleted, not bots)
    covered: int  # … with an agreed goal linked to an objective of the unit, this cycle
    expected: int  # … with an open agreed goal: the people asked to check in
    checked_in: int  # … of those, who checked in during their own current week


class MemberRow(NamedTuple):
    """A unit's members who live in one time zone, counted (tz None: members for whom it makes
    no difference which of the weeks asked about is theirs)."""

    unit_id: int
    tz: str | None
    members: int
    covered: int
    expected: int
    checked_in: tuple[int, ...]  # of `expected`, who checked in during each week asked about


class GoalCounts(NamedTuple):
    goals: int  # agreed goals of the unit this cycle (also those since achieved or missed)
    progress_total: int  # the sum of their progress, in percent
    at_risk: int  # open (still agreed) goals whose owner last said "at risk"
    off_track: int
    open_goals: int  # still agreed (not yet achieved or missed)


class ObjectiveCounts(NamedTuple):
    objectives: int  # published objectives of the unit this cycle
    orphans: int  # … that no goal and no published child objective supports


class BarrierAges(NamedTuple):
    under_a_week: int
    one_to_two_weeks: int
    older: int


def _within(column: Any, unit_ids: Collection[int] | None) -> ColumnElement[bool]:
    """`column` is one of these units (None: any unit of the workspace, so a whole-organisation
    summary sends no list of a thousand ids)."""
    return true() if unit_ids is None else column.in_(list(unit_ids))


def _summed(condition: ColumnElement[bool], value: Any = 1) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _checked(weeks: Sequence[str]) -> Subquery | None:
    """Per person who checked in during one of `weeks`: a 1 or a 0 for each week."""
    if not weeks:
        return None
    return (
        core_select(
            col(CheckIn.person_id).label("person_id"),
            *(
                func.max(case((col(CheckIn.week) == week, 1), else_=0)).label(f"week_{i}")
                for i, week in enumerate(weeks)
            ),
        )
        .where(col(CheckIn.week).in_(list(weeks)))
        .group_by(col(CheckIn.person_id))
        .subquery("checked")
    )


def _members(
    team_id: str, cycle_id: int, unit_ids: Collection[int] | None, weeks: Sequence[str]
) -> Subquery:
    """One row per member with each fact once: has an agreed goal; has one aligned with an
    objective of their unit; checked in during each of `weeks` (1 or 0). Their goals are joined
    to them and folded back to one row each; the few who have left are left out, rather than
    everyone joined to find them."""
    checked = _checked(weeks)
    weekly = [
        func.coalesce(func.max(checked.c[f"week_{i}"]), 0).label(f"week_{i}")
        for i in range(len(weeks))
        if checked is not None
    ]
    query = (
        core_select(
            col(Membership.person_id).label("person_id"),
            col(Membership.unit_id).label("unit_id"),
            func.max(case((col(Objective.unit_id) == col(Membership.unit_id), 1), else_=0)).label(
                "aligned"
            ),
            func.max(case((col(Goal.status) == GoalStatus.AGREED, 1), else_=0)).label("agreed"),
            *weekly,
        )
        .select_from(Membership)
        .outerjoin(
            Goal,
            and_(
                col(Goal.owner_id) == col(Membership.person_id),
                col(Goal.team_id) == team_id,
                col(Goal.cycle_id) == cycle_id,
                col(Goal.status).in_(AGREED),
            ),
        )
        .outerjoin(
            Objective,
            and_(col(Objective.id) == col(Goal.objective_id), col(Objective.cycle_id) == cycle_id),
        )
    )
    if checked is not None:
        query = query.outerjoin(checked, checked.c.person_id == col(Membership.person_id))
    gone = core_select(col(Person.id)).where(or_(col(Person.deleted), col(Person.is_bot)))
    return (
        query.where(
            col(Membership.team_id) == team_id,
            _within(col(Membership.unit_id), unit_ids),
            col(Membership.person_id).not_in(gone),
        )
        .group_by(col(Membership.person_id), col(Membership.unit_id))
        .subquery("member")
    )


def member_counts(
    *,
    session: Session,
    team_id: str,
    cycle_id: int,
    unit_ids: Collection[int] | None,
    weeks: Sequence[str],
) -> Iterator[MemberRow]:
    """Per unit: members, how many are aligned, how many are asked to check in, and of those
    how many checked in during each of `weeks` (ISO week keys, as a check-in records the
    person's local week). Which of the weeks is a person's own "this week" depends on their time
    zone: the caller knows, the database need not. So those asked whose check-ins differ from
    week to week are counted per time zone; everyone else in one row per unit (tz None), since
    for them it makes no difference (with one week, always: nobody's time zone is read). Rows to
    be read once, as they come."""
    member = _members(team_id, cycle_id, unit_ids, weeks)
    week = [member.c[f"week_{i}"] for i in range(len(weeks))]
    tz: ColumnElement[Any] = null()
    if len(week) > 1:
        differs = or_(*(w != week[0] for w in week[1:]))
        tz = case((and_(member.c.agreed == 1, differs), col(Person.tz)))
    query = core_select(
        member.c.unit_id,
        tz.label("tz"),
        func.count(),
        func.sum(member.c.aligned),
        func.sum(member.c.agreed),
        *(func.sum(member.c.agreed * w) for w in week),
    )
    if len(week) > 1:
        query = query.join(Person, col(Person.id) == member.c.person_id)
        query = query.group_by(member.c.unit_id, tz)
    else:
        query = query.group_by(member.c.unit_id)
    rows = plain_rows(session, query)
    return (MemberRow(row[0], row[1], row[2], row[3], row[4], tuple(row[5:])) for row in rows)


def goal_counts(
    *, session: Session, team_id: str, cycle_id: int, unit_ids: Collection[int] | None
) -> dict[int, GoalCounts]:
    """Per unit: its agreed goals this cycle (also those since achieved or missed; not those of
    people who have left), their total progress, and how many of the open ones are at risk or
    off track."""
    is_open = col(Goal.status) == GoalStatus.AGREED
    rows = plain_rows(
        session,
        core_select(
            col(Goal.unit_id),
            func.count(),
            func.coalesce(func.sum(col(Goal.progress)), 0),
            _summed(and_(is_open, col(Goal.confidence) == Confidence.AT_RISK)),
            _summed(and_(is_open, col(Goal.confidence) == Confidence.OFF_TRACK)),
            _summed(is_open),
        )
        .where(
            col(Goal.team_id) == team_id,
            col(Goal.cycle_id) == cycle_id,
            _within(col(Goal.unit_id), unit_ids),
            col(Goal.status).in_(AGREED),
            # The few who have left, rather than a join with everyone (an owner is a person).
            col(Goal.owner_id).not_in(
                core_select(col(Person.id)).where(or_(col(Person.deleted), col(Person.is_bot)))
            ),
        )
        .group_by(col(Goal.unit_id)),
    )
    return {row[0]: GoalCounts(row[1], row[2], row[3], row[4], row[5]) for row in rows}


def objective_counts(
    *, session: Session, team_id: str, cycle_id: int, unit_ids: Collection[int] | None
) -> dict[int, ObjectiveCounts]:
    """Per unit: its published objectives this cycle, and the orphans among them (each set of
    supporters read once and joined, not looked for per objective)."""
    child = aliased(Objective)
    by_goal = (
        core_select(col(Goal.objective_id).label("id"))
        .where(col(Goal.status).in_(SUPPORTING), col(Goal.objective_id).is_not(None))
        .distinct()
        .subquery("by_goal")
    )
    by_child = (
        core_select(col(child.parent_id).label("id"))
        .where(col(child.status) == ObjectiveStatus.PUBLISHED, col(child.parent_id).is_not(None))
        .distinct()
        .subquery("by_child")
    )
    orphan = and_(by_goal.c.id.is_(None), by_child.c.id.is_(None))
    rows = plain_rows(
        session,
        core_select(col(Objective.unit_id), func.count(), _summed(orphan))
        .outerjoin(by_goal, by_goal.c.id == col(Objective.id))
        .outerjoin(by_child, by_child.c.id == col(Objective.id))
        .where(
            col(Objective.team_id) == team_id,
            col(Objective.cycle_id) == cycle_id,
            _within(col(Objective.unit_id), unit_ids),
            col(Objective.status) == ObjectiveStatus.PUBLISHED,
        )
        .group_by(col(Objective.unit_id)),
    )
    return {row[0]: ObjectiveCounts(row[1], row[2]) for row in rows}


def barrier_ages(
    *,
    session: Session,
    team_id: str,
    unit_ids: Collection[int] | None,
    week_ago: datetime,
    two_weeks_ago: datetime,
) -> dict[int, BarrierAges]:
    """Per unit: its unresolved barriers by when they were reported. A barrier is its reporter's
    unit's; someone in no unit (the head of the organisation) counts in the unit they manage."""
    managed = (
        select(func.min(col(Unit.id)))
        .where(col(Unit.team_id) == team_id, col(Unit.manager_id) == col(Barrier.reporter_id))
        .scalar_subquery()
    )
    unit = func.coalesce(col(Membership.unit_id), managed).label("unit")
    reported = col(Barrier.reported_at)
    rows = plain_rows(
        session,
        select(
            unit,
            _summed(reported > week_ago),
            _summed(and_(reported <= week_ago, reported > two_weeks_ago)),
            _summed(reported <= two_weeks_ago),
        )
        .select_from(Barrier)
        .outerjoin(
            Membership,
            and_(
                col(Membership.team_id) == team_id,
                col(Membership.person_id) == col(Barrier.reporter_id),
            ),
        )
        .where(
            col(Barrier.team_id) == team_id,
            col(Barrier.status).in_((BarrierStatus.OPEN, BarrierStatus.ACKNOWLEDGED)),
        )
        .group_by(unit),
    )
    return {
        unit_id: BarrierAges(*(int(n) for n in ages))
        for unit_id, *ages in rows
        if unit_id is not None and (unit_ids is None or unit_id in unit_ids)
    }


def save_snapshot(
    *,
    session: Session,
    team_id: str,
    scope_unit_id: int,
    period: str,
    taken_at: datetime,
    units: dict[str, Any],
) -> None:
    """Keep a summary's numbers; a second one for the same week replaces the first."""
    row = {
        "team_id": team_id,
        "scope_unit_id": scope_unit_id,
        "period": period,
        "taken_at": taken_at,
        "units": units,
    }
    statement = insert_or(session, SummarySnapshot).values(row)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["team_id", "scope_unit_id", "period"],
            set_={"taken_at": taken_at, "units": statement.excluded.units},
        )
    )


def recent_snapshots(
    *, session: Session, team_id: str, before_period: str | None = None, weeks: int = 12
) -> list[SummarySnapshot]:
    """The workspace's newest snapshots (taken for weeks before `before_period`, if given), the
    newest first, at most one a week: a trend and the last one to compare with, in one query."""
    query = select(SummarySnapshot).where(SummarySnapshot.team_id == team_id)
    if before_period is not None:
        query = query.where(col(SummarySnapshot.period) < before_period)
    return list(
        session.exec(
            query.order_by(
                col(SummarySnapshot.period).desc(), col(SummarySnapshot.id).desc()
            ).limit(weeks)
        )
    )


def latest_snapshot(
    *, session: Session, team_id: str, before_period: str | None = None
) -> SummarySnapshot | None:
    """The workspace's newest snapshot (taken for a week before `before_period`, if given)."""
    query = select(SummarySnapshot).where(SummarySnapshot.team_id == team_id)
    if before_period is not None:
        query = query.where(col(SummarySnapshot.period) < before_period)
    return session.exec(
        query.order_by(col(SummarySnapshot.taken_at).desc(), col(SummarySnapshot.id).desc())
    ).first()


class ManagerTimes(NamedTuple):
    """How long a manager took: a goal from proposal to agreement, a barrier to acknowledgement."""

    manager_id: int
    kind: str  # "agree" | "acknowledge"
    started: datetime
    done: datetime


def manager_facts(
    *, session: Session, team_id: str, manager_ids: Collection[int], since: datetime
) -> tuple[list[ManagerTimes], dict[int, dict[str, int]]]:
    """For these managers, in one statement: each goal they agreed and each barrier they
    acknowledged since `since`, with its start and end (medians are taken by the caller, on any
    database), and their promises of help counted by status. The ids travel as one array on
    PostgreSQL: a summary of the whole organisation names ten thousand managers."""
    if not manager_ids:
        return [], {}
    # One parameter, named once in each part (PostgreSQL: one array, sent once).
    ids = list(manager_ids)
    agreed = core_select(
        col(Goal.agreed_by_id),
        literal("agree"),
        col(Goal.owner_agreed_at),
        col(Goal.agreed_at),
        literal(1),
    ).where(
        col(Goal.team_id) == team_id,
        one_of(session, col(Goal.agreed_by_id), ids, key="manager_ids"),
        col(Goal.agreed_at) >= since,
        col(Goal.owner_agreed_at).is_not(None),
    )
    acknowledged = core_select(
        col(Barrier.holder_id),
        literal("acknowledge"),
        func.coalesce(col(Barrier.escalated_at), col(Barrier.reported_at)),
        col(Barrier.acknowledged_at),
        literal(1),
    ).where(
        col(Barrier.team_id) == team_id,
        one_of(session, col(Barrier.holder_id), ids, key="manager_ids"),
        col(Barrier.acknowledged_at) >= since,
    )
    promised = (
        core_select(
            col(Commitment.manager_id), col(Commitment.status), null(), null(), func.count()
        )
        .where(
            col(Commitment.team_id) == team_id,
            one_of(session, col(Commitment.manager_id), ids, key="manager_ids"),
        )
        .group_by(col(Commitment.manager_id), col(Commitment.status))
    )
    times: list[ManagerTimes] = []
    promises: dict[int, dict[str, int]] = {}
    for manager_id, kind, started, done, count in plain_rows(
        session, union_all(agreed, acknowledged, promised)
    ):
        if kind in ("agree", "acknowledge") and started and done:
            times.append(ManagerTimes(manager_id, kind, _aware(started), _aware(done)))
        elif kind not in ("agree", "acknowledge"):
            promises.setdefault(manager_id, {})[kind] = int(count)
    return times, promises


def _aware(value: datetime | str) -> datetime:
    """An instant from a UNION's column (SQLite gives its text, with no zone: it is UTC)."""
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


class OutcomeRow(NamedTuple):
    """A closed or still-open goal of a cycle, with who wrote what they learned."""

    unit_id: int
    status: str
    owner_user_id: str
    statement: str
    learning: str | None


def cycle_outcomes(*, session: Session, team_id: str, cycle_id: int) -> list[OutcomeRow]:
    """Every agreed goal of a cycle (achieved, missed, dropped or still agreed) with its unit,
    its owner and the lesson written when closing it, in one query."""
    rows = session.execute(
        core_select(
            col(Goal.unit_id),
            col(Goal.status),
            col(Person.user_id),
            col(Goal.statement),
            col(Goal.learning),
        )  # fmt: skip
        .join(Person, col(Person.id) == col(Goal.owner_id))
        .where(
            col(Goal.team_id) == team_id,
            col(Goal.cycle_id) == cycle_id,
            col(Goal.status).in_(
                (GoalStatus.AGREED, GoalStatus.ACHIEVED, GoalStatus.MISSED, GoalStatus.DROPPED)
            ),
            col(Goal.agreed_at).is_not(None),
        )
        .order_by(col(Goal.id))
    )
    return [OutcomeRow(*row) for row in rows]


class BarrierSpan(NamedTuple):
    unit_id: int  # the reporter's unit
    reported_at: datetime
    resolved_at: datetime | None


def barriers_between(
    *, session: Session, team_id: str, start: datetime, end: datetime
) -> list[BarrierSpan]:
    """Every barrier reported between `start` and `end`, by its reporter's unit, in one query."""
    rows = session.execute(
        core_select(col(Membership.unit_id), col(Barrier.reported_at), col(Barrier.resolved_at))
        .join(Membership, col(Membership.person_id) == col(Barrier.reporter_id))
        .where(
            col(Barrier.team_id) == team_id,
            col(Barrier.reported_at) >= start,
            col(Barrier.reported_at) < end,
        )
    )
    return [BarrierSpan(u, _aware(r), _aware(d) if d else None) for u, r, d in rows]
