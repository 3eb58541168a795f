"""The tests play Slack with the sandbox's own Slack side (bot/sandbox/slack_side.py)."""

from __future__ import annotations

from bot.sandbox import slack_side
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.slack_side import SlackSide

SIGNING_SECRET = "test-signing-secret"


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    return slack_side.sign(body, timestamp, secret)


def SlackClient(app_url: str, fake: FakeSlack, fake_url: str) -> SlackSide:  # noqa: N802
    return SlackSide(app_url=app_url, fake=fake, fake_url=fake_url, secret=SIGNING_SECRET)
