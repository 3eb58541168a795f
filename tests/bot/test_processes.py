"""Conversation state lives in the database: a killed process loses nothing, and two processes
taking turns advance an interview exactly one step per message."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.slack_side import SlackSide
from storage import conversations
from storage.db import open_database, transaction, upgrade
from tests.conftest import ALICE, BACKENDS, BOB, OWNER, POSTGRES_URL
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile
from tests.fakes.slack_requests import SIGNING_SECRET


def seed(url: str, fake: FakeSlack) -> None:
    """Acme (Olga) → Sales (Alice; Bob), one published objective each, an active cycle."""
    engine = open_database(url)
    upgrade(engine)  # PostgreSQL is not migrated at start
    with transaction(engine) as s:
        build_org(
            s,
            team_id=fake.team_id,
            profiles=[
                profile(
                    u["id"],
                    u["real_name"],
                    email=u["profile"]["email"],
                    tz=u["tz"],
                    is_admin=u["is_admin"] or u["is_owner"],
                    is_bot=u["is_bot"],
                    deleted=u["deleted"],
                )
                for u in fake.users.values()
            ],
            units_=[UnitSpec("Acme", OWNER), UnitSpec("Sales", ALICE, "Acme", members=(BOB,))],
            cycle=("FY27", date(2026, 1, 1), date(2027, 12, 31)),
            objectives_=[
                ObjectiveSpec("Acme", "Grow"),
                ObjectiveSpec("Sales", "Sell more", "Grow"),
            ],
            now=datetime.now(UTC),
            synced=True,
        )
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Process:
    """`cascade serve` in a child process."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        # The port is free when picked, but another worker's server may take it before this one
        # binds it: a child that exits at once is started again on another port.
        for _ in range(3):
            if self._start(env, cwd):
                return
        raise RuntimeError(f"cascade serve did not start: {self._said()}")

    def _start(self, env: dict[str, str], cwd: Path) -> bool:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = cwd / f"serve-{self.port}.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bot.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                cwd=cwd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return True
            except OSError:
                time.sleep(0.1)
        if self.proc.poll() is None:
            raise RuntimeError(f"cascade serve did not answer in 30 s: {self._said()}")
        return False

    def _said(self) -> str:
        """The end of what the child wrote to stderr."""
        return self.log.read_text(errors="replace")[-2000:]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture(params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path: Path, fake_slack: tuple[FakeSlack, str]
) -> Iterator[tuple[FakeSlack, str, dict[str, str], str]]:
    fake, fake_url = fake_slack
    schema = f"p_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/cascade.db"
    else:  # a schema of its own, which both child processes find through search_path
        assert POSTGRES_URL is not None
        with create_engine(
            POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        ).begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    seed(url, fake)
    env = dict(os.environ) | {
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_url + "/api/",
        "DATABASE_URL": url,
    }
    yield fake, fake_url, env, url
    if request.param != "sqlite":
        assert POSTGRES_URL is not None
        with create_engine(
            POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        ).begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def said(fake: FakeSlack, user: str, text: str, after: int) -> None:
    fake.wait_for(lambda f: any(text in m.text for m in f.replies_for(user)[after:]), timeout=15)


def step_of(url: str, fake: FakeSlack) -> tuple[str, int]:
    engine = open_database(url)
    with transaction(engine) as s:
        [conversation] = conversations.list_conversations(session=s, team_id=fake.team_id)
        result = (conversation.step, conversation.version)
    engine.dispose()
    return result


def test_a_killed_process_loses_no_interview(
    world: tuple[FakeSlack, str, dict[str, str], str], tmp_path: Path
) -> None:
    fake, fake_url, env, url = world
    first = Process(env, tmp_path)
    slack = SlackSide(first.url, fake, fake_url, SIGNING_SECRET)
    n = len(fake.replies_for(BOB))
    slack.command(BOB, "set")
    said(fake, BOB, "Which of Sales' objectives", n)
    n = len(fake.replies_for(BOB))
    slack.dm(BOB, "1")
    said(fake, BOB, "What's your goal?", n)
    first.kill()  # SIGKILL mid-interview: no chance to save anything
    assert step_of(url, fake)[0] == "statement"

    second = Process(env, tmp_path)
    try:
        slack = SlackSide(second.url, fake, fake_url, SIGNING_SECRET)
        n = len(fake.replies_for(BOB))
        slack.dm(BOB, "Sign 10 enterprise customers by end of March")
        said(fake, BOB, "Your goal already says", n)
        assert step_of(url, fake)[0] == "read_back"
    finally:
        second.kill()


def test_two_processes_taking_turns_advance_one_step_per_message(
    world: tuple[FakeSlack, str, dict[str, str], str], tmp_path: Path
) -> None:
    fake, fake_url, env, url = world
    processes = [Process(env, tmp_path), Process(env, tmp_path)]
    try:
        sides = [SlackSide(p.url, fake, fake_url, SIGNING_SECRET) for p in processes]
        n = len(fake.replies_for(BOB))
        sides[0].command(BOB, "set")
        said(fake, BOB, "Which of Sales' objectives", n)
        answers = [
            ("1", "statement", "What's your goal?"),
            ("Sign 10 enterprise customers by end of March", "read_back", "already says"),
            ("no", "measure", "How will you"),
            ("10 signed contracts", "due", "When is it due?"),
            ("end of March", "barriers", "Anything you expect"),
            ("none", "review", "ready to send"),
        ]
        _, version = step_of(url, fake)
        for index, (text, step, reply) in enumerate(answers):
            n = len(fake.replies_for(BOB))
            sides[index % 2].dm(BOB, text)
            said(fake, BOB, reply, n)
            assert step_of(url, fake) == (step, version + 1), text
            version += 1
    finally:
        for process in processes:
            process.kill()
