"""The New cycle form (an admin's): name, start and end."""

from __future__ import annotations

from typing import Any

from bot import blocks
from bot.handling import Reply
from bot.listeners.views.modal import modal
from bot.payloads import ViewSubmission
from bot.triggers import form
from bot.work import Acting
from conversations.actor import Who
from conversations.services import organisation
from prompts import render, render_plain

FORM = "cycle_new"


def cycle_form() -> dict[str, Any]:
    inputs = [
        blocks.text_input("name", render_plain("cycle_form/name_label")),
        blocks.date_input("start", render_plain("cycle_form/start_label")),
        blocks.date_input("end", render_plain("cycle_form/end_label")),
    ]
    return modal(FORM, "cycle_form/", inputs)


@form(FORM, who=Who.ADMIN, fields=("name", "start", "end"))
def submit_cycle(a: Acting, submission: ViewSubmission) -> Reply:
    """Create the cycle; its confirmation is owed to the admin's DM."""
    values = submission.values
    name = organisation.clean_name(values.get("name", ""))
    start = organisation.iso_date(values.get("start", ""), field="start")
    end = organisation.iso_date(values.get("end", ""), field="end")
    added = organisation.add_cycle(
        session=a.session, actor=a.actor, name=name, start=start, end=end, now=a.now
    )
    return Reply(render("commands/cycle_added", added=added))
