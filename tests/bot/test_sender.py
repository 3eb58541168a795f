"""The one send path under Slack's failures: rate limits, server errors, people who have left."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.outbox import Sender
from bot.sandbox.fake_slack import FakeSlack
from bot.slack import make_client
from storage import outbox, people
from storage.db import transaction
from storage.models import OutboxStatus
from tests.conftest import ALICE, BOB, CAROL, DAVE, settings_for
from tests.factories import profile


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
