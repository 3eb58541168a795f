"""Events API: App Home. (DMs are in listeners/messages.)"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.errors import reported
from bot.listeners.forms import goal_buttons, new_cycle_button
from bot.payloads import HomeOpened
from bot.services import Services
from bot.work import acting
from conversations import organisation, views
from prompts import render


def publish_home(*, services: Services, client: WebClient, opened: HomeOpened) -> None:
    with acting(
        services=services, client=client, team_id=opened.team_id, user_id=opened.user_id
    ) as a:
        found = views.my_goals(session=a.session, actor=a.actor, now=a.now)
        text = render(
            "home/home",
            steps=organisation.next_steps(session=a.session, actor=a.actor, now=a.now),
            cycle=found.cycle,
            mine=found.mine,
            earlier=found.earlier,
        )
        is_admin = a.actor.is_admin
    extra = [*goal_buttons(found), *([new_cycle_button()] if is_admin else [])]
    client.views_publish(user_id=opened.user_id, view=blocks.home_view(text, *extra))


def _ack(ack: Ack) -> None:
    ack()


def register(app: App, services: Services) -> None:
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        opened = HomeOpened.parse(event, body)
        if opened.tab == "home":
            publish_home(services=services, client=client, opened=opened)

    app.event("app_home_opened")(ack=_ack, lazy=[reported(home_opened)])
