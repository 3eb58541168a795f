"""An acked answer is never lost (issue 22, item 1): `cascade serve` SIGKILLs itself right after
the ack of one of Bob's interview answers (a click, or a DM), at a seeded point of that answer's
life — after the ack, before its work commits, after it commits — over ten seeds split between
SQLite and PostgreSQL. In half the seeds Bob's interview moves on while the process is down
(`/goals set`, handled by another process), so an answer still waiting has been overtaken.

After the restart every answer Slack was told succeeded is either applied exactly once or Bob is
told "I lost your answer … — please send it again" (and sends it again): the interview ends with
each answer where it belongs, and lost=0."""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from bot.app import build_app
from bot.sandbox.fake_slack import FakeSlack, Message
from bot.sandbox.serving import BackgroundServer
from bot.sandbox.slack_side import SlackSide
from bot.server import wsgi_app
from bot.services import Services
from storage import conversations, goals, inbox, people
from storage.db import open_database, transaction
from storage.models import InboxStatus
from tests.bot.test_processes import Process, seed
from tests.conftest import BOB, settings_for
from tests.fakes.slack_requests import SIGNING_SECRET
from tests.faults.cascade import STATEMENT, wait
from tests.faults.test_crash import BACKENDS
from tests.faults.test_crash import database as database  # the fixture

POINTS = ("after_ack", "before_commit", "after_commit")
# Bob's answers: (a click on the button with this label, or a DM of this text; the step it leads to)
ANSWERS = [
    ("click", "1.", "statement"),
    ("dm", STATEMENT, "read_back"),
    ("dm", "no", "measure"),
    ("dm", "10 signed contracts", "due"),
    ("dm", "end of March", "barriers"),
    ("dm", "none", "review"),
]
LOST = "I lost your answer"
TOTALS: Counter[str] = Counter()


def step_of(engine: Any, team: str) -> str | None:
    with transaction(engine) as s:
        going = conversations.list_conversations(session=s, team_id=team)
        return going[0].step if going else None


def button(fake: FakeSlack, label: str) -> tuple[Message, dict[str, Any]]:
    """The latest message to Bob with a button labelled `label`, and that button."""
    for message in reversed(fake.replies_for(BOB)):
        for block in message.blocks or []:
            for element in block.get("elements") or [] if block.get("type") == "actions" else []:
                if str(element.get("text", {}).get("text", "")).startswith(label):
                    return message, element
    raise AssertionError(f"no button {label!r}")


def answer(side: SlackSide, fake: FakeSlack, kind: str, text: str) -> str | None:
    """Bob answers; returns the delivery's identity if Slack was told it succeeded."""
    if kind == "dm":
        body = side.event_body(side.payloads.dm_event(BOB, text))
        ok = _posted(lambda: side.post(body, "application/json"))
        return "e:" + json.loads(body)["event_id"] if ok else None
    message, element = button(fake, text)
    payload = side.payloads.action(
        BOB, element["action_id"], element.get("value", ""), message_ts=message.ts, element=element
    )
    body = urlencode({"payload": json.dumps(payload)}).encode()
    ok = _posted(lambda: side.post(body, "application/x-www-form-urlencoded"))
    return "a:" + json.loads(parse_qs(body.decode())["payload"][0])["trigger_id"] if ok else None


def _posted(post: Any) -> bool:
    try:
        return bool(post().status == 200)
    except OSError:  # the process died before it answered: not acked
        return False


def moved_on_elsewhere(fake: FakeSlack, fake_url: str, url: str) -> None:
    """While the killed process is down, Bob's `/goals set` is handled by another process (this
    one, built as `serve` builds it, without its start-up recovery): his interview moves on."""
    services = Services(settings=settings_for(fake, fake_url, url), engine=open_database(url))
    served = BackgroundServer(wsgi_app(build_app(services)), threads=4)
    try:
        n = len(fake.replies_for(BOB))
        assert (
            SlackSide(served.url, fake, fake_url, SIGNING_SECRET).command(BOB, "set").status == 200
        )
        fake.wait_for(lambda f: len(f.replies_for(BOB)) > n + 1, timeout=10)
    finally:
        services.background.shutdown(wait=True)
        served.stop()
        services.engine.dispose()


@pytest.mark.parametrize(("database", "seed_"), BACKENDS, indirect=["database"])
def test_an_acked_answer_is_applied_once_or_asked_again_after_a_sigkill(
    database: str, seed_: int, tmp_path: Path, fake_slack: tuple[FakeSlack, str]
) -> None:
    fake, fake_url = fake_slack
    started = time.monotonic()
    seed(database, fake)
    engine = open_database(database)
    rng = random.Random(seed_)
    point, kill_at, moves_on = POINTS[seed_ % 3], rng.randint(1, len(ANSWERS)), seed_ % 2 == 1
    env = dict(os.environ) | {
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_url + "/api/",
        "DATABASE_URL": database,
    }
    process = Process(env | {"CASCADE_FAULT_KILL": f"{point}:{kill_at}"}, tmp_path)
    side = SlackSide(process.url, fake, fake_url, SIGNING_SECRET)
    acked: list[str] = []
    kills = 0
    try:
        assert side.command(BOB, "set").status == 200
        fake.wait_for(lambda f: any("Which of" in m.text for m in f.replies_for(BOB)), timeout=15)
        for kind, text, step in ANSWERS:
            for _attempt in range(3):
                told = sum(LOST in m.text for m in fake.replies_for(BOB))
                delivery = answer(side, fake, kind, text)
                if delivery is not None:
                    acked.append(delivery)
                took = wait(
                    lambda s=step: step_of(engine, fake.team_id) == s,  # type: ignore[misc]
                    8,
                    lambda p=process: p.proc.poll() is not None,  # type: ignore[misc]
                )
                if took:
                    break
                assert process.proc.poll() is not None, f"{text!r} was not taken"
                kills += 1
                if moves_on:
                    moved_on_elsewhere(fake, fake_url, database)
                process = Process(env, tmp_path)  # waiting answers are done before it serves
                side = SlackSide(process.url, fake, fake_url, SIGNING_SECRET)
                if step_of(engine, fake.team_id) == step:
                    break  # applied at the restart
                # Not applied: Bob must have been told to send it again (or it was never acked)
                if delivery is not None:
                    fake.wait_for(
                        lambda f, n=told: sum(LOST in m.text for m in f.replies_for(BOB)) > n,
                        timeout=10,
                    )
            else:
                raise AssertionError(f"{text!r} never took")
    finally:
        process.kill()
    assert kills == 1  # the kill point was reached, once
    counts = check_the_inbox(engine, fake.team_id, acked)
    TOTALS.update(counts)
    print(
        f"seed {seed_} ({database.split(':')[0]}), SIGKILL at {point} of answer {kill_at}"
        f"{', interview moved on meanwhile' if moves_on else ''}: {dict(counts)}; "
        f"{time.monotonic() - started:.1f} s; all seeds so far: {dict(TOTALS)}"
    )
    engine.dispose()


def check_the_inbox(engine: Any, team: str, acked: list[str]) -> Counter[str]:
    """Every acked delivery was applied once or told lost; the interview holds Bob's answers."""
    with transaction(engine) as s:
        rows = {r.delivery: r for r in inbox.list_messages(session=s, team_id=team)}
        [going] = conversations.list_conversations(session=s, team_id=team)
        bob = people.get_person(session=s, team_id=team, user_id=BOB)
        assert bob is not None
        [goal] = goals.list_goals(session=s, team_id=team, owner_id=bob.id)
    counts: Counter[str] = Counter(applied=0, told_to_resend=0, lost=0)
    for delivery in acked:
        row = rows.get(delivery)
        if row is not None and row.status == InboxStatus.APPLIED:
            counts["applied"] += 1
        elif row is not None and row.status == InboxStatus.LOST:
            counts["told_to_resend"] += 1
        else:
            counts["lost"] += 1
    assert counts["lost"] == 0, counts
    assert len(acked) == len(set(acked))
    assert going.step == "review"
    assert (goal.statement, goal.measure) == (STATEMENT, "10 signed contracts")
    assert goal.due is not None and goal.anticipated_barriers is None
    return counts
