"""Barriers: Acknowledge, Resolved and Escalate on a barrier's message; "It's in the way now" on
a goal with an anticipated barrier."""

from __future__ import annotations

from collections.abc import Callable

from bot.handling import Reply
from bot.payloads import Click
from bot.triggers import clicked
from bot.turns import updated
from bot.work import Acting
from conversations.offers import Offer
from conversations.services import barrier
from prompts import render


def _acted(event: barrier.Event) -> Callable[[Acting, Click, int], Reply]:
    """The holder acknowledges, resolves or escalates (the reporter may resolve their own): the
    message keeps its words, and its buttons say what is left."""

    def act(a: Acting, click: Click, barrier_id: int) -> Reply:
        decision = barrier.act(
            session=a.session, actor=a.actor, barrier_id=barrier_id, event=event, now=a.now
        )
        # The clicked message is rewritten here: the others about the barrier lose their buttons.
        a.owe_notices(decision.notices, keep_ts=click.message_at[1] if click.message_at else None)
        if not click.message_blocks:  # a Home click: the Home is drawn again
            return Reply()
        reporter = decision.reporter
        done = render(
            "barrier/holder_done",
            event=event.value,
            holder=decision.holder,
            reporter=reporter if reporter.id != a.actor.person_id else None,
        )
        mine = decision.barrier.holder_id == a.actor.person_id
        left = barrier.holder_choices(decision.barrier) if mine else ()
        return Reply(replace=updated(click, done, left))

    act.__name__ = f"barrier_{event.value}"
    return act


for _event, _offer in barrier.OFFERS.items():
    clicked(_offer)(_acted(_event))


@clicked(Offer.REPORT_ANTICIPATED)
def report_anticipated(a: Acting, click: Click, goal_id: int) -> Reply:
    """One click: the barrier a person anticipated when they set the goal is in the way now."""
    reported = barrier.report_anticipated(
        session=a.session, actor=a.actor, goal_id=goal_id, now=a.now
    )
    a.owe_notices(reported.notices)
    return Reply(render("barrier/reported", reported=reported, limit=barrier.TEXT_LIMIT))
