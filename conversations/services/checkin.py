"""The weekly check-in: for each agreed goal, progress, confidence and a note, plus "anything in
the way?" (an answer there is a barrier report). One form, answered at once: it is a modal in
Slack, so its answers arrive together and its errors go back on their fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from conversations import clock
from conversations.actor import Actor
from conversations.errors import Refusal, Refusals
from conversations.flows.spec import Notice
from conversations.services import alerts, barrier
from conversations.services import commitments as promises
from storage import checkins, commitments, goals
from storage.models import CheckIn, Commitment, Confidence, Goal, GoalStatus

NOTE_LIMIT = 3000
IN_THE_WAY = "in_the_way"  # the form's "anything in the way?"


def input_name(kind: str, goal_id: int) -> str:
    """The form's input for one goal: `progress`, `confidence` or `note`, and the goal's id."""
    return f"{kind}_{goal_id}"


FORM_GOALS = 20  # a modal holds 100 blocks: four a goal, and room to spare


def checkin_goals(*, session: Session, actor: Actor) -> list[Goal]:
    """The goals a check-in asks about: this person's agreed goals that are still open."""
    mine = goals.list_goals(session=session, team_id=actor.team_id, owner_id=actor.person_id)
    return [g for g in mine if g.status == GoalStatus.AGREED][:FORM_GOALS]


def promised(
    *, session: Session, actor: Actor, goals_asked: list[Goal]
) -> dict[int, list[Commitment]]:
    """The open promises of help on these goals, by goal: the form asks whether each came."""
    found: dict[int, list[Commitment]] = {}
    for c in commitments.of_goals(
        session=session,
        team_id=actor.team_id,
        goal_ids=[g.id or 0 for g in goals_asked],
        open_only=True,
    ):
        found.setdefault(c.goal_id, []).append(c)
    return found


def form_goals(*, session: Session, actor: Actor) -> list[Goal]:
    """The goals for the check-in form, or a refusal that says why there is nothing to check."""
    found = checkin_goals(session=session, actor=actor)
    if not found:
        raise Refusal("nothing_to_check_in")
    return found


@dataclass(frozen=True)
class Answer:
    """What the form said about one goal, as typed."""

    goal_id: int
    progress: str
    confidence: str
    note: str = ""
    help: dict[int, str] = field(default_factory=dict)  # commitment id → "came" or "not_yet"


@dataclass
class Recorded:
    checkins: list[tuple[Goal, CheckIn]] = field(default_factory=list)
    barrier: barrier.Reported | None = None
    notices: list[Notice] = field(default_factory=list)


def read_progress(text: str) -> int | None:
    """ "60", "60%", " 60 % " → 60; anything else (or outside 0–100) → None."""
    cleaned = text.strip().removesuffix("%").strip()
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 3:
        return None
    value = int(cleaned)
    return value if 0 <= value <= 100 else None


def check(answers: list[Answer], goals_asked: list[Goal]) -> list[Refusal]:
    """Every problem with the form, each on its field; nothing is recorded if there is any."""
    asked = {g.id for g in goals_asked}
    problems: list[Refusal] = []
    for answer in answers:
        progress = input_name("progress", answer.goal_id)
        if answer.goal_id not in asked:
            problems.append(Refusal("checkin_goal_changed", field=progress))
            continue
        if read_progress(answer.progress) is None:
            problems.append(Refusal("bad_progress", field=progress, value=answer.progress))
        if answer.confidence not in {c.value for c in Confidence}:
            confidence = input_name("confidence", answer.goal_id)
            problems.append(Refusal("pick_confidence", field=confidence))
    return problems


def record(
    *,
    session: Session,
    actor: Actor,
    answers: list[Answer],
    in_the_way: str,
    now: datetime,
) -> Recorded:
    """Record one check-in per goal and update each goal; "anything in the way?" is a barrier."""
    asked = checkin_goals(session=session, actor=actor)
    problems = check(answers, asked)
    if problems:
        raise problems[0] if len(problems) == 1 else Refusals(problems)
    by_id = {g.id: g for g in asked}
    week = clock.week_key(now, actor.person.tz)
    result = Recorded()
    for answer in answers:
        goal = by_id[answer.goal_id]
        assert goal.id is not None
        progress = read_progress(answer.progress)
        assert progress is not None
        confidence = Confidence(answer.confidence)
        note = answer.note.strip()[:NOTE_LIMIT] or None
        made = checkins.record_checkin(
            session=session,
            team_id=actor.team_id,
            goal_id=goal.id,
            person_id=actor.person_id,
            at=now,
            week=week,
            progress=progress,
            confidence=confidence,
            note=note,
        )
        goals.update_goal(
            session=session, goal=goal, now=now, progress=progress, confidence=confidence
        )
        result.checkins.append((goal, made))
    said = {c: a for answer in answers for c, a in answer.help.items()}
    today = clock.local_date(now, actor.person.tz)
    result.notices.extend(
        promises.owner_says(session=session, actor=actor, said=said, now=now, today=today)
    )
    result.notices.extend(
        alerts.after_checkin(session=session, actor=actor, recorded=result.checkins, now=now)
    )
    if in_the_way.strip():
        result.barrier = barrier.report(session=session, actor=actor, text=in_the_way, now=now)
        result.notices.extend(result.barrier.notices)
    return result
