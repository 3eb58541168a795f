"""The one wrapper every handler runs in: its unit of work, its refusals turned into the reply,
and the reply delivered through whatever the request allows (a `response_url`, else the DM).

A handler never catches a `Refusal` and never assumes how to answer: it returns a `Reply`, and
`Origin` knows what the payload it came with can do. A click on the App Home carries no
`response_url`; a modal's submission answers in its ack; a slash command may open a modal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_bolt import Ack
from slack_sdk import WebClient

from bot import blocks
from bot.reply import refusal_text
from bot.services import Services
from bot.work import Acting, acting
from conversations.actor import Who, permit
from conversations.errors import Refusal
from conversations.flows.engine import Turn
from storage.db import DatabaseAway, reachable

logger = logging.getLogger("cascade")
A = TypeVar("A")


@dataclass
class Reply:
    """What a handler says back: to the person where they are, and to the message they clicked."""

    text: str = ""  # told where the person is: ephemeral with a response_url, else by DM
    extra: list[blocks.Block] = field(default_factory=list)  # blocks under `text`
    message: dict[str, Any] | None = None  # a reply built as blocks already
    turn: Turn | None = None  # a flow's messages, owed to the person's DM
    modal: dict[str, Any] | None = None  # a form to open (the request's trigger allows one)
    replace: dict[str, Any] | None = None  # the clicked message, rewritten as its record
    home: dict[str, Any] | None = None  # a Home view to publish for the person


@dataclass(frozen=True)
class Origin:
    """Where a request came from, and so how it can be answered."""

    team_id: str
    user_id: str
    client: WebClient
    respond: Any = None  # Bolt's respond: usable only when the payload has a response_url
    response_url: bool = False
    trigger_id: str = ""
    clicked: tuple[str, str] | None = None  # (channel, ts) of the message clicked, if one was
    on_home: bool = False  # an App Home open: a refusal is shown on the Home itself

    @classmethod
    def of(cls, body: dict[str, Any], client: WebClient, respond: Any) -> Origin:
        """The origin of a Bolt request body (a slash command, a click, an event)."""
        from bot.payloads import team_of

        container = body.get("container") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        ts = container.get("message_ts")
        user = (body.get("user") or {}).get("id") or body.get("user_id") or ""
        if not user:
            user = (body.get("event") or {}).get("user") or ""
        return cls(
            team_id=team_of(body),
            user_id=str(user),
            client=client,
            respond=respond,
            response_url=bool(body.get("response_url") or body.get("response_urls")),
            trigger_id=str(body.get("trigger_id") or ""),
            clicked=(str(channel), str(ts)) if channel and ts else None,
        )

    def tell(self, text: str, *extra: blocks.Block) -> None:
        self.show(blocks.message(text, *extra))

    def show(self, message: dict[str, Any]) -> None:
        if self.on_home:
            view = {"type": "home", "blocks": message["blocks"]}
            self.client.views_publish(user_id=self.user_id, view=view)
        elif self.response_url:
            self.respond(**message, response_type="ephemeral", replace_original=False)
        elif self.user_id:
            self.client.chat_postMessage(channel=self.user_id, **message)

    def rewrite(self, message: dict[str, Any]) -> None:
        """The clicked message becomes `message`; a Home click has none (the Home refreshes)."""
        if self.response_url:
            self.respond(**message, replace_original=True)
        elif self.clicked is not None and self.clicked[0].startswith(("D", "C", "G")):
            channel, ts = self.clicked
            self.client.chat_update(channel=channel, ts=ts, **message)

    def answer(self, reply: Reply) -> None:
        if reply.replace is not None:
            self.rewrite(reply.replace)
        if reply.text:
            self.tell(reply.text, *reply.extra)
        if reply.message is not None:
            self.show(reply.message)
        if reply.modal is not None:
            self.client.views_open(trigger_id=self.trigger_id, view=reply.modal)
        if reply.home is not None:
            self.client.views_publish(user_id=self.user_id, view=reply.home)


def ack_now(ack: Ack) -> None:
    """Acknowledge at once: nothing is read or written before the ack; the work runs after it
    (Bolt's lazy listeners), and answers through the request's response_url or the DM."""
    ack()


def ack_when_recordable(services: Services) -> Callable[[Ack], None]:
    """An ack for what must not be lost (a DM's answer): given only while the database answers;
    else a 503 (bot/errors.py), and Slack delivers the event again."""

    def ack_recordable(ack: Ack) -> None:
        if not reachable(services.engine):
            raise DatabaseAway()
        ack()

    return ack_recordable


def perform(
    services: Services,
    origin: Origin,
    run: Callable[[Acting, A], Reply],
    arg: A,
    *,
    who: Who = Who.ANYONE,
    usage: str | None = None,
    reads: bool = False,
    also: tuple[str, ...] = (),
    before_answer: Callable[[Reply], Reply] = lambda reply: reply,
) -> None:
    """Run `run(acting, arg)` in one unit of work on behalf of the origin's user; a refusal, from
    the check of `who` or from anywhere inside, is the reply (with `usage`, the right form)."""
    try:
        with acting(
            services=services,
            client=origin.client,
            team_id=origin.team_id,
            user_id=origin.user_id,
            also=also,
            reads_only=reads,
        ) as a:
            permit(session=a.session, actor=a.actor, who=who)
            reply = run(a, arg)
            if reply.turn is not None:
                a.owe_turn(reply.turn, keep_ts=origin.clicked[1] if origin.clicked else None)
    except Refusal as refusal:
        logger.info("%s refused: %s", getattr(run, "__name__", "handler"), refusal.code)
        reply = Reply(refusal_text(refusal, usage))
    origin.answer(before_answer(reply))
