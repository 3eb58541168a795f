"""The one send path under Slack's failures: rate limits, server errors, people who have left."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from bot import outbox as bot_outbox
from bot.outbox import Sender
from bot.sandbox.fake_slack import FakeSlack
from bot.slack import make_client
from storage import outbox, people
from storage.db import transaction
from storage.models import OutboxStatus
from tests.conftest import ALICE, BOB, CAROL, DAVE, settings_for
from tests.factories import profile
from tests.helpers import counting_statements


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sender(engine: Engine, fake_slack: tuple[FakeSlack, str]) -> Iterator[tuple[Sender, Clock]]:
    fake, url = fake_slack
    clock = Clock()
    with transaction(engine) as s:
        people.upsert_profiles(
            session=s,
            team_id=fake.team_id,
            at=clock.now,
            profiles=[profile(u, u) for u in (ALICE, BOB, CAROL, DAVE)],
        )
    yield Sender(engine=engine, client=make_client(settings_for(fake, url)), clock=clock), clock


def owe(engine: Engine, fake: FakeSlack, *to: str) -> None:
    messages = [
        outbox.Owed(fake.team_id, "reply", u, {"text": f"{i}: hi {u}"}) for i, u in enumerate(to)
    ]
    with transaction(engine) as s:
        outbox.enqueue(session=s, messages=messages, now=datetime.now(UTC) - timedelta(seconds=1))


def rows(engine: Engine) -> list[tuple[str, str]]:
    with transaction(engine) as s:
        return [(m.recipient, m.status) for m in outbox.list_messages(session=s)]


def test_a_rate_limit_waits_for_retry_after(
    engine: Engine, fake_slack: tuple[FakeSlack, str], sender: tuple[Sender, Clock]
) -> None:
    fake, _ = fake_slack
    fake.fail_next("chat.postMessage", 429, retry_after=1)
    owe(engine, fake, BOB)
    report = sender[0].deliver_due()
    calls = fake.calls_to("chat.postMessage")
    assert report.sent == 1 and len(calls) == 2
    assert calls[1].at - calls[0].at >= 1.0


def test_someone_who_has_left_is_marked_and_never_retried(
    engine: Engine, fake_slack: tuple[FakeSlack, str], sender: tuple[Sender, Clock]
) -> None:
    fake, _ = fake_slack
    fake.fail_next("chat.postMessage", 200, error="account_inactive")
    owe(engine, fake, BOB, ALICE, BOB)
    report = sender[0].deliver_due()
    assert (report.sent, report.failed) == (1, 1)
    assert rows(engine) == [(BOB, "failed"), (ALICE, "sent"), (BOB, "failed")]
    with transaction(engine) as s:
        bob = people.get_person(session=s, team_id=fake.team_id, user_id=BOB)
        assert bob is not None and bob.deleted
    sender[1].now += timedelta(days=1)
    assert sender[0].deliver_due().sent == 0 and len(fake.calls_to("chat.postMessage")) == 2


def test_server_errors_are_retried_with_backoff_and_keep_each_persons_order(
    engine: Engine, fake_slack: tuple[FakeSlack, str], sender: tuple[Sender, Clock]
) -> None:
    fake, _ = fake_slack
    send, clock = sender
    fake.fail_next("chat.postMessage", 500, times=4)  # more than the client's own 3 retries
    owe(engine, fake, CAROL, DAVE, CAROL)
    started = time.monotonic()
    first = send.deliver_due()
    assert time.monotonic() - started >= 3.0  # the client backed off 0.5 + 1 + 2 s
    # Carol's first failed: her second waits behind it; Dave's went.
    assert (first.sent, first.retrying) == (1, 1)
    assert rows(engine) == [(CAROL, "pending"), (DAVE, "sent"), (CAROL, "pending")]
    assert send.deliver_due().sent == 0  # not due again yet
    clock.now += timedelta(minutes=1)
    assert send.deliver_due().sent == 2
    texts = [m.text for m in fake.messages if m.channel == fake.dm_channel(CAROL)]
    assert texts == [f"0: hi {CAROL}", f"2: hi {CAROL}"]


def test_one_refusal_never_stops_the_others(
    engine: Engine, fake_slack: tuple[FakeSlack, str], sender: tuple[Sender, Clock]
) -> None:
    fake, _ = fake_slack
    owe(engine, fake, ALICE, "UNOBODY", BOB, CAROL)
    report = sender[0].deliver_due()
    assert (report.sent, report.failed) == (3, 1)
    assert ("UNOBODY", OutboxStatus.FAILED) in rows(engine)
    fake.errors.clear()


def test_what_was_sent_is_marked_a_batch_at_a_time(
    engine: Engine,
    fake_slack: tuple[FakeSlack, str],
    sender: tuple[Sender, Clock],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """120 messages, marked sent in three statements (MARK_EVERY 50), not 120 transactions; each
    with where Slack put it."""
    fake, _ = fake_slack
    monkeypatch.setattr(bot_outbox, "MARK_WITHIN", 3600.0)  # by count alone, however slow
    owe(engine, fake, *[(ALICE, BOB, CAROL, DAVE)[i % 4] for i in range(120)])
    with counting_statements(engine) as counted:
        report = sender[0].deliver_due()
    assert report.sent == 120
    marks = [c for c in counted if c.lstrip().upper().startswith("UPDATE OUTBOX SET STATUS")]
    assert len(marks) == 3 == -(-120 // bot_outbox.MARK_EVERY)
    with transaction(engine) as s:
        sent = outbox.list_messages(session=s)
    assert {m.status for m in sent} == {OutboxStatus.SENT}
    assert all(m.ts and m.channel and m.channel.startswith("D") for m in sent)


def test_a_failure_after_unmarked_sends_never_rewrites_them(
    engine: Engine, fake_slack: tuple[FakeSlack, str], sender: tuple[Sender, Clock]
) -> None:
    """Bob's first message went; his second finds he has left, which fails all he is owed: the
    first is marked sent before that, so it stays sent, not failed."""
    fake, _ = fake_slack
    client = sender[0].client
    post = client.chat_postMessage
    calls: list[int] = []

    def third_finds_him_gone(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            fake.fail_next("chat.postMessage", 200, error="account_inactive")
        return post(**kwargs)

    client.chat_postMessage = third_finds_him_gone  # type: ignore[method-assign]
    owe(engine, fake, BOB, ALICE, BOB)
    report = sender[0].deliver_due()
    assert (report.sent, report.failed) == (2, 1)
    assert rows(engine) == [(BOB, "sent"), (ALICE, "sent"), (BOB, "failed")]


def test_a_ticks_sender_clock_moves_on_with_real_time(
    sender: tuple[Sender, Clock], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tick sends as of its instant, but a fan-out at Slack's pace lasts hours: its clock (and
    so the leases it renews) moves on as real time does, or the next tick from cron would find
    its rows' leases long expired and send them again."""
    real = [1000.0]
    monkeypatch.setattr(bot_outbox.time, "monotonic", lambda: real[0])
    instant = datetime(2027, 3, 1, 9, tzinfo=UTC)
    ticking = sender[0].at(instant)
    assert ticking.clock() == instant
    real[0] += 2 * 3600
    assert ticking.clock() == instant + timedelta(hours=2)
