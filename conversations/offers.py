"""Buttons outside any conversation, as data: what clicking each does (`Offer`) and a button
about something (`Choice`). bot/ gives each offer its action id, value and handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Offer(StrEnum):
    """A button outside any conversation, by what clicking it does (bot/ gives it an action id)."""

    AGREE_GOAL = "agree"
    SUGGEST_CHANGES = "suggest_changes"
    REVISE_GOAL = "revise"
    SET_GOALS = "set_goals"
    PLAN_UNIT = "plan"
    CHECK_IN = "check_in"
    ACKNOWLEDGE_BARRIER = "acknowledge"
    RESOLVE_BARRIER = "resolved"
    ESCALATE_BARRIER = "escalate"
    REPORT_ANTICIPATED = "report_anticipated"  # an anticipated barrier is in the way now
    GOAL_ACHIEVED = "achieved"  # closing a goal past its due date
    GOAL_MISSED = "missed"
    GOAL_DROPPED = "dropped"
    REPORT_BARRIER = "report_barrier"  # opens a form: what's in the way?
    NEW_GOAL = "new_goal"  # a new goal, leaving the drafts as they are
    RESUME_GOAL = "resume_goal"  # back to a draft (value: the goal id)
    CHANGE_GOAL = "change_goal"  # the owner changes an agreed goal; the manager agrees again
    DROP_GOAL = "drop_goal"  # the owner asks to drop an agreed goal
    AGREE_DROP = "agree_drop"  # the manager agrees to drop it
    KEEP_GOAL = "keep_goal"  # the manager would rather keep it


@dataclass(frozen=True)
class Choice:
    """An `Offer` about something (`value`: a goal id, a unit id…)."""

    offer: Offer
    value: str = ""
    primary: bool = False
    label: str = ""  # another prompt under buttons/ than the offer's own, where it reads better
    context: dict[str, Any] = field(default_factory=dict)  # for its label, `buttons/<offer>`
