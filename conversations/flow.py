"""The engine every guided flow runs on: one turn in, words and next step out, state in a row.

A flow is a small state machine: `start` opens it, `ask` says the question for a step, `answer`
takes the person's reply to a step and returns an `Outcome` (what to say, whom to tell, the
next step). The engine handles what every flow shares: `cancel`, `back`, `help`, empty and
over-long answers, stale buttons, and saving the state after each turn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from conversations.organisation import Actor
from storage import conversations
from storage.models import Conversation

ANSWER_LIMIT = 3000
IDLE_LIMIT = timedelta(days=30)
CANCEL_WORDS = {"cancel", "stop", "quit", "exit"}
BACK_WORDS = {"back", "undo"}
HELP_WORDS = {"help", "?"}


@dataclass(frozen=True)
class Button:
    """A button that answers the current step with `value`."""

    label: str
    value: str
    primary: bool = False


@dataclass(frozen=True)
class Action:
    """A button outside any conversation (Agree, Suggest changes…), handled by its action_id."""

    label: str
    action_id: str
    value: str
    primary: bool = False


@dataclass(frozen=True)
class Say:
    """A message to the person in the conversation: a template and what it needs."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Notice:
    """A message to someone else: a manager, a report."""

    user_id: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    actions: tuple[Action, ...] = ()


@dataclass
class Outcome:
    """What a step did: the next step (None ends the flow), and what to say to whom."""

    step: str | None
    say: list[Say] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    ask_next: bool = True  # follow with the next step's question


@dataclass
class Context:
    """What a step may use: the unit of work, who is talking, the flow's answers, and time."""

    session: Session
    actor: Actor
    answers: dict[str, Any]
    now: datetime
    today: date


@dataclass(frozen=True)
class FlowSpec:
    name: str
    start: Callable[[Context], Outcome]
    ask: Callable[[Context, str], Say]
    answer: Callable[[Context, str, str], Outcome]
    help: Callable[[Context, str], Say]


@dataclass(frozen=True)
class ButtonsFor:
    """Where a message's buttons point: this flow, at this step and version."""

    flow: str
    step: str
    version: int


@dataclass
class Turn:
    """The engine's result: messages for the person (with where their buttons point) and others."""

    say: list[tuple[Say, ButtonsFor | None]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    accepted: bool = True  # False: a stale button, ignored


FLOWS: dict[str, FlowSpec] = {}


def register(spec: FlowSpec) -> FlowSpec:
    FLOWS[spec.name] = spec
    return spec


def _context(
    session: Session, actor: Actor, conversation: Conversation | None, now: datetime, today: date
) -> Context:
    answers = dict(conversation.answers) if conversation is not None else {}
    return Context(session=session, actor=actor, answers=answers, now=now, today=today)


def _finish(
    session: Session,
    spec: FlowSpec,
    ctx: Context,
    conversation: Conversation,
    outcome: Outcome,
    turn: Turn,
) -> Turn:
    """Save the step taken, or end the flow; then ask the next question."""
    turn.notices.extend(outcome.notices)
    said = [(s, None) for s in outcome.say]
    if outcome.step is None:
        conversations.end_conversation(session=session, conversation=conversation)
        turn.say.extend(said)
        return turn
    history = list(ctx.answers.get("_history", []))
    if outcome.step != conversation.step:
        history.append(conversation.step)
    ctx.answers["_history"] = history[-50:]
    conversations.save_turn(
        session=session,
        conversation=conversation,
        step=outcome.step,
        answers=ctx.answers,
        now=ctx.now,
    )
    turn.say.extend(said)
    if outcome.ask_next:
        turn.say.append(_question(spec, ctx, conversation))
    return turn


def _question(spec: FlowSpec, ctx: Context, conversation: Conversation) -> tuple[Say, ButtonsFor]:
    return spec.ask(ctx, conversation.step), ButtonsFor(
        spec.name, conversation.step, conversation.version
    )


def start(
    *,
    session: Session,
    actor: Actor,
    flow: str,
    now: datetime,
    today: date,
    answers: dict[str, Any] | None = None,
) -> Turn:
    """Start a flow (with these first answers), or resume it where it was."""
    spec = FLOWS[flow]
    existing = conversations.get_conversation(
        session=session, team_id=actor.team_id, person_id=actor.person_id, flow=flow, lock=True
    )
    same_subject = existing is not None and all(
        existing.answers.get(key) == value for key, value in (answers or {}).items()
    )
    if existing is not None and same_subject:
        ctx = _context(session, actor, existing, now, today)
        conversations.save_turn(
            session=session, conversation=existing, step=existing.step, answers=ctx.answers, now=now
        )  # now the latest: DMs come here
        return Turn(say=[(Say("flow/resuming"), None), _question(spec, ctx, existing)])
    ctx = _context(session, actor, None, now, today)
    ctx.answers.update(answers or {})
    outcome = spec.start(ctx)
    if outcome.step is None:  # refused or nothing to do
        return Turn(say=[(s, None) for s in outcome.say], notices=list(outcome.notices))
    conversation = conversations.start_conversation(
        session=session,
        team_id=actor.team_id,
        person_id=actor.person_id,
        flow=flow,
        step=outcome.step,
        answers=ctx.answers,
        now=now,
    )
    turn = Turn(say=[(s, None) for s in outcome.say], notices=list(outcome.notices))
    turn.say.append(_question(spec, ctx, conversation))
    return turn


def reply(
    *,
    session: Session,
    actor: Actor,
    text: str,
    now: datetime,
    today: date,
    clicked: ButtonsFor | None = None,
) -> Turn | None:
    """Take the person's DM (or button click) as the answer to their current step.

    None when they have no conversation going (the caller shows what they can do instead).
    """
    if clicked is not None:
        conversation = conversations.get_conversation(
            session=session,
            team_id=actor.team_id,
            person_id=actor.person_id,
            flow=clicked.flow,
            lock=True,
        )
        if conversation is None or (conversation.step, conversation.version) != (
            clicked.step,
            clicked.version,
        ):
            return Turn(say=[(Say("flow/stale_button"), None)], accepted=False)
    else:
        conversation = conversations.latest_conversation(
            session=session, team_id=actor.team_id, person_id=actor.person_id, lock=True
        )
    if conversation is None or conversation.flow not in FLOWS:
        return None
    spec = FLOWS[conversation.flow]
    ctx = _context(session, actor, conversation, now, today)
    if now - conversation.last_activity > IDLE_LIMIT:
        conversations.end_conversation(session=session, conversation=conversation)
        return Turn(say=[(Say("flow/expired", {"flow": spec.name}), None)])

    answer = text.strip()
    shared = _shared_answer(session, spec, ctx, conversation, answer)
    if shared is not None:
        return shared
    turn = Turn()
    if len(answer) > ANSWER_LIMIT:
        answer = answer[:ANSWER_LIMIT]
        turn.say.append((Say("flow/trimmed", {"limit": ANSWER_LIMIT}), None))
    outcome = spec.answer(ctx, conversation.step, answer)
    return _finish(session, spec, ctx, conversation, outcome, turn)


def _shared_answer(
    session: Session, spec: FlowSpec, ctx: Context, conversation: Conversation, answer: str
) -> Turn | None:
    """What every flow understands: an empty answer, `cancel`, `help` and `back`."""
    word = answer.lower().strip(" .!")
    if word in CANCEL_WORDS:
        conversations.end_conversation(session=session, conversation=conversation)
        return Turn(say=[(Say("flow/cancelled", {"flow": spec.name}), None)])
    if not answer:
        first: Say = Say("flow/empty_answer")
    elif word in HELP_WORDS:
        first = spec.help(ctx, conversation.step)
    elif word in BACK_WORDS:
        history = list(ctx.answers.get("_history", []))
        if history:
            ctx.answers["_history"] = history[:-1]
            conversations.save_turn(
                session=session,
                conversation=conversation,
                step=history[-1],
                answers=ctx.answers,
                now=ctx.now,
            )
            return Turn(say=[_question(spec, ctx, conversation)])
        first = Say("flow/cannot_go_back")
    else:
        return None
    return Turn(say=[(first, None), _question(spec, ctx, conversation)])
