"""Events API: App Home. (DMs are in listeners/messages.)"""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot import blocks
from bot.listeners.forms import new_cycle_button
from bot.payloads import HomeOpened
from bot.people import actor, refresh_directory
from bot.services import Services
from conversations import organisation
from prompts import render
from storage.db import transaction


def publish_home(*, services: Services, client: WebClient, opened: HomeOpened) -> None:
    refresh_directory(
        services=services, client=client, team_id=opened.team_id, user_ids=[opened.user_id]
    )
    with transaction(services.engine) as session:
        who = actor(
            services=services, session=session, team_id=opened.team_id, user_id=opened.user_id
        )
        text = render("home/home", steps=organisation.next_steps(session=session, actor=who))
    extra = [new_cycle_button()] if who.is_admin else []
    client.views_publish(user_id=opened.user_id, view=blocks.home_view(text, *extra))


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        opened = HomeOpened.parse(event, body)
        if opened.tab == "home":
            publish_home(services=services, client=client, opened=opened)
