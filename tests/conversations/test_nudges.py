"""Scheduled work, tick by tick through the whole app against the fake Slack: each zone's own
09:00, exactly once across daylight saving and late or repeated ticks, budgets folded into the
message, escalation, closing goals. Each rule's edges are tested as a plain function in
test_nudge_rules.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, event

from bot.sandbox.fake_slack import FakeSlack, Message
from bot.services import Services
from bot.tick import run_tick
from conversations import clock
from conversations.actor import Actor
from conversations.flows import engine as runner
from conversations.flows import goal_closing
from conversations.schedule.due import due
from conversations.services import barrier
from storage import barriers, goals, outbox, people, workspaces
from storage.db import transaction
from storage.models import BarrierStatus, GoalStatus
from tests.conftest import settings_for
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile

TEAM = "T0CASCADE"  # the fake Slack's workspace
ZONES = {
    "ULA": "America/Los_Angeles",
    "UBER": "Europe/Berlin",
    "UTOK": "Asia/Tokyo",
    "USYD": "Australia/Sydney",
    "UNYC": "America/New_York",
}
START = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)  # a Monday


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    engine: Engine
    fake: FakeSlack
    services: Services
    clock: Clock
    ids: dict[str, int]

    def tick(self, at: datetime) -> None:
        self.clock.now = at
        run_tick(self.services, at)

    def run(
        self,
        start: datetime,
        end: datetime,
        step: timedelta = timedelta(hours=1),
        sparse: Callable[[datetime], bool] = lambda at: False,
    ) -> None:
        """Tick from `start` to `end` every `step` (three times as far apart where `sparse`)."""
        at = start
        while at <= end:
            self.tick(at)
            at += step * 3 if sparse(at) else step

    def sent(self, user: str, kind: str | None = None) -> list[Message]:
        words = KIND_WORDS.get(kind or "", "")
        return [m for m in self.fake.replies_for(user) if words in m.text]

    def actor(self, user: str) -> Actor:
        with transaction(self.engine) as s:
            person = people.get_person(session=s, team_id=TEAM, user_id=user)
            assert person is not None
            return Actor(team_id=TEAM, person=person, is_admin=False)


KIND_WORDS = {
    "checkin": "Time for your weekly check-in",
    "reminder": "A gentle reminder",
    "close": "past its due date",
    "interview": "isn't finished yet",
    "plan": "hasn't derived its own",
    "agreement": "waiting for your agreement",
    "set_goals": "you haven't set a goal yet",
    "escalated": "Escalated to you",
}


@pytest.fixture
def world(engine: Engine, fake_slack: tuple[FakeSlack, str]) -> Iterator[World]:
    """Acme (Cleo, New York) → Sales (Max, Berlin) with members in four time zones, each with
    an agreed goal due at the end of 2027; Ops (Olga, Tokyo) under Acme, not yet published."""
    fake, url = fake_slack
    users = {"UCEO": "America/New_York", "UMAX": "Europe/Berlin", "UOLGA": "Asia/Tokyo", **ZONES}
    for user, tz in users.items():
        fake.add_user(user, user, tz=tz)
    with transaction(engine) as s:
        org = build_org(
            s,
            team_id=TEAM,
            profiles=[profile(u, u, tz=tz) for u, tz in users.items()],
            units_=[
                UnitSpec("Acme", "UCEO"),
                UnitSpec("Sales", "UMAX", parent="Acme", members=tuple(ZONES)),
                UnitSpec("Ops", "UOLGA", parent="Acme"),
            ],
            cycle=("FY27", date(2026, 10, 1), date(2027, 12, 31)),
            objectives_=[ObjectiveSpec("Acme", "Grow"), ObjectiveSpec("Sales", "Sell", "Grow")],
            now=START - timedelta(days=30),
            synced=True,
        )
        assert org.cycle and org.cycle.id
        for user in ZONES:
            goal = goals.create_goal(
                session=s,
                team_id=TEAM,
                owner_id=org.ids[user],
                unit_id=org.units["Sales"].id or 0,
                cycle_id=org.cycle.id,
                objective_id=org.objectives["Sell"].id,
                statement=f"Sign 10 customers ({user})",
                now=START - timedelta(days=30),
            )
            goals.update_goal(
                session=s,
                goal=goal,
                now=START - timedelta(days=30),
                status=GoalStatus.AGREED,
                due=date(2027, 12, 31),
                agreed_at=START - timedelta(days=30),
            )
        workspaces.get_workspace(session=s, team_id=TEAM).nudge_budget = 50
    clock_ = Clock(START)
    services = Services(settings=settings_for(fake, url), engine=engine, clock=clock_)
    yield World(engine, fake, services, clock_, org.ids)
    services.background.shutdown(wait=True)
    assert fake.errors == []


def test_each_person_checks_in_at_their_own_nine(world: World) -> None:
    world.run(START - timedelta(days=1), START + timedelta(days=6))
    for user in ZONES:
        assert len(world.sent(user, "checkin")) == 1
    with transaction(world.engine) as s:
        rows = [m for m in outbox.list_messages(session=s) if m.kind == "checkin"]
    assert len(rows) == len(ZONES)
    for row in rows:  # sent by the tick at that instant: the fake stamps real time, not the tick's
        assert row.sent_at is not None
        local = row.sent_at.astimezone(clock.zone(ZONES[row.recipient]))
        assert (local.weekday(), local.hour, local.minute) == (0, 9, 0), (row.recipient, local)


@pytest.mark.parametrize(
    ("user", "change"),
    [
        ("UNYC", date(2027, 3, 14)),
        ("UNYC", date(2027, 11, 7)),
        ("ULA", date(2027, 3, 14)),
        ("ULA", date(2027, 11, 7)),
        ("UBER", date(2027, 3, 28)),
        ("UBER", date(2027, 10, 31)),
        ("USYD", date(2027, 4, 4)),
        ("USYD", date(2027, 10, 3)),
    ],
)
def test_one_check_in_a_week_across_daylight_saving(world: World, user: str, change: date) -> None:
    """Ticks for two weeks around a change (hourly from Sunday to Tuesday, local; every three
    hours otherwise): one check-in a week, Mondays at 09:00 local, never twice in a day."""
    if world.engine.dialect.name != "sqlite":
        pytest.skip("time-zone arithmetic is the same on every database: run it once")
    with transaction(world.engine) as s:  # only this person has goals to check in on
        for goal in goals.list_goals(session=s, team_id=TEAM):
            if goal.owner_id != world.ids[user]:
                goals.update_goal(session=s, goal=goal, now=START, status=GoalStatus.DROPPED)
    begin = datetime.combine(change - timedelta(days=8), datetime.min.time(), tzinfo=UTC)
    zone = clock.zone(ZONES[user])
    world.run(
        begin,
        begin + timedelta(days=16),
        sparse=lambda at: at.astimezone(zone).weekday() in (2, 3, 4, 5),
    )
    with transaction(world.engine) as s:
        sent = [m.sent_at for m in outbox.list_messages(session=s) if m.kind == "checkin"]
    local = [at.astimezone(clock.zone(ZONES[user])) for at in sent if at]
    assert len(local) in (2, 3)  # 16 days hold two or three Mondays
    assert all((d.weekday(), d.hour, d.minute) == (0, 9, 0) for d in local), local
    assert len({d.date() for d in local}) == len(local)  # never two in a day
    weeks = Counter(clock.week_key(at, ZONES[user]) for at in sent if at)
    assert set(weeks.values()) == {1}


def test_a_tick_twice_or_late_sends_once_and_a_stale_one_not_at_all(world: World) -> None:
    nine_berlin = clock.at_local(
        date(2027, 1, 4), datetime.min.time().replace(hour=9), "Europe/Berlin"
    )
    world.tick(nine_berlin)
    world.tick(nine_berlin)
    assert len(world.sent("UBER", "checkin")) == 1
    # Tokyo's 09:00 was 8 hours earlier; a tick three hours after it (an outage) still sends.
    assert len(world.sent("UTOK", "checkin")) == 1
    # New York's 09:00 comes later: a tick 13 hours after it is stale and sends nothing.
    nine_ny = clock.at_local(
        date(2027, 1, 4), datetime.min.time().replace(hour=9), "America/New_York"
    )
    world.tick(nine_ny + timedelta(hours=13))
    assert world.sent("UNYC", "checkin") == []


def test_a_goal_past_due_asks_to_be_closed_and_the_manager_hears(world: World) -> None:
    with transaction(world.engine) as s:
        goal = next(
            g for g in goals.list_goals(session=s, team_id=TEAM) if g.owner_id == world.ids["UBER"]
        )
        goals.update_goal(session=s, goal=goal, now=START, due=date(2027, 1, 5))
        goal_id = goal.id
    world.run(START, START + timedelta(days=3))
    [ask] = world.sent("UBER", "close")
    uber = world.actor("UBER")
    labels = [
        e["text"]["text"] for b in ask.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["Achieved", "Missed", "Dropped"]
    with transaction(world.engine) as s:
        turn = runner.start(
            session=s,
            actor=uber,
            flow=goal_closing.FLOW,
            now=world.clock.now,
            today=world.clock.now.date(),
            args=goal_closing.Start(goal_id=goal_id or 0, outcome="missed"),
        )
        assert turn.say[-1][0].template == "goal_closing/ask_learned"
        turn = runner.reply(
            session=s,
            actor=uber,
            text="Enterprise deals need a pilot first",
            now=world.clock.now,
            today=world.clock.now.date(),
        )
        assert turn is not None and [n.user_id for n in turn.notices] == ["UMAX"]
        closed = goals.get_goal(session=s, team_id=TEAM, goal_id=goal_id or 0)
        assert closed and closed.status == "missed" and closed.learning and closed.closed_at
    world.run(START + timedelta(days=3), START + timedelta(days=10))
    assert len(world.sent("UBER", "close")) == 1  # closed: asked no more
    assert len(world.sent("UBER", "checkin")) == 1  # and it left the check-ins


def test_the_budget_keeps_the_most_important_and_folds_the_rest_in(world: World) -> None:
    with transaction(world.engine) as s:
        workspaces.get_workspace(session=s, team_id=TEAM).nudge_budget = 1
        goal = next(
            g for g in goals.list_goals(session=s, team_id=TEAM) if g.owner_id == world.ids["UBER"]
        )
        goals.update_goal(session=s, goal=goal, now=START, due=date(2027, 1, 3))
    world.run(START, START + timedelta(days=6))
    told = world.fake.replies_for("UBER")
    assert len(told) == 1  # one nudge this week: the most important, closing the goal
    assert KIND_WORDS["close"] in told[0].text
    world.run(START + timedelta(days=7), START + timedelta(days=8))
    told = world.fake.replies_for("UBER")
    assert len(told) == 2
    assert "Also, held back" in told[1].text and "check-in" in told[1].text


def test_escalation_climbs_a_level_per_three_working_days_and_stops(world: World) -> None:
    with transaction(world.engine) as s:
        reported = barrier.report(
            session=s,
            actor=world.actor("UBER"),
            text="<!channel> legal blocks the pilot",
            now=START,
        )
        barrier_id = reported.barrier.id or 0
    world.run(START, START + timedelta(days=4), step=timedelta(hours=3))  # Mon → Fri
    with transaction(world.engine) as s:
        held = barriers.get_barrier(session=s, team_id=TEAM, barrier_id=barrier_id)
        assert held and held.holder_id == world.ids["UCEO"]  # Max sat on it 3 working days
        assert held.chain == [world.ids["UMAX"], world.ids["UCEO"]]
    assert len(world.sent("UCEO", "escalated")) == 1
    world.run(START + timedelta(days=4), START + timedelta(days=14), step=timedelta(hours=3))
    with transaction(world.engine) as s:
        held = barriers.get_barrier(session=s, team_id=TEAM, barrier_id=barrier_id)
        assert held and held.holder_id == world.ids["UCEO"]  # the root's manager: it stays
    # Its text reached only the reporter and the managers it passed through, and pinged nobody.
    for user in world.fake.users:
        saw = any("legal blocks" in m.text for m in world.fake.replies_for(user))
        assert saw == (user in ("UBER", "UMAX", "UCEO")), user
    assert not any("<!channel>" in m.text for m in world.fake.messages)


def test_an_acknowledged_barrier_stops_climbing(world: World) -> None:
    uber, max_ = world.actor("UBER"), world.actor("UMAX")
    with transaction(world.engine) as s:
        reported = barrier.report(session=s, actor=uber, text="No budget for travel", now=START)
        barrier.act(
            session=s,
            actor=max_,
            barrier_id=reported.barrier.id or 0,
            event=barrier.Event.ACKNOWLEDGE,
            now=START,
        )
    world.run(START, START + timedelta(days=14), step=timedelta(hours=6))
    with transaction(world.engine) as s:
        [held] = barriers.list_barriers(session=s, team_id=TEAM)
        assert held.holder_id == world.ids["UMAX"] and held.status == BarrierStatus.ACKNOWLEDGED


@pytest.mark.parametrize("members", [10, 100])
def test_finding_who_is_due_takes_a_fixed_number_of_queries(
    engine: Engine, fake_slack: tuple[FakeSlack, str], members: int
) -> None:
    fake, url = fake_slack
    users = {f"UM{i:04d}": "Europe/Berlin" for i in range(members)}
    with transaction(engine) as s:
        org = build_org(
            s,
            team_id=TEAM,
            profiles=[profile("UBOSS", "Boss"), *(profile(u, u, tz=tz) for u, tz in users.items())],
            units_=[UnitSpec("Acme", "UBOSS", members=tuple(users))],
            cycle=("FY27", date(2026, 10, 1), date(2027, 12, 31)),
            objectives_=[ObjectiveSpec("Acme", "Grow")],
            now=START - timedelta(days=30),
            synced=True,
        )
        for user in users:
            goal = goals.create_goal(
                session=s,
                team_id=TEAM,
                owner_id=org.ids[user],
                unit_id=org.units["Acme"].id or 0,
                cycle_id=org.cycle.id or 0 if org.cycle else 0,
                objective_id=None,
                statement="x",
            )
            goals.update_goal(session=s, goal=goal, now=START, status=GoalStatus.AGREED)
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with transaction(engine) as s:
            found = due(
                session=s, now=datetime(2027, 1, 4, 8, 0, tzinfo=UTC), admin_ids=frozenset()
            )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(found[TEAM].nudges) == members  # everyone's Monday 09:00 Berlin check-in
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    print(f"{members} people: {len(statements)} statements, {len(reads)} reads")
    assert len(reads) <= 20
    assert len(statements) <= 25
