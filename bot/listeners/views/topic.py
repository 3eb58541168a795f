"""Add a topic to the next 1:1 (either side of it)."""

from __future__ import annotations

from typing import Any

from bot import blocks
from bot.handling import Reply
from bot.listeners.views.modal import modal
from bot.payloads import ViewSubmission
from bot.triggers import form
from bot.work import Acting
from conversations.offers import parse_id
from conversations.services import one_on_one
from prompts import render, render_plain
from storage import people
from storage.models import Person

FORM = "one_on_one_topic"
TOPIC = "topic"


def topic_form(other: Person) -> dict[str, Any]:
    label = render_plain("one_on_one/form_label")
    field = blocks.text_input(TOPIC, label, max_length=one_on_one.TOPIC_LIMIT, multiline=True)
    view = modal(FORM, "one_on_one/form_", [field], other=other)
    view["private_metadata"] = str(other.id)
    return view


@form(FORM, fields=(TOPIC,))
def submit_topic(a: Acting, submission: ViewSubmission) -> Reply:
    other = people.get_person_by_id(
        session=a.session,
        team_id=a.actor.team_id,
        person_id=parse_id(submission.private_metadata) or 0,
    )
    pair = one_on_one.pair_with(
        session=a.session, actor=a.actor, user_id=other.user_id if other else ""
    )
    text = submission.values.get(TOPIC, "")
    item = one_on_one.add_topic(session=a.session, actor=a.actor, pair=pair, text=text, now=a.now)
    return Reply(render("one_on_one/topic_added", item=item, other=pair.other(a.actor.person_id)))
