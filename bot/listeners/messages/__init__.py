"""Direct messages to Cascade: answers to the person's current flow, else what they can do next.

Every message event is acknowledged, even the ones ignored (deletions, bots, channels). What the
person wrote counts however Slack delivers it (bot/listeners/messages/parse.py); a reply in a
thread is answered in that thread; an edit of the answer to the question still open replaces it.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot import blocks
from bot.errors import reported
from bot.handling import Origin, Reply, ack_when_recordable, perform
from bot.listeners.messages.parse import Written
from bot.services import Services
from bot.work import Acting
from conversations.flows import engine
from conversations.flows.spec import Say
from conversations.views.next_steps import next_steps
from storage import conversations


def answer(a: Acting, written: Written) -> Reply:
    turn = edited(a, written) if written.previous is not None else new_words(a, written)
    a.owe_turn(turn, thread_ts=written.thread_ts)
    return Reply()


def new_words(a: Acting, written: Written) -> engine.Turn:
    """A new message: the answer to the person's current question, else what they can do."""
    turn = a.reply(written.message.text, message=written.ts)
    if turn is None:
        steps = next_steps(session=a.session, actor=a.actor)
        turn = engine.Turn(say=[(Say("messages/no_flow", {"steps": steps}), None)])
    if written.file_only:
        turn.say.insert(0, (Say("messages/file_without_caption"), None))
    return turn


def edited(a: Acting, written: Written) -> engine.Turn:
    """An edited message: the new answer if its question is still open, else how to change it."""
    turn = a.edit(written.ts, written.message.text)
    if turn is not None:
        turn.say.insert(0, (Say("messages/edit_taken", {"text": written.message.text}), None))
        return turn
    going = conversations.latest_conversation(
        session=a.session, team_id=a.actor.team_id, person_id=a.actor.person_id
    )
    return engine.Turn(say=[(Say("messages/edit_not_taken", {"going": going is not None}), None)])


def in_thread(thread_ts: str | None) -> Any:
    """A reply said where the person is (a refusal): in their thread, if they wrote in one."""

    def placed(reply: Reply) -> Reply:
        if thread_ts is None or not reply.text:
            return reply
        message = {**blocks.message(reply.text, *reply.extra), "thread_ts": thread_ts}
        return Reply(message=message)

    return placed


def register(app: App, services: Services) -> None:
    def direct_message(
        event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        written = Written.parse(event, body, str(context.bot_user_id or ""))
        if written is None:  # deletions, bots, channels: acknowledged and ignored
            return
        message = written.message
        origin = Origin(message.team_id, message.user_id, client)
        perform(services, origin, answer, written, before_answer=in_thread(written.thread_ts))

    app.event("message")(ack=ack_when_recordable(services), lazy=[reported(direct_message)])
