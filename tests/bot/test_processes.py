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
from storage import conversations, cycles, objectives, people, units, workspaces
from storage.db import open_database, transaction, upgrade
from storage.models import ObjectiveStatus
from storage.people import SlackProfile
from tests.conftest import ALICE, BACKENDS, BOB, OWNER, POSTGRES_URL
from tests.fakes.slack_requests import SIGNING_SECRET


def seed(url: str, fake: FakeSlack) -> None:
    """Acme (Olga) → Sales (Alice; Bob), one published objective each, an active cycle."""
    engine = open_database(url)
    upgrade(engine)  # PostgreSQL is not migrated at start
    now = datetime.now(UTC)
    with transaction(engine) as s:
        team = fake.team_id
        people.upsert_profiles(
            session=s,
            team_id=team,
            at=now,
            profiles=[
                SlackProfile(
                    u["id"],
                    u["real_name"],
                    u["profile"]["email"],
                    u["tz"],
                    u["is_admin"] or u["is_owner"],
                    u["is_bot"],
                    u["deleted"],
                )
                for u in fake.users.values()
            ],
        )
        pid = {p.user_id: p.id or 0 for p in people.list_people(session=s, team_id=team)}
        acme = units.create_unit(
            session=s, team_id=team, name="Acme", parent_id=None, manager_id=pid[OWNER]
        )
        sales = units.create_unit(
            session=s, team_id=team, name="Sales", parent_id=acme.id, manager_id=pid[ALICE]
        )
        units.set_unit_of(session=s, team_id=team, person_id=pid[BOB], unit_id=sales.id)
        cycle = cycles.add_cycle(
            session=s, team_id=team, name="FY27", start=date(2026, 1, 1), end=date(2027, 12, 31)
        )
        top = objectives.create_objective(
            session=s,
            team_id=team,
            unit_id=acme.id or 0,
            cycle_id=cycle.id or 0,
            title="Grow",
            status=ObjectiveStatus.PUBLISHED,
        )
        objectives.create_objective(
            session=s,
            team_id=team,
            unit_id=sales.id or 0,
            cycle_id=cycle.id or 0,
            title="Sell more",
            parent_id=top.id,
            status=ObjectiveStatus.PUBLISHED,
        )
        workspaces.mark_directory_synced(session=s, team_id=team, at=now)
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Process:
    """`cascade serve` in a child process."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
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
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("cascade serve did not start")

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
    said(fake, BOB, "Which of Sales's objectives", n)
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
        said(fake, BOB, "How will you and your manager know", n)
        assert step_of(url, fake)[0] == "measure"
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
        said(fake, BOB, "Which of Sales's objectives", n)
        answers = [
            ("1", "statement", "What's your goal?"),
            ("Sign 10 enterprise customers by end of March", "measure", "How will you"),
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
