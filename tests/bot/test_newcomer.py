"""The cascade as a newcomer meets it, end to end through signed requests: cycles that never hide
goals, an interview that listens, flows that never strand anyone, commands that forgive typos and
teach by example, people told what concerns them, and messages that read right."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.sandbox.fake_slack import Message
from conversations.coach.review import review as coach_review
from storage import goals
from storage.db import transaction
from storage.models import GoalStatus, OutboxMessage, OutboxStatus
from storage.outbox import RETIRING
from tests.bot.test_cascade import Walk, publish_sales, publish_top
from tests.conftest import ADMIN, ALICE, BOB, CAROL, DAVE, OWNER, Running
from tests.helpers import snapshot

pytestmark = pytest.mark.now("2027-04-11T09:00:00+00:00")  # FY27 H1 is running


@pytest.fixture
def walk(running: Running) -> Walk:
    w = Walk(running)
    w.command(ADMIN, 'cycle add "FY27 H1" 2027-01-01 2027-06-30')
    w.expect(ADMIN, "is running: it's the active cycle")
    w.command(ADMIN, f'unit add "Acme" manager:<@{OWNER}>')
    w.expect(ADMIN, "created")
    w.command(ADMIN, f'unit add "Sales" parent:"Acme" manager:<@{ALICE}>')
    w.expect(ADMIN, "created")
    w.command(ADMIN, f'unit members "Sales" <@{BOB}> <@{CAROL}>')
    w.expect(ADMIN, "updated")
    return w


def buttons(message: Message) -> list[str]:
    return [
        e["text"]["text"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]
    ]


def set_goal(w: Walk, statement: str) -> Message:
    """Bob starts a goal for Sales' one objective; returns what Cascade says to the statement."""
    w.command(BOB, "set")
    question = w.expect(BOB, "Which of Sales' objectives")
    w.click(BOB, question, "1.")
    w.expect(BOB, "What's your goal?")
    w.dm(BOB, statement)
    return w.expect(BOB, "?")


def agreed_goal(w: Walk) -> None:
    """Bob's goal, read back from its statement, submitted and agreed by Alice."""
    read_back = set_goal(w, "Sign 10 enterprise customers by end of May")
    w.click(BOB, w.expect(BOB, "Your goal already says"), "Yes, that's right")
    w.expect(BOB, "Anything you expect")
    w.dm(BOB, "none")
    w.click(BOB, w.expect(BOB, "ready to send"), "Submit")
    w.click(ALICE, w.expect(ALICE, "proposes a goal"), "Agree")
    w.expect(BOB, "agreed your goal")
    assert read_back is not None


def home_of(w: Walk, user: str) -> str:
    before = str(w.r.fake.home_views.get(user))
    w.r.slack.home_opened(user)
    w.r.fake.wait_for(lambda f: str(f.home_views.get(user)) != before or f.home_views.get(user))
    return str(w.r.fake.wait_for(lambda f: f.home_views.get(user)))


def mine_of(w: Walk, user: str, text: str = "mine") -> Message:
    w.command(user, text)
    return w.r.fake.wait_for(
        lambda f: next(
            (m for m in f.replies_for(user)[w.seen[user] :] if m.ephemeral_to == user), None
        )
    )


# 1. Cycles never hide goals -------------------------------------------------------------------


def test_a_future_cycle_changes_nothing_anyone_sees_in_the_running_one(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w)
    agreed_goal(w)
    mine_before = mine_of(w, BOB).text
    home_before = home_of(w, BOB)
    w.command(ADMIN, "tree")
    tree_before = w.expect(ADMIN, "Alignment tree").text

    w.command(ADMIN, 'cycle add "FY27 H2" 2027-05-01 2027-12-31')  # overlaps FY27 H1
    w.expect(ADMIN, "may not overlap")
    w.command(ADMIN, 'cycle add "FY27 H2" 2027-07-01 2027-12-31')
    added = w.expect(ADMIN, "is planned")
    assert "*FY27 H1* stays the active cycle" in added.text

    assert mine_of(w, BOB).text == mine_before
    assert home_of(w, BOB) == home_before
    w.command(ADMIN, "tree")
    assert w.expect(ADMIN, "Alignment tree").text == tree_before
    assert "Sign 10 enterprise customers" in mine_before and "FY27 H1" in mine_before


def test_plan_and_set_say_their_cycle_and_offer_the_next(walk: Walk) -> None:
    w = walk
    publish_top(w)
    w.command(ADMIN, 'cycle add "FY27 H2" 2027-07-01 2027-12-31')
    w.expect(ADMIN, "is planned")
    w.command(ALICE, "plan")
    about = w.expect(ALICE, "This plan is for *FY27 H1*")
    assert "Plan FY27 H2" in buttons(about)
    w.click(ALICE, about, "Plan FY27 H2")
    w.expect(ALICE, "aren't published yet")  # Acme has not planned FY27 H2 yet
    w.command(OWNER, "plan")
    top = w.expect(OWNER, "This plan is for *FY27 H1*")
    w.click(OWNER, top, "Plan FY27 H2")
    w.expect(OWNER, "Let's set *Acme's* objectives for *FY27 H2*")
    w.dm(OWNER, "Open two new markets")
    w.dm(OWNER, "done")
    w.click(OWNER, w.expect(OWNER, "Acme's objectives for FY27 H2"), "Publish")
    w.expect(OWNER, "Published 1 objective")
    objectives = {o["title"]: o for o in snapshot(w.r.engine)["objectives"]}
    cycles = {c["id"]: c["name"] for c in snapshot(w.r.engine)["cycles"]}
    assert cycles[objectives["Open two new markets"]["cycle_id"]] == "FY27 H2"
    assert cycles[objectives["Grow revenue 20% in FY27"]["cycle_id"]] == "FY27 H1"

    publish_sales(w)
    w.command(BOB, "set")
    about = w.expect(BOB, "This goal is for *FY27 H1*")
    assert "Set goals for FY27 H2" in buttons(about)


def test_nothing_disappears_when_a_cycle_ends(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w)
    agreed_goal(w)
    w.command(ADMIN, 'cycle add "FY27 H2" 2027-07-01 2027-12-31')
    w.expect(ADMIN, "is planned")
    assert w.r.clock is not None
    w.r.clock.at = datetime.fromisoformat("2027-07-05T09:00:00+00:00")  # H1 has ended

    mine = mine_of(w, BOB)
    assert "no goals in *FY27 H2* yet" in mine.text
    assert "Still open from FY27 H1" in mine.text and "Sign 10 enterprise customers" in mine.text
    assert "Sign 10 enterprise customers" in home_of(w, BOB)
    past = mine_of(w, BOB, 'mine "FY27 H1"')
    assert "Your goals for FY27 H1" in past.text and "agreed" in past.text
    w.command(ADMIN, 'tree "FY27 H1"')
    tree = w.expect(ADMIN, "Alignment tree: Acme · FY27 H1")
    assert "1/2 members with an agreed goal" in tree.text
    w.command(ADMIN, 'tree "Sales" "FY27 H1"')
    w.expect(ADMIN, "Alignment tree: Sales · FY27 H1")
    w.command(ADMIN, 'tree "FY26"')
    w.expect(ADMIN, "There is no unit called *FY26*")
    assert [g["status"] for g in snapshot(w.r.engine)["goals"]] == ["agreed"]


def test_between_cycles_mine_tree_and_home_show_the_cycle_that_ended(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w)
    agreed_goal(w)
    [goal] = snapshot(w.r.engine)["goals"]
    with transaction(w.r.engine) as s:
        found = goals.get_goal(session=s, team_id=w.r.fake.team_id, goal_id=int(goal["id"]))
        assert found is not None
        goals.update_goal(session=s, goal=found, now=datetime.now(UTC), status=GoalStatus.ACHIEVED)
    assert w.r.clock is not None
    w.r.clock.at = datetime.fromisoformat("2027-07-05T09:00:00+00:00")  # H1 ended, no H2 yet

    mine = mine_of(w, BOB)
    assert "There's no planning cycle yet" not in mine.text
    assert "*FY27 H1 ended Wed 30 Jun 2027.* Your goals: 1 achieved" in mine.text
    assert "Sign 10 enterprise customers" in mine.text
    assert "No next cycle has been added yet. An admin adds one" in mine.text
    w.command(ADMIN, "tree")
    tree = w.expect(ADMIN, "Alignment tree: Acme · FY27 H1")
    assert "FY27 H1 ended Wed 30 Jun 2027; this is where it finished" in tree.text
    assert "No next cycle has been added yet" in tree.text
    home = home_of(w, ADMIN)
    assert "*The organisation* · FY27 H1 (ended Wed 30 Jun 2027)" in home
    assert "1 of 3 people have an agreed goal" in home  # achieved still counts
    w.r.fake.home_views.pop(BOB, None)
    home = home_of(w, BOB)
    assert "FY27 H1 ended Wed 30 Jun 2027" in home and "1 achieved" in home

    w.command(BOB, "help")
    help_text = w.expect(BOB, "What you can do next").text
    assert "There's no cycle to set goals in right now: *FY27 H1* ended" in help_text
    assert "once it has published" not in help_text
    w.command(ADMIN, 'cycle add "FY27 H2" 2027-08-02 2027-12-31')
    w.expect(ADMIN, "is added")
    mine = mine_of(w, BOB)
    assert "*FY27 H2* starts Mon 2 Aug 2027. `/goals set` plans your goals for it" in mine.text
    w.command(ADMIN, "tree")
    w.expect(ADMIN, "*FY27 H2* starts Mon 2 Aug 2027")

    w.r.clock.at = datetime.fromisoformat("2027-08-02T09:00:00+00:00")  # H2 has begun
    mine = mine_of(w, BOB)
    assert "no goals in *FY27 H2* yet" in mine.text and "ended" not in mine.text


# 2. The interview listens --------------------------------------------------------------------


def test_a_goal_that_says_its_measure_and_date_needs_only_confirmations(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w)
    set_goal(w, "Get 12 of my existing accounts to renew on two-year terms by 30 June 2027")
    read_back = w.expect(BOB, "Your goal already says")
    assert (
        "*Measure:* reaching *12*, as your goal says" in read_back.text
        and "?\n" not in read_back.text
    )
    assert "*Due:* Wed 30 Jun 2027" in read_back.text
    assert "How will you" not in read_back.text and "When is it due" not in read_back.text
    w.click(BOB, read_back, "Yes, that's right")
    w.expect(BOB, "Due *Wed 30 Jun 2027*")
    w.click(BOB, w.expect(BOB, "Anything you expect"), "Nothing expected")
    review = w.expect(BOB, "ready to send")
    w.click(BOB, review, "Submit")
    w.expect(BOB, "Sent to")
    [goal] = snapshot(w.r.engine)["goals"]
    assert goal["status"] == "proposed" and goal["due"] == "2027-06-30"
    assert goal["measure"] == "Get 12 of my existing accounts to renew on two-year terms"
    asked = [m.text for m in w.r.fake.replies_for(BOB)]
    assert not any("How will you and your manager know" in t for t in asked)
    assert not any("When is it due?" in t for t in asked)


def test_every_date_read_is_echoed_and_a_contradiction_pointed_out(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w)
    set_goal(w, "Sign 10 enterprise customers by end of May")
    w.click(BOB, w.expect(BOB, "Your goal already says"), "Edit due date")
    w.expect(BOB, "When is it due?")
    w.dm(BOB, "next friday")  # Sunday 11 April 2027: read as a date, and said back
    echo = w.expect(BOB, "Due *")
    assert re.search(r"Due \*Fri \d+ Apr 2027\*", echo.text), echo.text
    contradiction = w.expect(BOB, "Your goal itself says")
    assert "“by end of May”" in contradiction.text and "Mon 31 May 2027" in contradiction.text
    w.dm(BOB, "none")
    review = w.expect(BOB, "ready to send")
    assert "The goal says “by end of May”" in review.text


def test_the_coach_asks_one_question_at_a_time(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w)
    coached = set_goal(w, "Work on things")
    first, *others = coach_review("Work on things").questions
    assert others, "the coach has more than one question here"
    assert "A thought before we go on:" in coached.text and first in coached.text
    assert not any(q in coached.text for q in others) and "•" not in coached.text


# 3. Flows never strand a person ----------------------------------------------------------


def test_back_after_an_out_of_cycle_date_was_replaced_asks_the_due_date(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w)
    set_goal(w, "Sign 20 enterprise customers by end of May")
    w.expect(BOB, "Your goal already says")
    w.dm(BOB, "due")
    w.expect(BOB, "When is it due?")
    w.dm(BOB, "2027-09-30")
    w.expect(BOB, "falls outside the cycle")
    w.dm(BOB, "end of May")  # another date instead of yes or no
    w.expect(BOB, "Anything you expect")
    w.dm(BOB, "back")
    question = w.expect(BOB, "When is it due?")
    assert "Keep that date anyway" not in question.text


def test_back_steps_through_a_units_objectives_one_by_one(walk: Walk) -> None:
    w = walk
    publish_top(w)
    w.command(ALICE, "plan")
    w.expect(ALICE, "1 of 2:")
    w.dm(ALICE, "Sign 10 new enterprise customers")
    w.expect(ALICE, "2 of 2:")
    w.dm(ALICE, "back")
    w.expect(ALICE, "1 of 2:")
    w.dm(ALICE, "Sign 12 new enterprise customers")  # replaces the first answer
    w.expect(ALICE, "2 of 2:")
    w.dm(ALICE, "skip")
    w.expect(ALICE, "Anything else Sales will do?")
    w.dm(ALICE, "back")
    w.expect(ALICE, "2 of 2:")
    titles = [o["title"] for o in snapshot(w.r.engine)["objectives"] if o["parent_id"]]
    assert titles == ["Sign 12 new enterprise customers"]


def test_a_button_of_a_finished_flow_says_so_and_offers_to_start_again(walk: Walk) -> None:
    w = walk
    publish_top(w)
    w.command(ALICE, "plan")
    w.dm(ALICE, "Sign 10 new enterprise customers")
    w.dm(ALICE, "skip")
    w.dm(ALICE, "done")
    review = w.expect(ALICE, "Sales' objectives for FY27 H1")
    stale = Message(review.channel, review.user, review.text, list(review.blocks), review.ts)
    w.click(ALICE, review, "Publish")
    w.expect(ALICE, "Published 1 objective")
    # The list she published no longer calls anything a draft.
    w.r.fake.wait_for(lambda f: "· draft" not in review.text and "Publish" in str(review.blocks))
    assert "· draft" not in review.text and "all published" in review.text
    w.click(ALICE, stale, "Add")
    finished = w.expect(ALICE, "has finished")
    assert "Plan our objectives" in buttons(finished) or "Plan FY27 H1" in buttons(finished)
    # Planning again shows the published list with no live Publish.
    w.command(ALICE, "plan")
    again = w.expect(ALICE, "Sales' objectives for FY27 H1")
    assert buttons(again) == ["Add another"]


def test_revise_opens_that_goal_and_cancelled_drafts_can_be_resumed(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w)
    set_goal(w, "Sign 10 enterprise customers by end of May")
    w.click(BOB, w.expect(BOB, "Your goal already says"), "Yes, that's right")
    w.dm(BOB, "none")
    w.click(BOB, w.expect(BOB, "ready to send"), "Submit")
    proposal = w.expect(ALICE, "proposes a goal")
    # A second goal, left in draft (cancelled).
    w.command(BOB, "set")
    w.click(BOB, w.expect(BOB, "Which of Sales' objectives"), "1.")
    w.dm(BOB, "Run 4 customer workshops by end of June")
    w.dm(BOB, "cancel")
    w.expect(BOB, "Cancelled")
    # Alice suggests changes to the first: Revise opens that one, not the cancelled draft.
    w.click(ALICE, proposal, "Suggest changes")
    w.r.fake.wait_for(lambda f: f.top_modal(ALICE))
    w._mark(BOB)
    w.r.slack.submit(ALICE, {"comment": {"value": "Which customers?"}})
    comment = w.expect(BOB, "suggests changes")
    assert "\n>Which customers?" in comment.text  # the quote on its own line
    w.click(BOB, comment, "Revise")
    opened = w.expect(BOB, "ready to send")
    assert "Sign 10 enterprise customers" in opened.text and "workshops" not in opened.text
    assert "\n>Your manager suggested: Which customers?" in opened.text
    w.dm(BOB, "cancel")
    # Both drafts can be picked up again from /goals mine and from the Home.
    mine = mine_of(w, BOB)
    labels = buttons(mine)
    assert any(label.startswith("Resume: Run 4 customer workshops") for label in labels), labels
    assert '"goal_resume"' in str(home_of(w, BOB)) or "goal_resume" in home_of(w, BOB)
    w.click(BOB, mine, "Resume: Run 4")
    resumed = w.expect(BOB, "ready to send")
    assert "workshops" in resumed.text


def test_an_agreed_goal_can_be_changed_or_dropped_with_the_managers_agreement(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w)
    agreed_goal(w)
    mine = mine_of(w, BOB)
    w.click(BOB, mine, "Change: Sign 10")
    w.expect(BOB, "You're changing an agreed goal")
    review = w.expect(BOB, "Your changed goal, ready to send")
    w.click(BOB, review, "Edit measure")
    w.dm(BOB, "12 signed contracts")
    w.click(BOB, w.expect(BOB, "Your changed goal"), "Submit")
    again = w.expect(ALICE, "has changed a goal you had agreed")
    assert snapshot(w.r.engine)["goals"][0]["status"] == "proposed"
    w.click(ALICE, again, "Agree")
    w.expect(BOB, "agreed your goal")
    [goal] = snapshot(w.r.engine)["goals"]
    assert goal["status"] == "agreed" and goal["measure"] == "12 signed contracts"

    w.click(BOB, mine_of(w, BOB), "Drop")
    w.expect(BOB, "to agree to drop")
    ask = w.expect(ALICE, "asks to drop an agreed goal")
    assert snapshot(w.r.engine)["goals"][0]["status"] == "agreed"  # until Alice agrees
    w.click(CAROL, ask, "Agree to drop")
    w.expect(CAROL, "Only Bob's manager")
    w.click(ALICE, ask, "Agree to drop")
    w.expect(BOB, "agreed to drop your goal")
    assert snapshot(w.r.engine)["goals"][0]["status"] == "dropped"


# 4. Commands forgive typos and teach by example ---------------------------------------------


def test_a_typo_gets_the_nearest_command_and_input_keeps_its_quotes(walk: Walk) -> None:
    w = walk
    w.command(BOB, "hepl")
    w.expect(BOB, "Did you mean `/goals help`?")
    w.command(ADMIN, "settings")  # its one subcommand, not "I don't know `settings`"
    w.expect(ADMIN, "The weekly leadership summary")
    w.command(ADMIN, "unit")
    w.expect(ADMIN, "`/goals unit` needs one more word: `/goals unit add`")
    w.command(ADMIN, f'unit ad "Big Team" manager:<@{DAVE}>')
    typo = w.expect(ADMIN, "Did you mean `/goals unit add`?")
    assert '`unit ad "Big Team" manager:@UDAVE`' in typo.text


def commands_in(text: str) -> list[str]:
    """The `/goals …` examples in a help text, as a person would send them (mentions kept)."""
    found = re.findall(r"`/goals ([^`]+)`((?: ?<@[A-Z0-9]+>)*)", text)
    return [(command + mentions).strip() for command, mentions in found]


def test_the_examples_in_help_run_as_shown(running: Running) -> None:
    w = Walk(running)
    w.command(ADMIN, "help")
    first = w.expect(ADMIN, "What you can do next")
    [cycle_add] = [c for c in commands_in(first.text) if c.startswith("cycle add")]
    [unit_add] = [c for c in commands_in(first.text) if c.startswith("unit add")]
    for example in (cycle_add, unit_add):
        w.command(ADMIN, example)
        w.expect(ADMIN, ":white_check_mark:")
    w.command(ADMIN, "help")
    second = w.expect(ADMIN, "What you can do next")
    examples = [
        c
        for c in commands_in(second.text)
        if c.split()[:2] in (["unit", "add"], ["unit", "members"])
    ]
    assert {e.split()[1] for e in examples} == {"add", "members"}, second.text
    assert "@alice" not in second.text
    for example in examples:
        w.command(ADMIN, example)
        answer = w.expect(ADMIN, "*")
        assert ":white_check_mark:" in answer.text or ":ok_hand:" in answer.text, answer.text


def test_a_new_managers_help_names_nobody_they_could_not_place(walk: Walk) -> None:
    """An empty unit's manager may not place people who are in no unit (only an admin may):
    their help names nobody for it (test_the_examples_in_help_run_as_shown: an admin's does)."""
    w = walk
    w.command(ADMIN, f'unit add "Support" parent:"Acme" manager:<@{DAVE}>')
    w.expect(ADMIN, "created")
    w.command(DAVE, "help")
    text = w.expect(DAVE, "What you can do next").text
    [members] = [c for c in commands_in(text) if c.startswith('unit members "Support"')]
    assert "<@" not in members and '`/goals unit members "Support" @…`' in text


def test_a_refusal_names_who_can_do_it(walk: Walk) -> None:
    w = walk
    w.command(BOB, 'cycle add "FY27 H2" 2027-07-01 2027-12-31')
    refusal = w.expect(BOB, "Only a Cascade admin")
    assert f"<@{ADMIN}>" in refusal.text and "CASCADE_ADMINS" not in refusal.text
    w.command(BOB, f'unit members "Sales" <@{DAVE}>')
    assert f"ask <@{ALICE}>" in w.expect(BOB, "Only *Sales'* manager").text


def test_a_modal_speaks_the_forms_words(running: Running) -> None:
    w = Walk(running)
    w.command(ADMIN, "help")
    w.click(ADMIN, w.expect(ADMIN, "What you can do next"), "New cycle")
    w.r.fake.wait_for(lambda f: f.top_modal(ADMIN))
    answer = w.r.slack.submit(
        ADMIN,
        {
            "name": {"value": "  "},
            "start": {"selected_date": "2027-07-01"},
            "end": {"selected_date": "2027-12-31"},
        },
    )
    errors: dict[str, Any] = answer.json()["errors"]
    assert errors == {"name": "Give the cycle a name."}


# 5. People hear about what concerns them ----------------------------------------------------


def test_new_managers_and_members_are_told_with_what_to_do_next(walk: Walk) -> None:
    w = walk
    told = w.expect(ALICE, "You now manage *Sales*, under *Acme*")
    assert "/goals unit members" in told.text
    w.expect(OWNER, "You now manage *Acme*, the top of the organisation")
    joined = w.expect(BOB, "You're now in *Sales*")
    assert f"<@{ALICE}> as your manager" in joined.text and "once they're published" in joined.text
    assert not [m for m in w.r.fake.replies_for(ADMIN) if "You now manage" in m.text]
    publish_top(w)
    publish_sales(w)
    # Dave is in no unit: only an admin may place him (tests/faults: nobody under their report).
    w.command(ADMIN, f'unit members "Sales" <@{BOB}> <@{CAROL}> <@{DAVE}>')
    w.expect(ADMIN, "I've told the 1 person who joined")
    welcome = w.expect(DAVE, "You're now in *Sales*")
    assert "set your personal goals" in welcome.text
    w.click(DAVE, welcome, "Set my goals")
    w.expect(DAVE, "Which of Sales' objectives")


EXAMPLE = re.compile(r"`(/goals [^`]+)`((?:\s*<@[A-Z0-9]+>)*)")


def test_every_example_in_help_and_home_runs_as_shown_and_changes_only_what_it_shows(
    walk: Walk,
) -> None:
    """Each role's help and Home offer commands to copy. Run exactly as shown, each one either
    is refused or changes only what it names: nobody leaves a unit the example did not show."""
    w = walk
    publish_top(w)
    publish_sales(w)
    more = [f"UMORE{i}" for i in range(3)]  # Sales has five: more than an example once named
    for user in more:
        w.r.fake.add_user(user, f"Seller {user[-1]}", email=f"{user.lower()}@example.com")
    w.command(
        ADMIN, f'unit members "Sales" <@{BOB}> <@{CAROL}> ' + " ".join(f"<@{u}>" for u in more)
    )
    w.expect(ADMIN, "updated")
    ran = []
    for user in (ADMIN, OWNER, ALICE, BOB):
        w.command(user, "help")
        shown = w.expect(user, "What you can do next").text + home_of(w, user)
        for command, mentions in {m.groups() for m in EXAMPLE.finditer(shown)}:
            if "…" in command or "&lt;" in command:
                continue  # a form to fill in, not a command to run
            before = {p["user_id"]: p["unit_id"] for p in snapshot(w.r.engine)["people"]}
            w.command(user, f"{command[len('/goals ') :]} {mentions.strip()}".strip())
            ran.append(command.split('"')[0].strip())
            reply = w.r.fake.wait_for(
                lambda f, u=user: f.replies_for(u)[w.seen[u] :] and f.replies_for(u)[-1]
            )
            assert "No longer members" not in reply.text, command
            after = {p["user_id"]: p["unit_id"] for p in snapshot(w.r.engine)["people"]}
            moved = {u for u in before if before[u] != after.get(u)}
            assert moved <= set(re.findall(r"<@([A-Z0-9]+)>", mentions)), (command, moved)
    for kind in ("/goals unit members", "/goals cycle add", "/goals pause until"):
        assert any(r.startswith(kind) for r in ran), (kind, ran)


def test_a_question_answered_by_typing_loses_its_buttons_and_so_does_a_finished_review(
    walk: Walk,
) -> None:
    """Item 9 of the newcomer issue, for conversations: once the conversation has moved on, an
    earlier question's buttons go (they could only be refused) and a line says it was answered."""
    w = walk
    publish_top(w)
    publish_sales(w)
    read_back = set_goal(w, "Sign 10 enterprise customers by end of May")
    assert "Yes, that's right" in buttons(read_back)
    w.dm(BOB, "yes")  # typed, not clicked
    w.expect(BOB, "Anything you expect")
    w.r.fake.wait_for(
        lambda f: buttons(read_back) == [] and "moved on below" in str(read_back.blocks)
    )

    w.command(OWNER, "plan")
    review = w.expect(OWNER, "Acme's objectives for FY27 H1")
    assert buttons(review) == ["Add another"]
    w.dm(OWNER, "edit 1 Grow revenue 25% in FY27")
    w.expect(OWNER, "Grow revenue 25% in FY27")
    w.expect(OWNER, "Updated")  # and the plan is done: its review's buttons could only refuse
    w.r.fake.wait_for(lambda f: buttons(review) == [] and "moved on below" in str(review.blocks))


def test_a_question_slack_no_longer_has_is_let_go_without_a_retry(walk: Walk) -> None:
    """A message deleted in Slack (a retention policy, an admin) cannot lose its buttons: the
    rewrite of the others goes on, and nothing is tried again."""
    w = walk
    publish_top(w)
    publish_sales(w)
    read_back = set_goal(w, "Sign 10 enterprise customers by end of May")
    with w.r.fake.lock:
        w.r.fake.messages.remove(read_back)
    w.dm(BOB, "yes")
    w.expect(BOB, "Anything you expect")
    w.r.fake.wait_for(lambda f: ("chat.update", "message_not_found") in f.errors)

    def retired() -> set[str]:  # marked sent with the rest of its batch, just after
        with transaction(w.r.engine) as s:
            rows = s.exec(select(OutboxMessage).where(OutboxMessage.method == RETIRING)).all()
            return {r.status for r in rows}

    deadline = time.monotonic() + 10
    while retired() != {OutboxStatus.SENT} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert retired() == {OutboxStatus.SENT}
    with w.r.fake.lock:  # expected here, and only here
        w.r.fake.errors.remove(("chat.update", "message_not_found"))
