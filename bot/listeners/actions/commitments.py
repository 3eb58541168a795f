"""Promises of help: Say how I'll help (opens the form), and the manager's Done, Not yet and
Drop on each promise in their check-in."""

from __future__ import annotations

from collections.abc import Callable

from bot import blocks
from bot.handling import Reply
from bot.listeners.views.commitment import help_form
from bot.payloads import Click
from bot.triggers import clicked
from bot.turns import updated
from bot.work import Acting
from conversations.offers import Offer
from conversations.services import commitments
from prompts import render
from storage import people


@clicked(Offer.OFFER_HELP)
def open_help_form(a: Acting, click: Click, goal_id: int) -> Reply:
    goal, owner = commitments.helped_goal(session=a.session, actor=a.actor, goal_id=goal_id)
    return Reply(modal=help_form(goal, owner))


def _marking(event: commitments.Event) -> Callable[[Acting, Click, int], Reply]:
    def mark(a: Acting, click: Click, commitment_id: int) -> Reply:
        marked = commitments.mark(
            session=a.session, actor=a.actor, commitment_id=commitment_id, event=event, now=a.now
        )
        a.owe_notices(marked.notices)
        owner = people.get_person_by_id(
            session=a.session, team_id=a.actor.team_id, person_id=marked.goal.owner_id
        )
        text = render(
            "commitment/marked", event=event.value, commitment=marked.commitment, owner=owner
        )
        if click.message_blocks:  # the check-in keeps its words; this promise's buttons go
            return Reply(replace=updated(click, text, without=commitment_id))
        return Reply(message=blocks.message(text))

    mark.__name__ = f"commitment_{event.value}"
    return mark


for _event, _offer in commitments.OFFERS.items():
    clicked(_offer)(_marking(_event))
