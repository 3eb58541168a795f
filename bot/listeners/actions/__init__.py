"""Button and select clicks. The fallback answers clicks on buttons no flow knows any more."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.listeners.commands.goals import refusal_text
from bot.listeners.forms import CYCLE_FORM, cycle_form, suggest_form
from bot.payloads import Click
from bot.people import actor, local_date, refresh_directory
from bot.reply import tell_user
from bot.services import Services
from bot.turns import FLOW_ANSWER, parse_answer, send_notices, send_turn
from conversations import agreement, flow, goal_interview
from conversations.errors import Refusal
from prompts import render
from storage.db import transaction


def register(app: App, services: Services) -> None:
    def refresh(client: WebClient, click: Click) -> None:
        refresh_directory(
            services=services, client=client, team_id=click.team_id, user_ids=[click.user_id]
        )

    @app.action(CYCLE_FORM)
    def open_cycle_form(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=Click.parse(body).trigger_id, view=cycle_form())

    @app.action(re.compile(f"^{FLOW_ANSWER}\\d+$"))
    def flow_answer(ack: Ack, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        click = Click.parse(body)
        parsed = parse_answer(click.value)
        if parsed is None:
            tell_user(
                body=body, respond=respond, client=client, text=render("errors/not_a_flow_button")
            )
            return
        target, value = parsed
        refresh(client, click)
        now = services.clock()
        with transaction(services.engine) as session:
            who = actor(
                services=services, session=session, team_id=click.team_id, user_id=click.user_id
            )
            turn = flow.reply(
                session=session,
                actor=who,
                text=value,
                now=now,
                today=local_date(now, who.person.tz),
                clicked=target,
            )
        if turn is not None:
            send_turn(client=client, user_id=click.user_id, turn=turn)

    @app.action(agreement.AGREE)
    def agree(ack: Ack, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        click = Click.parse(body)
        refresh(client, click)
        try:
            with transaction(services.engine) as session:
                who = actor(
                    services=services, session=session, team_id=click.team_id, user_id=click.user_id
                )
                decision = agreement.agree(
                    session=session, actor=who, goal_id=_goal_id(click), now=services.clock()
                )
        except Refusal as refusal:
            tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))
            return
        respond(
            **blocks.message(
                render("agreement/agreed_manager", goal=decision.goal, owner=decision.owner)
            ),
            replace_original=True,
        )
        send_notices(client=client, notices=decision.notices)

    @app.action(agreement.SUGGEST)
    def open_suggest_form(ack: Ack, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        click = Click.parse(body)
        try:
            with transaction(services.engine) as session:
                who = actor(
                    services=services, session=session, team_id=click.team_id, user_id=click.user_id
                )
                goal, owner = agreement.check_may_decide(
                    session=session, actor=who, goal_id=_goal_id(click)
                )
        except Refusal as refusal:
            tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))
            return
        channel = (body.get("container") or {}).get("channel_id", "")
        ts = (body.get("container") or {}).get("message_ts", "")
        client.views_open(
            trigger_id=click.trigger_id, view=suggest_form(goal, owner, f"{goal.id}|{channel}|{ts}")
        )

    @app.action(agreement.REVISE)
    def revise(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        click = Click.parse(body)
        now = services.clock()
        with transaction(services.engine) as session:
            who = actor(
                services=services, session=session, team_id=click.team_id, user_id=click.user_id
            )
            turn = flow.start(
                session=session,
                actor=who,
                flow=goal_interview.FLOW,
                now=now,
                today=local_date(now, who.person.tz),
            )
        send_turn(client=client, user_id=click.user_id, turn=turn)

    @app.action(re.compile(".*"))
    def stale_action(ack: Ack, body: dict[str, Any], respond: Any, client: Any) -> None:
        ack()
        tell_user(body=body, respond=respond, client=client, text=render("errors/stale_button"))


def _goal_id(click: Click) -> int:
    if not click.value.isdigit():
        raise Refusal("goal_gone")
    return int(click.value)
