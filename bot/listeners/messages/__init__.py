"""Direct messages to Cascade: answers to the person's current flow, else what they can do next.

Every message event is acknowledged, even the ones ignored (edits, bots, channels).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.errors import reported
from bot.handling import Origin, Reply, ack_now, perform
from bot.payloads import DirectMessage
from bot.services import Services
from bot.work import Acting
from conversations.flows import engine
from conversations.flows.spec import Say
from conversations.views.next_steps import next_steps


def answer(a: Acting, message: DirectMessage) -> Reply:
    turn = a.reply(message.text)
    if turn is None:
        steps = next_steps(session=a.session, actor=a.actor)
        turn = engine.Turn(say=[(Say("messages/no_flow", {"steps": steps}), None)])
    return Reply(turn=turn)


def register(app: App, services: Services) -> None:
    def direct_message(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        message = DirectMessage.parse(event, body)
        if message is None:  # edits, deletions, bots, channels: acknowledged and ignored
            return
        perform(services, Origin(message.team_id, message.user_id, client), answer, message)

    app.event("message")(ack=ack_now, lazy=[reported(direct_message)])
