"""Closing a goal past its due date: achieved, missed or dropped, and one line on what was
learned. Started from the closing nudge's buttons. See goal_closing.mmd for the diagram."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from conversations.flows import spec
from conversations.flows.spec import Button, Context, Next, Refuse, Say, Step
from conversations.offers import Offer
from conversations.services import agreement
from storage import goals, units
from storage.models import Goal, GoalStatus

FLOW = "goal_closing"
LEARNING_LIMIT = 500
SKIP_WORDS = {"skip", "none", "nothing", "-", "n/a", "no"}
OUTCOMES: dict[str, agreement.Event] = {
    "achieved": agreement.Event.ACHIEVE,
    "missed": agreement.Event.MISS,
    "dropped": agreement.Event.DROP,
}


class S(StrEnum):
    OUTCOME = "outcome"
    LEARNED = "learned"


def _goal(ctx: Context) -> Goal | None:
    goal_id = ctx.answers.get("goal_id")
    if not isinstance(goal_id, int):
        return None
    goal = goals.get_goal(session=ctx.session, team_id=ctx.actor.team_id, goal_id=goal_id)
    return goal if goal is not None and goal.owner_id == ctx.actor.person_id else None


def guard(ctx: Context) -> Refuse | None:
    """The goal is still this person's, and still open to close."""
    goal = _goal(ctx)
    if goal is None or goal.status != GoalStatus.AGREED:
        return Refuse(say=[Say("goal_closing/not_closable", {"goal": goal})])
    return None


def start(ctx: Context) -> Next | Refuse:
    refused = guard(ctx)
    if refused is not None:
        return refused
    if ctx.answers.get("outcome") in OUTCOMES:
        return Next(S.LEARNED)
    return Next(S.OUTCOME)


def ask_outcome(ctx: Context) -> Say:
    buttons = tuple(Button(word, label=word) for word in OUTCOMES)
    return Say("goal_closing/ask_outcome", {"goal": _goal(ctx)}, buttons)


def ask_learned(ctx: Context) -> Say:
    return Say(
        "goal_closing/ask_learned",
        {"goal": _goal(ctx), "outcome": ctx.answers.get("outcome")},
        (Button("skip", label="skip_line"),),
    )


def help_for(ctx: Context, step: StrEnum) -> Say:
    return Say("goal_closing/help", {"step": step})


def _outcome(ctx: Context, text: str) -> spec.Outcome:
    word = text.lower().strip(" .!")
    if word not in OUTCOMES:
        return Next(S.OUTCOME, say=[Say("goal_closing/bad_outcome")])
    ctx.answers["outcome"] = word
    return Next(S.LEARNED)


def _learned(ctx: Context, text: str) -> spec.Outcome:
    goal = _goal(ctx)
    assert goal is not None  # the guard checked, this turn
    outcome = str(ctx.answers["outcome"])
    status = agreement.TRANSITIONS[(GoalStatus.AGREED, OUTCOMES[outcome])]
    learning = None if text.lower().strip(" .!") in SKIP_WORDS else " ".join(text.split())
    goals.update_goal(
        session=ctx.session,
        goal=goal,
        now=ctx.now,
        status=status,
        closed_at=ctx.now,
        learning=learning[:LEARNING_LIMIT] if learning else None,
    )
    unit = units.get_unit(session=ctx.session, team_id=ctx.actor.team_id, unit_id=goal.unit_id)
    managers = (
        agreement.approvers(session=ctx.session, actor=ctx.actor, unit=unit, owner=ctx.actor.person)
        if unit is not None
        else []
    )
    context = {"goal": goal, "owner": ctx.actor.person}
    notices = [spec.Notice(m.user_id, "goal_closing/closed_manager", context) for m in managers]
    return spec.Finish(say=[Say("goal_closing/closed", context)], notices=notices)


TABLE: dict[StrEnum, Step] = {
    S.OUTCOME: Step(ask_outcome, _outcome, to=(S.OUTCOME, S.LEARNED)),
    S.LEARNED: Step(ask_learned, _learned, finishes=True),
}


@dataclass(frozen=True)
class Start:
    """The goal to close, and its outcome if a button already said it."""

    goal_id: int
    outcome: str | None = None


def _closing(outcome: str) -> Callable[[int], Start]:
    return lambda goal_id: Start(goal_id=goal_id, outcome=outcome)


ENTRIES = {
    Offer.GOAL_ACHIEVED: _closing("achieved"),
    Offer.GOAL_MISSED: _closing("missed"),
    Offer.GOAL_DROPPED: _closing("dropped"),
}


STARTING = spec.Starting(start, (S.OUTCOME, S.LEARNED), Start, ENTRIES)
SPEC = spec.FlowSpec(FLOW, S, TABLE, STARTING, help_for, guard)
