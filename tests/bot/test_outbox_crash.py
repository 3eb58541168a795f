"""Nothing owed is lost: `cascade serve` killed at a random point of publishing to a unit of 150
people, then the tick: every invitation arrives, and at most those posted since the sender last
marked what it sent arrive twice (storage/outbox.py states that window: MARK_EVERY at most)."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.outbox import MARK_EVERY
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.slack_side import SlackSide
from storage import objectives, outbox, people, units
from storage.db import open_database, transaction
from storage.models import ObjectiveStatus, OutboxStatus
from tests.bot.test_processes import Process, world  # noqa: F401  (the fixture)
from tests.factories import profile
from tests.fakes.slack_requests import SIGNING_SECRET

MEMBERS = 150
SEEDS = range(10)
INVITATION = "Set your personal goals"


def add_unit(url: str, fake: FakeSlack, seed: int) -> tuple[str, list[str]]:
    """A unit under Acme with a manager and 150 members, nothing published: (manager, members)."""
    manager = f"UMGR{seed:02d}"
    members = [f"UM{seed:02d}{i:03d}" for i in range(MEMBERS)]
    for user in [manager, *members]:
        fake.add_user(user, f"Person {user}", email=f"{user.lower()}@example.com")
    engine = open_database(url)
    with transaction(engine) as s:
        now = datetime.now(UTC)
        people.upsert_profiles(
            session=s,
            team_id=fake.team_id,
            at=now,
            profiles=[
                profile(u, f"Person {u}", email=f"{u.lower()}@example.com")
                for u in [manager, *members]
            ],
        )
        ids = {p.user_id: p.id or 0 for p in people.list_people(session=s, team_id=fake.team_id)}
        acme = units.find_unit(session=s, team_id=fake.team_id, name="Acme")
        assert acme is not None
        unit = units.create_unit(
            session=s,
            team_id=fake.team_id,
            name=f"Ops {seed}",
            parent_id=acme.id,
            manager_id=ids[manager],
        )
        units.set_unit_of(session=s, team_id=fake.team_id, person_id=ids[manager], unit_id=acme.id)
        units.set_members(
            session=s,
            team_id=fake.team_id,
            unit_id=unit.id or 0,
            person_ids=[ids[m] for m in members],
        )
    engine.dispose()
    return manager, members


def published(url: str, fake: FakeSlack, seed: int) -> bool:
    engine = open_database(url)
    with transaction(engine) as s:
        unit = units.find_unit(session=s, team_id=fake.team_id, name=f"Ops {seed}")
        assert unit is not None
        done = any(
            o.status == ObjectiveStatus.PUBLISHED
            for o in objectives.list_objectives(session=s, team_id=fake.team_id, unit_id=unit.id)
        )
    engine.dispose()
    return done


def said(fake: FakeSlack, user: str, text: str, after: int, timeout: float = 20) -> None:
    fake.wait_for(lambda f: any(text in m.text for m in f.replies_for(user)[after:]), timeout)


def walk_to_review(slack: SlackSide, fake: FakeSlack, manager: str) -> None:
    for text, expect in [
        ("plan", "1 of 1"),
        ("Keep costs flat", "Anything else"),
        ("done", "objectives for"),
    ]:
        n = len(fake.replies_for(manager))
        if text == "plan":
            slack.command(manager, text)
        else:
            slack.dm(manager, text)
        said(fake, manager, expect, n)


def tick(env: dict[str, str], cwd: Path, at: datetime) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "tick", "--at", at.isoformat()],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("seed", SEEDS)
def test_a_kill_while_publishing_loses_no_invitation(
    world: tuple[FakeSlack, str, dict[str, str], str],  # noqa: F811
    tmp_path: Path,
    seed: int,
) -> None:
    fake, fake_url, env, url = world
    manager, members = add_unit(url, fake, seed)
    server = Process(env, tmp_path)
    slack = SlackSide(server.url, fake, fake_url, SIGNING_SECRET)
    walk_to_review(slack, fake, manager)
    delay = random.Random(seed).uniform(0.0, 1.2)
    assert slack.dm(manager, "publish").status == 200
    time.sleep(delay)  # the point of the kill is the test's subject, not a wait for a condition
    server.kill()
    before = sum(INVITATION in m.text for m in fake.messages)

    if not published(url, fake, seed):  # killed before the change committed: nothing owed yet
        n = len(fake.replies_for(manager))
        server = Process(env, tmp_path)  # its start does what the inbox kept (bot/inbox.py)
        try:
            if not published(url, fake, seed):  # the kill came before the inbox kept it
                slack = SlackSide(server.url, fake, fake_url, SIGNING_SECRET)
                slack.dm(manager, "publish")
            said(fake, manager, "Published", n)
        finally:
            server.kill()
    # The next tick, once the dead process's lease has run out, delivers whatever is still owed.
    tick(env, tmp_path, datetime.now(UTC) + timedelta(minutes=5))

    received = Counter(
        m.channel for m in fake.messages if INVITATION in m.text and m.channel.startswith("DM")
    )
    assert {fake.dm_channel(u) for u in members} <= set(received), "an invitation was lost"
    twice = [channel for channel, count in received.items() if count > 1]
    print(f"seed {seed}: killed after {delay:.2f} s, {before} sent before; twice: {twice}")
    assert len(twice) <= MARK_EVERY, twice  # only those posted since the last mark
    engine = open_database(url)
    with transaction(engine) as s:
        left = outbox.list_messages(session=s, team_id=fake.team_id, status=OutboxStatus.PENDING)
        assert left == []
    engine.dispose()
