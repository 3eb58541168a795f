"""Direct messages to Cascade: answers to the person's current flow, else what they can do next.

Every message event is acknowledged, even the ones ignored (edits, bots, channels).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.errors import reported
from bot.payloads import DirectMessage
from bot.people import acting
from bot.services import Services
from bot.turns import send_turn
from conversations import flow, organisation


def _ack(ack: Ack) -> None:
    ack()


def register(app: App, services: Services) -> None:
    def direct_message(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        message = DirectMessage.parse(event, body)
        if message is None:  # edits, deletions, bots, channels: acknowledged and ignored
            return
        with acting(
            services=services, client=client, team_id=message.team_id, user_id=message.user_id
        ) as a:
            turn = flow.reply(
                session=a.session, actor=a.actor, text=message.text, now=a.now, today=a.today
            )
            if turn is None:
                steps = organisation.next_steps(session=a.session, actor=a.actor)
                turn = flow.Turn(say=[(flow.Say("messages/no_flow", {"steps": steps}), None)])
        send_turn(client=client, user_id=message.user_id, turn=turn)

    app.event("message")(ack=_ack, lazy=[reported(direct_message)])
