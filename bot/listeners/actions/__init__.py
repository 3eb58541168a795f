"""Button and select clicks. The fallback answers clicks on buttons no flow knows any more."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.listeners.forms import CYCLE_FORM, cycle_form
from bot.payloads import Click
from bot.reply import tell_user
from bot.services import Services
from prompts import render


def register(app: App, services: Services) -> None:
    @app.action(CYCLE_FORM)
    def open_cycle_form(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=Click.parse(body).trigger_id, view=cycle_form())

    @app.action(re.compile(".*"))
    def stale_action(ack: Ack, body: dict[str, Any], respond: Any, client: Any) -> None:
        ack()
        tell_user(body=body, respond=respond, client=client, text=render("errors/stale_button"))
