"""Events API: App Home, and the app uninstalled (installation.py). (DMs: listeners/messages.)"""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.errors import reported
from bot.handling import Origin, Reply, ack_now, perform
from bot.home import home_view
from bot.listeners.events import installation
from bot.payloads import HomeOpened
from bot.services import Services
from bot.work import Acting
from conversations.views import home
from storage import people


def open_home(a: Acting, opened: HomeOpened) -> Reply:
    """The person's Home, published once: by this reply, not again by the refresh after a write
    (marking it seen, recording the event) that a Home open always makes."""
    view = home_view(home.home_of(session=a.session, actor=a.actor, now=a.now))
    people.mark_home_seen(session=a.session, person=a.actor.person, at=a.now)
    a.shows_home = True
    return Reply(home=view)


def register(app: App, services: Services) -> None:
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        opened = HomeOpened.parse(event, body)
        if opened.tab != "home" or not opened.user_id:  # no one to show a Home to
            return
        # A refusal (someone the directory does not know yet) is said on their Home.
        origin = Origin(opened.team_id, opened.user_id, client, on_home=True)
        perform(services, origin, open_home, opened)

    app.event("app_home_opened")(ack=ack_now, lazy=[reported(home_opened)])
    installation.register(app, services)
