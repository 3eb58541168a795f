"""Slack's side of the conversation: payloads built exactly as Slack sends them.

`SlackPayloads` builds them as plain data; `SlackSide` signs them and POSTs them to the app over
HTTP (the sandbox page and the end-to-end tests), and bot/sandbox/socket_mode.py sends the same
payloads in Socket Mode envelopes.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bot.sandbox.fake_slack import FakeSlack, Message

_ids = itertools.count(1)
FORM = "application/x-www-form-urlencoded"


def sign(body: bytes, timestamp: int, secret: str) -> str:
    """Slack's v0 request signature."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else {}


@dataclass
class SlackPayloads:
    """What Slack sends the app when a person uses it, whichever way it travels."""

    fake: FakeSlack
    fake_url: str

    def response_url(self, user_id: str, channel_id: str, message_ts: str = "") -> str:
        return self.fake.response_url_for(
            self.fake_url, user_id=user_id, channel_id=channel_id, message_ts=message_ts
        )

    # -- slash commands --------------------------------------------------------------------

    def command(self, user_id: str, text: str, channel_id: str = "") -> dict[str, str]:
        """A `/goals` command: the fields of Slack's form (over HTTP) or of its JSON payload."""
        channel = channel_id or self.fake.dm_channel(user_id)
        return {
            "token": "legacy-verification-token",
            "team_id": self.fake.team_id,
            "team_domain": "sandbox",
            "channel_id": channel,
            "channel_name": "directmessage",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/goals",
            "text": self.fake.as_sent_by_slack(text),
            "api_app_id": "ACASCADE",
            "is_enterprise_install": "false",
            "response_url": self.response_url(user_id, channel),
            "trigger_id": self.fake.new_trigger(user_id),
        }

    # -- events ----------------------------------------------------------------------------

    def event(self, event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        """The `event_callback` that carries one event."""
        return {
            "token": "legacy-verification-token",
            "team_id": self.fake.team_id,
            "api_app_id": "ACASCADE",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{int(time.time())}{next(_ids):06d}",
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": self.fake.team_id, "user_id": self.fake.bot_user_id, "is_bot": True}
            ],
        }

    def dm_event(self, user_id: str, text: str) -> dict[str, Any]:
        """The person writes in their DM with Cascade: the message appears; this is its event."""
        return self.dm_variant_event(user_id, text)

    def dm_variant_event(
        self,
        user_id: str,
        text: str,
        *,
        subtype: str | None = None,
        thread_ts: str | None = None,
        filename: str | None = None,
    ) -> dict[str, Any]:
        """A message Slack delivers with more than its text: a reply in a thread (`thread_ts`),
        one also sent to the DM (`thread_broadcast`), a `/me` (`me_message`) or a file shared
        with `text` as its caption (`filename`, subtype `file_share`)."""
        text = self.fake.as_sent_by_slack(text)
        message = self.fake.post_as_person(user_id, text, thread_ts=thread_ts, filename=filename)
        event: dict[str, Any] = {
            "type": "message",
            "channel": message.channel,
            "channel_type": "im",
            "user": user_id,
            "text": text,
            "ts": message.ts,
            "event_ts": message.ts,
            "team": self.fake.team_id,
        }
        if filename is not None:
            subtype = subtype or "file_share"
            event["upload"] = True
            event["display_as_bot"] = False
            event["files"] = [
                {"id": file_id, "name": filename, "title": filename, "user": user_id}
                for file_id in message.files
            ]
        if subtype is not None:
            event["subtype"] = subtype
        if message.thread_ts is not None:
            event["thread_ts"] = message.thread_ts
            event["parent_user_id"] = self._author(message.thread_ts)
        return event

    def _author(self, ts: str) -> str:
        found = self.fake.find_message(ts)
        return found.user if found is not None else ""

    def edit_event(self, user_id: str, ts: str, text: str) -> dict[str, Any]:
        """The person edits their message `ts`: it changes; this is its `message_changed`."""
        text = self.fake.as_sent_by_slack(text)
        message, previous = self.fake.edit_as_person(user_id, ts, text)
        edited_at = f"{self.fake.now():.6f}"
        shared = {"type": "message", "user": user_id, "ts": message.ts, "team": self.fake.team_id}
        if message.thread_ts is not None:
            shared["thread_ts"] = message.thread_ts
        return {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "channel": message.channel,
            "channel_type": "im",
            "ts": edited_at,
            "event_ts": edited_at,
            "message": {**shared, "text": text, "edited": {"user": user_id, "ts": edited_at}},
            "previous_message": {**shared, "text": previous},
        }

    def bot_edit_event(self, message: Message) -> dict[str, Any]:
        """The `message_changed` Slack sends when the app updates its own message."""
        shared = {
            "type": "message",
            "user": self.fake.bot_user_id,
            "bot_id": "BCASCADE",
            "app_id": "ACASCADE",
            "ts": message.ts,
        }
        edited_at = f"{self.fake.now():.6f}"
        edited = {"user": self.fake.bot_user_id, "ts": edited_at}
        return {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "channel": message.channel,
            "channel_type": "im",
            "ts": edited_at,
            "event_ts": edited_at,
            "message": {**shared, "text": message.text, "edited": edited},
            "previous_message": {**shared, "text": "What it said before."},
        }

    def home_opened_event(self, user_id: str) -> dict[str, Any]:
        return {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.fake.dm_channel(user_id),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }

    def app_uninstalled_event(self) -> dict[str, Any]:
        """Sent once the app is removed from the workspace (its tokens revoked: FakeSlack
        `uninstall`). Slack sends tokens_revoked too, in no guaranteed order."""
        return {"type": "app_uninstalled"}

    def tokens_revoked_event(self, *, bot: bool = True) -> dict[str, Any]:
        """The app's tokens were revoked: `tokens` lists, by kind, the user ids whose tokens
        went (the bot user's, for the bot token), never the tokens themselves."""
        tokens = {"oauth": [], "bot": [self.fake.bot_user_id] if bot else []}
        return {"type": "tokens_revoked", "tokens": tokens}

    # -- interactivity ---------------------------------------------------------------------

    def interaction(self, user_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "team": {"id": self.fake.team_id, "domain": "sandbox"},
            "user": {"id": user_id, "team_id": self.fake.team_id},
            "api_app_id": "ACASCADE",
            "token": "legacy-verification-token",
            "trigger_id": self.fake.new_trigger(user_id),
            **payload,
        }

    def action(
        self,
        user_id: str,
        action_id: str,
        value: str = "",
        *,
        element: dict[str, Any] | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
    ) -> dict[str, Any]:
        """A click on a button (or a choice in a select) in a message, the Home tab or a modal."""
        action = {"type": "button", "block_id": "b", "action_id": action_id, **(element or {})}
        if value:
            action["value"] = value
        action["action_ts"] = f"{time.time():.6f}"
        channel = self.fake.dm_channel(user_id)
        payload: dict[str, Any] = {"type": "block_actions", "actions": [action]}
        view = self.fake.find_view(user_id, view_id) if view_id else None
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = {**view, "team_id": self.fake.team_id}
        else:
            message = self.fake.find_message(message_ts) if message_ts else None
            payload["container"] = {
                "type": "message",
                "channel_id": channel,
                "message_ts": message_ts or "",
                "is_ephemeral": bool(message and message.ephemeral_to),
            }
            payload["channel"] = {"id": channel}
            payload["response_url"] = self.response_url(user_id, channel, message_ts or "")
            if message is not None and not message.ephemeral_to:
                payload["message"] = {
                    "ts": message.ts,
                    "text": message.text,
                    "blocks": message.blocks,
                    "user": message.user,
                }
        return self.interaction(user_id, payload)

    def submission(
        self, user_id: str, values: dict[str, dict[str, Any]], *, raw_state: bool = False
    ) -> tuple[str, dict[str, Any]]:
        """Submitting the person's top modal: (its view id, the payload). `values` maps block id
        → the element's state (or, with `raw_state`, block id → action id → state, as Slack
        sends it)."""
        view = self.fake.top_modal(user_id)
        if view is None:
            raise LookupError("no modal is open")
        state = (
            values
            if raw_state
            else {
                block_id: {block_id: {"type": "plain_text_input", **element}}
                for block_id, element in values.items()
            }
        )
        payload = {
            "type": "view_submission",
            "view": {**view, "team_id": self.fake.team_id, "state": {"values": state}},
        }
        return str(view["id"]), self.interaction(user_id, payload)


@dataclass
class SlackSide:
    """POSTs commands, events and interactions to the app at `app_url`, as Slack would."""

    app_url: str
    fake: FakeSlack
    fake_url: str
    secret: str
    payloads: SlackPayloads = field(init=False)

    def __post_init__(self) -> None:
        self.payloads = SlackPayloads(self.fake, self.fake_url)

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        ts = int(time.time()) if timestamp is None else timestamp
        request = urllib.request.Request(
            self.app_url + "/slack/events",
            data=body,
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": str(ts),
                "X-Slack-Signature": sign(body, ts, self.secret)
                if signature is None
                else signature,
                **(headers or {}),
            },
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Reply(response.status, response.read(), time.monotonic() - started)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read(), time.monotonic() - started)

    # -- slash commands --------------------------------------------------------------------

    def command_body(self, user_id: str, text: str, channel_id: str = "") -> bytes:
        return urlencode(self.payloads.command(user_id, text, channel_id)).encode()

    def command(self, user_id: str, text: str, **kwargs: Any) -> Reply:
        return self.post(self.command_body(user_id, text), FORM, **kwargs)

    # -- events ----------------------------------------------------------------------------

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> bytes:
        return json.dumps(self.payloads.event(event, event_id)).encode()

    def event(self, event: dict[str, Any], event_id: str | None = None, **kwargs: Any) -> Reply:
        return self.post(self.event_body(event, event_id), "application/json", **kwargs)

    def dm(self, user_id: str, text: str, **kwargs: Any) -> Reply:
        """The person writes in their DM with Cascade: the message appears, then the event."""
        return self.event(self.payloads.dm_event(user_id, text), **kwargs)

    def home_opened(self, user_id: str, **kwargs: Any) -> Reply:
        return self.event(self.payloads.home_opened_event(user_id), **kwargs)

    # -- interactivity ---------------------------------------------------------------------

    def _interaction(self, payload: dict[str, Any], **kwargs: Any) -> Reply:
        return self.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM, **kwargs)

    def action(
        self,
        user_id: str,
        action_id: str,
        value: str = "",
        *,
        element: dict[str, Any] | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        **kwargs: Any,
    ) -> Reply:
        """A click on a button (or a choice in a select) in a message, the Home tab or a modal."""
        payload = self.payloads.action(
            user_id, action_id, value, element=element, message_ts=message_ts, view_id=view_id
        )
        return self._interaction(payload, **kwargs)

    def submit(
        self,
        user_id: str,
        values: dict[str, dict[str, Any]],
        *,
        raw_state: bool = False,
        **kwargs: Any,
    ) -> Reply:
        """Submit the person's top modal (see `SlackPayloads.submission`); Slack's answer is
        applied."""
        view_id, payload = self.payloads.submission(user_id, values, raw_state=raw_state)
        reply = self._interaction(payload, **kwargs)
        self.fake.apply_view_response(user_id, view_id, reply.json())
        return reply
