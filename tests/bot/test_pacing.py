"""Slack's pace (bot/pacing.py): what nobody waits for makes room for a reply someone waits for."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.outbox import Sender
from bot.pacing import (
    CONVERSATION_BURST,
    OVERALL,
    OVERALL_BURST,
    PER_CONVERSATION,
    REPLIES_AHEAD,
    Pacer,
)
from bot.sandbox.fake_slack import FakeSlack
from bot.slack import make_client
from storage import outbox
from storage.db import transaction
from tests.conftest import ALICE, BOB, CAROL, DAVE, settings_for


class Stopped:
    """A clock that stays put while the threads that asked sleep: each wait is only reserved."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_a_reply_goes_at_once_while_a_fan_out_has_the_overall_pace_booked() -> None:
    clock = Stopped()
    pacer = Pacer(monotonic=clock, sleep=clock.sleep)
    for n in range(40):  # the tick's fan-out: 40 check-ins, every thread booked ahead
        pacer.wait(f"U{n}")
    booked = pacer.wait("U-next")
    assert booked == pytest.approx((40 - OVERALL_BURST + 1) * OVERALL)
    assert pacer.wait(ALICE, reply=True) == 0.0, "the person who typed waits for nobody"
    assert pacer.wait("U-after") == pytest.approx(booked + 2 * OVERALL), "the fan-out made room"


def test_a_reply_still_keeps_its_own_conversations_pace() -> None:
    clock = Stopped()
    pacer = Pacer(monotonic=clock, sleep=clock.sleep)
    waits = [pacer.wait(BOB, reply=True) for _ in range(CONVERSATION_BURST + 2)]
    assert waits[:CONVERSATION_BURST] == [0.0] * CONVERSATION_BURST
    assert waits[CONVERSATION_BURST:] == pytest.approx([PER_CONVERSATION, 2 * PER_CONVERSATION])


def test_replies_alone_never_wait_for_the_overall_pace_and_hold_the_rest_back_only_so_long() -> (
    None
):
    clock = Stopped()
    pacer = Pacer(monotonic=clock, sleep=clock.sleep)
    assert [pacer.wait(f"U{n}", reply=True) for n in range(3 * OVERALL_BURST)] == [0.0] * (
        3 * OVERALL_BURST
    )
    assert pacer.wait("U-bulk") > 0, "what nobody waits for goes after them"
    for n in range(1000):  # a flood of replies: over Slack's pace, its 429s are the limit
        assert pacer.wait(f"R{n}", reply=True) == 0.0
    assert pacer.wait("U-bulk-2") <= REPLIES_AHEAD, "never held back past REPLIES_AHEAD"


class Recording(Pacer):
    """Slack's pace lifted, with every message's kind of wait recorded."""

    def __init__(self) -> None:
        super().__init__(per_conversation=0.0, overall=0.0)
        self.kinds: list[tuple[Hashable, bool]] = []

    def wait(self, conversation: Hashable, *, reply: bool = False) -> float:  # noqa: D102
        self.kinds.append((conversation, reply))
        return super().wait(conversation, reply=reply)


def test_the_sender_says_which_messages_someone_is_waiting_for(
    engine: Engine, fake_slack: tuple[FakeSlack, str]
) -> None:
    fake, url = fake_slack
    pacer = Recording()
    now = datetime.now(UTC)
    sender = Sender(
        engine=engine, client=make_client(settings_for(fake, url)), clock=lambda: now, pacer=pacer
    )
    team = fake.team_id
    with transaction(engine) as s:
        earlier = now - timedelta(seconds=1)
        outbox.enqueue(
            session=s, messages=[outbox.Owed(team, "reply", ALICE, {"text": "a"})], now=earlier
        )
        outbox.enqueue(
            session=s,
            messages=[
                outbox.Owed(team, "reply", BOB, {"text": "b"}),
                outbox.Owed(team, "notice", DAVE, {"text": "Bob proposed a goal"}),
            ],
            now=earlier,
            owner="request",
        )
        outbox.enqueue(
            session=s,
            messages=[outbox.Owed(team, "nudge", CAROL, {"text": "c"})],
            now=earlier,
            owner="tick",
        )
    sender.deliver_owned("request", reply_to=BOB)  # Bob's answer, and a notice to Dave
    sender.deliver_owned("tick")
    sender.deliver_due()
    assert pacer.kinds == [
        ((team, BOB), True),
        ((team, DAVE), False),
        ((team, CAROL), False),
        ((team, ALICE), False),
    ]
