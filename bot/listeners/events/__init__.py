"""Events API: App Home. (DMs are in listeners/messages.)"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.errors import reported
from bot.home import home_view
from bot.payloads import HomeOpened
from bot.reply import refusal_text
from bot.services import Services
from bot.work import acting
from conversations.errors import Refusal
from conversations.views import home
from storage import people


def open_home(*, services: Services, client: WebClient, opened: HomeOpened) -> None:
    try:
        with acting(
            services=services, client=client, team_id=opened.team_id, user_id=opened.user_id
        ) as a:
            view = home_view(home.home_of(session=a.session, actor=a.actor, now=a.now))
            people.mark_home_seen(session=a.session, person=a.actor.person, at=a.now)
    except Refusal as refusal:  # someone the directory does not know yet: say so, on their Home
        view = {"type": "home", "blocks": blocks.sections(refusal_text(refusal))}
    client.views_publish(user_id=opened.user_id, view=view)


def _ack(ack: Ack) -> None:
    ack()


def register(app: App, services: Services) -> None:
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        opened = HomeOpened.parse(event, body)
        if opened.tab == "home" and opened.user_id:  # no one to show a Home to, else
            open_home(services=services, client=client, opened=opened)

    app.event("app_home_opened")(ack=_ack, lazy=[reported(home_opened)])
