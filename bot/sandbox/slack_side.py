"""Slack's side of the conversation: payloads built and signed exactly as Slack sends them.

The sandbox page and the end-to-end tests both use this to reach the app over HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bot.sandbox.fake_slack import FakeSlack

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
class SlackSide:
    """POSTs commands, events and interactions to the app at `app_url`, as Slack would."""

    app_url: str
    fake: FakeSlack
    fake_url: str
    secret: str

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

    def _response_url(self, user_id: str, channel_id: str, message_ts: str = "") -> str:
        return self.fake.response_url_for(
            self.fake_url, user_id=user_id, channel_id=channel_id, message_ts=message_ts
        )

    # -- slash commands --------------------------------------------------------------------

    def command_body(self, user_id: str, text: str, channel_id: str = "") -> bytes:
        channel = channel_id or self.fake.dm_channel(user_id)
        return urlencode(
            {
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
                "response_url": self._response_url(user_id, channel),
                "trigger_id": self.fake.new_trigger(user_id),
            }
        ).encode()

    def command(self, user_id: str, text: str, **kwargs: Any) -> Reply:
        return self.post(self.command_body(user_id, text), FORM, **kwargs)

    # -- events ----------------------------------------------------------------------------

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> bytes:
        return json.dumps(
            {
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
        ).encode()

    def event(self, event: dict[str, Any], event_id: str | None = None, **kwargs: Any) -> Reply:
        return self.post(self.event_body(event, event_id), "application/json", **kwargs)

    def dm(self, user_id: str, text: str, **kwargs: Any) -> Reply:
        """The person writes in their DM with Cascade: the message appears, then the event."""
        text = self.fake.as_sent_by_slack(text)
        message = self.fake.post_as_person(user_id, text)
        event = {
            "type": "message",
            "channel": message.channel,
            "channel_type": "im",
            "user": user_id,
            "text": text,
            "ts": message.ts,
            "event_ts": message.ts,
            "team": self.fake.team_id,
        }
        return self.event(event, **kwargs)

    def home_opened(self, user_id: str, **kwargs: Any) -> Reply:
        event = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.fake.dm_channel(user_id),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        return self.event(event, **kwargs)

    # -- interactivity ---------------------------------------------------------------------

    def _interaction(self, user_id: str, payload: dict[str, Any], **kwargs: Any) -> Reply:
        payload = {
            "team": {"id": self.fake.team_id, "domain": "sandbox"},
            "user": {"id": user_id, "team_id": self.fake.team_id},
            "api_app_id": "ACASCADE",
            "token": "legacy-verification-token",
            "trigger_id": self.fake.new_trigger(user_id),
            **payload,
        }
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
            payload["response_url"] = self._response_url(user_id, channel, message_ts or "")
            if message is not None and not message.ephemeral_to:
                payload["message"] = {
                    "ts": message.ts,
                    "text": message.text,
                    "blocks": message.blocks,
                    "user": message.user,
                }
        return self._interaction(user_id, payload, **kwargs)

    def submit(
        self,
        user_id: str,
        values: dict[str, dict[str, Any]],
        *,
        raw_state: bool = False,
        **kwargs: Any,
    ) -> Reply:
        """Submit the person's top modal. `values` maps block id → the element's state (or, with
        `raw_state`, block id → action id → state, as Slack sends it); Slack's answer is applied."""
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
        reply = self._interaction(user_id, payload, **kwargs)
        self.fake.apply_view_response(user_id, view["id"], reply.json())
        return reply
