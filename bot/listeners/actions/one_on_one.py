"""1:1s: Add to our 1:1 (on an alert), Add a topic (on an agenda: opens the form)."""

from __future__ import annotations

from bot.handling import Reply
from bot.listeners.views.topic import topic_form
from bot.payloads import Click
from bot.triggers import clicked
from bot.work import Acting
from conversations.offers import Offer
from conversations.services import one_on_one
from prompts import render
from storage import people


@clicked(Offer.ADD_TO_ONE_ON_ONE)
def add_goal(a: Acting, click: Click, goal_id: int) -> Reply:
    pair, item = one_on_one.add_goal(session=a.session, actor=a.actor, goal_id=goal_id, now=a.now)
    return Reply(render("one_on_one/topic_added", item=item, other=pair.other(a.actor.person_id)))


@clicked(Offer.ADD_TOPIC)
def open_topic_form(a: Acting, click: Click, person_id: int) -> Reply:
    other = people.get_person_by_id(session=a.session, team_id=a.actor.team_id, person_id=person_id)
    pair = one_on_one.pair_with(
        session=a.session, actor=a.actor, user_id=other.user_id if other else ""
    )
    return Reply(modal=topic_form(pair.other(a.actor.person_id)))
