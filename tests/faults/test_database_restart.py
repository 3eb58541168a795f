"""PostgreSQL restarted three times while 30 people write to Cascade (issue 22, item 2).

A private cluster of its own (never the shared one), restarted with `pg_ctl restart` while DMs
arrive as signed Events API requests at the in-process app: each is acked within Slack's 3 s or
refused fast with a 503, which Slack answers by delivering the same event again (emulated here:
the same body, with `X-Slack-Retry-Num`). Afterwards every answer was applied once, and each reply
sent once; the scheduler's tick that failed while the database was down is followed by one that
works."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import col, select

from bot.sandbox.fake_slack import FakeSlack
from bot.scheduler import _tick
from storage.db import make_engine, patiently, transaction
from storage.models import InboxMessage, InboxStatus, OutboxStatus
from storage.outbox import list_messages
from tests.faults.harness import harness
from tests.faults.test_two_processes import ANSWERS, PEOPLE, check_every_interview, seed_thirty

BIN = Path("/usr/lib/postgresql/15/bin")
ROUNDS = len(ANSWERS)  # each person's goal interview, an answer a round
RESTART_AT = {(1, 10), (3, 20), (5, 5)}  # (round, person): a restart begins as they write
ACK_LIMIT = 3.0


@dataclass
class Cluster:
    url: str
    home: str
    restarts: int = 0

    def pg_ctl(self, *args: str) -> None:
        """pg_ctl as postgres; the server logs to a file (a server that inherited a pipe of
        ours would keep it open, and pg_ctl's caller would wait for it forever)."""
        command = [
            "runuser",
            "-u",
            "postgres",
            "--",
            str(BIN / "pg_ctl"),
            "-D",
            f"{self.home}/data",
        ]
        log = ["-l", f"{self.home}/log"]
        subprocess.run([*command, *log, *args], check=True, timeout=60, stdout=subprocess.DEVNULL)

    def restart(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "restart")
        self.restarts += 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not (BIN / "initdb").exists() or shutil.which("runuser") is None or os.geteuid() != 0:
        pytest.skip("needs PostgreSQL 15's initdb/pg_ctl and root (to run them as postgres)")
    home = tempfile.mkdtemp(prefix="cascade-pg-")
    shutil.chown(home, "postgres", "postgres")
    data, port = f"{home}/data", _free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_postgres, str(BIN / "initdb"), "-D", data, "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    found = Cluster(f"postgresql://postgres@127.0.0.1:{port}/postgres", home)
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    found.pg_ctl("-o", options, "-w", "start")
    try:
        yield found
    finally:
        found.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(home, ignore_errors=True)


def count_events(engine: Engine) -> int:
    """Answers applied: each DM's inbox row, marked applied with its work."""
    with transaction(engine) as s:
        applied = col(InboxMessage.status) == InboxStatus.APPLIED
        return int(s.exec(select(func.count()).select_from(InboxMessage).where(applied)).one())


def settled(engine: Engine, answers: int, timeout: float = 60.0) -> int:
    """Wait until this many answers are applied (or the time is up): how many are."""
    deadline = time.monotonic() + timeout
    while True:
        applied = patiently(lambda: count_events(engine))  # the test's reads wait it out too
        if applied >= answers or time.monotonic() > deadline:
            return applied
        time.sleep(0.05)


def test_three_restarts_while_30_people_write_lose_nothing_and_send_nothing_twice(
    cluster: Cluster, fake_slack: tuple[FakeSlack, str]
) -> None:
    fake, url = fake_slack
    seed_thirty(cluster.url, fake)  # thirty people in Sales, whose objectives are published
    engine: Engine = make_engine(cluster.url)
    pool = ThreadPoolExecutor(max_workers=8)
    acks: list[float] = []
    refused = 0
    restarts: list[threading.Thread] = []
    started = time.monotonic()
    later = [timedelta(0)]  # the app's clock, moved on for the last tick
    with harness(
        fake, url, engine, background=pool, clock=lambda: datetime.now(UTC) + later[0]
    ) as h:
        for user in PEOPLE:  # each starts their goal interview
            h.command(user, "set")
            fake.wait_for(lambda f, u=user: any("Which of" in m.text for m in f.replies_for(u)))
        for round_ in range(ROUNDS):
            for index, user in enumerate(PEOPLE):
                if (round_, index) in RESTART_AT:  # one at a time, while people go on writing
                    for thread in restarts:
                        thread.join()
                    restarts.append(threading.Thread(target=cluster.restart))
                    restarts[-1].start()
                    _tick(h.services)  # the scheduler's tick may fail now: it logs, that is all
                body = json.dumps(h.payloads.event(h.payloads.dm_event(user, ANSWERS[round_])))
                for retry in range(40):  # Slack retries a failed delivery of the same event
                    headers = {"x-slack-retry-num": str(retry)} if retry else {}
                    began = time.monotonic()
                    status = h.post(body, "application/json", headers).status
                    acks.append(time.monotonic() - began)
                    if status == 200:
                        break
                    assert status == 503
                    refused += 1
                    time.sleep(0.25)
                else:
                    pytest.fail(f"{user}'s answer {round_} was never acked")
            settled(engine, (round_ + 1) * len(PEOPLE))  # the round's work done, then the next
        for thread in restarts:
            thread.join()
        pool.shutdown(wait=True)
        # The next tick carries on, and delivers anything left: after the leases of deliveries
        # the restarts cut short have run out (the messages they held were not sent: no twice).
        later[0] = timedelta(minutes=10)
        _tick(h.services)
        applied = settled(engine, len(PEOPLE) * ROUNDS)
        with transaction(engine) as s:
            rows = list_messages(session=s, team_id=fake.team_id)
    elapsed = time.monotonic() - started
    posted = [m for m in fake.messages if m.user == fake.bot_user_id and not m.ephemeral_to]
    slow = [a for a in acks if a > ACK_LIMIT]
    print(
        f"database restarts: {cluster.restarts}; {len(PEOPLE) * ROUNDS} answers, {applied} "
        f"applied, {len(PEOPLE) * ROUNDS - applied} lost; {refused} refused with 503 and "
        f"delivered again; slowest ack {max(acks):.2f} s, {len(slow)} over {ACK_LIMIT} s; "
        f"{len(posted)} messages for {len(rows)} owed; {elapsed:.1f} s"
    )
    assert cluster.restarts == 3
    assert applied == len(PEOPLE) * ROUNDS, "answers lost"
    assert slow == []
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    chat = [r for r in rows if r.method == "chat.postMessage"]
    assert len(posted) == len(chat) == len({m.ts for m in posted}), "a message sent twice"
    check_every_interview(engine, fake.team_id)  # each in the order sent: at the review
    engine.dispose()
