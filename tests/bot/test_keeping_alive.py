"""Keeping goals alive end to end, through signed requests: the check-in modal, barriers and
their buttons, pausing, closing a goal, and `cascade tick` from the command line."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.sandbox.fake_slack import Message
from bot.tick import run_tick
from conversations import clock
from storage import goals, outbox, people, units
from storage.db import transaction
from storage.models import GoalStatus
from tests.bot.conftest import Walk, publish_sales, publish_top
from tests.conftest import ALICE, BOB, CAROL, OWNER
from tests.helpers import cli_env, snapshot


def agreed_goal(w: Walk, user: str = BOB, *, publish: bool = True, **fields: object) -> int:
    """Publish the cascade, then give `user` an agreed goal (as the interview and Agree would)."""
    if publish:
        publish_top(w)
        publish_sales(w)
        w.expect(BOB, "Set your personal goals")  # every invitation delivered: Slack is quiet
        w.expect(CAROL, "Set your personal goals")
    now = datetime.now(UTC)
    published = snapshot(w.r.engine)["objectives"]
    with transaction(w.r.engine) as s:
        person = people.get_person(session=s, team_id=w.r.fake.team_id, user_id=user)
        sales = units.find_unit(session=s, team_id=w.r.fake.team_id, name="Sales")
        assert person and person.id and sales and sales.id
        [objective] = [o for o in published if o["unit_id"] == str(sales.id)]
        goal = goals.create_goal(
            session=s,
            team_id=w.r.fake.team_id,
            owner_id=person.id,
            unit_id=sales.id,
            cycle_id=int(objective["cycle_id"]),
            objective_id=int(objective["id"]),
            statement="Sign 10 enterprise customers",
            now=now,
        )
        values = {"status": GoalStatus.AGREED, "due": date(2027, 3, 31), "agreed_at": now}
        goals.update_goal(session=s, goal=goal, now=now, **{**values, **fields})
        return goal.id or 0


def buttons(message: Message) -> list[str]:
    return [
        e["text"]["text"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]
    ]


def test_check_in_with_nothing_agreed_says_why(walk: Walk) -> None:
    walk.command(BOB, "checkin")
    message = walk.expect(BOB, "no agreed goals")
    assert message.ephemeral_to == BOB and walk.r.fake.top_modal(BOB) is None


def test_the_check_in_modal_checks_its_fields_then_records_and_reports(walk: Walk) -> None:
    w = walk
    goal_id = agreed_goal(w)
    w.command(BOB, "checkin")
    modal = w.r.fake.wait_for(lambda f: f.top_modal(BOB))
    labels = [b["label"]["text"] for b in modal["blocks"] if b["type"] == "input"]
    assert labels == [
        "Progress, 0–100 %",
        "Confidence",
        "Note",
        "Anything in the way?",
    ]
    confidence = {"type": "static_select", "selected_option": {"value": "at_risk"}}
    for bad in ("150", "abc", "-3", ""):
        reply = w.r.slack.submit(
            BOB, {f"progress_{goal_id}": {"value": bad}, f"confidence_{goal_id}": confidence}
        )
        answer = reply.json()
        assert answer["response_action"] == "errors"
        assert "whole number from 0 to 100" in answer["errors"][f"progress_{goal_id}"]
    assert snapshot(w.r.engine)["checkins"] == []
    w._mark(BOB)
    w._mark(ALICE)
    reply = w.r.slack.submit(
        BOB,
        {
            f"progress_{goal_id}": {"value": "40"},
            f"confidence_{goal_id}": confidence,
            f"note_{goal_id}": {"value": "Two pilots signed"},
            "in_the_way": {"value": "<!channel> Legal hasn't reviewed the pilot contract"},
        },
    )
    assert reply.json() == {}
    done = w.expect(BOB, "Check-in recorded")
    assert "40%" in done.text and "at risk" in done.text and "Two pilots signed" in done.text
    to_alice = w.expect(ALICE, "reports something in the way")
    assert buttons(to_alice) == ["Acknowledge", "Resolved", "Escalate"]
    assert "<!channel>" not in to_alice.text and "&lt;!channel&gt;" in to_alice.text
    data = snapshot(w.r.engine)
    [checkin] = data["checkins"]
    assert (checkin["progress"], checkin["confidence"], checkin["person_id"]) == (
        40,
        "at_risk",
        BOB,
    )
    [goal] = data["goals"]
    assert (goal["progress"], goal["confidence"]) == (40, "at_risk")
    [barrier] = data["barriers"]
    assert barrier["holder_id"] == ALICE and barrier["reporter_id"] == BOB
    assert set(barrier) == {
        "id", "team_id", "reporter_id", "goal_id", "text", "status", "holder_id",
        "reported_at", "acknowledged_at", "resolved_at",
    }  # fmt: skip


def test_barriers_are_reported_acknowledged_escalated_and_listed(walk: Walk) -> None:
    w = walk
    agreed_goal(w)
    w.command(BOB, "barrier")
    assert "Tell me what's in the way" in w.expect(BOB, "what's in the way").text
    w.command(BOB, "barrier    ")
    w.expect(BOB, "Tell me what's in the way")
    assert snapshot(w.r.engine)["barriers"] == []
    w.command(BOB, 'barrier We can\'t get "prod" access — waiting 3 weeks 🙃')
    assert f"<@{ALICE}> has it now" in w.expect(BOB, "Reported").text
    to_alice = w.expect(ALICE, "reports something in the way")
    assert 'can\'t get "prod" access' in to_alice.text.replace("&quot;", '"')
    w.click(ALICE, to_alice, "Acknowledge")
    w.expect(BOB, "acknowledged what you reported")
    w.r.fake.wait_for(lambda f: buttons(to_alice) == ["Resolved", "Escalate"])
    w.click(ALICE, to_alice, "Escalate")
    to_olga = w.expect(OWNER, "Escalated to you")
    w.expect(BOB, "is now with")
    # Alice's message no longer offers what is now Olga's to do, and says why (her click rewrote
    # it; the retiring of older messages about the barrier spares it).
    w.r.fake.wait_for(
        lambda f: buttons(to_alice) == [] and f"Escalated to <@{OWNER}>" in str(to_alice.blocks)
    )
    assert "the buttons are theirs now" not in str(to_alice.blocks)
    assert buttons(to_olga) == ["Acknowledge", "Resolved", "Escalate"]
    w.command(BOB, "barriers")
    listing = w.expect(BOB, "Open barriers you reported or hold")
    assert "0 days old" in listing.text and "Olga" in listing.text or OWNER in listing.text
    w.command(OWNER, "barriers")
    assert "You hold it" in w.expect(OWNER, "Open barriers").text
    w.command(CAROL, "barriers")
    assert "no open barriers" in w.expect(CAROL, "no open barriers").text  # not Carol's to see
    w.command(BOB, "barrier " + "x" * 5000)
    assert "kept the first 3000" in w.expect(BOB, "Reported").text


def test_only_the_holder_acts_on_a_barrier(walk: Walk) -> None:
    w = walk
    agreed_goal(w)
    w.command(BOB, "barrier No budget for travel")
    to_alice = w.expect(ALICE, "reports something in the way")
    w.click(CAROL, to_alice, "Acknowledge")
    w.expect(CAROL, "Only the person who holds this barrier")
    assert snapshot(w.r.engine)["barriers"][0]["status"] == "open"


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("pause", "can't read"),
        ("pause soon", "can't read"),
        ("pause -2w", "at least a day"),
        ("pause 0d", "at least a day"),
        ("pause 400d", "a year at most"),
        ("pause 2 fortnights", "can't read"),
        ("pause until 2020-01-01", "isn't after today"),
        ("pause until tomorrow", "YYYY-MM-DD"),
        ("pause until 2099-01-01", "a year at most"),
    ],
)
def test_a_bad_pause_is_refused_and_changes_nothing(walk: Walk, text: str, answer: str) -> None:
    walk.command(BOB, text)
    reply = walk.expect(BOB, "right form")
    assert answer in reply.text, reply.text
    assert "/goals pause 2w" in reply.text
    with transaction(walk.r.engine) as s:
        bob = people.get_person(session=s, team_id=walk.r.fake.team_id, user_id=BOB)
        assert bob and bob.paused_until is None


def test_pause_and_resume(walk: Walk) -> None:
    walk.command(BOB, "pause 2w")
    until = clock.local_date(datetime.now(UTC), "Asia/Tokyo") + timedelta(days=14)  # Bob's today
    assert f"{until:%a %-d %b %Y}" in walk.expect(BOB, "Paused").text
    walk.command(BOB, "pause until 2027-03-01")
    assert "Mon 1 Mar 2027" in walk.expect(BOB, "Paused").text
    walk.command(BOB, "resume")
    assert "Resumed" in walk.expect(BOB, "Resumed").text
    walk.command(BOB, "resume")
    walk.expect(BOB, "weren't paused")


def test_closing_a_goal_from_its_nudge(walk: Walk) -> None:
    w = walk
    goal_id = agreed_goal(w, due=date(2026, 1, 5))
    run_tick(w.r.services, datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # Tuesday 10:00 in Tokyo
    ask = w.expect(BOB, "past its due date")
    assert buttons(ask) == ["Achieved", "Missed", "Dropped"]
    w.click(BOB, ask, "Achieved")
    w.expect(BOB, "what did you learn")
    w.dm(BOB, "Start legal review in week one")
    w.expect(BOB, "Closed as *achieved*")
    w.expect(ALICE, "closed a goal as *achieved*")
    [goal] = snapshot(w.r.engine)["goals"]
    assert goal["status"] == "achieved" and goal["id"] == str(goal_id)
    w.click(BOB, ask, "Missed")  # the nudge again, after it is closed
    w.expect(BOB, "nothing to close")
    assert snapshot(w.r.engine)["goals"][0]["status"] == "achieved"


def test_an_anticipated_barrier_is_reported_in_one_click(walk: Walk) -> None:
    w = walk
    agreed_goal(
        w,
        status=GoalStatus.PROPOSED,
        owner_agreed_at=datetime.now(UTC),
        anticipated_barriers="Legal review of pilots",
    )
    goal_id = snapshot(w.r.engine)["goals"][0]["id"]
    w.click(ALICE, _proposal(w, goal_id), "Agree")
    agreed = w.expect(BOB, "agreed your goal")
    w.click(BOB, agreed, "It's in the way now")
    w.expect(BOB, "Reported")
    assert "Legal review of pilots" in w.expect(ALICE, "reports something in the way").text


def _proposal(w: Walk, goal_id: str) -> Message:
    """A message with the Agree button for this goal, as Alice would have it."""
    message = w.r.fake.post_as_person(ALICE, "(the proposal)")
    message.user = w.r.fake.bot_user_id
    message.blocks = [
        {"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Agree"},
             "action_id": "goal_agree", "value": goal_id},
        ]},
    ]  # fmt: skip
    return message


# -- cascade tick ----------------------------------------------------------------------------


def tick_process(w: Walk, at: datetime, *extra: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "tick", "--at", at.isoformat(), *extra],
        cwd=cwd,
        env=cli_env(w.r),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


MONDAY_NINE_TOKYO = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Bob is in Tokyo


def test_cascade_tick_dry_run_lists_and_sends_nothing(walk: Walk, tmp_path: Path) -> None:
    w = walk
    agreed_goal(w)
    earlier = outbox.Owed(w.r.fake.team_id, "plan_nudge", CAROL, {"text": "Plan Sales"})
    with transaction(w.r.engine) as s:  # owed by an earlier tick, not delivered yet
        outbox.enqueue(session=s, messages=[earlier], now=MONDAY_NINE_TOKYO - timedelta(hours=1))
    done = tick_process(w, MONDAY_NINE_TOKYO, "--dry-run", cwd=tmp_path)
    out, err = done.communicate(timeout=60)
    assert done.returncode == 0, err
    assert "checkin → UBOB" in out and "nothing was sent" in out
    assert "1 earlier message still to deliver:" in out and f"plan_nudge → {CAROL}" in out
    assert not [m for m in w.r.fake.replies_for(BOB) if "weekly check-in" in m.text]
    with transaction(w.r.engine) as s:  # and nothing was claimed either
        assert not [m for m in outbox.list_messages(session=s) if m.kind == "checkin"]


def test_two_tick_processes_at_the_same_instant_send_once(walk: Walk, tmp_path: Path) -> None:
    w = walk
    agreed_goal(w)
    agreed_goal(w, CAROL, publish=False)  # Sydney: 11:00 there, two hours after her 09:00
    runs = [tick_process(w, MONDAY_NINE_TOKYO, cwd=tmp_path) for _ in range(2)]
    outputs = [run.communicate(timeout=90) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    for user in (BOB, CAROL):
        checkins = [m for m in w.r.fake.replies_for(user) if "weekly check-in" in m.text]
        assert len(checkins) == 1, user
    sent = sum(int(out.split("sent ")[1].split(",")[0]) for out, _ in outputs)
    assert sent == 2  # between them, each check-in was sent by one process


def test_a_bad_instant_is_refused(walk: Walk, tmp_path: Path) -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "bot.cli", "tick", "--at", "next tuesday"],
        cwd=tmp_path,
        env=cli_env(walk.r),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "ISO-8601" in bad.stderr


def test_a_manager_sees_their_team_and_what_needs_them(walk: Walk) -> None:
    w = walk
    agreed_goal(w)
    agreed_goal(
        w, CAROL, publish=False, status=GoalStatus.PROPOSED, owner_agreed_at=datetime.now(UTC)
    )
    w.command(BOB, "barrier The CRM is down")
    w.expect(ALICE, "reports something in the way")
    w.command(ALICE, "team")
    team = w.expect(ALICE, "*Sales* · 2 members")
    assert f"<@{BOB}> — 1 agreed" in team.text and "no check-in yet" in team.text
    assert f"<@{CAROL}> — 0 agreed, 1 awaiting agreement" in team.text
    assert "1 goal awaits your agreement" in team.text and "The CRM is down" in team.text
    w.command(BOB, "team")
    assert "Only managers have a team" in w.expect(BOB, "Only managers").text


def test_a_long_barrier_is_quoted_shortened_saying_so_and_each_line_stays_a_quote(
    walk: Walk,
) -> None:
    w = walk
    agreed_goal(w)
    long = " ".join(["Legal has not signed the pilot contract yet"] * 70)  # ~3,000 characters
    w.command(BOB, f"barrier {long}")
    reported = w.expect(BOB, "Reported")
    to_alice = w.expect(ALICE, "reports something in the way")
    for told in (reported, to_alice):
        assert (
            len(told.text) < 1200 and f"{len(long[:3000].strip())} characters in all" in told.text
        )
    w.command(BOB, "barrier First line\nSecond line")
    quoted = w.expect(ALICE, "Second line").text
    assert ">First line\n>Second line" in quoted  # a quote, line by line, not "&gt;" shown


def test_objectives_past_the_limit_are_refused_whole_and_a_long_review_is_one_fair_message(
    walk: Walk,
) -> None:
    w = walk
    w.command(OWNER, "plan")
    w.expect(OWNER, "Type an objective")
    w.dm(OWNER, "Expand into " + "new markets " * 420)
    refused = w.expect(OWNER, "characters: an objective is one line")
    assert "Expand" not in refused.text
    assert snapshot(w.r.engine)["objectives"] == []  # nothing was cut and kept unseen
    for n in range(30):
        w.dm(OWNER, f"Objective number {n}: " + "grow the business in region " * 9)
        w.expect(OWNER, f"Objective number {n}")
    w.dm(OWNER, "done")
    w.expect(OWNER, "Acme's objectives for FY27 H1")
    w.dm(OWNER, "pubish")  # a typo is met as a typo
    w.expect(OWNER, "Did you mean `publish`?")
    w.click(OWNER, w.expect(OWNER, "Acme's objectives for FY27 H1"), "Publish")
    w.expect(OWNER, "Published 30 objectives")
    sent = [m for m in w.r.fake.messages if m.user == w.r.fake.bot_user_id]
    assert [m.text[-200:] for m in sent if len(m.text) > 4000] == []
