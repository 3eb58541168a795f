"""Button clicks: answers to a flow's question, agreement, forms. The fallback (registered last)
answers clicks on buttons nothing knows any more."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.errors import reported
from bot.listeners.forms import CYCLE_FORM, cycle_form, suggest_form
from bot.payloads import Click
from bot.people import acting
from bot.reply import refusal_text, tell_user
from bot.services import Services
from bot.turns import FLOW_ANSWER, answered, parse_answer, send_notices, send_turn
from conversations import agreement, flow, goal_interview, objectives
from conversations.errors import Refusal
from prompts import render


def _goal_id(click: Click) -> int:
    if not click.value.isdigit():
        raise Refusal("goal_gone")
    return int(click.value)


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
        turn = flow.reply(
            session=a.session, actor=a.actor, text=value, now=a.now, today=a.today, clicked=target
        )
    if turn is None:
        return
    if turn.accepted and click.message_blocks:  # the question keeps its words, loses its buttons
        respond(**answered(click), replace_original=True)
    send_turn(client=client, user_id=click.user_id, turn=turn)


def agree(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
    click = Click.parse(body)
    try:
        with acting(
            services=services, client=client, team_id=click.team_id, user_id=click.user_id
        ) as a:
            decision = agreement.agree(
                session=a.session, actor=a.actor, goal_id=_goal_id(click), now=a.now
            )
    except Refusal as refusal:
        tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))
        return
    text = render("agreement/agreed_manager", goal=decision.goal, owner=decision.owner)
    respond(**blocks.message(text), replace_original=True)
    send_notices(client=client, notices=decision.notices)


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


def start_flow(services: Services, body: dict[str, Any], client: WebClient) -> None:
    """A button that starts (or resumes) a flow: Set my goals, Revise, Plan our objectives."""
    click = Click.parse(body)
    name = objectives.FLOW if click.action_id == objectives.START else goal_interview.FLOW
    unit = (
        {"unit_id": int(click.value)} if name == objectives.FLOW and click.value.isdigit() else {}
    )
    with acting(
        services=services, client=client, team_id=click.team_id, user_id=click.user_id
    ) as a:
        turn = flow.start(
            session=a.session, actor=a.actor, flow=name, now=a.now, today=a.today, answers=unit
        )
    send_turn(client=client, user_id=click.user_id, turn=turn)


def _ack(ack: Ack) -> None:
    ack()


def register(app: App, services: Services) -> None:
    """Every click is acknowledged at once; the work, and its Web API calls, run lazily."""

    def open_cycle_form(body: dict[str, Any], client: WebClient) -> None:
        client.views_open(trigger_id=Click.parse(body).trigger_id, view=cycle_form())

    def flow_answer(body: dict[str, Any], client: WebClient, respond: Any) -> None:
        answer_flow(services, body, client, respond)

    def agree_clicked(body: dict[str, Any], client: WebClient, respond: Any) -> None:
        agree(services, body, client, respond)

    def suggest_clicked(body: dict[str, Any], client: WebClient, respond: Any) -> None:
        open_suggestion_form(services, body, client, respond)

    def start_clicked(body: dict[str, Any], client: WebClient) -> None:
        start_flow(services, body, client)

    def stale_action(body: dict[str, Any], respond: Any, client: Any) -> None:
        tell_user(body=body, respond=respond, client=client, text=render("errors/stale_button"))

    handlers: list[tuple[str | re.Pattern[str], Callable[..., None]]] = [
        (CYCLE_FORM, open_cycle_form),
        (re.compile(f"^{FLOW_ANSWER}\\d+$"), flow_answer),
        (agreement.AGREE, agree_clicked),
        (agreement.SUGGEST, suggest_clicked),
        (agreement.REVISE, start_clicked),
        (goal_interview.START, start_clicked),
        (objectives.START, start_clicked),
        (re.compile(".*"), stale_action),  # last: clicks nothing else claims
    ]
    for action_id, handler in handlers:
        app.action(action_id)(ack=_ack, lazy=[reported(handler)])
