"""Slack away for two hours, then back; the app uninstalled, then reinstalled (issue 22, items 3
and 4). Time is the sender's clock moved by the test, and Slack's pace is read from the fake's
recorded call times, on the harness's virtual monotonic clock: two hours run in seconds."""

from __future__ import annotations

import json
import logging
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.pacing import CONVERSATION_BURST, OVERALL, OVERALL_BURST, PER_CONVERSATION
from bot.sandbox.fake_slack import FakeSlack
from bot.tick import run_tick
from storage import outbox, people, workspaces
from storage.db import transaction
from storage.models import OutboxStatus
from tests.factories import profile
from tests.faults.harness import Harness, harness

PEOPLE = [f"UPERSON{i:02d}" for i in range(20)]
KINDS = ["reply", "agreement", "barrier_escalated", "checkin"]  # state changes among them


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def world(engine: Engine, fake_slack: tuple[FakeSlack, str]) -> Iterator[tuple[Harness, Clock]]:
    fake, url = fake_slack
    clock = Clock()
    for user in PEOPLE:
        fake.add_user(user, user.title())
    with harness(fake, url, engine, clock=clock) as h:
        fake.monotonic = h.time  # the fake's call times are the pacer's
        h.services.sender.reachability.rng = random.Random(22)
        with transaction(engine) as s:
            people.upsert_profiles(
                session=s,
                team_id=fake.team_id,
                at=clock.now,
                profiles=[profile(u, u) for u in PEOPLE],
            )
        lines = Lines()
        logging.getLogger("cascade").addHandler(lines)
        h.lines = lines  # type: ignore[attr-defined]
        yield h, clock
        logging.getLogger("cascade").removeHandler(lines)


def owe(h: Harness, now: datetime, round_: int) -> None:
    messages = [
        outbox.Owed(
            h.fake.team_id, KINDS[(i + round_) % len(KINDS)], user, {"text": f"{user} {round_}"}
        )
        for i, user in enumerate(PEOPLE)
    ]
    with transaction(h.engine) as s:
        outbox.enqueue(session=s, messages=messages, now=now)


def rows(h: Harness) -> list[outbox.OutboxMessage]:
    with transaction(h.engine) as s:
        return outbox.list_messages(session=s, team_id=h.fake.team_id)


def most_in_window(times: list[float], window: float) -> int:
    """The most calls in any `window` seconds."""
    times, most, first = sorted(times), 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


@pytest.mark.parametrize("away", [503, 0], ids=["5xx", "refused"])
def test_two_hours_without_slack_then_everything_owed_arrives_once_in_order_at_slacks_pace(
    world: tuple[Harness, Clock], away: int
) -> None:
    h, clock = world
    fake, lines = h.fake, h.lines  # type: ignore[attr-defined]
    owe(h, clock.now, 0)
    fake.go_away(away)
    for minute in range(120):  # the tick every minute, more owed every 10
        if minute % 10 == 0:
            owe(h, clock.now, minute // 10 + 1)
        run_tick(h.services, clock.now)
        clock.now += timedelta(minutes=1)
    during = len(fake.calls)
    away_lines = [line for line in lines.lines if line.startswith("Slack unreachable")]
    assert all(r.status == OutboxStatus.PENDING and r.attempts == 0 for r in rows(h))
    assert 1 <= len(away_lines) <= 120, "one line a minute at most"
    assert not [line for line in lines.lines if "failed:" in line], "no line per message"
    fake.come_back()
    back = len(fake.calls)
    for _ in range(15):  # the next try is at most 5 minutes away; then the drain
        run_tick(h.services, clock.now)
        clock.now += timedelta(minutes=1)
    owed = rows(h)
    assert [r.status for r in owed] == [OutboxStatus.SENT] * len(owed) == [OutboxStatus.SENT] * 260
    posts = [c for c in fake.calls[back:] if c.method == "chat.postMessage"]
    sent = [(c.args["channel"], c.args["text"]) for c in posts]
    assert len(sent) == len(set(sent)) == len(owed), "each once"
    for user in PEOPLE:
        texts = [t for channel, t in sent if channel == user]
        assert texts == [r.payload["text"] for r in owed if r.recipient == user], "in order"
    by_person: dict[str, list[float]] = defaultdict(list)
    for call in posts:
        by_person[call.args["channel"]].append(call.at)
    worst_person = max(most_in_window(t, 10.0) for t in by_person.values())
    overall = most_in_window([c.at for c in posts], 60.0)
    span = max(c.at for c in posts) - min(c.at for c in posts)
    assert worst_person <= CONVERSATION_BURST + 10 / PER_CONVERSATION
    assert overall <= OVERALL_BURST + 60 / OVERALL
    print(
        f"outage ({away or 'refused'}): {during} Web API calls in 2 h, {len(away_lines)} log "
        f"lines; then {len(owed)} delivered, 0 twice, in {span:.0f} s of Slack's time; at most "
        f"{worst_person} to one person in 10 s, {overall} in a minute overall"
    )


def test_uninstalled_sends_nothing_and_reinstalled_sends_what_was_held(
    world: tuple[Harness, Clock],
) -> None:
    h, clock = world
    fake = h.fake
    owe(h, clock.now, 0)
    fake.uninstall()
    for event in (h.payloads.app_uninstalled_event(), h.payloads.tokens_revoked_event()):
        assert h.post(json.dumps(h.payloads.event(event)), "application/json").status == 200
    with transaction(h.engine) as s:
        assert workspaces.suspended(session=s) == {fake.team_id}
    owe(h, clock.now, 1)
    for _ in range(3):
        clock.now += timedelta(hours=1)
        run_tick(h.services, clock.now)
    assert not fake.calls_to("chat.postMessage"), "nothing sent while uninstalled"
    assert {(r.status, r.attempts) for r in rows(h)} == {(OutboxStatus.PENDING, 0)}
    fake.reinstall()
    clock.now += timedelta(minutes=1)
    run_tick(h.services, clock.now)
    owed = rows(h)
    assert {r.status for r in owed} == {OutboxStatus.SENT} and len(owed) == 2 * len(PEOPLE)
    posted = [(c.args["channel"], c.args["text"]) for c in fake.calls_to("chat.postMessage")]
    assert len(set(posted)) == len(posted) == 2 * len(PEOPLE), "each once"
    for user in PEOPLE:
        assert [t for channel, t in posted if channel == user] == [f"{user} 0", f"{user} 1"]
    assert h.problems() == []


def test_a_revoked_token_suspends_rather_than_fails(world: tuple[Harness, Clock]) -> None:
    h, clock = world
    owe(h, clock.now, 0)
    h.fake.uninstall()  # no event arrives: the Web API's answer is enough
    report = h.services.sender.at(clock.now).deliver_due()
    assert (report.sent, report.failed, report.held) == (0, 0, len(PEOPLE))
    assert len(h.fake.calls_to("chat.postMessage")) == 1  # the first refusal; the rest held
    assert {(r.status, r.attempts) for r in rows(h)} == {(OutboxStatus.PENDING, 0)}
    run_tick(h.services, clock.now + timedelta(minutes=1))  # auth.test still refused
    h.fake.reinstall()
    run_tick(h.services, clock.now + timedelta(minutes=2))
    assert {r.status for r in rows(h)} == {OutboxStatus.SENT}
    h.fake.errors.clear()
    assert h.problems() == []
