"""The tick's fan-out under Slack's failures and a crash between claim and send."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from bot.outbox import MARK_EVERY
from bot.tick import run_tick
from storage import goals, outbox, people
from storage.db import transaction
from storage.models import GoalStatus, OutboxStatus
from tests.bot.test_keeping_alive import MONDAY_NINE_TOKYO
from tests.conftest import Running
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile
from tests.helpers import cli_env

PEOPLE = 40


def crowd(running: Running) -> list[str]:
    """A unit of PEOPLE members in Tokyo, each with an agreed goal: all due a check-in at
    MONDAY_NINE_TOKYO."""
    fake = running.fake
    users = [f"UT{i:03d}" for i in range(PEOPLE)]
    for user in ["UBOSS", *users]:
        fake.add_user(user, user, tz="Asia/Tokyo")
    with transaction(running.engine) as s:
        org = build_org(
            s,
            team_id=fake.team_id,
            profiles=[profile(u, u, tz="Asia/Tokyo") for u in ["UBOSS", *users]],
            units_=[UnitSpec("Crowd", "UBOSS", members=tuple(users))],
            cycle=("FY27", date(2026, 10, 1), date(2027, 12, 31)),
            objectives_=[ObjectiveSpec("Crowd", "Grow")],
            now=MONDAY_NINE_TOKYO - timedelta(days=30),
            synced=True,
        )
        for user in users:
            goal = goals.create_goal(
                session=s,
                team_id=fake.team_id,
                owner_id=org.ids[user],
                unit_id=org.units["Crowd"].id or 0,
                cycle_id=org.cycle.id if org.cycle and org.cycle.id else 0,
                objective_id=org.objectives["Grow"].id,
                statement=f"Goal of {user}",
            )
            goals.update_goal(session=s, goal=goal, now=MONDAY_NINE_TOKYO, status=GoalStatus.AGREED)
    return users


def checkins_to(running: Running) -> Counter[str]:
    return Counter(m.channel for m in running.fake.messages if "weekly check-in" in m.text)


def test_fan_out_survives_rate_limits_server_errors_and_people_who_left(running: Running) -> None:
    users = crowd(running)
    fake = running.fake
    fake.fail_next("chat.postMessage", 429, retry_after=1)
    fake.fail_next("chat.postMessage", 200, error="account_inactive")  # the first one has left
    fake.fail_next("chat.postMessage", 500, times=4)  # the next one: more than the retries
    report = run_tick(running.services, MONDAY_NINE_TOKYO)
    assert len(report.due) == PEOPLE
    assert (report.delivery.sent, report.delivery.failed, report.delivery.retrying) == (
        PEOPLE - 2,
        1,
        1,
    )
    assert fake.calls_to("conversations.open") == []  # DMs go to channel=<user id>
    assert {c.args["channel"] for c in fake.calls_to("chat.postMessage")} <= set(users)
    with transaction(running.engine) as s:
        statuses = Counter(m.status for m in outbox.list_messages(session=s))
        gone = people.get_person(session=s, team_id=fake.team_id, user_id=users[0])
        assert gone is not None and gone.deleted
    assert statuses == {
        OutboxStatus.SENT: PEOPLE - 2,
        OutboxStatus.FAILED: 1,
        OutboxStatus.PENDING: 1,
    }
    # Later, the one that met a server error goes; the one who left is never tried again.
    run_tick(running.services, MONDAY_NINE_TOKYO + timedelta(minutes=5))
    received = checkins_to(running)
    assert len(received) == PEOPLE - 1 and set(received.values()) == {1}
    assert fake.dm_channel(users[0]) not in received


def test_a_kill_between_claim_and_send_behaves_as_the_outbox_says(
    running: Running, tmp_path: Path
) -> None:
    """SIGKILL of `cascade tick` part-way through its fan-out: the claims are committed, some
    messages sent. The next tick, once the lease has lapsed, sends the rest: none lost, and at
    most those posted since the dead sender last marked what it sent (MARK_EVERY) twice."""
    users = crowd(running)
    running.fake.latency = 0.05
    env = cli_env(running)
    killed = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "tick", "--at", MONDAY_NINE_TOKYO.isoformat()],
        cwd=tmp_path,
        env=env,
    )
    running.fake.wait_for(lambda f: len(f.calls_to("chat.postMessage")) >= PEOPLE // 3, 60)
    killed.kill()
    killed.wait(timeout=10)
    sent_before = sum(checkins_to(running).values())
    assert 0 < sent_before < PEOPLE
    running.fake.latency = 0.0
    again = MONDAY_NINE_TOKYO + timedelta(minutes=3)  # the dead tick's lease has lapsed
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "tick", "--at", again.isoformat()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    received = checkins_to(running)
    assert {running.fake.dm_channel(u) for u in users} == set(received), "a check-in was lost"
    twice = [channel for channel, count in received.items() if count > 1]
    assert len(twice) <= MARK_EVERY, twice
    with transaction(running.engine) as s:
        assert outbox.list_messages(session=s, status=OutboxStatus.PENDING) == []
