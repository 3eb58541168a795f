"""Button clicks: answers to a flow's question, agreement, forms. `HANDLERS` is the one table
from action id to handler; the fallback (registered last) answers clicks on buttons nothing knows
any more."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.action_ids import CYCLE_FORM, FLOW_ANSWER, OFFERS
from bot.errors import reported
from bot.listeners.forms import cycle_form, suggest_form
from bot.payloads import Click, Malformed, parse_id
from bot.reply import refusal_text, tell_user
from bot.services import Services
from bot.turns import answered, parse_answer
from bot.work import acting
from conversations import agreement, goal_interview, objectives
from conversations.errors import Refusal
from conversations.flow import Offer
from prompts import render

Handler = Callable[[Services, dict[str, Any], WebClient, Any], None]


def _goal_id(click: Click) -> int:
    goal_id = parse_id(click.value)
    if goal_id is None:
        raise Refusal("goal_gone")
    return goal_id


def answer_flow(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
    """A button under a flow's question: the same as typing that answer, if still current."""
    click = Click.parse(body)
    parsed = parse_answer(click.value)
    if parsed is None:
        tell_user(
            body=body, respond=respond, client=client, text=render("errors/not_a_flow_button")
        )
        return
    target, value = parsed
    with acting(
        services=services, client=client, team_id=click.team_id, user_id=click.user_id
    ) as a:
        turn = a.reply(value, clicked=target)
        if turn is not None:
            a.owe_turn(turn)
    if turn is not None and turn.accepted and click.message_blocks:
        respond(**answered(click), replace_original=True)  # the question loses its buttons


def agree(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
    click = Click.parse(body)
    try:
        with acting(
            services=services, client=client, team_id=click.team_id, user_id=click.user_id
        ) as a:
            decision = agreement.agree(
                session=a.session, actor=a.actor, goal_id=_goal_id(click), now=a.now
            )
            a.owe_notices(decision.notices)
    except Refusal as refusal:
        tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))
        return
    text = render("agreement/agreed_manager", goal=decision.goal, owner=decision.owner)
    respond(**blocks.message(text), replace_original=True)


def open_suggestion_form(
    services: Services, body: dict[str, Any], client: WebClient, respond: Any
) -> None:
    click = Click.parse(body)
    try:
        with acting(
            services=services, client=client, team_id=click.team_id, user_id=click.user_id
        ) as a:
            goal, owner = agreement.check_may_decide(
                session=a.session, actor=a.actor, goal_id=_goal_id(click)
            )
    except Refusal as refusal:
        tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))
        return
    container = body.get("container") or {}
    where = f"{goal.id}|{container.get('channel_id', '')}|{container.get('message_ts', '')}"
    client.views_open(trigger_id=click.trigger_id, view=suggest_form(goal, owner, where))


def _start(flow: str, answers: Callable[[Click], dict[str, Any]]) -> Handler:
    """A button that starts (or resumes) a flow: Set my goals, Revise, Plan our objectives."""

    def start(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        click = Click.parse(body)
        with acting(
            services=services, client=client, team_id=click.team_id, user_id=click.user_id
        ) as a:
            a.owe_turn(a.start_flow(flow, answers(click)))

    return start


def _unit_to_plan(click: Click) -> dict[str, Any]:
    unit_id = parse_id(click.value)
    return {} if unit_id is None else {"unit_id": unit_id}


def open_cycle_form(
    services: Services, body: dict[str, Any], client: WebClient, respond: Any
) -> None:
    """The New cycle form, for an admin (the button is shown to admins; a forged click is not)."""
    click = Click.parse(body)
    with acting(
        services=services, client=client, team_id=click.team_id, user_id=click.user_id
    ) as a:
        is_admin = a.actor.is_admin
    if not is_admin:
        raise Refusal("not_admin")
    client.views_open(trigger_id=click.trigger_id, view=cycle_form())


def stale_action(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
    tell_user(body=body, respond=respond, client=client, text=render("errors/stale_button"))


OFFER_HANDLERS: dict[Offer, Handler] = {
    Offer.AGREE_GOAL: agree,
    Offer.SUGGEST_CHANGES: open_suggestion_form,
    Offer.REVISE_GOAL: _start(goal_interview.FLOW, lambda click: {}),
    Offer.SET_GOALS: _start(goal_interview.FLOW, lambda click: {}),
    Offer.PLAN_UNIT: _start(objectives.FLOW, _unit_to_plan),
}

HANDLERS: list[tuple[str | re.Pattern[str], Handler]] = [
    (CYCLE_FORM, open_cycle_form),
    (re.compile(f"^{FLOW_ANSWER}\\d+$"), answer_flow),
    *((OFFERS[offer], handler) for offer, handler in OFFER_HANDLERS.items()),
    (re.compile(".*"), stale_action),  # last: clicks nothing else claims
]


# What a button's value must be, by action id (buttons not listed may carry anything): a click
# whose value is not gets the same 400 as a payload of a shape Slack never sends (bot/errors.py).
VALUES: list[tuple[str | re.Pattern[str], Callable[[str], object]]] = [
    (re.compile(f"^{FLOW_ANSWER}\\d+$"), parse_answer),
    *(
        (OFFERS[offer], parse_id)
        for offer in (Offer.AGREE_GOAL, Offer.SUGGEST_CHANGES, Offer.REVISE_GOAL, Offer.PLAN_UNIT)
    ),
]


def check_value(click: Click) -> None:
    """Refuse a click whose value no Cascade button carries."""
    for action_id, parse in VALUES:
        matches = (
            action_id.match(click.action_id)
            if isinstance(action_id, re.Pattern)
            else action_id == click.action_id
        )
        if matches and parse(click.value) is None:
            raise Malformed(f"{click.action_id} cannot carry {click.value[:40]!r}")


def _ack(ack: Ack, body: dict[str, Any]) -> None:
    check_value(Click.parse(body))  # parsing only: nothing is read or written before the ack
    ack()


def register(app: App, services: Services) -> None:
    """Every click is acknowledged at once; the work, and its Web API calls, run lazily."""
    for action_id, handler in HANDLERS:
        app.action(action_id)(ack=_ack, lazy=[reported(_lazy(services, handler))])


def _lazy(services: Services, handler: Handler) -> Callable[..., None]:
    def lazy(body: dict[str, Any], client: WebClient, respond: Any) -> None:
        handler(services, body, client, respond)

    lazy.__name__ = lazy.__qualname__ = handler.__name__
    return lazy
