"""A manager's answers on a goal (Agree, Suggest changes, Agree to drop, Keep it) and the owner's
request to drop an agreed goal. Each manager's message becomes the record of what was done."""

from __future__ import annotations

from collections.abc import Callable

from bot import blocks
from bot.handling import Reply
from bot.listeners.views.suggest import suggest_form
from bot.payloads import Click
from bot.triggers import clicked
from bot.turns import choice_rows
from bot.work import Acting
from conversations.offers import Choice, Offer
from conversations.services import agreement
from prompts import render


@clicked(Offer.SUGGEST_CHANGES)
def open_suggestion_form(a: Acting, click: Click, goal_id: int) -> Reply:
    goal, owner = agreement.check_may_decide(session=a.session, actor=a.actor, goal_id=goal_id)
    return Reply(modal=suggest_form(goal, owner, click.message_at))


@clicked(Offer.DROP_GOAL)
def request_drop(a: Acting, click: Click, goal_id: int) -> Reply:
    """The owner asks to drop an agreed goal: their manager is asked to agree."""
    goal, notices = agreement.request_drop(session=a.session, actor=a.actor, goal_id=goal_id)
    a.owe_notices(notices)
    deciders = [n.user_id for n in notices]
    return Reply(render("agreement/drop_asked", goal=goal, deciders=deciders))


def _decided(
    decide: Callable[[Acting, int], agreement.Decision], template: str, *then: Offer
) -> Callable[[Acting, Click, int], Reply]:
    """A manager's decision on a goal: the owner hears; the clicked message records it, with
    the buttons for what can follow (`then`, about the goal)."""

    def handle(a: Acting, click: Click, goal_id: int) -> Reply:
        decision = decide(a, goal_id)
        a.owe_notices(decision.notices)
        text = render(template, goal=decision.goal, owner=decision.owner)
        follow = [Choice(offer, str(goal_id), primary=True) for offer in then]
        return Reply(replace=blocks.message(text, *choice_rows([follow])))

    handle.__name__ = template.rpartition("/")[2]
    return handle


def _agree(a: Acting, goal_id: int) -> agreement.Decision:
    return agreement.agree(session=a.session, actor=a.actor, goal_id=goal_id, now=a.now)


def _agree_drop(a: Acting, goal_id: int) -> agreement.Decision:
    return agreement.agree_drop(session=a.session, actor=a.actor, goal_id=goal_id, now=a.now)


def _keep(a: Acting, goal_id: int) -> agreement.Decision:
    return agreement.keep_goal(session=a.session, actor=a.actor, goal_id=goal_id)


clicked(Offer.AGREE_GOAL)(_decided(_agree, "agreement/agreed_manager", Offer.OFFER_HELP))
clicked(Offer.AGREE_DROP)(_decided(_agree_drop, "agreement/dropped_manager"))
clicked(Offer.KEEP_GOAL)(_decided(_keep, "agreement/kept_manager"))
