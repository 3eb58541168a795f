"""Requests to the app, signed exactly as Slack signs them."""

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

SIGNING_SECRET = "test-signing-secret"
_ids = itertools.count(1)


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class SlackClient:
    """Plays Slack's part: POSTs commands, events and interactions to the app."""

    app_url: str
    fake: FakeSlack
    fake_url: str
    secret: str = SIGNING_SECRET

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
                "text": text,
                "api_app_id": "ACASCADE",
                "is_enterprise_install": "false",
                "response_url": self.fake.response_url_for(
                    self.fake_url, user_id=user_id, channel_id=channel
                ),
                "trigger_id": self.fake.new_trigger(user_id),
            }
        ).encode()

    def command(self, user_id: str, text: str, **kwargs: Any) -> Reply:
        return self.post(
            self.command_body(user_id, text), "application/x-www-form-urlencoded", **kwargs
        )

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> bytes:
        return json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": self.fake.team_id,
                "api_app_id": "ACASCADE",
                "event": event,
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(_ids):08d}",
                "event_time": int(time.time()),
                "authorizations": [
                    {"team_id": self.fake.team_id, "user_id": self.fake.bot_user_id, "is_bot": True}
                ],
            }
        ).encode()

    def event(self, event: dict[str, Any], event_id: str | None = None, **kwargs: Any) -> Reply:
        return self.post(self.event_body(event, event_id), "application/json", **kwargs)

    def dm(self, user_id: str, text: str, **kwargs: Any) -> Reply:
        event = {
            "type": "message",
            "channel": self.fake.dm_channel(user_id),
            "channel_type": "im",
            "user": user_id,
            "text": text,
            "ts": f"{time.time():.6f}",
            "event_ts": f"{time.time():.6f}",
        }
        return self.event(event, **kwargs)

    def action(self, user_id: str, action_id: str, value: str = "", **kwargs: Any) -> Reply:
        payload = {
            "type": "block_actions",
            "team": {"id": self.fake.team_id, "domain": "sandbox"},
            "user": {"id": user_id, "team_id": self.fake.team_id},
            "api_app_id": "ACASCADE",
            "trigger_id": self.fake.new_trigger(user_id),
            "channel": {"id": self.fake.dm_channel(user_id)},
            "container": {"type": "message", "channel_id": self.fake.dm_channel(user_id)},
            "response_url": self.fake.response_url_for(
                self.fake_url, user_id=user_id, channel_id=self.fake.dm_channel(user_id)
            ),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b",
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded", **kwargs)

    def submit(self, user_id: str, values: dict[str, dict[str, Any]], **kwargs: Any) -> Reply:
        """Submit the person's top modal with these element states, keyed by block id."""
        view = self.fake.top_modal(user_id)
        assert view is not None, "no modal is open"
        state = {
            block_id: {block_id: {"type": "plain_text_input", **element}}
            for block_id, element in values.items()
        }
        payload = {
            "type": "view_submission",
            "team": {"id": self.fake.team_id, "domain": "sandbox"},
            "user": {"id": user_id, "team_id": self.fake.team_id},
            "api_app_id": "ACASCADE",
            "trigger_id": self.fake.new_trigger(user_id),
            "view": {**view, "team_id": self.fake.team_id, "state": {"values": state}},
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        reply = self.post(body, "application/x-www-form-urlencoded", **kwargs)
        response = json.loads(reply.body) if reply.body.strip() else {}
        self.fake.apply_view_response(user_id, view["id"], response)
        return reply
