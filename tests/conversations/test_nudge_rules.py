"""The scheduled rules as plain functions of a World built by hand (conversations/schedule/): no
database, no Slack, no tick. What a tick does with them end to end is tests/conversations/
test_nudges.py; here each rule's edges: time zones, daylight saving, windows, pauses, cadence,
the budget and escalation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest

from conversations import clock
from conversations.schedule import nudges
from conversations.schedule.budget import Held, spend
from conversations.schedule.escalations import escalations
from conversations.schedule.nudges import Candidate, candidates
from conversations.schedule.world import World
from storage.models import (
    Barrier,
    Conversation,
    Cycle,
    Goal,
    GoalStatus,
    Person,
    Unit,
    Workspace,
)

TEAM = "T1"
MONDAY = date(2027, 1, 4)
CYCLE = Cycle(id=1, team_id=TEAM, name="FY27", start=date(2026, 10, 1), end=date(2027, 12, 31))


@dataclass
class Org:
    """Acme (Cleo, New York) → Sales (Max, Berlin): Ana (Los Angeles), Ben (Berlin), Tom (Tokyo),
    Sue (Sydney); Ops (Olga, Tokyo) under Acme. Everyone but the managers has an agreed goal."""

    people: dict[str, Person] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    published: dict[int, datetime] = field(default_factory=dict)
    checked_in: set[tuple[int, str]] = field(default_factory=set)
    interviews: list[Conversation] = field(default_factory=list)
    checkins_sent: dict[tuple[str, str], datetime] = field(default_factory=dict)
    barriers: list[Barrier] = field(default_factory=list)
    budget: int = 50

    def world(self, now: datetime) -> World:
        member_of = {
            self.people[u].id or 0: self.units[n].id or 0
            for n, users in MEMBERS.items()
            for u in users
        }
        return World(
            workspace=Workspace(team_id=TEAM, nudge_budget=self.budget),
            now=now,
            admin_ids=frozenset(),
            people={p.id or 0: p for p in self.people.values()},
            units={u.id or 0: u for u in self.units.values()},
            member_of=member_of,
            cycle=CYCLE,
            open_goals=self.goals,
            published=self.published,
            checked_in=self.checked_in,
            working=frozenset(range(5)),
            interviews=self.interviews,
            checkins_sent=self.checkins_sent,
            barriers=self.barriers,
        )

    def goal_of(self, user: str) -> Goal:
        return next(g for g in self.goals if g.owner_id == self.people[user].id)


ZONES = {
    "CLEO": "America/New_York",
    "MAX": "Europe/Berlin",
    "OLGA": "Asia/Tokyo",
    "ANA": "America/Los_Angeles",
    "BEN": "Europe/Berlin",
    "TOM": "Asia/Tokyo",
    "SUE": "Australia/Sydney",
}
MEMBERS = {"Acme": ("MAX", "OLGA"), "Sales": ("ANA", "BEN", "TOM", "SUE")}


@pytest.fixture
def org() -> Org:
    made = Org()
    for i, (user, tz) in enumerate(ZONES.items(), start=1):
        made.people[user] = Person(id=i, team_id=TEAM, user_id=user, name=user.title(), tz=tz)
    ids = {u: p.id for u, p in made.people.items()}
    made.units = {
        "Acme": Unit(id=1, team_id=TEAM, name="Acme", parent_id=None, manager_id=ids["CLEO"]),
        "Sales": Unit(id=2, team_id=TEAM, name="Sales", parent_id=1, manager_id=ids["MAX"]),
        "Ops": Unit(id=3, team_id=TEAM, name="Ops", parent_id=1, manager_id=ids["OLGA"]),
    }
    long_ago = datetime(2026, 12, 1, tzinfo=UTC)
    made.published = {1: long_ago, 2: long_ago}
    for n, user in enumerate(MEMBERS["Sales"], start=1):
        made.goals.append(
            Goal(
                id=n,
                team_id=TEAM,
                owner_id=ids[user] or 0,
                unit_id=2,
                cycle_id=1,
                statement=f"Sign 10 customers ({user})",
                status=GoalStatus.AGREED,
                due=date(2027, 12, 31),
                updated_at=long_ago,
            )
        )
    return made


def local(day: date, hour: int, tz: str) -> datetime:
    return clock.at_local(day, time(hour), tz)


def of_kind(found: list[Candidate], kind: str) -> list[str]:
    return sorted(c.person.user_id for c in found if c.kind == kind)


def test_each_person_is_due_their_check_in_at_their_own_nine(org: Org) -> None:
    for user in MEMBERS["Sales"]:
        nine = local(MONDAY, 9, ZONES[user])
        assert user in of_kind(candidates(org.world(nine)), "checkin")
        assert user not in of_kind(candidates(org.world(nine - timedelta(minutes=1))), "checkin")


def test_a_late_tick_still_finds_it_and_a_stale_one_does_not(org: Org) -> None:
    nine = local(MONDAY, 9, ZONES["ANA"])
    assert "ANA" in of_kind(candidates(org.world(nine + timedelta(hours=11))), "checkin")
    assert "ANA" not in of_kind(candidates(org.world(nine + timedelta(hours=13))), "checkin")


@pytest.mark.parametrize(
    ("user", "monday"),
    [("BEN", date(2027, 3, 29)), ("ANA", date(2027, 3, 15)), ("SUE", date(2027, 4, 5))],
)
def test_nine_is_nine_across_daylight_saving(org: Org, user: str, monday: date) -> None:
    nine = local(monday, 9, ZONES[user])
    assert user in of_kind(candidates(org.world(nine)), "checkin")
    assert clock.local_now(nine, ZONES[user]).hour == 9


def test_no_check_in_once_checked_in_or_while_paused(org: Org) -> None:
    nine = local(MONDAY, 9, ZONES["BEN"])
    ben = org.people["BEN"]
    org.checked_in.add((ben.id or 0, clock.week_key(nine, ben.tz)))
    assert "BEN" not in of_kind(candidates(org.world(nine)), "checkin")
    tom = org.people["TOM"]
    tom.paused_until = MONDAY + timedelta(days=7)
    assert "TOM" not in of_kind(candidates(org.world(local(MONDAY, 9, tom.tz))), "checkin")
    assert "TOM" in of_kind(
        candidates(org.world(local(MONDAY + timedelta(days=7), 9, tom.tz))), "checkin"
    )


def test_one_reminder_a_working_day_later_unless_checked_in(org: Org) -> None:
    friday = date(2027, 1, 8)
    ben = org.people["BEN"]
    sent = local(friday, 9, ben.tz)
    org.checkins_sent[("BEN", clock.week_key(sent, ben.tz))] = sent
    monday_after = local(date(2027, 1, 11), 9, ben.tz)  # Saturday skipped: the next working day
    assert "BEN" not in of_kind(
        candidates(org.world(sent + timedelta(hours=24))), "checkin_reminder"
    )
    assert of_kind(candidates(org.world(monday_after)), "checkin_reminder") == []  # a new week
    org.checkins_sent[("BEN", clock.week_key(sent, ben.tz))] = sent - timedelta(days=4)
    tuesday = local(date(2027, 1, 5), 9, ben.tz)
    assert "BEN" in of_kind(candidates(org.world(tuesday)), "checkin_reminder")
    org.checked_in.add((ben.id or 0, clock.week_key(tuesday, ben.tz)))
    assert "BEN" not in of_kind(candidates(org.world(tuesday)), "checkin_reminder")


def test_no_agreed_goal_means_a_reminder_to_set_one_instead(org: Org) -> None:
    org.goals.remove(org.goal_of("ANA"))
    nine = local(MONDAY, 9, ZONES["ANA"])
    found = candidates(org.world(nine))
    assert "ANA" not in of_kind(found, "checkin")
    assert "ANA" in of_kind(found, "set_goals_reminder")
    org.interviews.append(
        Conversation(id=9, team_id=TEAM, person_id=org.people["ANA"].id or 0, flow="x", step="s")
    )
    assert "ANA" not in of_kind(candidates(org.world(nine)), "set_goals_reminder")


def test_an_interview_left_two_days_is_reminded_in_office_hours(org: Org) -> None:
    ana = org.people["ANA"]
    started = local(MONDAY, 10, ana.tz)
    talk = Conversation(
        id=9, team_id=TEAM, person_id=ana.id or 0, flow="goal_interview", step="statement"
    )
    talk.last_activity, talk.version = started, 3
    org.interviews.append(talk)
    assert "ANA" not in of_kind(
        candidates(org.world(started + timedelta(days=1))), "interview_reminder"
    )
    found = [
        c
        for c in candidates(org.world(started + timedelta(days=2)))
        if c.kind == "interview_reminder"
    ]
    assert [(c.subject, c.period_key) for c in found] == [("conversation:9", "v3")]
    night = local(MONDAY + timedelta(days=2), 22, ana.tz)
    assert of_kind(candidates(org.world(night)), "interview_reminder") == []


def test_a_manager_is_nudged_to_plan_every_three_working_days(org: Org) -> None:
    olga = org.people["OLGA"]
    published = local(MONDAY, 10, olga.tz)
    org.published[1] = published
    rounds = set()
    for day in range(14):
        noon = local(MONDAY + timedelta(days=day), 12, olga.tz)
        for c in candidates(org.world(noon)):
            if c.kind == "plan_nudge":
                rounds.add(c.period_key)
    assert rounds == {"1:1", "1:2", "1:3"}  # Thursday, the Tuesday after, the Friday after


def test_goals_awaiting_agreement_remind_their_manager_daily(org: Org) -> None:
    goal = org.goal_of("BEN")
    goal.status = GoalStatus.PROPOSED
    max_tz = ZONES["MAX"]
    goal.updated_at = local(MONDAY, 10, max_tz)
    assert of_kind(candidates(org.world(local(MONDAY, 15, max_tz))), "agreement_reminder") == []
    keys = set()
    for day in range(1, 7):  # Tuesday to Sunday: once each working day, in office hours
        for hour in (8, 11, 17, 19):
            found = candidates(org.world(local(MONDAY + timedelta(days=day), hour, max_tz)))
            for reminder in (c for c in found if c.kind == "agreement_reminder"):
                assert reminder.person.user_id == "MAX" and 9 <= hour < 18
                keys.add(reminder.period_key)
    assert keys == {f"2027-01-0{d}" for d in (5, 6, 7, 8)}


def test_a_goal_past_due_asks_its_owner_to_close_it(org: Org) -> None:
    org.goal_of("TOM").due = MONDAY - timedelta(days=1)
    found = candidates(org.world(local(MONDAY, 10, ZONES["TOM"])))
    [ask] = [c for c in found if c.kind == "close_goal"]
    assert ask.person.user_id == "TOM"
    assert [ch.offer.name for ch in ask.choices] == ["GOAL_ACHIEVED", "GOAL_MISSED", "GOAL_DROPPED"]


def test_the_budget_keeps_the_most_important_and_tells_the_rest_later(org: Org) -> None:
    org.budget = 5
    world = org.world(local(MONDAY, 10, ZONES["MAX"]))
    max_ = org.people["MAX"]
    found = [
        Candidate("checkin", max_, "MAX", "W1"),
        Candidate("close_goal", max_, "goal:1", "W1", also={"goal": "Sign"}),
        Candidate("agreement_reminder", max_, "MAX", "D1", also={"count": 2}),
    ]
    earlier = [Held(7, "MAX", {"kind": "plan_nudge", "unit": "Sales"})]
    going, holding = spend(world, found, owed=set(), used={"MAX": 3}, held=earlier)
    assert [n.candidate.kind for n in going] == ["close_goal", "agreement_reminder"]
    assert going[0].also == ({"kind": "plan_nudge", "unit": "Sales"},) and going[0].folds == (7,)
    assert going[1].folds == ()
    assert [c.kind for c in holding] == ["checkin"]
    again, _ = spend(world, found, owed={found[1].key}, used={}, held=[])
    assert [n.candidate.kind for n in again] == ["agreement_reminder", "checkin"]


def test_every_kind_is_declared_in_priority_order_with_its_words() -> None:
    from prompts import exists

    assert list(nudges.KINDS)[:4] == [
        "one_on_one_agenda",
        "confidence_alert",
        "retrospective",
        "close_goal",
    ]
    assert [k for k in nudges.KINDS if not exists(f"nudges/{k}")] == []
    assert [k for k in nudges.KINDS if not exists(f"nudges/also/{k}")] == []


def test_a_barrier_left_three_working_days_climbs_one_level_and_stops_at_the_top(org: Org) -> None:
    ben, max_, cleo = org.people["BEN"], org.people["MAX"], org.people["CLEO"]
    reported = local(MONDAY, 10, max_.tz)
    held = Barrier(id=1, team_id=TEAM, reporter_id=ben.id or 0, holder_id=max_.id, text="Legal")
    held.reported_at = reported
    org.barriers.append(held)
    assert escalations(org.world(local(MONDAY + timedelta(days=2), 12, max_.tz))) == []
    [moving] = escalations(org.world(local(MONDAY + timedelta(days=3), 0, max_.tz)))
    assert (moving.holder.user_id, moving.above.user_id) == ("MAX", "CLEO")
    held.holder_id, held.escalated_at = cleo.id, local(MONDAY + timedelta(days=3), 0, max_.tz)
    assert escalations(org.world(local(MONDAY + timedelta(days=20), 12, cleo.tz))) == []
