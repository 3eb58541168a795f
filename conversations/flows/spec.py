"""What a flow is made of: steps, what each step asks and how it takes an answer, and what a turn
says to whom. The engine that runs flows is conversations/flows/engine.py; the flows are listed in
conversations/flows/registry.py.

A flow is an explicit state machine: its steps are a `StrEnum`, and its table maps each step to
its `ask` (the question, as data) and its `answer` (the reply to it → an `Outcome`), with the steps
an answer may lead to. The Mermaid diagram beside each flow module is checked against its table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from conversations.actor import Actor
from conversations.offers import Choice, Offer
from conversations.services import planning
from storage.models import Cycle

LABEL_LIMIT = 75  # Slack's limit on a button's text; bot/blocks.py cuts longer labels at a word


def fits_label(text: str) -> bool:
    """Whether `text` fits on a button uncut (else the message must also show it in full)."""
    return len(text) <= LABEL_LIMIT


@dataclass(frozen=True)
class Button:
    """A button that answers the current step with `value`.

    Its label is the prompt `buttons/<label>`, or, with `text`, the person's own words."""

    value: str
    label: str = ""
    text: str = ""
    primary: bool = False


@dataclass(frozen=True)
class Say:
    """A message to the person in the conversation: a template and what it needs."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    buttons: tuple[Button, ...] = ()
    choices: tuple[Choice, ...] = ()  # buttons that start something (they answer no question)


@dataclass(frozen=True)
class Notice:
    """A message to someone else: a manager, a report, a channel."""

    user_id: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()
    kind: str = "notice"
    # (subject, period key): owed at most once with its kind, however often asked (storage/outbox)
    once: tuple[str, str] | None = None
    # Held back (a paused or full recipient): owed in its period, told later as this "also" line
    # (prompts/nudges/also/<kind>); it needs `once`.
    held: dict[str, Any] | None = None
    rows: tuple[tuple[Choice, ...], ...] = ()  # more rows of buttons, one per item it lists
    # What its buttons act on ("barrier:12"): when that moves on, a RETIRE notice about it takes
    # the buttons off every such message sent before (but the one to its own `user_id`), and
    # adds its words as the message's last line.
    about: str | None = None


RETIRE = "retire"  # a Notice kind: not a message of its own, see Notice.about


@dataclass
class Next:
    """Go on at `step` (asking its question unless `ask` is False)."""

    step: StrEnum
    say: list[Say] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    ask: bool = True


@dataclass
class Finish:
    """The flow is done: what it did is saved; say so."""

    say: list[Say] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


@dataclass
class Refuse:
    """The person may not do this (now): nothing was done; an open conversation ends."""

    say: list[Say] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


Outcome = Next | Finish | Refuse


@dataclass
class Context:
    """What a step may use: the unit of work, who is talking, the flow's answers, and time."""

    session: Session
    actor: Actor
    answers: dict[str, Any]
    now: datetime
    today: date


def chosen_cycle(ctx: Context) -> Cycle | None:
    """The cycle a flow was started for (its `cycle_id` answer), else the current one."""
    cycle_id = ctx.answers.get("cycle_id")
    return planning.chosen(
        session=ctx.session, team_id=ctx.actor.team_id, now=ctx.now, cycle_id=cycle_id
    )


@dataclass(frozen=True)
class Step:
    """One row of a flow's table: the question, how an answer is taken, and where it may lead."""

    ask: Callable[[Context], Say]
    answer: Callable[[Context, str], Outcome]
    to: tuple[StrEnum, ...] = ()
    finishes: bool = False  # whether an answer here may end the flow
    # A confirmation of the answer before it: `back` goes past it, to that question.
    transient: bool = False
    # A clicked answer redraws the question from the state after it (not as it was asked).
    redraw: bool = False


@dataclass(frozen=True)
class NoArguments:
    """A flow that starts with no arguments."""


@dataclass(frozen=True)
class Starting:
    """How a flow starts: with which typed arguments, from which buttons, at which steps."""

    start: Callable[[Context], Next | Refuse]  # the first step, given the arguments as answers
    steps: tuple[StrEnum, ...]  # the steps `start` may open at
    # Its typed start arguments: a dataclass whose fields that are set become the first answers.
    args: type = NoArguments
    # The buttons that start it (conversations/offers.py), each with how its value (as the offer
    # reads it) becomes `args`. bot/ gives each its handler: no flow needs one of its own.
    entries: Mapping[Offer, Callable[[Any], Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class FlowSpec:
    name: str
    steps: type[StrEnum]
    table: Mapping[StrEnum, Step]
    starting: Starting
    help: Callable[[Context, StrEnum], Say]
    # Checked before every turn: may this person still do what this flow does?
    guard: Callable[[Context], Refuse | None] = lambda ctx: None
    # Answers that say where in a repeated step the flow is ("2 of 3"): `back` restores them.
    position: tuple[str, ...] = ()
    # The button that starts this flow again, offered when a button of a finished run is clicked.
    restart: Callable[[dict[str, Any]], Choice | None] = lambda answers: None

    def __post_init__(self) -> None:
        missing = [s for s in self.steps if s not in self.table]
        if missing:
            raise TypeError(f"flow {self.name} has no table row for {missing}")


def first_answers(args: object) -> dict[str, Any]:
    """A flow's start arguments as its first answers: the fields that are set."""
    assert dataclasses.is_dataclass(args) and not isinstance(args, type)
    return {
        key: value
        for key, value in dataclasses.asdict(args).items()
        if value is not None and value is not False
    }


class FlowError(Exception):
    """A flow broke its own table: a programming error, never the person's."""
