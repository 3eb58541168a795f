"""`cascade org import` and directory refreshes on a big organisation, against the fake Slack.

Generates 10,000 people in about 1,000 units (benchmarks/org.py), then on SQLite — and on
PostgreSQL with --postgres URL or CASCADE_TEST_POSTGRES_URL — times:

- the first import (directory sync + org import) and the same file again, unchanged;
- 8 `/goals help` requests from 8 people arriving at once while the directory is a day old,
  through the real app over HTTP: time until the slowest reply, users.list calls in all.

Start-up (creating and migrating the database) is not timed. Prints one table.

    .venv/bin/python benchmarks/org_import.py [--people 10000] [--postgres URL]

Only the two imports, only on PostgreSQL, the first one profiled (cProfile, sorted by cumulative
time; `--profile` names the file the raw stats go to):

    .venv/bin/python benchmarks/org_import.py --people 100000 --only postgresql --import-only \\
        --profile /tmp/import.prof
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event

try:
    from benchmarks.org import Organisation, generate
    from benchmarks.schema import own_schema
except ModuleNotFoundError:  # run by path: this folder, not the repository, is on sys.path
    from org import Organisation, generate  # type: ignore[no-redef]
    from schema import own_schema  # type: ignore[no-redef]
from bot.app import build_app
from bot.cli import import_rows
from bot.outbox import Sender
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.serving import BackgroundServer
from bot.sandbox.slack_side import SlackSide
from bot.server import wsgi_app
from bot.services import Services
from bot.settings import Settings
from bot.slack import USERS_PAGE, make_client
from conversations.services.org_import import parse_rows
from storage import workspaces
from storage.db import make_engine, transaction, upgrade

SECRET = "benchmark-secret"
CONCURRENT = 8
WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass
class Measured:
    seconds: float
    statements: int
    writes: int  # INSERT, UPDATE, DELETE of people, units, memberships
    lease_writes: int  # of the workspace row: the directory sync's lease and freshness
    users_list: int
    note: str = ""


@contextmanager
def measuring(engine: Engine, fake: FakeSlack) -> Iterator[Measured]:
    """Counts every statement the engine sends (before_cursor_execute) and users.list calls."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    calls = len(fake.calls_to("users.list"))
    event.listen(engine, "before_cursor_execute", count)
    result = Measured(0.0, 0, 0, 0, 0)
    started = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
        result.statements = len(statements)
        writes = [s for s in statements if s.lstrip().upper().startswith(WRITES)]
        result.lease_writes = sum(" workspace " in f"{s} ".replace("(", " ") for s in writes)
        result.writes = len(writes) - result.lease_writes
        result.users_list = len(fake.calls_to("users.list")) - calls


@contextmanager
def database(backend: str, postgres_url: str | None) -> Iterator[Engine]:
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="cascade-bench-")
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    assert postgres_url is not None
    with own_schema(postgres_url) as url:
        engine = make_engine(url)
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()


@dataclass(frozen=True)
class Options:
    import_only: bool = False  # no burst of requests after the imports
    profile: str | None = None  # cProfile the first import, its stats written here


@contextmanager
def profiled(path: str | None) -> Iterator[None]:
    """cProfile what runs inside, when a path is given: the stats to it, the top 40 printed."""
    if path is None:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(path)
        pstats.Stats(path).sort_stats("cumulative").print_stats(40)


def run_backend(
    backend: str, org: Organisation, postgres_url: str | None, options: Options
) -> list[list[str]]:
    fake = FakeSlack()
    org.add_to(fake)
    fake_server = BackgroundServer(fake.wsgi_app(), threads=16)
    fake.base_url = fake_server.url
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=fake.bot_token,
        slack_signing_secret=SECRET,
        slack_api_url=fake_server.url + "/api/",
        database_url="sqlite://",
    )
    rows: list[list[str]] = []
    try:
        with database(backend, postgres_url) as engine:
            client = make_client(settings)
            csv_text = org.csv()
            for label in ("first import", "unchanged re-import"):
                profile = options.profile if label == "first import" else None
                with profiled(profile), measuring(engine, fake) as m:  # up to the commit; then,
                    result, _ = import_rows(  # untimed, the welcomes it owes are delivered
                        rows=parse_rows(csv_text),
                        client=client,
                        engine=engine,
                        now=datetime.now(UTC),
                    )
                if not options.import_only:
                    sender = Sender(engine=engine, client=client, clock=lambda: datetime.now(UTC))
                    sender.deliver_due()
                m.note = (
                    f"{result.units_created} units created, {result.units_changed} changed, "
                    f"{result.moves} moves"
                )
                rows.append(row(backend, label, m))
            if options.import_only:
                return rows
            rows.append(
                row(
                    backend,
                    f"{CONCURRENT} requests, directory a day old",
                    *burst(engine, fake, org, settings),
                )
            )
    finally:
        fake_server.stop()
    return rows


def burst(
    engine: Engine, fake: FakeSlack, org: Organisation, settings: Settings
) -> tuple[Measured]:
    """8 people ask at once while the directory is a day old, through the real app over HTTP."""
    with transaction(engine) as session:
        workspaces.mark_directory_synced(
            session=session, team_id=fake.team_id, at=datetime.now(UTC) - timedelta(days=1, hours=1)
        )
    services = Services(settings=settings, engine=engine)
    app = build_app(services)
    server = BackgroundServer(wsgi_app(app), threads=16)
    slack = SlackSide(server.url, fake, fake.base_url, SECRET)
    askers = [p.user_id for p in org.people[-CONCURRENT:]]
    start = threading.Barrier(CONCURRENT)
    answered: dict[str, float] = {}

    def ask(user: str) -> None:
        start.wait()
        sent = time.perf_counter()
        slack.command(user, "help")
        fake.wait_for(lambda f: f.replies_for(user), timeout=60)
        answered[user] = time.perf_counter() - sent

    try:
        with measuring(engine, fake) as m:
            threads = [threading.Thread(target=ask, args=(u,)) for u in askers]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            services.background.shutdown(wait=True)  # the one sync, finished
        m.note = f"slowest answer {max(answered.values()):.2f} s; sync done in {m.seconds:.2f} s"
        m.seconds = max(answered.values())
    finally:
        server.stop()
        app.listener_runner.listener_executor.shutdown(wait=True)
    return (m,)


def row(backend: str, label: str, m: Measured) -> list[str]:
    return [
        backend,
        label,
        f"{m.seconds:.2f} s",
        str(m.statements),
        f"{m.writes} (+{m.lease_writes} lease)",
        str(m.users_list),
        m.note,
    ]


def print_table(rows: list[list[str]]) -> None:
    header = ["database", "run", "time", "SQL statements", "writes", "users.list", "notes"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("CASCADE_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument("--import-only", action="store_true", help="no burst after the imports")
    parser.add_argument("--profile", help="cProfile the first import; raw stats to this file")
    args = parser.parse_args()
    options = Options(import_only=args.import_only, profile=args.profile)
    org = generate(args.people)
    print(
        f"{len(org.people)} people, {org.units} units, {org.depth} levels; "
        f"users.list pages of {USERS_PAGE}; time excludes start-up (creating the database).\n"
        "Targets for 10,000 people: an import within 3 s, 200 statements and 60 users.list "
        "calls, writing nothing when unchanged;\nrefreshes: 50 users.list calls in all. "
        "For 100,000 (issue 23): 30 s, 2,000 statements, 110 users.list calls.\n"
    )
    rows: list[list[str]] = []
    backends = ["sqlite", *(["postgresql"] if args.postgres else [])]
    for backend in [b for b in backends if args.only in (None, b)]:
        rows += run_backend(backend, org, args.postgres, options)
    print_table(rows)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process (fake Slack included): {peak:.0f} MB")


if __name__ == "__main__":
    main()
