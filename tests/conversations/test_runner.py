"""The runner: unknown steps, steps the table does not allow, and two open flows at once."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import Engine

from conversations.flows import engine as runner
from conversations.flows import goal_interview, objectives
from conversations.flows.spec import FlowError, Next
from storage import conversations, goals, units
from storage import objectives as objective_store
from storage.db import transaction
from tests.conversations.test_flows import NOW, TEAM, as_, say, seed, start, step, text_of


def test_an_unknown_step_is_a_clear_error_not_a_review(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    org = seed(engine)
    start(org, "UBOB", goal_interview.FLOW)
    with transaction(engine) as s:
        found = conversations.latest_conversation(
            session=s, team_id=TEAM, person_id=org.ids["UBOB"]
        )
        assert found is not None
        found.step = "renamed_in_a_later_version"
        s.add(found)
    with caplog.at_level(logging.ERROR, logger="cascade"):
        turn = say(org, "UBOB", "1")
    assert "can't carry on" in text_of(turn)
    assert any("renamed_in_a_later_version" in r.getMessage() for r in caplog.records)
    assert step(org, "UBOB") is None  # ended, not fallen through to the review


def test_a_step_the_table_does_not_allow_is_refused(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = seed(engine)
    start(org, "UBOB", goal_interview.FLOW)
    row = goal_interview.TABLE[goal_interview.S.OBJECTIVE]
    broken = row.__class__(row.ask, lambda ctx, text: Next(goal_interview.S.BARRIERS), row.to)
    monkeypatch.setitem(goal_interview.TABLE, goal_interview.S.OBJECTIVE, broken)
    with pytest.raises(FlowError, match="from objective to barriers"):
        say(org, "UBOB", "1")
    assert step(org, "UBOB") == "objective"  # the transaction rolled back


def test_typed_text_goes_to_the_flow_that_asked_last_and_clicks_to_their_own(
    engine: Engine,
) -> None:
    """Max plans Sales and sets his own goal at once; answers alternate, nothing crosses."""
    org = seed(engine)
    with transaction(engine) as s:
        sales = units.find_unit(session=s, team_id=TEAM, name="Sales")
        assert sales
    plan = start(org, "UMGR", objectives.FLOW, unit_id=sales.id)  # Sales published: review
    _, plan_buttons = plan.say[-1]
    interview = start(org, "UMGR", goal_interview.FLOW)  # the latest question: which objective
    _, interview_buttons = interview.say[-1]
    assert plan_buttons and interview_buttons

    say(org, "UMGR", "1")  # typed: the interview asked last
    assert step(org, "UMGR") == "statement"
    with transaction(engine) as s:  # a click on the plan's "add" goes to the plan
        turn = runner.reply(
            session=s,
            actor=as_(org, "UMGR"),
            text="add",
            now=NOW,
            today=NOW.date(),
            clicked=plan_buttons,
        )
    assert "Anything else Sales will do?" in text_of(turn)
    say(org, "UMGR", "1 Open the Nordic market")  # typed: now the plan asked last
    say(org, "UMGR", "done")
    assert step(org, "UMGR") == "review"
    assert "Published 1 objective" in text_of(say(org, "UMGR", "publish"))
    say(org, "UMGR", "Sign 10 enterprise customers by end of March")  # the interview again
    assert step(org, "UMGR") in ("coach", "read_back", "measure")
    with transaction(engine) as s:
        titles = [
            o.title
            for o in objective_store.list_objectives(session=s, team_id=TEAM, unit_id=sales.id)
        ]
        assert titles == ["Sell more", "Open the Nordic market"]
        [goal] = goals.list_goals(session=s, team_id=TEAM)
        assert goal.statement == "Sign 10 enterprise customers by end of March"
