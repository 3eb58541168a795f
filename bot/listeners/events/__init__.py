"""Events API: App Home. (DMs are in listeners/messages.)"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.errors import reported
from bot.listeners.forms import new_cycle_button
from bot.payloads import HomeOpened
from bot.reply import refusal_text
from bot.services import Services
from bot.work import acting
from conversations import organisation, views
from conversations.errors import Refusal
from prompts import render


def publish_home(*, services: Services, client: WebClient, opened: HomeOpened) -> None:
    try:
        with acting(
            services=services, client=client, team_id=opened.team_id, user_id=opened.user_id
        ) as a:
            cycle, mine = views.my_goals(session=a.session, actor=a.actor)
            text = render(
                "home/home",
                steps=organisation.next_steps(session=a.session, actor=a.actor),
                cycle=cycle,
                mine=mine,
            )
            is_admin = a.actor.is_admin
    except Refusal as refusal:  # someone the directory does not know yet: say so, on their Home
        client.views_publish(user_id=opened.user_id, view=blocks.home_view(refusal_text(refusal)))
        return
    extra = [new_cycle_button()] if is_admin else []
    client.views_publish(user_id=opened.user_id, view=blocks.home_view(text, *extra))


def _ack(ack: Ack) -> None:
    ack()


def register(app: App, services: Services) -> None:
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        opened = HomeOpened.parse(event, body)
        if opened.tab == "home" and opened.user_id:  # no one to show a Home to, else
            publish_home(services=services, client=client, opened=opened)

    app.event("app_home_opened")(ack=_ack, lazy=[reported(home_opened)])
