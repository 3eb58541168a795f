"""The engine every guided flow runs on: one turn in, what to say out, state in a row.

It owns what every flow shares: `cancel`, `back`, `help`, empty and over-long answers, stale
buttons, idle expiry, checking each step against the flow's table, and saving the state after
each turn. A flow's own steps are in its table (conversations/flows/spec.py describes the parts).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from conversations.actor import Actor
from conversations.flows import spec as parts
from conversations.flows.registry import FLOWS
from conversations.flows.spec import Context, FlowError, FlowSpec, Say, first_answers
from storage import conversations
from storage.models import Conversation, ConversationState

logger = logging.getLogger("cascade")

ANSWER_LIMIT = 3000
HISTORY_LIMIT = 50
IDLE_LIMIT = timedelta(days=30)
CANCEL_WORDS = {"cancel", "stop", "quit", "exit"}
BACK_WORDS = {"back", "undo"}
HELP_WORDS = {"help", "?"}


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
    notices: list[parts.Notice] = field(default_factory=list)
    accepted: bool = True  # False: no flow moved (a stale button, ignored; no flow open)
    redrawn: Say | None = None  # a clicked question, as it reads after the answer (Step.redraw)


def _context(
    session: Session, actor: Actor, conversation: Conversation | None, now: datetime, today: date
) -> Context:
    answers = dict(conversation.answers) if conversation is not None else {}
    return Context(session=session, actor=actor, answers=answers, now=now, today=today)


def _step(spec: FlowSpec, conversation: Conversation) -> StrEnum | None:
    try:
        return spec.steps(conversation.step)
    except ValueError:
        return None


def _question(spec: FlowSpec, ctx: Context, conversation: Conversation) -> tuple[Say, ButtonsFor]:
    step = spec.steps(conversation.step)
    return spec.table[step].ask(ctx), ButtonsFor(spec.name, conversation.step, conversation.version)


def _position(spec: FlowSpec, answers: dict[str, Any]) -> dict[str, Any]:
    return {key: answers[key] for key in spec.position if key in answers}


def _entry(spec: FlowSpec, entry: Any) -> tuple[str, dict[str, Any]] | None:
    """A history entry: a step (as saved before positions were), or a step and its position."""
    known = {s.value for s in spec.steps}
    if isinstance(entry, str):
        return (entry, {}) if entry in known else None
    if isinstance(entry, dict) and entry.get("s") in known:
        position = entry.get("p")
        return str(entry["s"]), dict(position) if isinstance(position, dict) else {}
    return None


def _history_entry(step: str, position: dict[str, Any], message: str | None) -> Any:
    """A step left behind: its name, or with where in a repeated step it was (`p`) and the
    message that answered it (`m`)."""
    if not position and message is None:
        return step
    entry: dict[str, Any] = {"s": step}
    if position:
        entry["p"] = position
    if message is not None:
        entry["m"] = message
    return entry


def _said(outcome: parts.Outcome) -> list[tuple[Say, ButtonsFor | None]]:
    return [(s, None) for s in outcome.say]


def _finish(
    session: Session,
    spec: FlowSpec,
    ctx: Context,
    conversation: Conversation,
    outcome: parts.Outcome,
    turn: Turn,
    message: str | None = None,
) -> Turn:
    """Save the step taken, or end the flow; then ask the next question. `message` names the
    message whose words were the answer: its step's history entry keeps it (see `edit`)."""
    current = spec.steps(conversation.step)
    turn.notices.extend(outcome.notices)
    turn.say.extend(_said(outcome))
    if isinstance(outcome, parts.Finish) and not spec.table[current].finishes:
        raise FlowError(f"flow {spec.name} finished at {current}, which its table does not allow")
    if not isinstance(outcome, parts.Next):
        conversations.end_conversation(session=session, conversation=conversation, now=ctx.now)
        return turn
    if outcome.step not in spec.table[current].to:
        raise FlowError(
            f"flow {spec.name} went from {current} to {outcome.step}, "
            "which its table does not allow"
        )
    history = list(conversation.history)
    position = _position(spec, conversation.answers)
    moved = outcome.step != current or _position(spec, ctx.answers) != position
    if moved and not spec.table[current].transient:
        history.append(_history_entry(current.value, position, message))
    conversations.save_turn(
        session=session,
        conversation=conversation,
        step=outcome.step.value,
        answers=ctx.answers,
        history=history[-HISTORY_LIMIT:],
        now=ctx.now,
    )
    if outcome.ask:
        turn.say.append(_question(spec, ctx, conversation))
    return turn


def start(
    *,
    session: Session,
    actor: Actor,
    flow: str,
    now: datetime,
    today: date,
    args: object | None = None,
) -> Turn:
    """Start a flow with its typed start arguments (`FlowSpec.args`), or resume it where it was
    if it is going with the same ones."""
    spec = FLOWS[flow]
    if args is None:
        args = spec.starting.args()
    if not isinstance(args, spec.starting.args):
        raise FlowError(f"flow {spec.name} starts with {spec.starting.args}, not {args!r}")
    answers = first_answers(args)
    existing = conversations.get_conversation(
        session=session, team_id=actor.team_id, person_id=actor.person_id, flow=flow, lock=True
    )
    if (
        existing is not None
        and existing.state == ConversationState.ACTIVE
        and _step(spec, existing) is not None
        and all(existing.answers.get(key) == value for key, value in answers.items())
    ):
        ctx = _context(session, actor, existing, now, today)
        refused = spec.guard(ctx)
        if refused is not None:
            conversations.end_conversation(session=session, conversation=existing, now=now)
            return Turn(say=_said(refused), notices=list(refused.notices))
        conversations.save_turn(
            session=session,
            conversation=existing,
            step=existing.step,
            answers=ctx.answers,
            history=existing.history,
            now=now,
        )  # now the latest question: DMs come here
        return Turn(say=[(Say("flow/resuming"), None), _question(spec, ctx, existing)])
    ctx = _context(session, actor, None, now, today)
    ctx.answers.update(answers)
    outcome = spec.starting.start(ctx)
    if isinstance(outcome, parts.Refuse):
        return Turn(say=_said(outcome), notices=list(outcome.notices))
    if outcome.step not in spec.starting.steps:
        raise FlowError(f"flow {spec.name} started at {outcome.step}, not at a starting step")
    conversation = conversations.start_conversation(
        session=session,
        team_id=actor.team_id,
        person_id=actor.person_id,
        flow=flow,
        step=outcome.step.value,
        answers=ctx.answers,
        now=now,
    )
    turn = Turn(say=_said(outcome), notices=list(outcome.notices))
    turn.say.append(_question(spec, ctx, conversation))
    return turn


def _clicked_conversation(
    session: Session, actor: Actor, clicked: ButtonsFor
) -> Conversation | Turn | None:
    """The conversation a button belongs to, if it is still the question; else what to say."""
    team_id, person_id = actor.team_id, actor.person_id
    conversation = conversations.get_conversation(
        session=session, team_id=team_id, person_id=person_id, flow=clicked.flow, lock=True
    )
    if (
        conversation is not None
        and conversation.flow in FLOWS
        and conversation.state == ConversationState.FINISHED
        and clicked.version < conversation.version
    ):  # the whole flow is over: say so, and offer to start it again
        spec = FLOWS[conversation.flow]
        restart = spec.restart(dict(conversation.answers))
        finished = Say("flow/finished", {"flow": spec.name}, choices=(restart,) if restart else ())
        return Turn(say=[(finished, None)], accepted=False)
    if (
        conversation is None
        or conversation.state != ConversationState.ACTIVE
        or (conversation.step, conversation.version) != (clicked.step, clicked.version)
    ):
        return Turn(say=[(Say("flow/stale_button"), None)], accepted=False)
    return conversation


def _ended(
    session: Session, spec: FlowSpec, ctx: Context, conversation: Conversation
) -> Turn | None:
    """A conversation that can take no answer: at a step its flow no longer has, idle too long,
    or no longer the person's to have (its guard). It ends, saying why."""
    said: Turn | None = None
    if _step(spec, conversation) is None:
        logger.error(
            "conversation %s (flow %s) is at step %r, which the flow does not have; ended",
            conversation.id,
            spec.name,
            conversation.step,
        )
        said = Turn(say=[(Say("flow/broken", {"flow": spec.name}), None)])
    elif ctx.now - conversation.last_activity > IDLE_LIMIT:
        said = Turn(say=[(Say("flow/expired", {"flow": spec.name}), None)])
    elif (refused := spec.guard(ctx)) is not None:
        said = Turn(say=_said(refused), notices=list(refused.notices))
    if said is not None:
        conversations.end_conversation(session=session, conversation=conversation, now=ctx.now)
    return said


def reply(
    *,
    session: Session,
    actor: Actor,
    text: str,
    now: datetime,
    today: date,
    clicked: ButtonsFor | None = None,
    message: str | None = None,
) -> Turn | None:
    """Take the person's DM (or button click) as the answer to their current step; `message`
    names the DM (so that an edit of it can replace the answer: `edit`).

    None when they have no conversation going (the caller shows what they can do instead).
    """
    if clicked is not None:
        found = _clicked_conversation(session, actor, clicked)
        if isinstance(found, Turn):
            return found
        conversation = found
    else:
        conversation = conversations.latest_conversation(
            session=session, team_id=actor.team_id, person_id=actor.person_id, lock=True
        )
    if conversation is None or conversation.flow not in FLOWS:
        return None
    spec = FLOWS[conversation.flow]
    ctx = _context(session, actor, conversation, now, today)
    answer = text.strip()
    said = _ended(session, spec, ctx, conversation) or _shared_answer(
        session, spec, ctx, conversation, answer
    )
    if said is not None:
        return said
    turn = Turn()
    if len(answer) > ANSWER_LIMIT:
        answer = answer[:ANSWER_LIMIT]
        turn.say.append((Say("flow/trimmed", {"limit": ANSWER_LIMIT}), None))
    row = spec.table[spec.steps(conversation.step)]
    outcome = row.answer(ctx, answer)
    if clicked is not None and row.redraw:
        turn.redrawn = row.ask(ctx)
    return _finish(session, spec, ctx, conversation, outcome, turn, message)


def edit(
    *, session: Session, actor: Actor, message: str, text: str, now: datetime, today: date
) -> Turn | None:
    """The person changed the words of `message`. If it was the answer that took their current
    conversation to the question it is on now, that question is still open to it: the new words
    replace the answer (as `back`, then answering again). None when it was no such answer (an
    older one, one a later answer or click built on, or one of a flow that has ended)."""
    conversation = conversations.latest_conversation(
        session=session, team_id=actor.team_id, person_id=actor.person_id, lock=True
    )
    if conversation is None or not _answered_by(conversation, message, now):
        return None
    spec = FLOWS[conversation.flow]
    ctx = _context(session, actor, conversation, now, today)
    if not _go_back(spec, ctx, conversation):
        return None
    return reply(session=session, actor=actor, text=text, now=now, today=today, message=message)


def _answered_by(conversation: Conversation, message: str, now: datetime) -> bool:
    """Whether `message` was the answer that took this conversation, still going, to the step it
    is at (its last step left behind names it)."""
    if conversation.flow not in FLOWS or conversation.state != ConversationState.ACTIVE:
        return False
    spec = FLOWS[conversation.flow]
    if _step(spec, conversation) is None or now - conversation.last_activity > IDLE_LIMIT:
        return False  # no longer open: the next message is told why (`_ended`)
    last = conversation.history[-1] if conversation.history else None
    return isinstance(last, dict) and last.get("m") == message and _entry(spec, last) is not None


def _go_back(spec: FlowSpec, ctx: Context, conversation: Conversation) -> bool:
    """Return to the step before (and its place in a repeated step), if there is one."""
    history = [e for e in conversation.history if _entry(spec, e) is not None]
    if not history:
        return False
    found = _entry(spec, history[-1])
    assert found is not None
    step, position = found
    ctx.answers.update(position)
    conversations.save_turn(
        session=ctx.session,
        conversation=conversation,
        step=step,
        answers=ctx.answers,
        history=history[:-1],
        now=ctx.now,
    )
    return True


def _shared_answer(
    session: Session, spec: FlowSpec, ctx: Context, conversation: Conversation, answer: str
) -> Turn | None:
    """What every flow understands: an empty answer, `cancel`, `help` and `back`."""
    word = answer.lower().strip(" .!")
    if word in CANCEL_WORDS:
        conversations.end_conversation(session=session, conversation=conversation, now=ctx.now)
        return Turn(say=[(Say("flow/cancelled", {"flow": spec.name}), None)])
    if not answer:
        first: Say = Say("flow/empty_answer")
    elif word in HELP_WORDS:
        first = spec.help(ctx, spec.steps(conversation.step))
    elif word in BACK_WORDS:
        if _go_back(spec, ctx, conversation):
            return Turn(say=[_question(spec, ctx, conversation)])
        first = Say("flow/cannot_go_back")
    else:
        return None
    return Turn(say=[(first, None), _question(spec, ctx, conversation)])
