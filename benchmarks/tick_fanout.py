"""The tick's fan-out: 10,000 weekly check-ins falling due, against a zero-latency fake Slack,
next to a bare loop of the same chat.postMessage calls with no Cascade logic, in the same run.

Generates the organisation of benchmarks/org.py (10,000 people in eight time zones), gives every
member an agreed goal, then runs the tick every hour through Monday (every zone's 09:00 falls in
it) and counts what was sent. Start-up (import, goals) is not timed. Prints one table.

    .venv/bin/python benchmarks/tick_fanout.py [--people 10000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, insert

try:
    from benchmarks.org import generate
    from benchmarks.schema import own_schema
except ModuleNotFoundError:  # run by path: this folder, not the repository, is on sys.path
    from org import generate  # type: ignore[no-redef]
    from schema import own_schema  # type: ignore[no-redef]
from bot.cli import import_rows
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


def fan_out(services: Services, fake: FakeSlack) -> tuple[int, float]:
    """Ticks every hour from Sunday noon UTC to Monday 18:00 UTC, which holds every zone's
    Monday 09:00 (Sydney's is Sunday 22:00 UTC, Los Angeles' Monday 17:00) and no reminder yet:
    (check-ins sent, seconds)."""
    started = time.perf_counter()
    at = MONDAY - timedelta(hours=12)
    while at <= MONDAY + timedelta(hours=18):
        run_tick(services, at)
        at += timedelta(hours=1)
    seconds = time.perf_counter() - started
    return len(fake.calls_to("chat.postMessage")), seconds


def bare_loop(url: str, fake: FakeSlack, count: int) -> float:
    """The same number of chat.postMessage calls, same client and fake, no Cascade at all."""
    client = make_client(
        Settings(_env_file=None, slack_bot_token=fake.bot_token, slack_api_url=url + "/api/")  # type: ignore[call-arg]
    )
    users = [u for u in fake.users if not fake.users[u]["is_bot"]][:count]
    started = time.perf_counter()
    for i in range(count):
        client.chat_postMessage(channel=users[i % len(users)], text="Time for your check-in")
    return time.perf_counter() - started


def run(database: str, label: str, people: int) -> tuple[str, int, float, float]:
    fake = FakeSlack()
    served = BackgroundServer(fake.wsgi_app(), threads=8)
    fake.base_url = served.url
    engine = make_engine(database)
    upgrade(engine)
    try:
        services = prepare(engine, fake, served.url, people)
        before = len(fake.calls_to("chat.postMessage"))
        sent, seconds = fan_out(services, fake)
        sent -= before
        fake.messages.clear()
        bare = bare_loop(served.url, fake, sent)
        return label, sent, seconds, bare
    finally:
        engine.dispose()
        served.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("CASCADE_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    results = [
        run(
            f"sqlite:///{tempfile.mkdtemp(prefix='cascade-fanout-')}/bench.db",
            "sqlite",
            args.people,
        )
    ]
    if args.postgres:
        with own_schema(args.postgres) as url:
            results.append(run(url, "postgresql", args.people))
    print(f"Tick fan-out: {args.people} people with an agreed goal, ticked hourly through Monday")
    heads = ("database", "sent", "tick s", "sends/s", "bare s", "bare/s", "ratio")
    print("{:<11} {:>7} {:>8} {:>9} {:>8} {:>8} {:>6}".format(*heads))
    for label, sent, seconds, bare in results:
        print(
            f"{label:<11} {sent:>7} {seconds:>8.2f} {sent / seconds:>9.0f} {bare:>8.2f} "
            f"{sent / bare:>8.0f} {seconds / bare:>6.2f}"
        )


if __name__ == "__main__":
    main()
