"""The tick's fan-out: the weekly check-ins of N people (10,000 by default) owed at once, then
delivered by one sender process and by two sharing the outbox (SKIP LOCKED), against a
zero-latency fake Slack, next to a bare loop of the same chat.postMessage calls on the same
client with no Cascade at all, in the same run.

Generates the organisation of benchmarks/org.py (eight time zones), gives every member an agreed
goal, runs the tick every hour through Monday (every zone's 09:00 falls in it) with delivery
held, so every check-in is owed at once, as 30,000 would be at one 09:00; then times delivery.
Slack's pace is lifted (CASCADE_SLACK_PACE): this measures Cascade's own cost per message, not
Slack's limits. Start-up (import, goals, owing) is not timed. Prints one table.

    .venv/bin/python benchmarks/tick_fanout.py [--people 10000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, insert, text

try:
    from benchmarks.org import generate
    from benchmarks.schema import own_schema
except ModuleNotFoundError:  # run by path: this folder, not the repository, is on sys.path
    from org import generate  # type: ignore[no-redef]
    from schema import own_schema  # type: ignore[no-redef]
from bot.cli import import_rows
from bot.outbox import Report, Sender
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.serving import BackgroundServer
from bot.services import Services
from bot.settings import Settings
from bot.slack import make_client
from bot.tick import run_tick
from conversations.services.org_import import parse_rows
from storage import cycles, objectives, units
from storage.db import make_engine, transaction, upgrade
from storage.models import Goal, GoalStatus, ObjectiveStatus

MONDAY = datetime(2027, 3, 1, tzinfo=UTC)
AFTER = MONDAY + timedelta(hours=19)  # everything owed through Monday is due
UNPACED = "10000"  # CASCADE_SLACK_PACE: Slack's pace ×10,000, i.e. none against the fake
AT_ONCE = 30_000  # issue 23: 30,000 check-ins due at one 09:00, delivered within 10 minutes


def prepare(engine: Engine, fake: FakeSlack, url: str, people: int) -> Services:
    org = generate(people)
    org.add_to(fake)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=fake.bot_token,
        slack_api_url=url + "/api/",
    )
    import_rows(rows=parse_rows(org.csv()), client=make_client(settings), engine=engine, now=MONDAY)
    with transaction(engine) as s:
        team = fake.team_id
        cycle = cycles.add_cycle(
            session=s, team_id=team, name="FY27", start=date(2027, 1, 1), end=date(2027, 12, 31)
        )
        member_of = units.memberships(session=s, team_id=team)
        anchor: dict[int, int] = {}
        for unit_id in set(member_of.values()):
            anchor[unit_id] = (
                objectives.create_objective(
                    session=s,
                    team_id=team,
                    unit_id=unit_id,
                    cycle_id=cycle.id or 0,
                    title="Grow",
                    status=ObjectiveStatus.PUBLISHED,
                    published_at=MONDAY - timedelta(days=30),
                ).id
                or 0
            )
        rows = [
            {
                "team_id": team,
                "owner_id": person_id,
                "unit_id": unit_id,
                "cycle_id": cycle.id,
                "objective_id": anchor[unit_id],
                "statement": "Sign 10 customers",
                "status": GoalStatus.AGREED,
                "progress": 0,
                "due": date(2027, 12, 31),
                "created_at": MONDAY - timedelta(days=20),
                "updated_at": MONDAY - timedelta(days=20),
            }
            for person_id, unit_id in member_of.items()
        ]
        s.execute(insert(Goal), rows)
    return Services(settings=settings, engine=engine, clock=lambda: MONDAY)


@contextmanager
def held() -> Iterator[None]:
    """Nothing is delivered while the ticks owe (benchmark only): every check-in waits at once."""
    owned, due = Sender.deliver_owned, Sender.deliver_due
    Sender.deliver_owned = lambda self, owner, **_: Report()  # type: ignore[method-assign,assignment]
    Sender.deliver_due = lambda self, limit=None: Report()  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Sender.deliver_owned, Sender.deliver_due = owned, due  # type: ignore[method-assign]


def owe(services: Services, engine: Engine, monday: datetime = MONDAY) -> int:
    """Ticks every hour from Sunday noon UTC to Monday 18:00 UTC, which holds every zone's
    Monday 09:00 (Sydney's is Sunday 22:00 UTC, Los Angeles' Monday 17:00), delivery held:
    how many messages are owed."""
    at = monday - timedelta(hours=12)
    with held():
        while at <= monday + timedelta(hours=18):
            run_tick(services, at)
            at += timedelta(hours=1)
    with engine.connect() as c:
        return int(c.execute(text("SELECT count(*) FROM outbox WHERE status = 'pending'")).scalar())


def owed_again(engine: Engine, ids: list[int]) -> None:
    """These messages, sent, back to owed as before their delivery (benchmark only)."""
    with engine.begin() as c:
        for start in range(0, len(ids), 10_000):
            c.execute(
                text(
                    "UPDATE outbox SET status = 'pending', attempts = 0, ts = NULL, "
                    "channel = NULL, sent_at = NULL, lease_owner = NULL, lease_until = NULL, "
                    "error = NULL WHERE id IN :ids"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": ids[start : start + 10_000]},
            )


def only_first(engine: Engine, limit: int) -> list[int]:
    """Only the first `limit` owed messages are due; the rest wait a year (benchmark only):
    the ids of those due."""
    with engine.begin() as c:
        ids = [i for (i,) in c.execute(text("SELECT id FROM outbox WHERE status = 'pending'"))]
        ids.sort()
        if len(ids) > limit:
            c.execute(
                text(
                    "UPDATE outbox SET next_attempt_at = :later "
                    "WHERE status = 'pending' AND id > :cut"
                ),
                {"later": datetime(2100, 1, 1, tzinfo=UTC), "cut": ids[limit - 1]},
            )
    return ids[:limit]


def fan_out(
    engine: Engine, database: str, fake: FakeSlack, fake_url: str, at: datetime, limit: int
) -> tuple[list[tuple[str, int, float]], list[int]]:
    """Of what is owed, the first `limit` messages delivered as of `at` by one sender process,
    then again by two, beside a bare loop of the very same calls: (who, messages, seconds) of
    each, and the ids of the messages delivered."""
    ids = only_first(engine, limit)
    calls = owed_calls(engine)
    rows = [
        (
            "bare loop of the same chat.postMessage calls",
            len(calls),
            bare_loop(fake_url, fake, len(calls), calls),
        )
    ]
    for processes in (1, 2):
        owed_again(engine, ids)
        fake.messages.clear()
        before = len(fake.calls_to("chat.postMessage"))
        seconds = deliver(database, fake_url, fake.bot_token, processes, at)
        sent = len(fake.calls_to("chat.postMessage")) - before
        rows.append((f"{processes} sender process{'es' if processes > 1 else ''}", sent, seconds))
    return rows, ids


def deliver(database: str, fake_url: str, token: str, processes: int, at: datetime) -> float:
    """Seconds for `processes` sender processes, started together, to deliver everything due as
    of `at` (each `deliver_due` until nothing is left). Their start-up is not timed."""
    env = {**os.environ, "CASCADE_SLACK_PACE": UNPACED}
    argv = [sys.executable, __file__, "--deliver", database, fake_url, token, at.isoformat()]
    children = [
        subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        child.wait(timeout=3600)
    return time.perf_counter() - started


def sender_process(database: str, fake_url: str, token: str, at: str) -> None:
    """One sender process of `deliver`: ready, then on "go" deliver everything due at `at`."""
    settings = Settings(_env_file=None, slack_bot_token=token, slack_api_url=fake_url + "/api/")  # type: ignore[call-arg]
    engine = make_engine(database)
    now = datetime.fromisoformat(at)
    sender = Services(settings=settings, engine=engine, clock=lambda: now).sender
    print("ready", flush=True)
    sys.stdin.readline()
    profile = os.environ.get("CASCADE_BENCH_PROFILE")  # a file for cProfile's stats, if given
    if profile:
        import cProfile

        with cProfile.Profile() as profiler:
            report = sender.deliver_due()
        profiler.dump_stats(f"{profile}.{os.getpid()}")
    else:
        report = sender.deliver_due()
    print(f"sent {report.sent}", file=sys.stderr)
    engine.dispose()


def bare_loop(
    url: str, fake: FakeSlack, count: int, calls: list[tuple[str, dict[str, Any]]] | None = None
) -> float:
    """The same number of chat.postMessage calls (with `calls`, the very same: recipient and
    payload), same client and fake, no Cascade at all."""
    client = make_client(
        Settings(_env_file=None, slack_bot_token=fake.bot_token, slack_api_url=url + "/api/")  # type: ignore[call-arg]
    )
    users = [u for u in fake.users if not fake.users[u]["is_bot"]][:count]
    plain = {"text": "Time for your check-in"}
    calls = calls or [(users[i % len(users)], plain) for i in range(count)]
    started = time.perf_counter()
    for channel, payload in calls:
        client.chat_postMessage(channel=channel, **payload)
    return time.perf_counter() - started


def owed_calls(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    """(recipient, payload) of every chat.postMessage owed now, in order, as the sender would
    post them (not the rewrites of older messages: `cascade.retire`, chat.update)."""
    with engine.connect() as c:
        found = c.execute(
            text(
                "SELECT recipient, payload FROM outbox WHERE status = 'pending' "
                "AND method = 'chat.postMessage' AND next_attempt_at < :later ORDER BY id"
            ),
            {"later": datetime(2100, 1, 1, tzinfo=UTC)},
        ).all()
    return [(r, p if isinstance(p, dict) else json.loads(p)) for r, p in found]


def run(database: str, label: str, people: int) -> list[tuple[str, str, int, float]]:
    """(database, who, messages, seconds): the bare loop, then one and two sender processes."""
    fake = FakeSlack()
    served = BackgroundServer(fake.wsgi_app(), threads=16)
    fake.base_url = served.url
    engine = make_engine(database)
    upgrade(engine)
    try:
        services = prepare(engine, fake, served.url, people)
        owe(services, engine)
        rows, _ = fan_out(engine, database, fake, served.url, AFTER, AT_ONCE)
        return [(label, who, sent, seconds) for who, sent, seconds in rows]
    finally:
        engine.dispose()
        served.stop()


def main() -> None:
    if sys.argv[1:2] == ["--deliver"]:
        sender_process(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("CASCADE_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    results = []
    if not args.no_sqlite:
        folder = tempfile.mkdtemp(prefix="cascade-fanout-")
        results += run(f"sqlite:///{folder}/bench.db", "sqlite", args.people)
    if args.postgres:
        with own_schema(args.postgres) as url:
            results += run(url, "postgresql", args.people)
    print(f"Fan-out: {args.people:,} people's check-ins owed at once, against a zero-latency fake")
    print("| database | who delivers | messages | seconds | messages/s | of the bare loop's rate |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    bare: dict[str, float] = {}
    for label, who, sent, seconds in results:
        rate = sent / seconds
        bare.setdefault(label, rate)
        share = rate / bare[label]
        print(f"| {label} | {who} | {sent:,} | {seconds:.1f} | {rate:,.0f} | {share:.0%} |")


if __name__ == "__main__":
    main()
