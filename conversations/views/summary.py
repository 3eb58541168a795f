"""The leadership summary as plain data: per unit of a subtree, counts only.

For each unit: alignment coverage (members with an agreed goal linked to one of the unit's
objectives), orphan objectives (published, supported by no goal and no child objective), goals at
risk or off track, check-in participation this week, unresolved barriers by age, and what changed
since the last weekly summary. Nothing here holds a goal's or a barrier's text, so nothing a
renderer does with a `Summary` can leak one: the only user text in it is unit names.

`compute` reads the organisation in a fixed number of queries (storage/summaries.py aggregates
in SQL, grouped by unit), whatever its size. Who may see which part is `who_may_see`; when the
weekly one is due is `due_at`; the weekly one keeps its numbers (`weekly`) for the next to diff.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timedelta
from operator import add, attrgetter
from statistics import median
from typing import Any

from sqlmodel import Session

from conversations import clock
from conversations.actor import Actor, require_admin
from conversations.errors import Refusal
from conversations.services import planning
from conversations.services.organisation import unit_named
from storage import people, summaries, units, workspaces
from storage.models import Cycle, SummarySnapshot, Workspace
from storage.units import UnitRow

ENDED, SO_FAR = "ended", "so_far"  # the week just ended (Monday's post), or this one so far
LOOKBACK = timedelta(days=90)  # how far back the managers' medians look
DEFAULT_TZ = "UTC"  # a workspace's tz while nobody has chosen one: the head's is used instead
WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Numbers:
    """One unit's counts (or a subtree's, added up)."""

    members: int = 0
    covered: int = 0  # members with an agreed goal linked to an objective of their unit
    objectives: int = 0  # published objectives this cycle
    orphans: int = 0  # … that no goal and no child objective supports
    goals: int = 0  # agreed goals this cycle (also those since achieved or missed)
    progress_total: int = 0  # their progress added up, in percent
    at_risk: int = 0  # open agreed goals whose owner last said "at risk"
    off_track: int = 0
    open_goals: int = 0  # agreed goals not yet closed: their confidence is the mix
    expected: int = 0  # members with an open agreed goal: asked to check in this week
    checked_in: int = 0  # … who have, in their own local week
    barriers_under_a_week: int = 0  # unresolved barriers reported by members, by age
    barriers_one_to_two_weeks: int = 0
    barriers_older: int = 0
    not_planned: int = 0  # units with no published objectives this cycle

    def __add__(self, other: Numbers) -> Numbers:
        return Numbers(*(getattr(self, n) + getattr(other, n) for n in _COUNTS))

    @property
    def coverage(self) -> int | None:
        """Percent of members aligned (None: no members)."""
        return _percent(self.covered, self.members)

    @property
    def progress(self) -> int | None:
        """Average progress of the agreed goals, in percent (None: no goals)."""
        return _percent(self.progress_total, self.goals * 100)

    @property
    def participation(self) -> int | None:
        """Percent of those asked to check in this week who have (None: nobody was asked)."""
        return _percent(self.checked_in, self.expected)

    @property
    def troubled(self) -> int:
        """Goals at risk or off track."""
        return self.at_risk + self.off_track

    @property
    def open_barriers(self) -> int:
        return self.barriers_under_a_week + self.barriers_one_to_two_weeks + self.barriers_older

    def as_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Numbers:
        """Numbers kept by an earlier version may lack a field (0) or have one no longer used."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in data.items() if k in known})


_COUNTS = tuple(f.name for f in fields(Numbers))


_ALL_COUNTS = attrgetter(*_COUNTS)  # a Numbers' counts as a tuple, in field order


def total(numbers: Iterable[Numbers]) -> Numbers:
    """Numbers added up (the same as `sum(numbers, Numbers())`, in one pass per count rather
    than a new `Numbers` per term: a summary adds up ten thousand units)."""
    rows = [_ALL_COUNTS(n) for n in numbers]
    return Numbers(*map(sum, zip(*rows, strict=True))) if rows else Numbers()


def _percent(part: int, whole: int) -> int | None:
    return None if whole <= 0 else round(100 * part / whole)


@dataclass(frozen=True)
class Change:
    """How numbers moved since the last summary."""

    before: Numbers
    after: Numbers
    # False when the two counted different weeks' check-ins (this week so far against the last
    # full week): then check-ins are not compared, only what stands at any moment.
    like: bool = True

    def __getattr__(self, name: str) -> int:
        """How a count of `Numbers` moved: `covered`, `orphans`, `troubled`, `checked_in`…"""
        if name.startswith("_"):
            raise AttributeError(name)
        return int(getattr(self.after, name) - getattr(self.before, name))

    @property
    def any(self) -> bool:
        if self.like:
            return self.before != self.after
        standing = {"checked_in": 0, "expected": 0}
        return replace(self.before, **standing) != replace(self.after, **standing)


@dataclass(frozen=True)
class Snapshot:
    """The numbers a weekly summary kept, per unit id."""

    period: str
    taken_at: datetime
    units: dict[int, Numbers]


@dataclass(frozen=True, slots=True)
class UnitSummary:
    unit_id: int
    name: str
    depth: int  # 0 for the top of the summary
    parent_id: int | None
    numbers: Numbers
    change: Change | None  # None: no earlier summary counted this unit
    has_children: bool = False
    manager: str | None = None  # its manager's Slack user id

    @property
    def planned(self) -> bool:
        return not self.numbers.not_planned


@dataclass(frozen=True, slots=True)
class ManagerLine:
    """How one manager of the subtree is doing: facts, never a grade."""

    user_id: str
    members: int
    covered: int
    expected: int
    checked_in: int
    days_to_agree: float | None  # median
    hours_to_acknowledge: float | None  # median
    kept: int
    open: int


@dataclass(frozen=True)
class Summary:
    team_id: str
    cycle_name: str
    now: datetime
    units: list[UnitSummary]  # the subtree, depth first, its top first
    totals: Numbers
    since: Snapshot | None  # the summary compared with
    total_change: Change | None
    whole_org: bool  # the top is the root of the organisation
    new_units: int = 0  # units of the subtree the last summary did not count
    week: str = ENDED  # which week's check-ins it counts: ENDED (the weekly post) or SO_FAR
    managers: list[ManagerLine] = field(default_factory=list)

    @property
    def top(self) -> UnitSummary:
        return self.units[0]

    def numbers_by_unit(self) -> dict[str, dict[str, int]]:
        """What a snapshot keeps: each unit's numbers, keyed by unit id (as JSON keys are)."""
        return {str(u.unit_id): u.numbers.as_json() for u in self.units}


def active_cycle(*, session: Session, team_id: str, now: datetime) -> Cycle | None:
    """The cycle the summary counts (the one place the summary decides which that is): the one
    running, else the next."""
    return planning.current(session=session, team_id=team_id, now=now)


def subtree(rows: list[UnitRow], top_id: int) -> Iterator[tuple[UnitRow, int, bool]]:
    """The units under `top_id` (itself first), depth first in id order: (unit, depth, has
    children). A unit met twice (a broken tree) is shown once."""
    by_id = {u.id: u for u in rows}
    children: dict[int | None, list[UnitRow]] = {}
    for unit in rows:
        children.setdefault(unit.parent_id, []).append(unit)
    seen: set[int] = set()
    stack = [(by_id[top_id], 0)]
    while stack:
        unit, depth = stack.pop()
        if unit.id in seen:
            continue
        seen.add(unit.id)
        below = [c for c in children.get(unit.id, []) if c.id not in seen]
        yield unit, depth, bool(below)
        stack.extend((child, depth + 1) for child in reversed(below))


def _weeks_somewhere(now: datetime) -> list[str]:
    """Every local ISO week it is somewhere at `now` (clocks run from UTC−12 to UTC+14)."""
    return sorted({clock.week_key(now + timedelta(hours=h), DEFAULT_TZ) for h in (-12, 0, 14)})


def compute(
    *,
    session: Session,
    team_id: str,
    top_unit_id: int | None,
    now: datetime,
    since: Snapshot | None,
    week: str = ENDED,
) -> Summary:
    """The summary of the subtree under `top_unit_id` (None: the whole organisation) as of `now`,
    compared with `since`; its check-ins are those of the week just ended (ENDED: what Monday's
    post counts) or of this week so far (SO_FAR: what `/goals summary` counts). Nine queries,
    whatever the size of the organisation."""
    rows = units.unit_rows(session=session, team_id=team_id)
    roots = [u for u in rows if u.parent_id is None]
    if not roots:
        raise Refusal("no_units_yet")
    top_id = roots[0].id if top_unit_id is None else top_unit_id
    if top_id not in {u.id for u in rows}:
        raise Refusal("no_units_yet")
    cycle = active_cycle(session=session, team_id=team_id, now=now)
    if cycle is None or cycle.id is None:
        raise Refusal("no_active_cycle")
    tree = list(subtree(rows, top_id))
    # The whole organisation needs no list of its units: every unit of the workspace will do.
    ids = None if top_id == roots[0].id else {unit.id for unit, _, _ in tree}
    counted_at = now - WEEK if week == ENDED else now
    numbers = _numbers(session, team_id, cycle.id, ids, now, counted_at)
    like = week == ENDED  # weekly snapshots count the week just ended
    listed = [_unit_line(u, d, below, numbers, since, like) for u, d, below in tree]
    totals = total(u.numbers for u in listed)
    total_change = None
    if since is not None:
        before_total = total(since.units[u.unit_id] for u in listed if u.unit_id in since.units)
        total_change = Change(before_total, totals, like)
    new_units = 0 if since is None else sum(1 for u in listed if u.unit_id not in since.units)
    whole_org = top_id == roots[0].id
    found = Summary(
        team_id, cycle.name, now, listed, totals, since, total_change, whole_org, new_units, week
    )
    found.managers.extend(_managers(session, team_id, tree, listed, now))
    return found


def _unit_line(
    unit: UnitRow,
    depth: int,
    below: bool,
    numbers: dict[int, Numbers],
    since: Snapshot | None,
    like: bool,
) -> UnitSummary:
    counted = numbers.get(unit.id, _NOTHING)  # `_numbers` says which are not planned yet
    before = since.units.get(unit.id) if since is not None else None
    change = None if before is None else Change(before, counted, like)
    manager = unit.manager_user_id
    return UnitSummary(unit.id, unit.name, depth, unit.parent_id, counted, change, below, manager)


_NOTHING = Numbers(not_planned=1)  # a unit with no members, goals, objectives or barriers


def _managers(
    session: Session,
    team_id: str,
    tree: list[tuple[UnitRow, int, bool]],
    listed: list[UnitSummary],
    now: datetime,
) -> list[ManagerLine]:
    """How each manager of the subtree is doing: their units' numbers, and one query more.
    Managers in the order of the first unit each runs (by unit id)."""
    user_ids: dict[int, str | None] = {}
    runs: dict[int, list[int]] = {}  # manager → the units they run, in tree order
    for unit, _, _ in tree:
        if unit.manager_id is not None:
            user_ids.setdefault(unit.manager_id, unit.manager_user_id)
            runs.setdefault(unit.manager_id, []).append(unit.id)
    times, promises = summaries.manager_facts(
        session=session, team_id=team_id, manager_ids=list(user_ids), since=now - LOOKBACK
    )
    took: dict[int, list[summaries.ManagerTimes]] = {}
    for t in times:
        took.setdefault(t.manager_id, []).append(t)
    by_unit = {u.unit_id: u.numbers for u in listed}
    lines = []
    for manager_id in sorted(user_ids, key=lambda i: runs[i][0]):
        theirs = runs[manager_id]
        mine = by_unit[theirs[0]] if len(theirs) == 1 else total(by_unit[i] for i in theirs)
        spans = took.get(manager_id)
        kept = promises.get(manager_id, {})
        lines.append(
            ManagerLine(
                user_id=user_ids[manager_id] or "",
                members=mine.members,
                covered=mine.covered,
                expected=mine.expected,
                checked_in=mine.checked_in,
                days_to_agree=_median_of(spans, "agree", 86400) if spans else None,
                hours_to_acknowledge=_median_of(spans, "acknowledge", 3600) if spans else None,
                kept=kept.get("done", 0),
                open=kept.get("open", 0),
            )
        )
    return lines


def _median_of(times: list[summaries.ManagerTimes], kind: str, unit_seconds: int) -> float | None:
    spans = [(t.done - t.started).total_seconds() / unit_seconds for t in times if t.kind == kind]
    return round(median(spans), 1) if spans else None


def _member_counts(
    session: Session, team_id: str, cycle_id: int, ids: set[int] | None, now: datetime
) -> dict[int, summaries.MemberCounts]:
    """Per unit: members, aligned, asked to check in, and who did in their own week of `now`."""
    weeks = _weeks_somewhere(now)
    own_week: dict[str, int] = {}  # time zone → which of `weeks` it is there
    found: dict[int, summaries.MemberCounts] = {}
    for row in summaries.member_counts(
        session=session, team_id=team_id, cycle_id=cycle_id, unit_ids=ids, weeks=weeks
    ):
        # Of the weeks it is somewhere on Earth now, the one it is where these people live.
        week = 0  # tz None: the same whichever week is theirs
        if row.tz is not None:
            if row.tz not in own_week:
                own_week[row.tz] = weeks.index(clock.week_key(now, row.tz))
            week = own_week[row.tz]
        counted = (row.members, row.covered, row.expected, row.checked_in[week])
        before = found.get(row.unit_id)  # a unit has a row per time zone that matters
        found[row.unit_id] = summaries.MemberCounts._make(
            counted if before is None else map(add, before, counted)
        )
    return found


def _numbers(
    session: Session,
    team_id: str,
    cycle_id: int,
    ids: set[int] | None,
    now: datetime,
    counted_at: datetime,
) -> dict[int, Numbers]:
    """Each unit's own numbers (its members, goals, objectives and barriers; not its subtree's),
    its check-ins those of the week that holds `counted_at`; a unit with no published objective
    is not planned yet."""
    members = _member_counts(session, team_id, cycle_id, ids, counted_at)
    goals = summaries.goal_counts(session=session, team_id=team_id, cycle_id=cycle_id, unit_ids=ids)
    objectives = summaries.objective_counts(
        session=session, team_id=team_id, cycle_id=cycle_id, unit_ids=ids
    )
    barriers = summaries.barrier_ages(
        session=session,
        team_id=team_id,
        unit_ids=ids,
        week_ago=now - WEEK,
        two_weeks_ago=now - 2 * WEEK,
    )
    no_members, no_goals = summaries.MemberCounts(0, 0, 0, 0), summaries.GoalCounts(0, 0, 0, 0, 0)
    no_objectives, no_barriers = summaries.ObjectiveCounts(0, 0), summaries.BarrierAges(0, 0, 0)
    found: dict[int, Numbers] = {}
    for unit_id in {*members, *goals, *objectives, *barriers}:
        m = members.get(unit_id, no_members)
        g = goals.get(unit_id, no_goals)
        o = objectives.get(unit_id, no_objectives)
        b = barriers.get(unit_id, no_barriers)
        found[unit_id] = Numbers(
            members=m.members,
            covered=m.covered,
            objectives=o.objectives,
            orphans=o.orphans,
            goals=g.goals,
            progress_total=g.progress_total,
            at_risk=g.at_risk,
            off_track=g.off_track,
            open_goals=g.open_goals,
            expected=m.expected,
            checked_in=m.checked_in,
            barriers_under_a_week=b.under_a_week,
            barriers_one_to_two_weeks=b.one_to_two_weeks,
            barriers_older=b.older,
            not_planned=0 if o.objectives else 1,  # nothing published this cycle
        )
    return found


# -- who may see which part ------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The part of the organisation a person may see the summary of."""

    unit_id: int
    unit_name: str
    root_id: int
    whole_org: bool


def who_may_see(*, session: Session, actor: Actor, unit_name: str | None) -> Scope:
    """Admins see the whole organisation (or any unit of it); a manager sees the subtree they
    run (or a unit inside it); anyone else is refused, told who can see it."""
    team_id = actor.team_id
    rows = units.unit_rows(session=session, team_id=team_id)
    roots = [u for u in rows if u.parent_id is None]
    if not roots:
        raise Refusal("no_units_yet")
    root = roots[0]
    named = unit_named(session=session, team_id=team_id, name=unit_name) if unit_name else None

    def scope(unit_id: int, name: str) -> Scope:
        return Scope(unit_id, name, root.id, unit_id == root.id)

    if actor.is_admin:
        return scope(named.id or 0, named.name) if named is not None else scope(root.id, root.name)
    managed = [u for u in rows if u.manager_id == actor.person_id]
    if not managed:
        raise _not_yours(session, actor)
    depth = {unit.id: d for unit, d, _ in subtree(rows, root.id)}
    reach = {unit.id for m in managed for unit, _, _ in subtree(rows, m.id)}
    if named is not None:
        if named.id not in reach:
            raise Refusal("summary_outside_yours", unit=named.name, yours=[m.name for m in managed])
        return scope(named.id or 0, named.name)
    # Someone running two units sees the one nearer the top (the other by name).
    top = min(managed, key=lambda u: (depth.get(u.id, len(rows)), u.id))
    return scope(top.id, top.name)


def _not_yours(session: Session, actor: Actor) -> Refusal:
    """The refusal for someone who manages nothing: who can show them the summary."""
    team_id = actor.team_id
    unit = units.unit_of(session=session, team_id=team_id, person_id=actor.person_id)
    manager = None
    if unit is not None and unit.manager_id is not None:
        manager = people.get_person_by_id(
            session=session, team_id=team_id, person_id=unit.manager_id
        )
    return Refusal(
        "summary_not_yours",
        manager=None if manager is None or manager.deleted else manager.user_id,
        unit=None if unit is None else unit.name,
        admins=sorted(actor.admin_ids),
    )


def on_demand(*, session: Session, actor: Actor, unit_name: str | None, now: datetime) -> Summary:
    """`/goals summary [unit]`: the summary this person may see, now, compared with the last
    weekly one (and kept nowhere)."""
    scope = who_may_see(session=session, actor=actor, unit_name=unit_name)
    since = last_weekly(session=session, team_id=actor.team_id)
    return compute(
        session=session,
        team_id=actor.team_id,
        top_unit_id=scope.unit_id,
        now=now,
        since=since,
        week=SO_FAR,
    )


# -- the weekly one --------------------------------------------------------------------------


def last_weekly(
    *, session: Session, team_id: str, before_period: str | None = None
) -> Snapshot | None:
    """The numbers the last weekly summary kept (before the week `before_period`, if given).
    Weekly summaries are of the whole organisation: a part's numbers are among them."""
    row = summaries.latest_snapshot(session=session, team_id=team_id, before_period=before_period)
    return None if row is None else _snapshot(row)


def _snapshot(row: SummarySnapshot) -> Snapshot:
    return Snapshot(
        period=row.period,
        taken_at=row.taken_at,
        units={int(k): Numbers.from_json(v) for k, v in row.units.items() if k.isdigit()},
    )


def summary_tz(*, session: Session, workspace: Workspace, head_tz: str | None = None) -> str:
    """The workspace's time zone: the one set for it, else the head of the organisation's
    (`head_tz` when the caller has read it already)."""
    if workspace.tz and workspace.tz != DEFAULT_TZ:
        return workspace.tz
    return head_tz or units.head_tz(session=session, team_id=workspace.team_id) or DEFAULT_TZ


def due_at(workspace: Workspace, now: datetime, tz: str | None = None) -> datetime:
    """When this week's summary is due: the workspace's summary weekday and time (Monday 08:00
    by default) in the local ISO week that holds `now`, in `tz` (pass `summary_tz`; None: the
    workspace's own tz column)."""
    return clock.this_weeks(
        now, tz or workspace.tz, workspace.summary_weekday, workspace.summary_time
    )


def period_key(now: datetime, tz: str) -> str:
    """The week a weekly summary is for (its outbox period key): "2027-W09"."""
    return clock.week_key(now, tz)


@dataclass(frozen=True)
class Slot:
    """This week's summary for one workspace: when it is due, its week, in which time zone."""

    at: datetime
    period: str
    tz: str


def slot(*, session: Session, team_id: str, now: datetime) -> Slot:
    """When this week's summary is due (the workspace's summary weekday and time, Monday 08:00
    by default, in its time zone or else the head of the organisation's), and its period key."""
    return schedule(session=session, team_id=team_id, now=now)[1]


def schedule(*, session: Session, team_id: str, now: datetime) -> tuple[Workspace, Slot]:
    """The workspace (its summary weekday and time) and this week's slot."""
    workspace = workspaces.get_workspace(session=session, team_id=team_id)
    tz = summary_tz(session=session, workspace=workspace)
    return workspace, Slot(at=due_at(workspace, now, tz), period=period_key(now, tz), tz=tz)


@dataclass(frozen=True)
class Weekly:
    summary: Summary
    period: str
    tz: str
    trend: list[tuple[str, Numbers]] = field(
        default_factory=list
    )  # the totals by week, oldest first


def weekly(*, session: Session, team_id: str, now: datetime) -> Weekly | None:
    """The weekly summary of the whole organisation, compared with last week's (or the latest
    before it), whose numbers it keeps for next week: a rerun in the same week gives the same
    comparison. None when there is nothing to summarise (no units, or no active cycle)."""
    # Kept in hand: the session holds rows weakly, and the cycle's choice reads the workspace too.
    workspace, found = schedule(session=session, team_id=team_id, now=now)
    earlier = [
        _snapshot(row)
        for row in summaries.recent_snapshots(
            session=session, team_id=team_id, before_period=found.period
        )
    ]
    since = earlier[0] if earlier else None
    try:
        summary = compute(session=session, team_id=team_id, top_unit_id=None, now=now, since=since)
    except Refusal:
        return None
    summaries.save_snapshot(
        session=session,
        team_id=team_id,
        scope_unit_id=summary.top.unit_id,
        period=found.period,
        taken_at=now,
        units=summary.numbers_by_unit(),
    )
    scope = {u.unit_id for u in summary.units}
    trend = [
        (s.period, total(n for i, n in s.units.items() if i in scope)) for s in reversed(earlier)
    ]
    trend.append((found.period, summary.totals))
    return Weekly(summary, found.period, found.tz or workspace.tz, trend)


# -- where it goes ---------------------------------------------------------------------------


def summary_channel(*, session: Session, team_id: str, default: str | None) -> str | None:
    """The channel the weekly summary goes to: the one an admin set, else `default`
    (CASCADE_SUMMARY_CHANNEL); None: nowhere."""
    chosen = workspaces.get_workspace(session=session, team_id=team_id).summary_channel
    return chosen or default or None


def set_summary_channel(*, session: Session, actor: Actor, channel_id: str) -> str | None:
    """`/goals settings summary #channel` (admins only); returns the channel it replaced."""
    if not actor.is_admin:
        require_admin(session, actor)
    previous = workspaces.get_workspace(session=session, team_id=actor.team_id).summary_channel
    workspaces.set_summary_channel(session=session, team_id=actor.team_id, channel_id=channel_id)
    return previous
