"""Direct messages to Cascade. Every message event is acknowledged, even ones ignored."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot import blocks
from bot.payloads import DirectMessage
from bot.people import actor, refresh_directory
from bot.services import Services
from conversations import organisation
from prompts import render
from storage.db import transaction


def register(app: App, services: Services) -> None:
    @app.event("message")
    def direct_message(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        message = DirectMessage.parse(event, body)
        if message is None:  # edits, deletions, bots, channels: acknowledged and ignored
            return
        refresh_directory(
            services=services, client=client, team_id=message.team_id, user_ids=[message.user_id]
        )
        with transaction(services.engine) as session:
            who = actor(
                services=services, session=session, team_id=message.team_id, user_id=message.user_id
            )
            text = render(
                "messages/no_flow", steps=organisation.next_steps(session=session, actor=who)
            )
        client.chat_postMessage(channel=message.user_id, **blocks.message(text))
