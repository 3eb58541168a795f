"""The 1:1 agenda, as plain data: a private page for a manager and one direct report. Each goal
with its progress and confidence over the last check-ins, the open barriers between them and
their age, the manager's open promises of help, what either side added, and up to three
questions chosen from all that. Made for many pairs at once (the tick's Thursday) in a fixed
number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from conversations.services.alerts import moved
from conversations.services.one_on_one import Pair
from storage import barriers, checkins, commitments, goals, one_on_ones
from storage.models import (
    AgendaItem,
    Barrier,
    CheckIn,
    Commitment,
    Confidence,
    Goal,
    GoalStatus,
)

TREND = 4  # check-ins shown per goal
QUESTIONS = 3
ITEMS_SINCE = timedelta(days=30)  # what either side added, until it has had a month's 1:1s
STALE_BARRIER = timedelta(days=7)


@dataclass(frozen=True)
class GoalLine:
    goal: Goal
    trend: tuple[CheckIn, ...]  # oldest first

    @property
    def progress(self) -> list[int]:
        return [c.progress for c in self.trend] or [self.goal.progress]

    @property
    def confidence(self) -> list[str]:
        """Confidence over the check-ins, each change once: on track → at risk."""
        said = [c.confidence for c in self.trend]
        return [c for i, c in enumerate(said) if i == 0 or said[i - 1] != c]


@dataclass(frozen=True)
class Question:
    code: str  # prompts/one_on_one/questions/<code>
    context: dict[str, object] = field(default_factory=dict)


@dataclass
class Agenda:
    pair: Pair
    now: datetime
    goals: list[GoalLine] = field(default_factory=list)
    barriers: list[tuple[Barrier, int]] = field(default_factory=list)  # with its age in days
    promises: list[tuple[Commitment, Goal]] = field(default_factory=list)
    items: list[AgendaItem] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)


def agendas(
    *, session: Session, team_id: str, pairs: Sequence[Pair], now: datetime
) -> list[Agenda]:
    """Each pair's agenda: seven queries, whatever the number of pairs."""
    reports = [p.report.id or 0 for p in pairs]
    owned = [
        g
        for g in goals.goals_of_owners(session=session, team_id=team_id, owner_ids=reports)
        if g.status == GoalStatus.AGREED
    ]
    ids = [g.id or 0 for g in owned]
    trends = checkins.recent_of_goals(session=session, team_id=team_id, goal_ids=ids, limit=TREND)
    promised = commitments.of_goals(session=session, team_id=team_id, goal_ids=ids, open_only=True)
    open_barriers = barriers.open_barriers_of_people(
        session=session, team_id=team_id, person_ids=reports
    )
    items = one_on_ones.items_of_pairs(
        session=session,
        team_id=team_id,
        pairs=[(p.manager.id or 0, p.report.id or 0) for p in pairs],
        since=now - ITEMS_SINCE,
    )
    made = []
    for pair in pairs:
        agenda = Agenda(pair, now)
        theirs = [g for g in owned if g.owner_id == pair.report.id]
        agenda.goals = [GoalLine(g, tuple(trends.get(g.id or 0, []))) for g in theirs]
        by_goal = {g.id: g for g in theirs}
        agenda.promises = [
            (c, by_goal[c.goal_id])
            for c in promised
            if c.goal_id in by_goal and c.manager_id == pair.manager.id
        ]
        agenda.barriers = [
            (b, (now - b.reported_at).days)
            for b in open_barriers
            if b.reporter_id == pair.report.id and pair.manager.id in b.chain
        ]
        agenda.items = [
            i for i in items if (i.manager_id, i.report_id) == (pair.manager.id, pair.report.id)
        ]
        agenda.questions = questions(agenda)[:QUESTIONS]
        made.append(agenda)
    return made


def questions(agenda: Agenda) -> list[Question]:
    """The questions worth asking, most pressing first, from what the agenda holds."""
    found: list[Question] = []
    for line in agenda.goals:
        latest = line.trend[-1] if line.trend else None
        if latest and latest.confidence == Confidence.OFF_TRACK:
            found.append(Question("off_track", {"goal": line.goal}))
        elif latest and latest.confidence == Confidence.AT_RISK:
            found.append(Question("at_risk", {"goal": line.goal}))
        elif (m := moved(line.goal, line.trend)) is not None and m.stalled:
            found.append(Question("stalled", {"goal": line.goal}))
    for barrier, age in agenda.barriers:
        if age >= STALE_BARRIER.days:
            found.append(Question("old_barrier", {"barrier": barrier, "age": age}))
    overdue = [
        (c, g) for c, g in agenda.promises if c.due is not None and c.due < agenda.now.date()
    ]
    for promise, goal in overdue:
        found.append(Question("overdue_help", {"commitment": promise, "goal": goal}))
    if not agenda.goals:
        found.append(Question("no_goals"))
    found.append(Question("how_can_i_help"))
    return found
