"""Slack's end of Socket Mode, on loopback: the WebSocket the app connects to instead of being
sent HTTP requests.

The protocol, as Slack documents it and slack_sdk's built-in client (the one Bolt's
`SocketModeHandler` uses) speaks it:

1. The app calls `apps.connections.open` with its app-level (`xapp-`) token; the fake Slack answers
   a URL from `new_url()`, whose ticket opens one connection.
2. Once connected, the app is greeted with `{"type": "hello", ...}`.
3. Each request arrives in an envelope: `envelope_id`, `type` (`slash_commands`, `events_api` or
   `interactive`), `payload` (exactly what Slack would POST over HTTP, from SlackPayloads) and
   `accepts_response_payload`. The app acknowledges within 3 seconds by sending back
   `{"envelope_id": ...}`, with a `payload` when it answers in the ack (a modal's errors).
4. `{"type": "disconnect", "reason": "refresh_requested"}` asks the app to open a new connection
   (a new `apps.connections.open`); the old one is then closed.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.slack_side import SlackPayloads

T = TypeVar("T")
ACK_DEADLINE = 3.0  # seconds Slack waits for an ack before it tells the person it failed
# Interactions the app may answer in the ack itself; a click is answered by response_url or the
# Web API. (Slash commands always may; events never.)
ANSWERED_IN_THE_ACK = frozenset({"view_submission", "block_suggestion"})


@dataclass
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    seconds: float  # from the envelope's sending to its ack arriving


@dataclass
class Link:
    """One WebSocket connection the app opened."""

    number: int
    connection: ServerConnection
    open: bool = True


class SocketModeServer:
    """Hands out Socket Mode URLs, greets, sends envelopes, records acks, asks for reconnects."""

    def __init__(self, *, host: str = "127.0.0.1", app_id: str = "ACASCADE") -> None:
        self.host = host
        self.app_id = app_id
        self.links: list[Link] = []
        self.acks: dict[str, Ack] = {}
        self.unexpected: list[str] = []  # whatever the app sent that was not an ack
        self._tickets: set[str] = set()
        self._sent: dict[str, float] = {}
        self._changed = threading.Condition()
        self._server = serve(
            self._serve_link,
            host,
            0,
            process_request=self._check_ticket,
            compression=None,
            close_timeout=1,
        )
        self.port = int(self._server.socket.getsockname()[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"socket-mode-{self.port}", daemon=True
        )
        self._thread.start()

    def attach(self, fake: FakeSlack) -> None:
        """The fake Slack's `apps.connections.open` answers this server's URLs from now on."""
        fake.socket_mode_url = self.new_url

    def new_url(self) -> str:
        ticket = uuid.uuid4().hex
        with self._changed:
            self._tickets.add(ticket)
        return f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    # -- what the app sees -------------------------------------------------------------------

    def send(self, envelope: dict[str, Any]) -> str:
        """Send an envelope (its `envelope_id` added) on the newest open connection."""
        envelope_id = str(uuid.uuid4())
        link = self._newest_link()
        with self._changed:
            self._sent[envelope_id] = time.monotonic()
        link.connection.send(json.dumps({"envelope_id": envelope_id, **envelope}))
        return envelope_id

    def disconnect(self, reason: str = "refresh_requested") -> Link:
        """Ask the app to reconnect, as Slack does before it retires a connection; returns the
        connection being retired."""
        link = self._newest_link()
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        link.connection.send(json.dumps(message))
        return link

    # -- what the test sees ------------------------------------------------------------------

    def open_links(self) -> list[Link]:
        with self._changed:
            return [link for link in self.links if link.open]

    def wait_for(self, predicate: Callable[[SocketModeServer], T], timeout: float = 5.0) -> T:
        """Block until `predicate(self)` is truthy; returns its value (raises on timeout)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate(self)
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the Socket Mode server never saw what was expected")
                self._changed.wait(remaining)

    def wait_for_ack(self, envelope_id: str, timeout: float = ACK_DEADLINE) -> Ack:
        ack = self.wait_for(lambda s: s.acks.get(envelope_id), timeout)
        assert ack is not None  # wait_for returns only what is truthy
        return ack

    def _newest_link(self) -> Link:
        """The connection Slack would use: the newest open one (waiting a moment for one)."""
        return self.wait_for(lambda s: s.open_links()[-1:], timeout=ACK_DEADLINE)[0]

    # -- the WebSocket -----------------------------------------------------------------------

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        ticket = parse_qs(urlsplit(request.path).query).get("ticket", [""])[0]
        with self._changed:
            if ticket in self._tickets:
                self._tickets.remove(ticket)
                return None
        return connection.respond(HTTPStatus.UNAUTHORIZED, "unknown or used ticket\n")

    def _serve_link(self, connection: ServerConnection) -> None:
        with self._changed:
            link = Link(len(self.links) + 1, connection)
            self.links.append(link)
            connections = len([one for one in self.links if one.open])
            self._changed.notify_all()
        try:
            connection.send(json.dumps(_hello(connections, self.app_id)))
            for message in connection:
                self._received(str(message))
        except ConnectionClosed:
            pass  # the app went without a closing handshake, as it does when it reconnects
        finally:
            with self._changed:
                link.open = False
                self._changed.notify_all()

    def _received(self, raw: str) -> None:
        now = time.monotonic()
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        with self._changed:
            envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
            if isinstance(message, dict) and envelope_id in self._sent:
                payload = message.get("payload")
                self.acks[str(envelope_id)] = Ack(
                    str(envelope_id),
                    payload if isinstance(payload, dict) else None,
                    now - self._sent[str(envelope_id)],
                )
            else:
                self.unexpected.append(raw)
            self._changed.notify_all()


def _hello(connections: int, app_id: str) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": connections,
        "debug_info": {
            "host": "applink-fake",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": app_id},
    }


@dataclass
class SocketModeSide:
    """A person's commands, messages and clicks, sent to the app in Socket Mode envelopes.

    Each method returns the envelope's id, to wait for its ack by."""

    server: SocketModeServer
    payloads: SlackPayloads
    fake: FakeSlack = field(init=False)

    def __post_init__(self) -> None:
        self.fake = self.payloads.fake

    def command(self, user_id: str, text: str, channel_id: str = "") -> str:
        payload = self.payloads.command(user_id, text, channel_id)
        return self.server.send(
            {"type": "slash_commands", "payload": payload, "accepts_response_payload": True}
        )

    def event(self, event: dict[str, Any], event_id: str | None = None) -> str:
        return self.server.send(
            {
                "type": "events_api",
                "payload": self.payloads.event(event, event_id),
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )

    def dm(self, user_id: str, text: str) -> str:
        return self.event(self.payloads.dm_event(user_id, text))

    def home_opened(self, user_id: str) -> str:
        return self.event(self.payloads.home_opened_event(user_id))

    def interaction(self, payload: dict[str, Any]) -> str:
        return self.server.send(
            {
                "type": "interactive",
                "payload": payload,
                "accepts_response_payload": payload.get("type") in ANSWERED_IN_THE_ACK,
            }
        )

    def action(
        self,
        user_id: str,
        action_id: str,
        value: str = "",
        *,
        element: dict[str, Any] | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
    ) -> str:
        """A click on a button (or a choice in a select) in a message, the Home tab or a modal."""
        return self.interaction(
            self.payloads.action(
                user_id, action_id, value, element=element, message_ts=message_ts, view_id=view_id
            )
        )

    def submit(
        self, user_id: str, values: dict[str, dict[str, Any]], *, raw_state: bool = False
    ) -> Ack:
        """Submit the person's top modal and wait for the ack; Slack applies what it says."""
        view_id, payload = self.payloads.submission(user_id, values, raw_state=raw_state)
        ack = self.server.wait_for_ack(self.interaction(payload))
        self.fake.apply_view_response(user_id, view_id, ack.payload or {})
        return ack
