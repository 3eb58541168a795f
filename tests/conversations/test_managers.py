"""How managers are doing, as plain data (conversations/views/managers.py): coverage, days to
agree, check-ins last week, hours to acknowledge a barrier, promises kept and open."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from conversations import clock
from conversations.views import managers
from storage import barriers, checkins, commitments, goals, people
from storage.db import reading, transaction
from storage.models import Confidence, GoalStatus
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile

NOW = datetime(2027, 2, 3, 12, tzinfo=UTC)  # a Wednesday
TEAM = "T1"


def test_each_managers_numbers(engine: Engine) -> None:
    with transaction(engine) as s:
        org = build_org(
            s,
            team_id=TEAM,
            profiles=[
                profile(u, u.title()) for u in ("UCEO", "UMAX", "UANA", "UBEN", "UCAT", "UOLGA")
            ],
            units_=[
                UnitSpec("Acme", "UCEO"),
                UnitSpec("Sales", "UMAX", "Acme", ("UANA", "UBEN", "UCAT")),
                UnitSpec("Ops", "UOLGA", "Acme"),
            ],
            cycle=("FY27", date(2027, 1, 1), date(2027, 12, 31)),
            objectives_=[ObjectiveSpec("Acme", "Grow"), ObjectiveSpec("Sales", "Sell", "Grow")],
            now=NOW - timedelta(days=40),
        )
        assert org.cycle is not None and org.cycle.id is not None
        ids = org.ids
        agreed = []
        # Ana's goal was agreed two days after she proposed it, Ben's four: a median of three.
        for user, days, linked in (("UANA", 2, True), ("UBEN", 4, True), ("UCAT", 1, False)):
            goal = goals.create_goal(
                session=s,
                team_id=TEAM,
                owner_id=ids[user],
                unit_id=org.units["Sales"].id or 0,
                cycle_id=org.cycle.id,
                objective_id=org.objectives["Sell"].id if linked else None,
                statement=f"Goal of {user}",
                now=NOW - timedelta(days=20),
            )
            proposed = NOW - timedelta(days=20)
            status = GoalStatus.AGREED if linked else GoalStatus.PROPOSED
            goals.update_goal(
                session=s,
                goal=goal,
                now=NOW,
                status=status,
                owner_agreed_at=proposed,
                agreed_at=proposed + timedelta(days=days) if linked else None,
                agreed_by_id=ids["UMAX"] if linked else None,
            )
            agreed.append(goal)
        # Last week, Ana checked in, Ben did not.
        last_week = clock.week_key(NOW - timedelta(days=7), "UTC")
        checkins.record_checkin(
            session=s,
            team_id=TEAM,
            goal_id=agreed[0].id or 0,
            person_id=ids["UANA"],
            progress=30,
            confidence=Confidence.ON_TRACK,
            at=NOW - timedelta(days=7),
            week=last_week,
        )
        # Max acknowledged two barriers, 6 and 10 hours after they reached him: 8 (median).
        for hours in (6, 10):
            found = barriers.report_barrier(
                session=s,
                team_id=TEAM,
                reporter_id=ids["UANA"],
                text="x",
                holder_id=ids["UMAX"],
                now=NOW - timedelta(days=3),
            )
            barriers.update_barrier(
                session=s,
                barrier=found,
                status="acknowledged",
                acknowledged_at=found.reported_at + timedelta(hours=hours),
            )
        # His promises: one kept, two open, one dropped.
        for status in ("done", "open", "open", "dropped"):
            made = commitments.add_commitment(
                session=s,
                team_id=TEAM,
                goal_id=agreed[0].id or 0,
                manager_id=ids["UMAX"],
                text="help",
                due=None,
                now=NOW,
            )
            commitments.update_commitment(session=s, commitment=made, status=status)
    with reading(engine) as s:
        max_, olga = (
            people.get_person(session=s, team_id=TEAM, user_id=u) for u in ("UMAX", "UOLGA")
        )
        assert max_ is not None and olga is not None
        found = managers.numbers(
            session=s, team_id=TEAM, managers=[max_, olga], cycle=org.cycle, now=NOW
        )
    mine, quiet = found
    assert (mine.members, mine.covered) == (3, 2)
    assert mine.days_to_agree == 3.0
    assert (mine.expected, mine.checked_in) == (2, 1)
    assert mine.hours_to_acknowledge == 8.0
    assert (mine.kept, mine.open, mine.dropped) == (1, 2, 1)
    assert (quiet.members, quiet.days_to_agree, quiet.hours_to_acknowledge) == (0, None, None)
