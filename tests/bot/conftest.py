"""The end-to-end tests' person: plays the people of the workspace through signed requests."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.fake_slack import Message
from tests.conftest import ADMIN, ALICE, BOB, CAROL, OWNER, Running


class Walk:
    """Plays the people of the workspace: commands, DMs, clicks; waits for what Cascade says."""

    def __init__(self, running: Running) -> None:
        self.r = running
        self.seen: dict[str, int] = {}

    def _mark(self, user: str) -> None:
        self.seen[user] = len(self.r.fake.replies_for(user))

    def expect(self, user: str, text: str, timeout: float = 10.0) -> Message:
        """Wait until Cascade has told `user` something containing `text` since the last action."""
        start = self.seen.get(user, 0)

        def found(fake: Any) -> Message | None:
            return next((m for m in fake.replies_for(user)[start:] if text in m.text), None)

        message: Message = self.r.fake.wait_for(found, timeout)
        return message

    def command(self, user: str, text: str) -> None:
        self._mark(user)
        assert self.r.slack.command(user, text).status == 200

    def dm(self, user: str, text: str) -> None:
        self._mark(user)
        assert self.r.slack.dm(user, text).status == 200

    def click(self, user: str, message: Message, label: str) -> None:
        buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
        button = next((b for b in buttons if label in b["text"]["text"]), None)
        assert button is not None, f"no button {label!r} in {[b['text']['text'] for b in buttons]}"
        self._mark(user)
        reply = self.r.slack.action(
            user,
            button["action_id"],
            button.get("value", ""),
            message_ts=message.ts,
            element={
                "type": "button",
                "action_id": button["action_id"],
                "block_id": "b",
                "text": button["text"],
            },
        )
        assert reply.status == 200


@pytest.fixture
def walk(running: Running) -> Walk:
    w = Walk(running)
    w.command(ADMIN, 'cycle add "FY27 H1" 2027-01-01 2027-06-30')
    w.expect(ADMIN, "Cycle *FY27 H1*")
    w.command(ADMIN, f'unit add "Acme" manager:<@{OWNER}>')
    w.expect(ADMIN, "created")
    w.command(ADMIN, f'unit add "Sales" parent:"Acme" manager:<@{ALICE}>')
    w.expect(ADMIN, "created")
    w.command(ADMIN, f'unit members "Sales" <@{BOB}> <@{CAROL}>')
    w.expect(ADMIN, "updated")
    return w


def publish_top(w: Walk) -> None:
    w.command(OWNER, "plan")
    w.expect(OWNER, "Type an objective")
    w.dm(OWNER, "Grow revenue 20% in FY27")
    w.expect(OWNER, "Noted: Grow revenue 20% in FY27")
    w.dm(OWNER, "Delight our customers")
    w.expect(OWNER, "Noted")
    w.dm(OWNER, "done")
    review = w.expect(OWNER, "Acme's objectives for FY27 H1")
    w.click(OWNER, review, "Publish")
    w.expect(OWNER, "Published 2 objectives")


def publish_sales(w: Walk, invitation: Message | None = None) -> None:
    """Alice derives Sales' objectives, starting from `/goals plan` or the invitation's button."""
    if invitation is None:
        w.command(ALICE, "plan")
    else:
        w.click(ALICE, invitation, "Plan our objectives")
    w.expect(ALICE, "1 of 2:")
    w.dm(ALICE, "Sign 10 new enterprise customers")
    second = w.expect(ALICE, "2 of 2:")
    w.click(ALICE, second, "Skip")
    extra = w.expect(ALICE, "Anything else Sales will do?")
    w.click(ALICE, extra, "Done")
    w.expect(ALICE, "Sales' objectives for FY27 H1")
    w.dm(ALICE, "publish")
    w.expect(ALICE, "Published 1 objective")


def interview(w: Walk, statement: str = "Improve onboarding") -> Message:
    w.command(BOB, "set")
    question = w.expect(BOB, "Which of Sales' objectives")
    w.click(BOB, question, "1.")
    w.expect(BOB, "What's your goal?")
    w.dm(BOB, statement)
    return w.expect(BOB, "?")
