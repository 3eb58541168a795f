"""How will you help? A manager's promises on an agreed goal, a line each."""

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
from conversations.services import commitments
from prompts import render, render_plain
from storage.models import Goal, Person

FORM = "commitment_help"
HELP = "help"


def help_form(goal: Goal, owner: Person) -> dict[str, Any]:
    label = render_plain("commitment/form_label")
    field = blocks.text_input(HELP, label, max_length=3000, multiline=True)
    view = modal(FORM, "commitment/form_", [field], goal=goal, owner=owner)
    view["private_metadata"] = str(goal.id)
    return view


@form(FORM, who=Who.LEADER, fields=(HELP,))
def submit_help(a: Acting, submission: ViewSubmission) -> Reply:
    offered = commitments.offer_help(
        session=a.session,
        actor=a.actor,
        goal_id=parse_id(submission.private_metadata) or 0,
        text=submission.values.get(HELP, ""),
        now=a.now,
        today=a.today,
    )
    a.owe_notices(offered.notices)
    return Reply(render("commitment/made_manager", owner=offered.owner, made=offered.made))
