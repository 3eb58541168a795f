"""Button and select clicks. The fallback answers clicks on buttons no flow knows any more."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App

from bot.reply import tell_user
from bot.services import Services
from prompts import render


def register(app: App, services: Services) -> None:
    @app.action(re.compile(".*"))
    def stale_action(ack: Ack, body: dict[str, Any], respond: Any, client: Any) -> None:
        ack()
        tell_user(body=body, respond=respond, client=client, text=render("errors/stale_button"))
