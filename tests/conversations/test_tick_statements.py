"""The tick finds everything due, escalations included, in a fixed number of statements however
many barriers are open: counted with SQLAlchemy events at 5 and 50 open barriers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from conversations.actor import Actor
from conversations.schedule.due import due
from conversations.services import barrier
from storage import goals, people
from storage.db import transaction
from storage.models import GoalStatus
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile
from tests.helpers import counting_statements

TEAM = "T"
MONDAY = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # 09:00 in Berlin: everyone's check-in is due
# The snapshot's 11 reads (workspaces with their calendars, units with when each published,
# interviews, barriers, commitments, 1:1s, check-in settings, then people, goals, check-ins and
# check-ins sent of those in play), the escalations' 2 (lock, write), the budget's 2 (nudges
# owed; owed lately and held, together).
LIMIT = 15


def _org(engine: Engine, barriers: int) -> None:
    """Acme (Bea) → Sales (Max) with `barriers` members, each with an agreed goal and an open
    barrier held by Max: half reported a week ago (due to move up to Bea), half today."""
    members = [f"UM{i:04d}" for i in range(barriers)]
    with transaction(engine) as s:
        org = build_org(
            s,
            team_id=TEAM,
            profiles=[
                profile("UBEA", "Bea", tz="Europe/Berlin"),
                profile("UMAX", "Max", tz="Europe/Berlin"),
                *(profile(u, u, tz="Europe/Berlin") for u in members),
            ],
            units_=[UnitSpec("Acme", "UBEA"), UnitSpec("Sales", "UMAX", "Acme", tuple(members))],
            cycle=("FY27", date(2026, 10, 1), date(2027, 12, 31)),
            objectives_=[ObjectiveSpec("Acme", "Grow")],
            now=MONDAY - timedelta(days=30),
            synced=True,
        )
        for user in members:
            goal = goals.create_goal(
                session=s,
                team_id=TEAM,
                owner_id=org.ids[user],
                unit_id=org.units["Sales"].id or 0,
                cycle_id=org.cycle.id or 0 if org.cycle else 0,
                objective_id=None,
                statement="x",
            )
            goals.update_goal(session=s, goal=goal, now=MONDAY, status=GoalStatus.AGREED)
    for n, user in enumerate(members):
        with transaction(engine) as s:
            person = people.get_person(session=s, team_id=TEAM, user_id=user)
            assert person is not None
            actor = Actor(team_id=TEAM, person=person, is_admin=False)
            at = MONDAY - timedelta(days=7 if n % 2 == 0 else 0)
            barrier.report(session=s, actor=actor, text=f"Blocked {n}", now=at)


@pytest.mark.parametrize("barriers", [5, 50])
def test_the_tick_finds_who_is_due_in_a_fixed_number_of_statements(
    engine: Engine, barriers: int
) -> None:
    _org(engine, barriers)
    with counting_statements(engine) as counted, transaction(engine) as s:
        found = due(session=s, now=MONDAY, admin_ids=frozenset())
    statements = [
        q for q in counted if not q.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))
    ]
    assert len(found[TEAM].escalated) >= (barriers + 1) // 2  # each moved up, Bea told
    print(f"{barriers} open barriers: {len(statements)} statements")
    assert len(statements) <= LIMIT  # the same at 5 and 50 (printed)
