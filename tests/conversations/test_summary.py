"""The leadership summary as data: every number against a small organisation whose answers are
worked out by hand below, what changed since the last weekly one, who may see which part, that
nothing but counts (and unit names, escaped) reaches a message, and a fixed number of queries."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from sqlmodel import Session

from bot.summary_blocks import summary_message
from conversations.actor import Actor
from conversations.errors import Refusal
from conversations.views import summary
from conversations.views.summary import Numbers
from storage import barriers, checkins, cycles, goals, objectives, people, units, workspaces
from storage.db import transaction
from storage.models import (
    Barrier,
    BarrierStatus,
    CheckIn,
    Confidence,
    Goal,
    GoalStatus,
    Membership,
    Objective,
    ObjectiveStatus,
    Person,
    SummarySnapshot,
    Unit,
)
from tests.factories import ObjectiveSpec, Org, UnitSpec, build_org, profile
from tests.helpers import counting_statements

TEAM = "T0SUMMARY"
OTHER = "T0OTHER"
# Monday 1 March 2027, 02:00 UTC: ISO week 9 in London, Tokyo and UTC, but still Sunday 28
# February (week 8) in Los Angeles.
NOW = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECRET = "<!channel> SECRET-TEXT"  # in every goal and barrier: it must never reach a message


def _org(s: Session) -> Org:
    """Acme (Cora) ⊃ Sales (Ali) ⊃ Sales East (Ned); Acme ⊃ Ops (Opal).

    Members: Acme: Ali, Opal · Sales: Ned, Bea (Tokyo), Cal (Los Angeles), Dee, Gone (left)
    · Sales East: Eve, Fay · Ops: Gus, Hal. Cora belongs to no unit."""
    return build_org(
        s,
        team_id=TEAM,
        profiles=[
            profile("UCORA", "Cora", tz="Europe/London"),
            profile("UALI", "Ali"),
            profile("UOPAL", "Opal"),
            profile("UNED", "Ned"),
            profile("UBEA", "Bea", tz="Asia/Tokyo"),
            profile("UCAL", "Cal", tz="America/Los_Angeles"),
            profile("UDEE", "Dee"),
            profile("UGONE", "Gone", deleted=True),
            profile("UEVE", "Eve"),
            profile("UFAY", "Fay"),
            profile("UGUS", "Gus"),
            profile("UHAL", "Hal"),
        ],
        units_=[
            UnitSpec("Acme", "UCORA"),
            UnitSpec("Sales", "UALI", "Acme", ("UBEA", "UCAL", "UDEE", "UGONE")),
            UnitSpec("Sales East", "UNED", "Sales", ("UEVE", "UFAY")),
            UnitSpec("Ops", "UOPAL", "Acme", ("UGUS", "UHAL")),
        ],
        cycle=("FY27", date(2027, 1, 1), date(2027, 12, 31)),
        objectives_=[
            ObjectiveSpec("Acme", "A1 Grow revenue"),
            ObjectiveSpec("Acme", "A2 Delight customers"),
            ObjectiveSpec("Acme", "A3 Cut costs"),
            ObjectiveSpec("Acme", "A4 Hire well"),
            ObjectiveSpec("Acme", "A5 Draft idea", status=ObjectiveStatus.DRAFT),
            ObjectiveSpec("Sales", "S1 Win deals", "A1 Grow revenue"),
            ObjectiveSpec("Sales", "S2 Renewals", "A2 Delight customers"),
            ObjectiveSpec("Sales East", "E1 East deals", "S1 Win deals"),
            ObjectiveSpec("Ops", "O1 Cheaper cloud", "A3 Cut costs"),
            ObjectiveSpec("Ops", "O2 Automate", "A3 Cut costs"),
        ],
        now=NOW - 60 * DAY,
    )


@dataclass
class World:
    engine: Engine
    org: Org

    def person(self, user: str) -> int:
        return self.org.ids[user]

    def unit(self, name: str) -> int:
        return self.org.units[name].id or 0

    def goal(
        self,
        s: Session,
        owner: str,
        unit: str,
        objective: str | None,
        status: GoalStatus,
        progress: int = 0,
        confidence: Confidence | None = None,
        cycle_id: int | None = None,
    ) -> Goal:
        assert self.org.cycle is not None
        goal = goals.create_goal(
            session=s,
            team_id=TEAM,
            owner_id=self.person(owner),
            unit_id=self.unit(unit),
            cycle_id=cycle_id or self.org.cycle.id or 0,
            objective_id=self.org.objectives[objective].id if objective else None,
            statement=SECRET,
        )
        return goals.update_goal(
            session=s, goal=goal, now=NOW, status=status, progress=progress, confidence=confidence
        )

    def checkin(self, s: Session, user: str, goal: Goal, week: str) -> None:
        checkins.record_checkin(
            session=s,
            team_id=TEAM,
            goal_id=goal.id or 0,
            person_id=self.person(user),
            progress=goal.progress,
            confidence=Confidence.ON_TRACK,
            note=SECRET,
            at=NOW - DAY,
            week=week,
        )

    def barrier(
        self, s: Session, user: str, ago: timedelta, status: BarrierStatus = BarrierStatus.OPEN
    ) -> Barrier:
        found = barriers.report_barrier(
            session=s,
            team_id=TEAM,
            reporter_id=self.person(user),
            text=SECRET,
            holder_id=self.person("UCORA"),
            now=NOW - ago,
        )
        return barriers.update_barrier(session=s, barrier=found, status=status)

    def actor(self, user: str, *, admin: bool = False) -> Actor:
        with transaction(self.engine) as s:
            person = people.get_person(session=s, team_id=TEAM, user_id=user)
        assert person is not None
        return Actor(TEAM, person, admin, frozenset({"UADA"}))


@pytest.fixture
def world(engine: Engine) -> World:
    with transaction(engine) as s:
        org = _org(s)
        w = World(engine, org)
        old = cycles.add_cycle(
            session=s, team_id=TEAM, name="FY26", start=date(2026, 1, 1), end=date(2026, 12, 31)
        )
        # add_cycle makes the newest active: FY27 is the active one again, FY26 is history.
        assert org.cycle is not None
        org.cycle.active, old.active = True, False
        s.add_all([org.cycle, old])
        ali = w.goal(
            s, "UALI", "Acme", "A1 Grow revenue", GoalStatus.AGREED, 40, Confidence.AT_RISK
        )
        w.goal(s, "UOPAL", "Acme", "A4 Hire well", GoalStatus.DROPPED)
        ned = w.goal(s, "UNED", "Sales", "S1 Win deals", GoalStatus.ACHIEVED, 100)
        bea = w.goal(
            s, "UBEA", "Sales", "S1 Win deals", GoalStatus.AGREED, 50, Confidence.OFF_TRACK
        )
        w.goal(s, "UBEA", "Sales", "S1 Win deals", GoalStatus.AGREED, 30, Confidence.ON_TRACK)
        cal = w.goal(s, "UCAL", "Sales", "S1 Win deals", GoalStatus.AGREED, 20, Confidence.AT_RISK)
        w.goal(s, "UDEE", "Sales", "S2 Renewals", GoalStatus.DRAFT)
        w.goal(s, "UGONE", "Sales", "S1 Win deals", GoalStatus.AGREED, 90, Confidence.AT_RISK)
        w.goal(s, "UEVE", "Sales East", "E1 East deals", GoalStatus.PROPOSED)
        # Fay's goal hangs off Sales's objective, not one of Sales East's: she is not aligned.
        w.goal(s, "UFAY", "Sales East", "S1 Win deals", GoalStatus.AGREED, 10)
        gus = w.goal(s, "UGUS", "Ops", "O1 Cheaper cloud", GoalStatus.AGREED, 60)
        w.goal(s, "UGUS", "Ops", None, GoalStatus.AGREED, 99, Confidence.OFF_TRACK, old.id)

        w.checkin(s, "UALI", ali, "2027-W09")
        w.checkin(s, "UBEA", bea, "2027-W08")  # last week in Tokyo
        w.checkin(s, "UCAL", cal, "2027-W08")  # this week in Los Angeles
        w.checkin(s, "UNED", ned, "2027-W09")  # no open agreed goal: not asked, not counted
        w.checkin(s, "UGUS", gus, "2027-W09")

        w.barrier(s, "UBEA", 2 * DAY)
        w.barrier(s, "UCAL", 10 * DAY, BarrierStatus.ACKNOWLEDGED)
        w.barrier(s, "UDEE", 30 * DAY, BarrierStatus.RESOLVED)
        w.barrier(s, "UEVE", 20 * DAY)
        w.barrier(s, "UCORA", 7 * DAY)  # exactly a week: one to two weeks; Cora counts in Acme
        w.barrier(s, "UGUS", 14 * DAY - timedelta(hours=1))
        w.barrier(s, "UHAL", 14 * DAY)  # exactly two weeks: older

        # Another workspace, busy in the same tables: none of it may show.
        other = build_org(
            s,
            team_id=OTHER,
            profiles=[profile("UX1", "Xavier", tz="Pacific/Kiritimati"), profile("UX2", "Yan")],
            units_=[UnitSpec("Elsewhere", "UX1", members=("UX2",))],
            cycle=("FY27", date(2027, 1, 1), date(2027, 12, 31)),
            objectives_=[ObjectiveSpec("Elsewhere", "X")],
            now=NOW - 60 * DAY,
        )
        assert other.cycle is not None
        x = goals.create_goal(
            session=s,
            team_id=OTHER,
            owner_id=other.ids["UX2"],
            unit_id=other.units["Elsewhere"].id or 0,
            cycle_id=other.cycle.id or 0,
            objective_id=other.objectives["X"].id,
            statement="x",
        )
        goals.update_goal(session=s, goal=x, now=NOW, status=GoalStatus.AGREED)
        barriers.report_barrier(
            session=s, team_id=OTHER, reporter_id=other.ids["UX2"], text="x", holder_id=None
        )
    return w


def numbers(
    members: int,
    covered: int,
    objectives: int,
    orphans: int,
    goals: int,
    progress_total: int,
    at_risk: int,
    off_track: int,
    open_goals: int,
    expected: int,
    checked_in: int,
    barriers: tuple[int, int, int],
) -> Numbers:
    return Numbers(
        members,
        covered,
        objectives,
        orphans,
        goals,
        progress_total,
        at_risk,
        off_track,
        open_goals,
        expected,
        checked_in,
        *barriers,
    )


# Worked out by hand from the organisation above, as of NOW.
#
# Acme: members Ali, Opal (2); aligned Ali (Opal's goal is dropped). Objectives A1–A4 (A5 is a
#   draft); A1, A2, A3 have child objectives, A4 only a dropped goal: 1 orphan. Goals: Ali's
#   (40, at risk). Asked to check in: Ali, who did in week 9. Barriers: Cora's, 7 days (1–2 wk).
# Sales: members Ned, Bea, Cal, Dee (Gone has left) (4); aligned Ned (achieved), Bea, Cal. S1 is
#   supported; S2 has only Dee's draft: 1 orphan. Goals: Ned 100, Bea 50 (off track) + 30, Cal 20
#   (at risk): 4 goals, 200 (Gone's is not counted). Asked: Bea, Cal; checked in: Cal (week 8 is
#   his week in Los Angeles; Bea's week 8 is last week in Tokyo). Barriers: Bea 2 days, Cal 10.
# Sales East: Eve, Fay (2); aligned nobody (Eve's is proposed, Fay's links to Sales's S1). E1 is
#   supported by Eve's proposal: 0 orphans. Goals: Fay's (10). Asked: Fay; checked in: nobody.
#   Barriers: Eve's, 20 days.
# Ops: Gus, Hal (2); aligned Gus. O2 has nothing: 1 orphan. Goals: Gus 60 (last cycle's is not
#   counted). Asked: Gus, checked in. Barriers: Gus 13 d 23 h (1–2 wk), Hal 14 days (older).
EXPECTED = {
    "Acme": numbers(2, 1, 4, 1, 1, 40, 1, 0, 1, 1, 1, (0, 1, 0)),
    "Sales": numbers(4, 3, 2, 1, 4, 200, 1, 1, 3, 2, 1, (1, 1, 0)),
    "Sales East": numbers(2, 0, 1, 0, 1, 10, 0, 0, 1, 1, 0, (0, 0, 1)),
    "Ops": numbers(2, 1, 2, 1, 1, 60, 0, 0, 1, 1, 1, (0, 1, 1)),
}
TOTALS = numbers(10, 5, 9, 3, 7, 310, 2, 1, 6, 5, 3, (1, 3, 2))


def compute(world: World, top: str | None = None, now: datetime = NOW) -> summary.Summary:
    """The summary of the week so far (as `/goals summary` counts): the hand-worked answers."""
    with transaction(world.engine) as s:
        return summary.compute(
            session=s,
            team_id=TEAM,
            top_unit_id=world.unit(top) if top else None,
            now=now,
            since=None,
            week=summary.SO_FAR,
        )


def test_every_number_against_the_hand_worked_answers(world: World) -> None:
    found = compute(world)
    assert [(u.name, u.depth) for u in found.units] == [
        ("Acme", 0),
        ("Sales", 1),
        ("Sales East", 2),
        ("Ops", 1),
    ]
    assert {u.name: u.numbers for u in found.units} == EXPECTED
    assert found.totals == TOTALS
    assert found.whole_org and found.cycle_name == "FY27"
    assert (TOTALS.coverage, TOTALS.participation, TOTALS.progress) == (50, 60, 44)
    assert TOTALS.troubled == 3 and TOTALS.open_barriers == 6
    assert found.since is None and found.total_change is None
    assert all(u.change is None for u in found.units)


def test_a_subtree_counts_only_its_own_units(world: World) -> None:
    found = compute(world, "Sales")
    assert [u.name for u in found.units] == ["Sales", "Sales East"]
    assert found.totals == EXPECTED["Sales"] + EXPECTED["Sales East"]
    assert not found.whole_org


def _later_changes(world: World) -> None:
    """A week on: Hal agrees a goal on O2, Dee's draft is agreed, Bea's barrier is resolved,
    Cal, Dee and Gus check in."""
    with transaction(world.engine) as s:
        hal = world.goal(s, "UHAL", "Ops", "O2 Automate", GoalStatus.AGREED)
        [dee] = goals.list_goals(session=s, team_id=TEAM, owner_id=world.person("UDEE"))
        goals.update_goal(session=s, goal=dee, now=NOW, status=GoalStatus.AGREED)
        [bea] = [
            b
            for b in barriers.list_barriers(session=s, team_id=TEAM)
            if b.reporter_id == world.person("UBEA")
        ]
        barriers.update_barrier(session=s, barrier=bea, status=BarrierStatus.RESOLVED)
        cal = goals.list_goals(session=s, team_id=TEAM, owner_id=world.person("UCAL"))[0]
        world.checkin(s, "UCAL", cal, "2027-W09")
        world.checkin(s, "UDEE", dee, "2027-W10")
        gus = goals.list_goals(session=s, team_id=TEAM, owner_id=world.person("UGUS"))[0]
        world.checkin(s, "UGUS", gus, "2027-W10")
        assert hal.id


def test_the_weekly_summary_says_what_changed_since_last_week(world: World) -> None:
    week = NOW + 7 * DAY  # Monday 8 March: week 10 (still week 9 in Los Angeles)
    with transaction(world.engine) as s:
        first = summary.weekly(session=s, team_id=TEAM, now=NOW)
    assert first is not None and first.period == "2027-W09" and first.tz == "Europe/London"
    # The Monday post counts the week just ended: of those asked, only Bea checked in during
    # her own week 8 (Cal's ended week is 7 in Los Angeles; Ali's and Gus's were in week 9).
    assert first.summary.since is None and first.summary.totals == replace(TOTALS, checked_in=1)
    _later_changes(world)
    with transaction(world.engine) as s:
        second = summary.weekly(session=s, team_id=TEAM, now=week)
    assert second is not None and second.period == "2027-W10"
    found = second.summary
    assert found.since is not None and found.since.period == "2027-W09"

    # By hand, a week on. Aligned: Hal (Ops) and Dee (Sales) join: 5 → 7. Orphans: O2 (Hal) and
    # S2 (Dee) are supported now: 3 → 1. At risk / off track unchanged: 3. Asked to check in:
    # Ali, Bea, Cal, Dee, Fay, Gus, Hal (7); checked in during the week just ended (9; 8 in LA):
    # Ali, Cal, Gus: 3. Barriers: Bea's resolved; the rest are all two weeks old or more now.
    after = {
        "Acme": numbers(2, 1, 4, 1, 1, 40, 1, 0, 1, 1, 1, (0, 0, 1)),
        "Sales": numbers(4, 4, 2, 0, 5, 200, 1, 1, 4, 3, 1, (0, 0, 1)),
        "Sales East": numbers(2, 0, 1, 0, 1, 10, 0, 0, 1, 1, 0, (0, 0, 1)),
        "Ops": numbers(2, 2, 2, 0, 2, 60, 0, 0, 2, 2, 1, (0, 0, 2)),
    }
    assert {u.name: u.numbers for u in found.units} == after
    change = found.total_change
    assert change is not None and change.before == replace(TOTALS, checked_in=1)
    assert (change.covered, change.orphans, change.troubled) == (2, -2, 0)
    assert (change.checked_in, change.open_barriers) == (2, -1)
    assert (change.before.participation, change.after.participation) == (20, 43)
    by_name = {u.name: u.change for u in found.units}
    sales, ops = by_name["Sales"], by_name["Ops"]
    assert sales is not None and (sales.covered, sales.orphans, sales.open_barriers) == (1, -1, -1)
    assert ops is not None and (ops.covered, ops.orphans, ops.checked_in) == (1, -1, 1)

    # A rerun in the same week compares with the same week before, and keeps one snapshot a week.
    with transaction(world.engine) as s:
        again = summary.weekly(session=s, team_id=TEAM, now=week + timedelta(hours=3))
        kept = s.exec(select_snapshots()).all()
    assert again is not None and again.summary.since is not None
    assert again.summary.since.period == "2027-W09"
    assert sorted(k.period for k in kept) == ["2027-W09", "2027-W10"]

    # On demand compares with the latest weekly one (this week's) and keeps nothing.
    with transaction(world.engine) as s:
        mine = summary.on_demand(
            session=s, actor=world.actor("UALI"), unit_name=None, now=week + timedelta(hours=1)
        )
    assert mine.since is not None and mine.since.period == "2027-W10"
    assert mine.total_change is not None and not mine.total_change.any
    with transaction(world.engine) as s:
        assert len(s.exec(select_snapshots()).all()) == 2


def select_snapshots() -> Any:
    from sqlmodel import select

    return select(SummarySnapshot).where(SummarySnapshot.team_id == TEAM)


def test_a_new_unit_is_counted_as_new_not_as_a_change(world: World) -> None:
    with transaction(world.engine) as s:
        summary.weekly(session=s, team_id=TEAM, now=NOW)
        units.create_unit(
            session=s,
            team_id=TEAM,
            name="Legal",
            parent_id=world.unit("Acme"),
            manager_id=world.person("UOPAL"),
        )
        second = summary.weekly(session=s, team_id=TEAM, now=NOW + 7 * DAY)
    assert second is not None
    legal = next(u for u in second.summary.units if u.name == "Legal")
    assert legal.change is None and second.summary.new_units == 1


def test_who_may_see_which_part(world: World) -> None:
    def scope(user: str, name: str | None = None, *, admin: bool = False) -> str:
        with transaction(world.engine) as s:
            found = summary.who_may_see(
                session=s, actor=world.actor(user, admin=admin), unit_name=name
            )
        return found.unit_name

    assert scope("UDEE", admin=True) == "Acme"
    assert scope("UDEE", "ops", admin=True) == "Ops"
    assert scope("UCORA") == "Acme"  # the head of the organisation runs all of it
    assert scope("UALI") == "Sales"
    assert scope("UALI", "sales east") == "Sales East"
    assert scope("UNED") == "Sales East"
    with pytest.raises(Refusal) as outside:
        scope("UALI", "Ops")
    assert outside.value.code == "summary_outside_yours"
    assert outside.value.params["yours"] == ["Sales"]
    with pytest.raises(Refusal) as above:
        scope("UNED", "Sales")
    assert above.value.code == "summary_outside_yours"
    with pytest.raises(Refusal) as member:
        scope("UBEA")
    assert member.value.code == "summary_not_yours"
    assert member.value.params == {"manager": "UALI", "unit": "Sales", "admins": ["UADA"]}


def test_a_manager_summary_holds_nothing_from_outside_their_subtree(world: World) -> None:
    with transaction(world.engine) as s:
        mine = summary.on_demand(session=s, actor=world.actor("UALI"), unit_name=None, now=NOW)
    assert [u.name for u in mine.units] == ["Sales", "Sales East"]
    text = json.dumps(summary_message(mine, audience="ephemeral", tz="UTC"))
    assert "Ops" not in text and "Acme" not in text


def test_messages_carry_counts_only_and_every_name_is_escaped(world: World) -> None:
    with transaction(world.engine) as s:
        units.create_unit(
            session=s,
            team_id=TEAM,
            name="<!channel> & <@UCORA> *Ops*",
            parent_id=world.unit("Ops"),
            manager_id=world.person("UGUS"),
        )
        weekly = summary.weekly(session=s, team_id=TEAM, now=NOW)
    assert weekly is not None
    for audience in ("channel", "ephemeral"):
        message = summary_message(weekly.summary, audience=audience, tz="Europe/London")
        text = json.dumps(message)
        assert "SECRET" not in text  # no goal, check-in note or barrier text
        assert "<!channel>" not in text
        assert "&lt;!channel&gt; &amp; &lt;@UCORA&gt; *Ops*" in text
        # Only managers are named (a unit's, or in the Managers section): nobody else.
        named = set(re.findall(r"<@(U[A-Z0-9]+)>", text))
        assert named <= {u.manager for u in weekly.summary.units} and named


def test_no_active_cycle_or_no_units_is_refused_on_demand_and_skipped_weekly(
    engine: Engine,
) -> None:
    with transaction(engine) as s:
        assert summary.weekly(session=s, team_id=TEAM, now=NOW) is None
        org = build_org(
            s,
            team_id=TEAM,
            profiles=[profile("UCORA", "Cora")],
            units_=[UnitSpec("Acme", "UCORA")],
            now=NOW,
        )
        assert summary.weekly(session=s, team_id=TEAM, now=NOW) is None
        person = people.get_person(session=s, team_id=TEAM, user_id="UCORA")
        assert person is not None and org.units
        with pytest.raises(Refusal) as refused:
            summary.on_demand(session=s, actor=Actor(TEAM, person, True), unit_name=None, now=NOW)
        assert refused.value.code == "no_active_cycle"


def test_due_monday_eight_in_the_head_of_the_organisation_s_zone(world: World) -> None:
    with transaction(world.engine) as s:
        slot = summary.slot(session=s, team_id=TEAM, now=NOW)
        # After the clocks go forward in London (28 March), 08:00 is 07:00 UTC.
        summer = summary.slot(session=s, team_id=TEAM, now=datetime(2027, 3, 31, tzinfo=UTC))
        workspace = summary.schedule(session=s, team_id=TEAM, now=NOW)[0]
        workspace.tz = "Asia/Tokyo"  # an admin's choice wins over the head's
        s.add(workspace)
        s.flush()
        tokyo = summary.slot(session=s, team_id=TEAM, now=NOW)
    assert (slot.at, slot.period, slot.tz) == (
        datetime(2027, 3, 1, 8, 0, tzinfo=UTC),
        "2027-W09",
        "Europe/London",
    )
    assert summer.at == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)
    assert tokyo.at == datetime(2027, 2, 28, 23, 0, tzinfo=UTC) and tokyo.tz == "Asia/Tokyo"


# -- a fixed number of queries ---------------------------------------------------------------


def bulk(s: Session, model: Any, items: list[dict[str, Any]]) -> None:
    """Insert rows with one Core statement, every column filled as the model would."""
    s.execute(insert(model), [model(**item).model_dump(exclude={"id"}) for item in items])


def _bulk_org(s: Session, size: int) -> None:
    """`size` units under one root, ten people each, four goals a person, ten check-ins a goal,
    one barrier a person: inserted with Core, as the benchmark does."""
    at = NOW - 30 * DAY
    workspaces.get_workspace(session=s, team_id=TEAM)
    people_ = [
        {"team_id": TEAM, "user_id": f"UP{i:06d}", "name": f"P{i}", "tz": "Asia/Tokyo"}
        for i in range(size * 10 + 1)
    ]
    bulk(s, Person, people_)
    ids = [p.id or 0 for p in people.list_people(session=s, team_id=TEAM)]
    cycle = cycles.add_cycle(
        session=s, team_id=TEAM, name="FY27", start=date(2027, 1, 1), end=date(2027, 12, 31)
    )
    root = units.create_unit(
        session=s, team_id=TEAM, name="Root", parent_id=None, manager_id=ids[0]
    )
    bulk(
        s,
        Unit,
        [
            {"team_id": TEAM, "name": f"U{u}", "parent_id": root.id, "manager_id": ids[0]}
            for u in range(size)
        ],
    )
    unit_ids = [u.id for u in units.unit_rows(session=s, team_id=TEAM) if u.id != root.id]
    published = ObjectiveStatus.PUBLISHED
    bulk(
        s,
        Objective,
        [
            {"team_id": TEAM, "unit_id": u, "cycle_id": cycle.id, "title": "o", "status": published}
            for u in unit_ids
        ],
    )
    objective = {o.unit_id: o.id for o in objectives.list_objectives(session=s, team_id=TEAM)}
    member_of = {person: unit_ids[i // 10] for i, person in enumerate(ids[1:])}
    bulk(
        s,
        Membership,
        [{"team_id": TEAM, "person_id": p, "unit_id": u} for p, u in member_of.items()],
    )
    bulk(
        s,
        Goal,
        [
            {
                "team_id": TEAM,
                "owner_id": p,
                "unit_id": u,
                "cycle_id": cycle.id,
                "objective_id": objective[u],
                "status": GoalStatus.AGREED,
                "progress": 10 * k,
                "confidence": Confidence.AT_RISK if k == 0 else Confidence.ON_TRACK,
            }
            for p, u in member_of.items()
            for k in range(4)
        ],
    )
    goal_ids = [(g.id, g.owner_id) for g in goals.list_goals(session=s, team_id=TEAM)]
    bulk(
        s,
        CheckIn,
        [
            {
                "team_id": TEAM,
                "goal_id": g,
                "person_id": p,
                "at": at,
                "progress": 10,
                "confidence": Confidence.ON_TRACK,
                "week": f"2027-W{9 - w:02d}",
            }
            for g, p in goal_ids
            for w in range(10)
        ],
    )
    bulk(
        s,
        Barrier,
        [
            {
                "team_id": TEAM,
                "reporter_id": p,
                "text": "x",
                "status": BarrierStatus.OPEN,
                "reported_at": at,
            }
            for p in member_of
        ],
    )


@pytest.mark.parametrize("size", [10, 100])
def test_the_summary_takes_a_fixed_number_of_queries(engine: Engine, size: int) -> None:
    with transaction(engine) as s:
        _bulk_org(s, size)
    with counting_statements(engine) as counted, transaction(engine) as s:
        weekly = summary.weekly(session=s, team_id=TEAM, now=NOW)
    statements = sql(counted)
    assert weekly is not None
    found = weekly.summary
    assert len(found.units) == size + 1
    assert found.totals.members == size * 10 and found.totals.goals == size * 40
    assert found.totals.checked_in == size * 10 and found.totals.at_risk == size * 10
    assert found.totals.barriers_older == size * 10
    with counting_statements(engine) as counted, transaction(engine) as s:
        summary.compute(
            session=s,
            team_id=TEAM,
            top_unit_id=None,
            now=NOW,
            since=summary.last_weekly(session=s, team_id=TEAM),
        )
    on_demand = sql(counted)
    print(f"{size} units: weekly {len(statements)} statements, compute {len(on_demand)}")
    # The same whatever the size (the parametrised sizes differ tenfold): at most 10.
    assert len(statements) == WEEKLY_STATEMENTS
    assert len(on_demand) == COMPUTE_STATEMENTS
    assert len(statements) <= 10


def sql(statements: list[str]) -> list[str]:
    """The queries among them (SQLite's BEGIN IMMEDIATE is a transaction, not a query)."""
    return [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "COMMIT"))]


# Counted against the code: they must not grow with the organisation.
# weekly: the workspace, the head's time zone, the last snapshot, then compute, then the save.
# compute: units, cycle, members, goals, objectives, barriers (+ the last snapshot here).
WEEKLY_STATEMENTS = 10
COMPUTE_STATEMENTS = (
    8  # with the workspace and its cycles read together (storage/memo.py), and the managers' facts
)


def test_monday_post_counts_the_week_just_ended(world: World) -> None:
    """A check-in on Monday of week N is counted in the post of Monday N+1, not in that of
    Monday N (posted at 08:00, after it)."""
    monday = datetime(2027, 3, 8, 7, 0, tzinfo=UTC)  # week 10, 07:00 in London (and UTC)
    with transaction(world.engine) as s:
        hal = world.goal(s, "UHAL", "Ops", "O2 Automate", GoalStatus.AGREED)
        checkins.record_checkin(
            session=s,
            team_id=TEAM,
            goal_id=hal.id or 0,
            person_id=world.person("UHAL"),
            progress=10,
            confidence=Confidence.ON_TRACK,
            at=monday,
            week="2027-W10",
        )
    ops = world.unit("Ops")
    with transaction(world.engine) as s:
        post_n = summary.weekly(session=s, team_id=TEAM, now=monday + timedelta(hours=1))
        post_n1 = summary.weekly(session=s, team_id=TEAM, now=monday + timedelta(days=7, hours=1))
    assert post_n is not None and post_n1 is not None
    counted = {u.unit_id: u.numbers for u in post_n.summary.units}[ops]
    counted_next = {u.unit_id: u.numbers for u in post_n1.summary.units}[ops]
    assert counted.checked_in == 1  # Gus, in week 9; not Hal's Monday check-in
    assert counted_next.checked_in == 1  # Hal, in week 10 (Gus did not check in that week)
    with transaction(world.engine) as s:
        so_far = summary.compute(
            session=s,
            team_id=TEAM,
            top_unit_id=ops,
            now=monday + timedelta(hours=1),
            since=None,
            week=summary.SO_FAR,
        )
    assert so_far.totals.checked_in == 1 and so_far.week == summary.SO_FAR


def test_a_unit_that_has_not_planned_is_shown_so_with_its_manager(world: World) -> None:
    with transaction(world.engine) as s:
        units.create_unit(
            session=s,
            team_id=TEAM,
            name="Legal",
            parent_id=world.unit("Acme"),
            manager_id=world.person("UHAL"),
        )
        weekly = summary.weekly(session=s, team_id=TEAM, now=NOW)
    assert weekly is not None
    legal = next(u for u in weekly.summary.units if u.name == "Legal")
    assert not legal.planned and legal.manager == "UHAL"
    assert weekly.summary.totals.not_planned == 1
    text = json.dumps(summary_message(weekly.summary, audience="channel", tz="UTC"))
    assert "not planned" in text and "<@UHAL> plans them" in text
    assert "1 of 5 units has published no objectives" in text
    # How managers are doing, one line each: the head's, Ali's, Ned's, Opal's and Hal's.
    assert "*Managers*" in text
    assert [m.user_id for m in weekly.summary.managers] == [
        "UCORA",
        "UALI",
        "UNED",
        "UOPAL",
        "UHAL",
    ]
    ali = weekly.summary.managers[1]
    assert (ali.members, ali.covered, ali.expected) == (4, 3, 2)
