"""The New cycle form (an admin's): name, start and end."""

from __future__ import annotations

from typing import Any

from bot import blocks
from bot.handling import Reply
from bot.payloads import ViewSubmission
from bot.triggers import form
from bot.work import Acting
from conversations.actor import Who
from conversations.services import organisation, planning
from prompts import render, render_plain

FORM = "cycle_new"


def cycle_form() -> dict[str, Any]:
    return blocks.form(
        FORM,
        render_plain("cycle_form/title"),
        render_plain("cycle_form/submit"),
        [
            blocks.text_input("name", render_plain("cycle_form/name_label")),
            blocks.date_input("start", render_plain("cycle_form/start_label")),
            blocks.date_input("end", render_plain("cycle_form/end_label")),
        ],
        intro=render("cycle_form/intro"),
    )


@form(FORM, who=Who.ADMIN, fields=("name", "start", "end"))
def submit_cycle(a: Acting, submission: ViewSubmission) -> Reply:
    """Create the cycle; its confirmation is owed to the admin's DM."""
    values = submission.values
    name = organisation.clean_name(values.get("name", ""))
    start = organisation.iso_date(values.get("start", ""), field="start")
    end = organisation.iso_date(values.get("end", ""), field="end")
    today = planning.today(session=a.session, team_id=a.actor.team_id, now=a.now)
    added = organisation.add_cycle(
        session=a.session, actor=a.actor, name=name, start=start, end=end, today=today
    )
    return Reply(render("commands/cycle_added", added=added))
