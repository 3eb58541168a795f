"""Modal submissions. The fallback closes a modal no flow knows any more, saying so."""

from __future__ import annotations

import re

from slack_bolt import Ack, App

from bot import blocks
from bot.services import Services
from prompts import render


def register(app: App, services: Services) -> None:
    @app.view(re.compile(".*"))
    def stale_view(ack: Ack) -> None:
        ack(response_action="update", view=blocks.modal("Cascade", render("errors/stale_view")))
