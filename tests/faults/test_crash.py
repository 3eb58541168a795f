"""Crashes: `cascade serve` SIGKILLed at seeded random points of the whole cascade, then started
again, over ten seeds (split between SQLite and PostgreSQL when both are there). Slack's side is
played honestly: a request that got no answer is retried as Slack retries (same event, with
X-Slack-Retry-Num); a person whose answer got no reply types it again.

Expected: the cascade ends where it should (no interview step lost: every answer the app took is
kept), and every message owed is delivered — right away, or by the tick once the dead process's
lease has run out — and at most the one in flight at each kill twice (the window storage/outbox.py
states)."""

from __future__ import annotations

import os
import random
import threading
import urllib.error
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.slack_side import SlackSide
from bot.services import Services
from bot.settings import Settings
from bot.tick import run_tick
from storage.db import open_database, transaction, upgrade
from storage.models import OutboxMessage
from storage.outbox import LEASE, list_messages
from tests.bot.test_processes import Process
from tests.conftest import POSTGRES_URL
from tests.fakes.slack_requests import SIGNING_SECRET
from tests.faults.cascade import MEMBERS, STATEMENT, final_state_problems, play, script

SEEDS = range(10)
KILLS_PER_RUN = 1
BACKENDS = [
    ("sqlite" if seed < 5 or POSTGRES_URL is None else "postgresql", seed) for seed in SEEDS
]


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    backend = request.param
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/cascade.db"
        return
    assert POSTGRES_URL is not None
    schema = f"k_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


class Server:
    """`cascade serve`, killed on cue and started again when needed."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.process: Process | None = None
        self.kills = 0
        self.lock = threading.Lock()
        self.pending: threading.Timer | None = None

    def alive(self) -> bool:
        return self.process is not None and self.process.proc.poll() is None

    def ensure(self) -> Process:
        with self.lock:
            if not self.alive():
                self.process = Process(self.env, self.cwd)
            assert self.process is not None
            return self.process

    def kill_after(self, seconds: float) -> None:
        def kill() -> None:
            with self.lock:
                if self.alive():
                    assert self.process is not None
                    self.process.kill()
                    self.kills += 1

        self.pending = threading.Timer(seconds, kill)
        self.pending.start()

    def settle(self) -> None:
        """Let a kill on cue happen (before the next step is sent, so it lands in this one)."""
        if self.pending is not None:
            self.pending.join()
            self.pending = None

    def stop(self) -> None:
        with self.lock:
            if self.alive():
                assert self.process is not None
                self.process.kill()


class OverHttp:
    """Slack's side: signed requests to whichever server is up; no answer → Slack's retry."""

    def __init__(self, server: Server, fake: FakeSlack, fake_url: str) -> None:
        self.server, self.fake, self.fake_url = server, fake, fake_url
        self.retries = 0

    def _send(self, build: Any) -> None:
        for attempt in range(3):
            process = self.server.ensure()
            slack = SlackSide(process.url, self.fake, self.fake_url, SIGNING_SECRET)
            headers = {"X-Slack-Retry-Num": str(attempt)} if attempt else {}
            try:
                reply = build(slack, headers)
                if reply.status == 200:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass  # the process died before answering: Slack retries
            self.retries += 1

    def command(self, user: str, text_: str) -> None:
        body = None

        def build(slack: SlackSide, headers: dict[str, str]) -> Any:
            nonlocal body
            body = body or slack.command_body(user, text_)
            return slack.post(body, "application/x-www-form-urlencoded", headers=headers)

        self._send(build)

    def dm(self, user: str, text_: str) -> None:
        body = None

        def build(slack: SlackSide, headers: dict[str, str]) -> Any:
            nonlocal body  # the same event, with the same id, on every retry
            body = body or slack.event_body(slack.payloads.dm_event(user, text_))
            return slack.post(body, "application/json", headers=headers)

        self._send(build)

    def click(self, user: str, action_id: str, value: str) -> None:
        self._send(lambda slack, headers: slack.action(user, action_id, value, headers=headers))


@pytest.mark.parametrize(("database", "seed"), BACKENDS, indirect=["database"])
def test_kills_at_random_points_lose_no_step_and_no_message(
    database: str, seed: int, tmp_path: Path, fake_slack: tuple[FakeSlack, str]
) -> None:
    fake, fake_url = fake_slack
    engine = open_database(database)
    upgrade(engine)  # PostgreSQL is not migrated at start
    env = dict(os.environ) | {
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_url + "/api/",
        "DATABASE_URL": database,
        "CASCADE_ADMINS": "UADMIN",
    }
    steps = script()
    rng = random.Random(seed)
    kill_at = dict.fromkeys(rng.sample(range(len(steps) - 2), KILLS_PER_RUN), True)
    server = Server(env, tmp_path)
    driver = OverHttp(server, fake, fake_url)

    def before(index: int) -> None:
        server.settle()
        server.ensure()
        if kill_at.pop(index, False):
            server.kill_after(rng.uniform(0.0, 0.3))

    try:
        sent = play(
            driver,
            engine,
            fake.team_id,
            steps,
            patience=8.0,
            before=before,
            abandon=lambda: not server.alive(),
        )
    finally:
        server.stop()
    # What the dead processes still held is delivered by the next tick after their leases.
    later = datetime.now(UTC) + LEASE + timedelta(seconds=5)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=fake.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_url + "/api/",
        database_url=database,
    )
    services = Services(settings=settings, engine=engine, clock=lambda: later)
    run_tick(services, later)
    assert final_state_problems(engine, fake.team_id) == []
    check_the_interviews(engine, fake.team_id)
    with transaction(engine) as s:
        rows = list_messages(session=s, team_id=fake.team_id)
    posted = [m for m in fake.messages if m.user == fake.bot_user_id and not m.ephemeral_to]
    owed = [r for r in rows if r.method == "chat.postMessage"]
    times = Counter((m.channel, m.text) for m in posted)
    assert len(posted) >= len(owed) and all(times[key(r, fake)] >= 1 for r in owed), "lost"
    twice = [r for r in owed if times[key(r, fake)] > 1]
    for row in twice:  # only a message a process was delivering when it died, sent again later
        by_the_tick = later <= row.sent_at <= later + timedelta(minutes=1)  # its clock moves on
        assert times[key(row, fake)] == 2 and by_the_tick, (row.kind, row.payload["text"])
    print(
        f"seed {seed} ({database.split(':')[0]}): {server.kills} kills, {len(owed)} messages, "
        f"{len(twice)} sent twice (in flight at a kill), Slack retries {driver.retries}, "
        f"answers typed again {sum(n - 1 for n in sent.values())}"
    )
    engine.dispose()


def key(row: OutboxMessage, fake: FakeSlack) -> tuple[str, str]:
    return fake.dm_channel(row.recipient), str(row.payload.get("text"))


def check_the_interviews(engine: Engine, team: str) -> None:
    """Every answer of every interview is kept as given."""
    from storage import goals, people

    with transaction(engine) as s:
        for member in MEMBERS:
            person = people.get_person(session=s, team_id=team, user_id=member)
            assert person is not None
            [goal] = goals.list_goals(session=s, team_id=team, owner_id=person.id)
            assert (goal.statement, goal.measure) == (STATEMENT, "10 signed contracts")
            assert goal.due is not None and goal.anticipated_barriers is None
