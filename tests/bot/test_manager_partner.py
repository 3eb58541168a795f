"""The manager as coach and partner, end to end through signed requests: the proposal that
coaches, promises of help and their follow-up, confidence alerts, the 1:1 agenda."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from bot.tick import run_tick
from conversations import clock
from storage import barriers, commitments, people
from storage.db import transaction
from storage.export import export_workspace
from storage.models import CommitmentStatus
from tests.bot.conftest import Walk, interview, publish_sales, publish_top
from tests.bot.test_keeping_alive import agreed_goal, buttons
from tests.conftest import ADMIN, ALICE, BOB, CAROL, ROBOT
from tests.helpers import snapshot

NEW_YORK = "America/New_York"  # Alice's


def person_id(w: Walk, user: str) -> int:
    with transaction(w.r.engine) as s:
        found = people.get_person(session=s, team_id=w.r.fake.team_id, user_id=user)
        assert found is not None and found.id is not None
        return found.id


def check_in(w: Walk, user: str, goal_id: int, progress: str, confidence: str, **more: Any) -> None:
    w.command(user, "checkin")
    w.r.fake.wait_for(lambda f: f.top_modal(user))
    values = {
        f"progress_{goal_id}": {"value": progress},
        f"confidence_{goal_id}": {
            "type": "static_select",
            "selected_option": {"value": confidence},
        },
        **more,
    }
    w._mark(user)
    assert w.r.slack.submit(user, values).json() == {}
    w.expect(user, "Check-in recorded")


def promise(w: Walk, goal_id: int, text: str) -> None:
    """Alice promises help on a goal through the form, as *Say how I'll help* opens it."""
    w.r.slack.action(ALICE, "commitment_offer", str(goal_id))
    modal = w.r.fake.wait_for(lambda f: f.top_modal(ALICE))
    assert modal["callback_id"] == "commitment_help"
    assert w.r.slack.submit(ALICE, {"help": {"value": text}}).json() == {}


def test_the_proposal_coaches_and_agreeing_is_one_click(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w)
    coached = interview(w)  # "Improve onboarding": vague, so the coach asks
    w.click(BOB, coached, "Keep my wording")
    w.expect(BOB, "How will you and your manager know")
    w.dm(BOB, "10 signed contracts")
    w.expect(BOB, "When is it due?")
    w.dm(BOB, "end of March")
    w.expect(BOB, "Anything you expect to get in your way?")
    w.dm(BOB, "Legal reviews take weeks")
    review = w.expect(BOB, "Your goal, ready to send")
    w.click(BOB, review, "Submit")
    proposal = w.expect(ALICE, "proposes a goal for your agreement")
    # The chain it serves, the coach's reading, the barriers Bob expects, and one question.
    assert "Grow revenue 20% in FY27" in proposal.text  # Acme's objective
    assert "Sign 10 new enterprise customers" in proposal.text  # Sales' objective
    assert "The coach's reading:" in proposal.text and "measurable" in proposal.text.lower()
    assert "Legal reviews take weeks" in proposal.text
    assert proposal.text.count("A question for your conversation") == 1
    assert buttons(proposal) == ["Agree", "Suggest changes"]
    w.click(ALICE, proposal, "Agree")  # one click: "How will you help?" is optional
    w.expect(BOB, "agreed your goal")
    [goal] = snapshot(w.r.engine)["goals"]
    assert goal["status"] == "agreed"
    w.r.fake.wait_for(lambda f: "You agreed" in proposal.text)
    assert "How will you help?" in proposal.text
    assert buttons(proposal) == ["Say how I'll help"]
    assert snapshot(w.r.engine)["commitments"] == []


def test_a_promise_reaches_the_owner_the_agenda_the_check_in_and_the_export(walk: Walk) -> None:
    w = walk
    goal_id = agreed_goal(w)
    w._mark(BOB)
    promise(w, goal_id, "Get you CRM access by 2027-02-05\nJoin your first Nordic call")
    told = w.expect(BOB, "will:")
    assert f"<@{ALICE}>" in told.text and "Get you CRM access" in told.text
    assert "due Fri 5 Feb 2027" in told.text and "Join your first Nordic call" in told.text
    made = snapshot(w.r.engine)["commitments"]
    assert [(c["text"][:18], c["due"], c["status"]) for c in made] == [
        ("Get you CRM access", "2027-02-05", "open"),
        ("Join your first No", None, "open"),
    ]
    with transaction(w.r.engine) as s:
        exported = export_workspace(session=s, team_id=w.r.fake.team_id)["commitments"]
    assert {c["manager_id"] for c in exported} == {ALICE} and exported[0]["goal_id"] == str(goal_id)

    w.command(ALICE, f"1on1 <@{BOB}>")
    agenda = w.expect(ALICE, "1:1 agenda")
    assert "Get you CRM access" in agenda.text and agenda.ephemeral_to == ALICE

    monday = clock.at_local(date(2026, 12, 7), time(9), NEW_YORK)  # Alice's check-in
    w._mark(ALICE)
    run_tick(w.r.services, monday)
    weekly = w.expect(ALICE, "The help you promised")
    assert buttons(weekly).count("Done") == 2
    w._mark(BOB)
    w.click(ALICE, weekly, "Done")
    w.expect(BOB, "is done")
    assert [c["status"] for c in snapshot(w.r.engine)["commitments"]] == ["done", "open"]


def test_help_not_come_past_its_date_is_a_barrier_the_manager_holds(walk: Walk) -> None:
    w = walk
    goal_id = agreed_goal(w)
    with transaction(w.r.engine) as s:
        late = commitments.add_commitment(
            session=s,
            team_id=w.r.fake.team_id,
            goal_id=goal_id,
            manager_id=person_id(w, ALICE),
            text="Introduce you to the Nordic partner",
            due=date(2026, 11, 1),
            now=datetime(2026, 10, 20, tzinfo=UTC),
        )
    w.command(BOB, "checkin")
    modal = w.r.fake.wait_for(lambda f: f.top_modal(BOB))
    assert any("Did the help come?" in b["label"]["text"] for b in modal["blocks"] if "label" in b)
    w._mark(ALICE)
    check_in(
        w,
        BOB,
        goal_id,
        "30",
        "on_track",
        **{f"help_{late.id}": {"type": "static_select", "selected_option": {"value": "not_yet"}}},
    )
    held = w.expect(ALICE, "reports something in the way")
    assert "Introduce you to the Nordic partner" in held.text
    [barrier] = snapshot(w.r.engine)["barriers"]
    assert barrier["holder_id"] == ALICE and barrier["reporter_id"] == BOB
    with transaction(w.r.engine) as s:
        found = commitments.get_commitment(
            session=s, team_id=w.r.fake.team_id, commitment_id=late.id or 0
        )
        assert found is not None and found.barrier_id is not None
        assert found.status == CommitmentStatus.OPEN  # still owed: the barrier escalates like any
        assert barriers.get_barrier(
            session=s, team_id=w.r.fake.team_id, barrier_id=found.barrier_id
        )


def test_off_track_alerts_the_manager_once_and_a_paused_one_on_resume(walk: Walk) -> None:
    w = walk
    goal_id = agreed_goal(w)
    carol_goal = agreed_goal(w, CAROL, publish=False)
    w._mark(ALICE)
    note = {f"note_{goal_id}": {"value": "<!channel> We lost the champion at Nordea"}}
    check_in(w, BOB, goal_id, "20", "off_track", **note)
    alert = w.expect(ALICE, "check-in")
    assert "Sign 10 enterprise customers" in alert.text and "off track" in alert.text
    assert "We lost the champion" in alert.text and "&lt;!channel&gt;" in alert.text
    assert "A question to ask" in alert.text and buttons(alert) == ["Add to our 1:1"]
    check_in(w, BOB, goal_id, "20", "off_track", **note)  # the same check-in again
    w.click(ALICE, alert, "Add to our 1:1")
    w.expect(ALICE, "Added to your next 1:1")
    alerts = [m for m in w.r.fake.replies_for(ALICE) if "check-in:" in m.text]
    assert len(alerts) == 1

    w.command(ALICE, "pause 2w")
    w.expect(ALICE, "Paused")
    w._mark(ALICE)
    check_in(w, CAROL, carol_goal, "10", "at_risk")
    assert not [m for m in w.r.fake.replies_for(ALICE)[w.seen[ALICE] :] if "check-in:" in m.text]
    w.command(ALICE, "resume")
    resumed = w.expect(ALICE, "Resumed")
    assert "While you were paused" in resumed.text and f"<@{CAROL}>" in resumed.text


def test_the_agenda_is_the_pairs_only(walk: Walk) -> None:
    w = walk
    agreed_goal(w)
    w.command(CAROL, f"1on1 <@{BOB}>")
    refused = w.expect(CAROL, "private to a manager and a direct report")
    assert f"<@{ALICE}>" in refused.text and "Goals" not in refused.text
    w.command(ADMIN, f"1on1 <@{BOB}>")
    w.expect(ADMIN, "private to a manager and a direct report")
    w.command(BOB, f"1on1 <@{ALICE}>")
    agenda = w.expect(BOB, "1:1 agenda")
    assert "Sign 10 enterprise customers" in agenda.text
    w.click(BOB, agenda, "Add a topic")
    w.r.fake.wait_for(lambda f: f.top_modal(BOB))
    w.r.slack.submit(BOB, {"topic": {"value": "<!channel> travel budget"}})
    w.expect(BOB, "Added to your next 1:1")
    w.command(ALICE, f"1on1 <@{BOB}>")
    theirs = w.expect(ALICE, "1:1 agenda")
    assert "&lt;!channel&gt; travel budget" in theirs.text and "<!channel>" not in theirs.text


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("1on1", "Name the person"),
        (f"1on1 <@{BOB}>", "name someone else than yourself"),
        (f"1on1 <@{ROBOT}>", "bot"),
        (f"1on1 <@{ALICE}> every", "as a weekly slot"),
        (f"1on1 <@{ALICE}> every thu 25:99", "as a weekly slot"),
        (f"1on1 <@{ALICE}> every someday 10:00", "as a weekly slot"),
        (f"1on1 <@{ALICE}> sometimes", "as a weekly slot"),
    ],
)
def test_bad_1on1_input_says_the_right_form_and_changes_nothing(
    walk: Walk, text: str, answer: str
) -> None:
    before = snapshot(walk.r.engine)
    walk.command(BOB, text)
    said = walk.expect(BOB, answer)
    assert "The right form" in said.text and "/goals 1on1 @someone" in said.text
    assert snapshot(walk.r.engine) == before


def test_a_five_thousand_character_promise_is_refused_whole(walk: Walk) -> None:
    goal_id = agreed_goal(walk)
    before = snapshot(walk.r.engine)
    walk.r.slack.action(ALICE, "commitment_offer", str(goal_id))
    walk.r.fake.wait_for(lambda f: f.top_modal(ALICE))
    reply = walk.r.slack.submit(ALICE, {"help": {"value": "x" * 5000}}).json()
    assert reply["response_action"] == "errors" and "at most 500" in reply["errors"]["help"]
    assert snapshot(walk.r.engine) == before


def test_the_scheduled_agenda_comes_two_hours_before_across_daylight_saving(walk: Walk) -> None:
    w = walk
    agreed_goal(w)
    w.command(ALICE, f"1on1 <@{BOB}> every thu 10:00")
    w.expect(ALICE, "Every Thursday at 10:00")
    for thursday in (date(2027, 3, 11), date(2027, 3, 18)):  # New York moves its clocks on 14 Mar
        start = clock.at_local(thursday, time(6), NEW_YORK)
        for hour in range(5):
            run_tick(w.r.services, start + timedelta(hours=hour))
        run_tick(w.r.services, start + timedelta(hours=2))  # a tick twice sends nothing twice
    for user in (ALICE, BOB):
        sent = [m for m in w.r.fake.replies_for(user) if "Your 1:1 is at" in m.text]
        assert len(sent) == 2, user
        assert all("10:00 today" in m.text for m in sent)
    with transaction(w.r.engine) as s:
        rows = [r for r in goals_outbox(s, w) if r.kind == "one_on_one_agenda"]
    local = sorted({r.created_at.astimezone(clock.zone(NEW_YORK)).strftime("%H:%M") for r in rows})
    assert local == ["08:00"]


def goals_outbox(s: Any, w: Walk) -> list[Any]:
    from storage import outbox

    return outbox.list_messages(session=s, team_id=w.r.fake.team_id)
