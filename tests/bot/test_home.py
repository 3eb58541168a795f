"""The App Home: what each role sees, its buttons, its limits at any size, its refresh, and the
fixed number of queries it takes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event

from bot.home import home_view
from bot.sandbox.fake_slack import validate_view
from conversations.actor import Actor
from conversations.services import barrier
from conversations.views import home, team
from storage import goals, people
from storage.db import transaction
from storage.models import GoalStatus
from tests.bot.conftest import Walk
from tests.bot.test_keeping_alive import agreed_goal
from tests.conftest import ADMIN, ALICE, BOB, CAROL
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile

NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)


def buttons(view: dict[str, Any]) -> list[str]:
    return [
        e["text"]["text"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]


def open_home(w: Walk, user: str) -> dict[str, Any]:
    w.r.fake.home_views.pop(user, None)
    w.r.slack.home_opened(user)
    view: dict[str, Any] = w.r.fake.wait_for(lambda f: f.home_views.get(user))
    return view


def test_everyone_sees_their_chain_next_check_in_barriers_and_three_buttons(walk: Walk) -> None:
    w = walk
    agreed_goal(w, progress=30, confidence="at_risk")
    w.command(BOB, "barrier Waiting on legal")
    w.expect(BOB, "Reported")
    view = open_home(w, BOB)
    text = json.dumps(view, ensure_ascii=False)
    assert "Grow revenue 20% in FY27 → Sign 10 new enterprise customers" in text
    assert "▓▓▓░░░░░░░" in text and "30%" in text and "at risk" in text
    assert "Your next check-in: Mon" in text  # Bob is in Tokyo: 09:00 his time
    assert "Waiting on legal" in text
    assert buttons(view)[-3:] == ["Set a goal", "Check in", "Report a barrier"]
    assert "Your team" not in text and "New cycle" not in buttons(view)
    # Carol has nothing agreed: no Check in button that could only say so somewhere else.
    assert buttons(open_home(w, CAROL))[-2:] == ["Set a goal", "Report a barrier"]


def test_a_manager_sees_the_team_and_decides_from_the_home(walk: Walk) -> None:
    w = walk
    agreed_goal(w)
    agreed_goal(w, CAROL, publish=False, status=GoalStatus.PROPOSED, owner_agreed_at=NOW)
    w.command(BOB, "barrier The CRM is down")
    w.expect(ALICE, "reports something in the way")
    view = open_home(w, ALICE)
    text = json.dumps(view, ensure_ascii=False)
    assert "*Sales* · 2 members" in text and "The CRM is down" in text
    assert {"Agree", "Suggest changes", "Acknowledge", "Resolved", "Escalate"} <= set(buttons(view))
    agree = next(
        e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Agree"
    )
    w._mark(CAROL)
    w.r.slack.action(ALICE, agree["action_id"], agree["value"], view_id=view["id"])
    w.expect(CAROL, "agreed your goal")
    # The change refreshes the Home of the manager, who has it open.
    refreshed = w.r.fake.wait_for(
        lambda f: (
            "awaits your agreement" not in json.dumps(f.home_views.get(ALICE) or {})
            and f.home_views.get(ALICE)
        )
    )
    assert "Agree" not in buttons(refreshed)


def test_an_admin_sees_coverage_and_new_cycle(walk: Walk) -> None:
    agreed_goal(walk)
    view = open_home(walk, ADMIN)
    text = json.dumps(view, ensure_ascii=False)
    assert "1 of" in text and "have an agreed goal linked" in text
    assert "New cycle" in buttons(view)


def test_a_barrier_reported_from_the_home(walk: Walk) -> None:
    w = walk
    agreed_goal(w)
    view = open_home(w, BOB)
    report = next(
        e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Report a barrier"
    )
    w.r.slack.action(BOB, report["action_id"], view_id=view["id"])
    modal = w.r.fake.wait_for(lambda f: f.top_modal(BOB))
    assert [b["label"]["text"] for b in modal["blocks"] if b["type"] == "input"] == [
        "What's in the way?"
    ]
    assert w.r.slack.submit(BOB, {"what": {"value": "  "}}).json()["response_action"] == "errors"
    w._mark(ALICE)
    assert w.r.slack.submit(BOB, {"what": {"value": "No test data"}}).json() == {}
    w.expect(ALICE, "No test data")


def big_team(engine: Engine, members: int) -> Actor:
    """A manager with `members` people: each proposes a goal and reports a barrier."""
    users = [f"UM{i:04d}" for i in range(members)]
    with transaction(engine) as s:
        org = build_org(
            s,
            team_id="T",
            profiles=[profile("UBOSS", "Boss"), profile("UTOP", "Top")]
            + [profile(u, f"Member {u} with a long name") for u in users],
            units_=[UnitSpec("Top", "UTOP"), UnitSpec("Big", "UBOSS", "Top", tuple(users))],
            cycle=("FY27", date(2027, 1, 1), date(2027, 12, 31)),
            objectives_=[ObjectiveSpec("Top", "Grow"), ObjectiveSpec("Big", "Sell", "Grow")],
            now=NOW - timedelta(days=10),
            synced=True,
        )
        for user in users:
            goal = goals.create_goal(
                session=s,
                team_id="T",
                owner_id=org.ids[user],
                unit_id=org.units["Big"].id or 0,
                cycle_id=org.cycle.id if org.cycle and org.cycle.id else 0,
                objective_id=org.objectives["Sell"].id,
                statement="Win a new account " + "x" * 80,
                now=NOW,
            )
            goals.update_goal(session=s, goal=goal, now=NOW, status=GoalStatus.PROPOSED)
        boss = people.get_person(session=s, team_id="T", user_id="UBOSS")
        assert boss is not None
    for user in users:
        with transaction(engine) as s:
            person = people.get_person(session=s, team_id="T", user_id=user)
            assert person is not None
            actor = Actor(team_id="T", person=person, is_admin=False)
            barrier.report(session=s, actor=actor, text="Blocked " + "y" * 200, now=NOW)
    return Actor(team_id="T", person=boss, is_admin=True)


@pytest.mark.parametrize("members", [20, 200])
def test_a_manager_of_many_stays_within_block_kit_in_a_fixed_number_of_queries(
    engine: Engine, members: int
) -> None:
    boss = big_team(engine, members)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with transaction(engine) as s:
            teams = team.teams_of(session=s, actor=boss, now=NOW)
        team_queries = len(statements)
        with transaction(engine) as s:
            view = home_view(home.home_of(session=s, actor=boss, now=NOW))
        home_queries = len(statements) - team_queries
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(teams[0].members) == members and len(teams[0].to_agree) == members
    print(f"{members} members: team {team_queries} queries, Home {home_queries}")
    assert team_queries <= 10
    assert home_queries <= 10  # the same at both sizes (tests/conversations/test_query_counts.py)
    validate_view(view)
    assert len(view["blocks"]) <= 100
    text = json.dumps(view)
    if members > 100:
        assert f"and {members - 100} more" in text  # members cut with a count
    assert "more waiting on you" in text  # goals and barriers beyond five: a count, a pointer
