"""Acks while 30 people type ahead: does the ack path ever wait on someone else's turn?

Thirty members of one unit run the goal interview at once, each sending their answers in bursts
of three without waiting for Cascade's replies (as people do when they type ahead), over the app
served as `cascade serve` serves it. Every ack is timed. The baseline, measured in the same run
on the same server, is one person's DM acks with nothing else going on. Slack's limit is 3 s; the
target is none over 3 s and a p99 under 1 s, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/ack_contention.py [--postgres URL] [--people 30] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.schema import own_schema  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.sandbox.fake_slack import FakeSlack  # noqa: E402
from bot.sandbox.serving import BackgroundServer  # noqa: E402
from bot.sandbox.slack_side import SlackSide  # noqa: E402
from bot.server import SERVER_THREADS, wsgi_app  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage import cycles, objectives, people, units, workspaces  # noqa: E402
from storage.db import make_engine, open_database, transaction, upgrade  # noqa: E402
from storage.models import ObjectiveStatus  # noqa: E402
from storage.people import SlackProfile  # noqa: E402

SECRET = "benchmark-secret"
ANSWERS = [
    "1",
    "Sign 10 enterprise customers by end of March",
    "10 signed contracts",
    "in 30 days",
    "none",
    "submit",
]


def seed(engine: object, fake: FakeSlack, count: int) -> list[str]:
    """A manager and `count` members of Sales under Acme; both units published; a cycle."""
    members = [f"UMEMBER{i:03d}" for i in range(count)]
    everyone = ["UHEAD", "UMANAGER", *members]
    for user in everyone:
        fake.add_user(user, f"Person {user}")
    now, today = datetime.now(UTC), date.today()
    with transaction(engine) as s:  # type: ignore[arg-type]
        team = fake.team_id
        people.upsert_profiles(
            session=s,
            team_id=team,
            at=now,
            profiles=[
                SlackProfile(
                    user_id=u,
                    name=f"Person {u}",
                    email=f"{u.lower()}@example.com",
                    tz="UTC",
                    is_admin=False,
                    is_bot=False,
                    deleted=False,
                )
                for u in everyone
            ],
        )
        ids = {p.user_id: p.id or 0 for p in people.list_people(session=s, team_id=team)}
        acme = units.create_unit(
            session=s, team_id=team, name="Acme", parent_id=None, manager_id=ids["UHEAD"]
        )
        sales = units.create_unit(
            session=s, team_id=team, name="Sales", parent_id=acme.id, manager_id=ids["UMANAGER"]
        )
        units.set_unit_of(session=s, team_id=team, person_id=ids["UMANAGER"], unit_id=acme.id)
        units.set_members(
            session=s, team_id=team, unit_id=sales.id or 0, person_ids=[ids[m] for m in members]
        )
        cycle = cycles.add_cycle(
            session=s,
            team_id=team,
            name="FY",
            start=today - timedelta(days=30),
            end=today + timedelta(days=300),
        )
        grow = objectives.create_objective(
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
            parent_id=grow.id,
            status=ObjectiveStatus.PUBLISHED,
        )
        workspaces.mark_directory_synced(session=s, team_id=team, at=now)
    return members


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(name: str, acks: list[float], baseline: float) -> str:
    return (
        f"  {name:34} n={len(acks):5}  p50 {statistics.median(acks) * 1000:7.1f} ms  "
        f"p99 {percentile(acks, 0.99) * 1000:7.1f} ms  max {max(acks) * 1000:7.1f} ms  "
        f"over 3 s: {sum(a > 3.0 for a in acks):3}  p99 ×{percentile(acks, 0.99) / baseline:5.1f}"
    )


def run(database_url: str, count: int, rounds: int, latency: float) -> bool:
    fake = FakeSlack()
    fake_server = BackgroundServer(fake.wsgi_app())
    fake.base_url = fake_server.url
    engine = open_database(database_url) if database_url.startswith("sqlite") else None
    if engine is None:
        engine = make_engine(database_url)
        upgrade(engine)
    members = seed(engine, fake, count)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=fake.bot_token,
        slack_signing_secret=SECRET,
        slack_api_url=fake_server.url + "/api/",
        database_url=database_url,
    )
    services = Services(settings=settings, engine=engine)
    app = build_app(services)
    server = BackgroundServer(wsgi_app(app), threads=SERVER_THREADS)
    slack = SlackSide(server.url, fake, fake_server.url, SECRET)
    fake.latency = latency  # each Web API call takes this long, as Slack's do
    try:
        idle = []
        for _ in range(30):  # the baseline: one person, nobody else busy
            idle.append(slack.dm("UHEAD", "hello").seconds)
            time.sleep(0.05)
        baseline = percentile(idle, 0.99)
        acks: list[float] = []
        lock = threading.Lock()

        def person(user: str) -> None:
            for _ in range(rounds):
                times = [slack.command(user, "set").seconds]
                for start in range(0, len(ANSWERS), 3):  # a burst of three, typed ahead
                    for answer in ANSWERS[start : start + 3]:
                        times.append(slack.dm(user, answer).seconds)
                    time.sleep(0.3)
                with lock:
                    acks.extend(times)
                time.sleep(0.2)

        threads = [threading.Thread(target=person, args=(m,)) for m in members]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        print(f"\n{engine.dialect.name}: {count} people typing ahead, {rounds} interviews each, "
              f"Web API latency {latency * 1000:.0f} ms, {elapsed:.1f} s")  # fmt: skip
        print(summary("idle baseline (one person's DMs)", idle, baseline))
        print(summary(f"{count} people typing ahead", acks, baseline))
        return sum(a > 3.0 for a in acks) == 0 and percentile(acks, 0.99) < 1.0
    finally:
        server.stop()
        app.listener_runner.listener_executor.shutdown(wait=True)
        services.background.shutdown(wait=True)
        fake_server.stop()
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="also run on this PostgreSQL (a schema of its own)")
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per Web API call")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cascade-bench-")
    ok = run(f"sqlite:///{folder}/bench.db", args.people, args.rounds, args.latency)
    if args.postgres:
        with own_schema(args.postgres) as url:
            ok = run(url, args.people, args.rounds, args.latency) and ok
    print("\ntarget (none over 3 s, p99 under 1 s):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
