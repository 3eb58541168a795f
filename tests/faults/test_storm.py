"""A storm: the whole cascade while the fake Slack answers 30% of Web API calls with 429 and 5%
with 500 (seeded). Everything owed is delivered — right after each request, or by the tick for
what is left — and nothing twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.sandbox.fake_slack import FakeSlack
from bot.tick import run_tick
from storage.db import transaction
from storage.models import OutboxStatus
from storage.outbox import list_messages
from tests.faults.cascade import final_state_problems, play, script
from tests.faults.harness import Harness, harness

SEEDS = [11, 12]


class Clock:
    """The app's clock, moved on by the test (the tick runs "later")."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def stormy(engine: Engine, fake_slack: tuple[FakeSlack, str]) -> Iterator[tuple[Harness, Clock]]:
    fake, url = fake_slack
    clock = Clock()
    with harness(fake, url, engine, clock=clock) as h:
        yield h, clock


class InProcess:
    """Plays the cascade's people through the harness (each request's work done on return)."""

    def __init__(self, h: Harness) -> None:
        self.h = h

    def command(self, user: str, text: str) -> None:
        assert self.h.command(user, text).status == 200

    def dm(self, user: str, text: str) -> None:
        assert self.h.dm(user, text).status == 200

    def click(self, user: str, action_id: str, value: str) -> None:
        assert self.h.click(user, action_id, value).status == 200


@pytest.mark.parametrize("seed", SEEDS)
def test_a_storm_of_429s_and_500s_loses_nothing_and_sends_nothing_twice(
    stormy: tuple[Harness, Clock], seed: int
) -> None:
    h, clock = stormy
    fake = h.fake
    fake.storm(seed=seed, rate_limited=0.30, server_errors=0.05)
    sent = play(InProcess(h), h.engine, fake.team_id, script(), patience=0.0, tries=8)
    faults = Counter(c.method for c in fake.calls if c.method != "response_url")
    # The tick, later and later, delivers what the requests could not; the storm goes on.
    for _ in range(30):
        clock.now += timedelta(hours=1)
        run_tick(h.services, clock.now)
        with transaction(h.engine) as s:
            if not list_messages(session=s, team_id=fake.team_id, status=OutboxStatus.PENDING):
                break
    fake.calm()
    assert final_state_problems(h.engine, fake.team_id) == []
    with transaction(h.engine) as s:
        rows = list_messages(session=s, team_id=fake.team_id)
    posted = [m for m in fake.messages if m.user == fake.bot_user_id and not m.ephemeral_to]
    assert len(posted) == len([r for r in rows if r.method == "chat.postMessage"]), "sent twice"
    assert len({m.ts for m in posted}) == len(posted)
    assert sorted(r.ts or "" for r in rows if r.method == "chat.postMessage") == sorted(
        m.ts for m in posted
    )
    retried = sum(1 for r in rows if r.attempts > 1)
    print(
        f"seed {seed}: {len(rows)} messages owed, all sent once; {retried} needed the tick; "
        f"{sum(faults.values())} Web API calls; steps re-sent: "
        f"{sum(n - 1 for n in sent.values())}"
    )
    problems = [p for p in h.problems() if not p.startswith("log:")]
    assert problems == []
