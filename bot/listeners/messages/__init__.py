"""Direct messages to Cascade: answers to the person's current flow, else what they can do next.

Every message event is acknowledged, even the ones ignored (deletions, bots, channels); a
person's words are recorded in the inbox before the ack and answered from there (bot/inbox.py).
What the person wrote counts however Slack delivers it (bot/listeners/messages/parse.py); a
reply in a thread is answered in that thread; an edit of the answer to the question still open
replaces it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot import blocks, inbox
from bot.handling import Origin, Reply, perform
from bot.listeners.messages.parse import Written
from bot.payloads import event_id_of
from bot.services import Services
from bot.work import Acting
from conversations.flows import engine
from conversations.flows.spec import Say
from conversations.views.next_steps import next_steps
from storage import conversations
from storage.models import InboxMessage


def answer(a: Acting, written: Written) -> Reply:
    turn = edited(a, written) if written.previous is not None else new_words(a, written)
    a.owe_turn(turn, thread_ts=written.thread_ts)
    return Reply()


def new_words(a: Acting, written: Written) -> engine.Turn:
    """A new message: the answer to the person's current question, else what they can do."""
    turn = a.reply(written.message.text, message=written.ts)
    if turn is None:
        steps = next_steps(session=a.session, actor=a.actor)
        # Not a flow's turn: nothing moved on (no earlier question's buttons to take off).
        turn = engine.Turn(say=[(Say("messages/no_flow", {"steps": steps}), None)], accepted=False)
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


RECEIVED = "cascade_received"  # the context key under which the middleware leaves what it recorded


def register(app: App, services: Services) -> None:
    def record(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:
        """A person's words are recorded in the inbox before Bolt acknowledges the event (Bolt
        acks an event as soon as a listener matches it, so this is a middleware)."""
        event = body.get("event")
        if isinstance(event, dict) and event.get("type") == "message":
            written = Written.parse(event, body, str(context.bot_user_id or ""))
            received = _record(services, written, body, str(context.bot_user_id or ""))
            if received is not None:
                context[RECEIVED] = received
        next()

    def direct_message(client: WebClient, context: BoltContext) -> None:
        """Acknowledged; the words, recorded, are answered from the inbox (bot/inbox.py).
        Deletions, bots and channels are acknowledged and ignored."""
        received = context.get(RECEIVED)
        if isinstance(received, inbox.Received):
            inbox.after_ack(services, client, received)

    inbox.replays(inbox.MESSAGE, replay)
    app.middleware(record)
    app.event("message")(direct_message)


def _record(
    services: Services, written: Written | None, body: dict[str, Any], bot_user_id: str
) -> inbox.Received | None:
    event_id = event_id_of(body)
    if written is None or event_id is None:
        return None
    return inbox.record(
        services,
        team_id=written.message.team_id,
        user_id=written.message.user_id,
        kind=inbox.MESSAGE,
        delivery=f"e:{event_id}",
        body={**body, "cascade_bot_user_id": bot_user_id},
        said=written.message.text,
    )


def replay(services: Services, client: WebClient, row: InboxMessage) -> None:
    """A recorded DM's work: the answer to the person's flow, as when it came."""
    body = row.payload["body"]
    written = Written.parse(body["event"], body, str(body.get("cascade_bot_user_id") or ""))
    if written is None:
        return
    message = written.message
    origin = Origin(message.team_id, message.user_id, client)
    perform(services, origin, answer, written, before_answer=in_thread(written.thread_ts))
