"""The leadership summary of a big organisation: 10,000 people in about 1,000 units, 40,000 goals
and 400,000 check-ins, on SQLite and PostgreSQL, next to one hand-written aggregate query over
the same data in the same run (the floor: the summary does more, in a fixed number of queries).

Generates the organisation of benchmarks/org.py and imports it as `cascade org import` does;
bulk-inserts objectives, goals, check-ins and barriers with SQLAlchemy Core. Set-up is not timed.
Each measurement is the median of `--runs` runs. Prints one table.

    .venv/bin/python benchmarks/summary.py [--people 10000] [--runs 5] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Engine, event, insert, text

try:
    from benchmarks.org import generate
    from benchmarks.schema import own_schema
except ModuleNotFoundError:  # run by path: this folder, not the repository, is on sys.path
    from org import generate  # type: ignore[no-redef]
    from schema import own_schema  # type: ignore[no-redef]
from bot.cli import import_rows
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.serving import BackgroundServer
from bot.settings import Settings
from bot.slack import make_client
from conversations.clock import week_key
from conversations.services.org_import import parse_rows
from conversations.views import summary
from storage import cycles, goals, units
from storage.db import insert_rows, make_engine, table_of, transaction, upgrade
from storage.models import (
    Barrier,
    BarrierStatus,
    CheckIn,
    Confidence,
    Goal,
    GoalStatus,
    Objective,
    ObjectiveStatus,
)

NOW = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)  # a Wednesday: week 9 everywhere
GOALS_PER_PERSON = 4
CHECKINS_PER_GOAL = 10
CONFIDENCES = (Confidence.ON_TRACK, Confidence.ON_TRACK, Confidence.AT_RISK, Confidence.OFF_TRACK)

# The floor: one query, per unit, of members, agreed goals, their progress, those at risk, and
# who checked in this week (one week for everyone: it knows nothing of time zones).
HAND_WRITTEN = """
SELECT m.unit_id,
       count(DISTINCT m.person_id) AS members,
       count(g.id) AS goals,
       avg(g.progress) AS progress,
       sum(CASE WHEN g.confidence = 'at_risk' THEN 1 ELSE 0 END) AS at_risk,
       count(DISTINCT c.person_id) AS checked_in
FROM membership m
LEFT JOIN goal g ON g.owner_id = m.person_id AND g.cycle_id = :cycle AND g.status = 'agreed'
LEFT JOIN (SELECT DISTINCT person_id FROM checkin WHERE team_id = :team AND week = :week) c
       ON c.person_id = m.person_id
WHERE m.team_id = :team
GROUP BY m.unit_id
"""


def bulk(engine: Engine, model: Any, rows: list[dict[str, Any]], chunk: int = 50_000) -> None:
    """Core INSERTs of full rows (every column as the model would fill it), in chunks: one
    statement of unnested arrays per chunk on PostgreSQL (storage.db.insert_rows), an
    executemany where a JSON column rules the arrays out."""
    table = table_of(model)
    has_json = any(isinstance(c.type, JSON) for c in table.columns)
    for start in range(0, len(rows), chunk):
        with transaction(engine) as s:
            if has_json:
                s.execute(insert(table), rows[start : start + chunk])
            else:
                insert_rows(s, insert(table), rows[start : start + chunk])


def prepare(engine: Engine, fake: FakeSlack, url: str, people: int) -> tuple[str, int, int]:
    """The organisation and its goals; returns (team id, cycle id, counts of rows)."""
    org = generate(people)
    org.add_to(fake)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=fake.bot_token,
        slack_api_url=url + "/api/",
    )
    import_rows(rows=parse_rows(org.csv()), client=make_client(settings), engine=engine, now=NOW)
    cycle_id, goal_count = populate(engine, fake.team_id, NOW)
    return fake.team_id, cycle_id, goal_count


def populate(
    engine: Engine,
    team: str,
    now: datetime,
    *,
    goals_per_person: int = GOALS_PER_PERSON,
    checkins_per_goal: int = CHECKINS_PER_GOAL,
    open_barriers: int | None = None,
) -> tuple[int, int]:
    """Into an imported organisation: a cycle around `now`, two published objectives per unit
    (the cascade), four goals per member (all but one agreed), ten weekly check-ins per goal (60 %
    this week) and a barrier for one member in five; or, with `open_barriers`, that many open
    barriers, each held by its reporter's manager. Returns (cycle id, goals)."""
    rng = random.Random(9)
    today = now.date()
    with transaction(engine) as s:
        cycle = cycles.add_cycle(
            session=s,
            team_id=team,
            name="FY",
            start=today - timedelta(days=60),
            end=today + timedelta(days=300),
        )
        cycle_id = cycle.id or 0
        member_of = units.memberships(session=s, team_id=team)
        unit_ids = [u.id for u in units.unit_rows(session=s, team_id=team)]
    published = now - timedelta(days=40)
    objective = {
        "team_id": team,
        "cycle_id": cycle_id,
        "measure": None,
        "parent_id": None,
        "status": ObjectiveStatus.PUBLISHED,
        "published_at": published,
        "position": 0,
        "created_at": published,
        "updated_at": published,
    }
    bulk(
        engine,
        Objective,
        [{**objective, "unit_id": u, "title": f"Objective {k}"} for u in unit_ids for k in (1, 2)],
    )
    with transaction(engine) as s:
        # The cascade: each unit's objectives derive from the first of its parent unit's.
        s.execute(
            text(
                "UPDATE objective SET parent_id = (SELECT min(above.id) FROM objective above"
                " JOIN unit ON unit.parent_id = above.unit_id WHERE unit.id = objective.unit_id)"
                " WHERE team_id = :t"
            ),
            {"t": team},
        )
        first: dict[int, int] = {}
        for row in s.execute(
            text("SELECT unit_id, min(id) FROM objective WHERE team_id = :t GROUP BY unit_id"),
            {"t": team},
        ):
            first[row[0]] = row[1]
    goal = {
        "team_id": team,
        "cycle_id": cycle_id,
        "statement": "Sign 10 customers",
        "measure": None,
        "due": today + timedelta(days=200),
        "anticipated_barriers": None,
        "manager_comment": None,
        "owner_agreed_at": None,
        "manager_agreed_at": None,
        "agreed_by_id": None,
        "agreed_at": None,
        "closed_at": None,
        "learning": None,
        "created_at": published,
        "updated_at": published,
    }
    bulk(
        engine,
        Goal,
        [
            {
                **goal,
                "owner_id": person,
                "unit_id": unit,
                "objective_id": first.get(unit) if k < goals_per_person - 1 else None,
                "status": GoalStatus.AGREED if k < goals_per_person - 1 else GoalStatus.DRAFT,
                "progress": rng.randrange(0, 101, 5),
                "confidence": rng.choice(CONFIDENCES),
            }
            for person, unit in member_of.items()
            for k in range(goals_per_person)
        ],
    )
    with transaction(engine) as s:
        owned = [(g.id, g.owner_id) for g in goals.list_goals(session=s, team_id=team)]
    bulk(
        engine,
        CheckIn,
        [
            {
                "team_id": team,
                "goal_id": goal_id,
                "person_id": owner,
                "at": now - timedelta(weeks=w, minutes=1),
                "progress": 50,
                "confidence": Confidence.ON_TRACK,
                "note": None,
                "week": week_key(now - timedelta(weeks=w, minutes=1), None),
            }
            for goal_id, owner in owned
            for w in range(checkins_per_goal)
            if w > 0 or rng.random() < 0.6  # 60% checked in this week
        ],
    )
    bulk(engine, Barrier, _barriers(engine, team, now, rng, member_of, open_barriers))
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return cycle_id, len(owned)


def _barriers(
    engine: Engine,
    team: str,
    now: datetime,
    rng: random.Random,
    member_of: dict[int, int],
    open_barriers: int | None,
) -> list[dict[str, Any]]:
    """A barrier for one member in five, of any status and held by nobody; or `open_barriers`
    open ones, each held by the reporter's manager, reported up to ten days ago (some are due to
    move up)."""
    barrier = {"team_id": team, "goal_id": None, "text": "in the way", "acknowledged_at": None}
    barrier |= {"escalated_at": None, "resolved_at": None}
    if open_barriers is None:
        return [
            {
                **barrier,
                "reporter_id": person,
                "status": rng.choice(list(BarrierStatus)),
                "holder_id": None,
                "chain": [],
                "reported_at": now - timedelta(days=rng.randrange(0, 40)),
            }
            for person in rng.sample(sorted(member_of), len(member_of) // 5)
        ]
    with transaction(engine) as s:
        manager = {u.id: u.manager_id for u in units.unit_rows(session=s, team_id=team)}
    held = [p for p in sorted(member_of) if manager.get(member_of[p]) not in (None, p)]
    return [
        {
            **barrier,
            "reporter_id": person,
            "status": BarrierStatus.OPEN,
            "holder_id": manager[member_of[person]],
            "chain": [manager[member_of[person]]],
            "reported_at": now - timedelta(days=rng.randrange(0, 10)),
        }
        for person in rng.sample(held, min(open_barriers, len(held)))
    ]


def timed(work: Callable[[], object], runs: int) -> float:
    """The median wall time of `runs` runs, in milliseconds (after one warm-up run)."""
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(database: str, label: str, people: int, runs: int) -> dict[str, Any]:
    fake = FakeSlack()
    served = BackgroundServer(fake.wsgi_app(), threads=8)
    fake.base_url = served.url
    engine = make_engine(database)
    upgrade(engine)
    try:
        team, cycle_id, goal_count = prepare(engine, fake, served.url, people)
        return {"label": label, **measure(engine, team, cycle_id, NOW, runs), "goals": goal_count}
    finally:
        engine.dispose()
        served.stop()


def measure(engine: Engine, team: str, cycle_id: int, now: datetime, runs: int) -> dict[str, Any]:
    """The summary as of `now`: its statements, and its median time next to the floor's."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    def compute() -> summary.Summary:
        with transaction(engine) as s:
            return summary.compute(
                session=s,
                team_id=team,
                top_unit_id=None,
                now=now,
                since=summary.last_weekly(session=s, team_id=team),
            )

    def hand_written() -> list[Any]:
        with engine.connect() as conn:
            params = {"cycle": cycle_id, "team": team, "week": week_key(now, None)}
            return list(conn.execute(text(HAND_WRITTEN), params))

    event.listen(engine, "before_cursor_execute", count)
    found = compute()
    event.remove(engine, "before_cursor_execute", count)
    queries = [q for q in statements if not q.lstrip().upper().startswith(("BEGIN", "COMMIT"))]
    with engine.connect() as conn:
        checkin_rows = conn.execute(text("SELECT count(*) FROM checkin")).scalar_one()
    return {
        "people": found.totals.members,
        "units": len(found.units),
        "checkins": checkin_rows,
        "queries": len(queries),
        "summary_ms": timed(compute, runs),
        "hand_ms": timed(hand_written, runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("CASCADE_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cascade-summary-")
    results = [run(f"sqlite:///{folder}/bench.db", "sqlite", args.people, args.runs)]
    if args.postgres:
        with own_schema(args.postgres) as url:
            results.append(run(url, "postgresql", args.people, args.runs))
    print(f"Leadership summary, median of {args.runs} runs (set-up not timed)")
    heads = ("database", "members", "units", "goals", "check-ins", "queries", "summary ms")
    print(
        "{:<11} {:>8} {:>6} {:>7} {:>10} {:>8} {:>11} {:>13} {:>6}".format(
            *heads, "1 query ms", "ratio"
        )
    )
    for r in results:
        print(
            f"{r['label']:<11} {r['people']:>8} {r['units']:>6} {r['goals']:>7} "
            f"{r['checkins']:>10} {r['queries']:>8} {r['summary_ms']:>11.0f} "
            f"{r['hand_ms']:>13.0f} {r['summary_ms'] / r['hand_ms']:>6.2f}"
        )


if __name__ == "__main__":
    main()
