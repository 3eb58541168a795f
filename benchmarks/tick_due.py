"""Finding who is due, alone (`make bench`'s `finding_due`), against a database populated once.

    .venv/bin/python benchmarks/tick_due.py --setup URL      # once: import and populate (minutes)
    .venv/bin/python benchmarks/tick_due.py URL [--runs 5] [--profile out.prof]

The set-up is `make bench`'s: the organisation of benchmarks/org.py imported as `cascade org
import` does, then benchmarks/summary.py's `populate` with `make bench`'s shape at its size (at
100,000: two goals each, five check-ins per goal, 1,000 open barriers). Each run is one tick's
finding who is due at Monday 08:00 UTC after the populated week, rolled back: seconds and
statements, as `make bench` prints them. The clock is fixed, so runs on different days compare.
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks import summary as summary_bench  # noqa: E402
from benchmarks.bench import shape  # noqa: E402
from benchmarks.org import generate  # noqa: E402
from bot.cli import import_rows  # noqa: E402
from bot.sandbox.fake_slack import FakeSlack  # noqa: E402
from bot.sandbox.serving import BackgroundServer  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack import make_client  # noqa: E402
from conversations.schedule.budget import Due  # noqa: E402
from conversations.schedule.due import due  # noqa: E402
from conversations.schedule.nudges import Candidate  # noqa: E402
from conversations.services.org_import import parse_rows  # noqa: E402
from storage import barriers, workspaces  # noqa: E402
from storage.db import make_engine, rehearsal, transaction, upgrade  # noqa: E402

POPULATED = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # a Saturday
MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # the Monday after it, 08:00 UTC


def setup(engine: Engine, people: int) -> None:
    upgrade(engine)
    org = generate(people, depth=6 if people >= 50_000 else 5)
    fake = FakeSlack()
    org.add_to(fake)
    served = BackgroundServer(fake.wsgi_app(), threads=8)
    try:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=fake.bot_token,
            slack_api_url=served.url + "/api/",
        )
        started = time.perf_counter()
        import_rows(
            rows=parse_rows(org.csv()), client=make_client(settings), engine=engine, now=POPULATED
        )
        print(f"imported in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        summary_bench.populate(engine, fake.team_id, POPULATED, **shape(org))
    finally:
        served.stop()


def fingerprint(found: dict[str, Due]) -> list[str]:
    """What was found, one line per item in order, to compare before and after a change."""
    lines = []
    for team_id, owed in found.items():
        lines += [f"{team_id} escalated {n.kind} {n.user_id} {n.template}" for n in owed.escalated]
        lines += [
            f"{team_id} nudge {_plain(n.candidate)} also={n.also} folds={n.folds}"
            for n in owed.nudges
        ]
        lines += [f"{team_id} held {_plain(c)}" for c in owed.held]
    return lines


def _plain(c: Candidate) -> str:
    context = {k: _value(v) for k, v in sorted(c.context.items()) if k != "owners"}
    owners = c.context.get("owners")
    if owners is not None:  # everyone in play: only whom the message names matters
        named = {g.owner_id for g in c.context.get("goals", ())}
        named |= {g.owner_id for _, g in c.context.get("promises", ())}
        context["owners"] = {i: _value(owners.get(i)) for i in sorted(named)}
    return f"{c.kind} {c.person.user_id} {c.key} {context} {c.choices} {c.also} {c.rows}"


def _value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    if hasattr(value, "user_id") and hasattr(value, "tz"):
        return f"person:{value.user_id}"
    if hasattr(value, "statement") and hasattr(value, "owner_id"):
        return f"goal:{value.id}:{value.status}:{value.statement}:{value.progress}"
    if hasattr(value, "id") and hasattr(value, "__table__"):
        return f"{type(value).__name__}:{value.id}"
    return value


@dataclass
class Measured:
    seconds: float
    cpu: float  # in this process
    database: float  # waiting for statements to be executed (not fetched)
    statements: int
    nudges: int
    escalated: int

    def __str__(self) -> str:
        return (
            f"{self.seconds:.2f} s ({self.cpu:.2f} s CPU here, {self.database:.2f} s waiting for "
            f"the database), {self.statements} statements, {self.nudges:,} nudges, "
            f"{self.escalated:,} escalation notices"
        )


def measure(engine: Engine, at: datetime, profile: str | None, dump: str | None) -> Measured:
    statements: list[str] = []
    waited = [0.0, 0.0]

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)
        waited[1] = time.perf_counter()

    def after(*_: Any) -> None:
        waited[0] += time.perf_counter() - waited[1]

    profiler = cProfile.Profile() if profile else None
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    started, cpu = time.perf_counter(), time.process_time()
    try:
        if profiler:
            profiler.enable()
        with rehearsal(engine) as s:
            found = due(session=s, now=at, admin_ids=frozenset())
        if profiler:
            profiler.disable()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler and profile:
        profiler.dump_stats(profile)
    if dump:
        Path(dump).write_text("\n".join(fingerprint(found)) + "\n")
    return Measured(
        seconds,
        cpu,
        waited[0],
        len(statements),
        sum(len(d.nudges) for d in found.values()),
        sum(len(d.escalated) for d in found.values()),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--setup", action="store_true")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", help="write the last run's cProfile stats here")
    parser.add_argument("--dump", help="write what the last run found here, a line an item")
    parser.add_argument(
        "--at", type=datetime.fromisoformat, default=MONDAY, help="another instant (ISO, UTC)"
    )
    args = parser.parse_args()
    engine = make_engine(args.url)
    if args.setup:
        setup(engine, args.people)
    with transaction(engine) as s:
        [team] = workspaces.team_ids(session=s)
        open_barriers = len(barriers.unacknowledged(session=s, team_id=team))
    print(f"{open_barriers:,} open barriers", file=sys.stderr)
    for n in range(args.runs):
        last = n == args.runs - 1
        measured = measure(
            engine, args.at, args.profile if last else None, args.dump if last else None
        )
        print(f"{measured}{' [profiled]' if last and args.profile else ''}")
    engine.dispose()


if __name__ == "__main__":
    main()
