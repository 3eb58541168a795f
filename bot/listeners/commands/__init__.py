"""Slash commands: `/goals`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.errors import reported
from bot.listeners.commands.goals import goals_command
from bot.services import Services


def _ack_now(ack: Ack) -> None:
    # Nothing before the ack: the reply comes through response_url once the work is done.
    ack()


def register(app: App, services: Services) -> None:
    def run_goals(command: dict[str, Any], respond: Any, client: Any) -> None:
        goals_command(services=services, command=command, respond=respond, client=client)

    app.command("/goals")(ack=_ack_now, lazy=[reported(run_goals)])
