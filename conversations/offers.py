"""Every button Cascade offers outside a conversation, declared once: what clicking it does
(`Offer`), its stable action id, the value it carries (read back by `read`), and who may click it.
Its label is prompts/buttons/<value>.md.j2. A flow that a button starts lists it among its
entries (conversations/flows/); any other button has one handler in bot/listeners/actions/.

A `Choice` is a button about something: an offer and its value (a goal id, a unit id…).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from conversations.actor import Who

ID_LIMIT = 2**63 - 1  # the largest id a database row can have


def row_id(value: str) -> int:
    """A row id; a ValueError for anything a Cascade button never carries."""
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        raise ValueError(f"not a row id: {value[:40]!r}")
    number = int(text)
    if not 0 < number <= ID_LIMIT:
        raise ValueError(f"not a row id: {value[:40]!r}")
    return number


def parse_id(value: str) -> int | None:
    """A row id, or None for anything a Cascade button never carries."""
    try:
        return row_id(value)
    except ValueError:
        return None


def nothing(value: str) -> None:
    """A button that carries no value."""
    if value != "":
        raise ValueError(f"carries nothing, not {value[:40]!r}")


def maybe_id(value: str) -> int | None:
    """Nothing, or a row id (a button for a given cycle)."""
    return None if value == "" else row_id(value)


def unit_and_cycle(value: str) -> tuple[int, int | None]:
    """A unit id, or "unit id/cycle id" (an invitation to plan a given cycle)."""
    unit, slash, cycle = value.partition("/")
    return row_id(unit), row_id(cycle) if slash else None


class Offer(StrEnum):
    """A button outside any conversation, by what clicking it does."""

    action_id: str  # stable across versions: a button in an old message still finds its handler
    read: Callable[[str], Any]  # its value → what its handler is given; ValueError if forged
    who: Who  # who may click it (the handler refines: "the holder of this barrier")

    def __new__(cls, value: str, action_id: str, read: Callable[[str], Any], who: Who) -> Offer:
        member = str.__new__(cls, value)
        member._value_ = value
        member.action_id = action_id
        member.read = read
        member.who = who
        return member

    AGREE_GOAL = "agree", "goal_agree", row_id, Who.LEADER
    SUGGEST_CHANGES = "suggest_changes", "goal_suggest", row_id, Who.LEADER
    REVISE_GOAL = "revise", "goal_revise", row_id, Who.ANYONE
    SET_GOALS = "set_goals", "goal_interview_start", maybe_id, Who.ANYONE
    PLAN_UNIT = "plan", "objectives_start", unit_and_cycle, Who.LEADER
    CHECK_IN = "check_in", "checkin_open", nothing, Who.ANYONE
    ACKNOWLEDGE_BARRIER = "acknowledge", "barrier_acknowledge", row_id, Who.LEADER
    RESOLVE_BARRIER = "resolved", "barrier_resolve", row_id, Who.ANYONE
    ESCALATE_BARRIER = "escalate", "barrier_escalate", row_id, Who.LEADER
    # an anticipated barrier is in the way now
    REPORT_ANTICIPATED = "report_anticipated", "barrier_report_anticipated", row_id, Who.ANYONE
    GOAL_ACHIEVED = "achieved", "goal_close_achieved", row_id, Who.ANYONE  # past its due date
    GOAL_MISSED = "missed", "goal_close_missed", row_id, Who.ANYONE
    GOAL_DROPPED = "dropped", "goal_close_dropped", row_id, Who.ANYONE
    REPORT_BARRIER = "report_barrier", "barrier_form_open", nothing, Who.ANYONE  # a form
    NEW_GOAL = "new_goal", "goal_new", maybe_id, Who.ANYONE  # the drafts stay as they are
    RESUME_GOAL = "resume_goal", "goal_resume", row_id, Who.ANYONE  # back to a draft
    CHANGE_GOAL = "change_goal", "goal_change", row_id, Who.ANYONE  # agreed again after
    DROP_GOAL = "drop_goal", "goal_drop", row_id, Who.ANYONE  # the owner asks to drop it
    AGREE_DROP = "agree_drop", "goal_agree_drop", row_id, Who.LEADER  # the manager agrees
    KEEP_GOAL = "keep_goal", "goal_keep", row_id, Who.LEADER  # the manager would rather keep it
    NEW_CYCLE = "new_cycle", "cycle_new", nothing, Who.ADMIN  # opens a form
    OFFER_HELP = (
        "offer_help",
        "commitment_offer",
        row_id,
        Who.LEADER,
    )  # a goal: "How will you help?"
    COMMITMENT_DONE = "commitment_done", "commitment_done", row_id, Who.LEADER
    COMMITMENT_NOT_YET = "commitment_not_yet", "commitment_not_yet", row_id, Who.LEADER
    COMMITMENT_DROP = "commitment_drop", "commitment_drop", row_id, Who.LEADER
    ADD_TO_ONE_ON_ONE = "add_to_one_on_one", "one_on_one_add_goal", row_id, Who.LEADER  # a goal
    ADD_TOPIC = "add_topic", "one_on_one_add_topic", row_id, Who.ANYONE  # the other side's id
    # After a cycle's retrospective: the next cycle's plan, its unfinished objectives as drafts.
    PLAN_NEXT_CYCLE = "plan_next_cycle", "objectives_next_cycle", unit_and_cycle, Who.LEADER


@dataclass(frozen=True)
class Choice:
    """An `Offer` about something (`value`: a goal id, a unit id…)."""

    offer: Offer
    value: str = ""
    primary: bool = False
    label: str = ""  # another prompt under buttons/ than the offer's own, where it reads better
    context: dict[str, Any] = field(default_factory=dict)  # for its label, `buttons/<offer>`
