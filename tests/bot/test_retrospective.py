"""The cycle retrospective, end to end: the first working day after a cycle ends, 09:00 in the
workspace's time, each manager gets their part with the lessons written below them; the summary
channel gets the organisation's without them; once; Plan the next cycle brings the unfinished
objectives back as drafts."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

from bot.tick import run_tick
from conversations import clock
from storage import goals, people
from storage.db import transaction
from storage.models import GoalStatus
from tests.bot.conftest import Walk
from tests.bot.test_keeping_alive import agreed_goal, buttons, tick_process
from tests.conftest import ADMIN, ALICE, CAROL, OWNER
from tests.helpers import snapshot

BERLIN = "Europe/Berlin"  # the head of the organisation's (Olga's): the workspace's time
LESSON = "Start the legal review in week one"


def close(w: Walk, goal_id: int, status: GoalStatus, learning: str) -> None:
    now = datetime(2027, 6, 20, tzinfo=UTC)
    with transaction(w.r.engine) as s:
        goal = goals.get_goal(session=s, team_id=w.r.fake.team_id, goal_id=goal_id)
        assert goal is not None
        goals.update_goal(session=s, goal=goal, now=now, status=status, learning=learning)


def test_the_retrospective_goes_once_lessons_only_up_the_chain(walk: Walk) -> None:
    w = walk
    w.r.fake.add_channel("C0LEAD", "leadership")
    w.command(ADMIN, "settings summary #leadership")
    w.expect(ADMIN, "will go to")
    bob = agreed_goal(w)
    carol = agreed_goal(w, CAROL, publish=False)
    close(w, bob, GoalStatus.ACHIEVED, LESSON)
    close(w, carol, GoalStatus.MISSED, "Pilots need a sponsor")
    # FY27 H1 ends on Wednesday 30 June: the look back is Thursday 1 July, 09:00 in Berlin.
    nine = clock.at_local(datetime(2027, 7, 1).date(), time(9), BERLIN)
    for at in (nine.replace(hour=nine.hour - 1), nine, nine):  # an hour early, then twice
        run_tick(w.r.services, at)
    looked_back = [m for m in w.r.fake.replies_for(ALICE) if "has ended: a look back" in m.text]
    assert len(looked_back) == 1
    [alice] = looked_back
    assert "*1* achieved" in alice.text and "1 missed" in alice.text
    assert LESSON in alice.text and "Pilots need a sponsor" in alice.text
    assert buttons(alice) == ["Plan the next cycle"]
    head = [m for m in w.r.fake.replies_for(OWNER) if "has ended: a look back" in m.text]
    assert len(head) == 1 and LESSON in head[0].text  # above the writer too
    channel = [m for m in w.r.fake.messages if m.channel == "C0LEAD"]
    assert len(channel) == 1 and "the organisation looks back" in channel[0].text
    assert LESSON not in channel[0].text and "sponsor" not in channel[0].text
    assert "1 achieved" in channel[0].text

    # No next cycle yet: planning says so. Once an admin adds one, Olga plans it from hers,
    # Acme's objectives (no achieved goal served them) carried over as drafts.
    w.click(OWNER, head[0], "Plan the next cycle")
    w.expect(OWNER, "no cycle after *FY27 H1* yet")
    w.command(ADMIN, 'cycle add "FY27 H2" 2027-07-01 2027-12-31')
    w.expect(ADMIN, "Cycle *FY27 H2*")
    w.click(OWNER, head[0], "Plan the next cycle")
    review = w.expect(OWNER, "Acme's objectives for FY27 H2")
    assert "Grow revenue 20% in FY27" in review.text
    data = snapshot(w.r.engine)
    h2 = next(c for c in data["cycles"] if c["name"] == "FY27 H2")
    carried = [o for o in data["objectives"] if o["cycle_id"] == h2["id"]]
    assert sorted(o["title"] for o in carried) == [
        "Delight our customers",
        "Grow revenue 20% in FY27",
    ]
    assert {o["status"] for o in carried} == {"draft"}
    with transaction(w.r.engine) as s:
        assert people.get_person(session=s, team_id=w.r.fake.team_id, user_id=OWNER)


def test_two_tick_processes_at_the_look_backs_hour_send_it_once(walk: Walk, tmp_path: Path) -> None:
    w = walk
    w.r.fake.add_channel("C0LEAD", "leadership")
    w.command(ADMIN, "settings summary #leadership")
    w.expect(ADMIN, "will go to")
    close(w, agreed_goal(w), GoalStatus.ACHIEVED, LESSON)
    nine = clock.at_local(datetime(2027, 7, 1).date(), time(9), BERLIN)
    runs = [tick_process(w, nine, cwd=tmp_path) for _ in range(2)]
    outputs = [run.communicate(timeout=90) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    for user in (ALICE, OWNER):
        looked_back = [m for m in w.r.fake.replies_for(user) if "a look back" in m.text]
        assert len(looked_back) == 1, user
    channel = [m for m in w.r.fake.messages if m.channel == "C0LEAD"]
    assert len(channel) == 1 and LESSON not in channel[0].text
