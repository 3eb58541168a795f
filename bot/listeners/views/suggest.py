"""Suggest changes (a manager's): a comment that returns a proposed goal to its owner's draft."""

from __future__ import annotations

from typing import Any

from bot import blocks
from bot.handling import Reply
from bot.listeners.views.modal import modal
from bot.payloads import ViewSubmission
from bot.triggers import form
from bot.work import Acting
from conversations.actor import Who
from conversations.offers import parse_id
from conversations.services import agreement
from prompts import render, render_plain
from storage.models import Goal, Person

FORM = "goal_suggest"


def suggest_form(goal: Goal, owner: Person, clicked: tuple[str, str] | None) -> dict[str, Any]:
    """The manager's comment; its metadata names the goal and the message clicked, if any."""
    label = render_plain("agreement/form_label")
    comment = blocks.text_input("comment", label, max_length=3000, multiline=True)
    view = modal(FORM, "agreement/form_", [comment], goal=goal, owner=owner)
    channel, ts = clicked or ("", "")
    view["private_metadata"] = f"{goal.id}|{channel}|{ts}"
    return view


@form(FORM, who=Who.LEADER, fields=("comment",))
def submit_suggestion(a: Acting, submission: ViewSubmission) -> Reply:
    """Return the goal to its owner with the comment; the manager's message with the buttons
    becomes the record of what was done."""
    goal_id, _, where = submission.private_metadata.partition("|")
    channel, _, ts = where.partition("|")
    decision = agreement.suggest_changes(
        session=a.session,
        actor=a.actor,
        goal_id=parse_id(goal_id) or 0,
        comment=submission.values.get("comment", ""),
        now=a.now,
    )
    a.owe_notices(decision.notices)
    done = render("agreement/suggested_manager", goal=decision.goal, owner=decision.owner)
    a.owe_text(done, replacing=(channel, ts) if channel and ts else None)
    return Reply()
