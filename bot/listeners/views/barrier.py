"""Report a barrier (the Home's form): one question, what is in the way."""

from __future__ import annotations

from typing import Any

from bot import blocks
from bot.handling import Reply
from bot.listeners.views.modal import modal
from bot.payloads import ViewSubmission
from bot.triggers import form
from bot.work import Acting
from conversations.services import barrier
from prompts import render, render_plain

FORM = "barrier_new"
TEXT = "what"


def barrier_form() -> dict[str, Any]:
    label = render_plain("barrier/form_label")
    return modal(
        FORM, "barrier/form_", [blocks.text_input(TEXT, label, max_length=3000, multiline=True)]
    )


@form(FORM, fields=(TEXT,))
def submit_barrier(a: Acting, submission: ViewSubmission) -> Reply:
    """The holder hears at once; the reporter's confirmation comes by DM."""
    text = submission.values.get(TEXT, "")
    reported = barrier.report(session=a.session, actor=a.actor, text=text, now=a.now)
    a.owe_notices(reported.notices)
    return Reply(render("barrier/reported", reported=reported, limit=barrier.TEXT_LIMIT))
