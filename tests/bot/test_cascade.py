"""The cascade end to end: objectives top-down, the gate, the interview, agreement, views."""

from __future__ import annotations

import copy

from tests.bot.conftest import Walk, interview, publish_sales, publish_top
from tests.conftest import ADMIN, ALICE, BOB, CAROL, DAVE, OWNER
from tests.helpers import snapshot


def test_the_whole_cascade(walk: Walk) -> None:
    w = walk
    # The gate: Bob cannot set goals before Sales publishes; Alice is nudged once a day.
    w.command(BOB, "set")
    w.expect(BOB, "hasn't published its objectives")
    w.expect(ALICE, "wants to set goals")
    w.command(BOB, "set")
    w.expect(BOB, "already been reminded today")
    assert sum("wants to set goals" in m.text for m in w.r.fake.replies_for(ALICE)) == 1
    assert snapshot(w.r.engine)["goals"] == []

    # Alice's unit can't plan before the top publishes; then the cascade flows down.
    w.command(ALICE, "plan")
    w.expect(ALICE, "aren't published yet")
    publish_top(w)
    w.expect(ALICE, "Time to derive *Sales'* objectives")
    publish_sales(w)
    w.expect(BOB, "Set your personal goals")
    w.expect(CAROL, "Set your personal goals")

    # The interview, with the coach.
    coached = interview(w)
    assert "What exactly will be different" in coached.text
    w.click(BOB, coached, "Keep my wording")
    w.expect(BOB, "How will you and your manager know")
    w.dm(BOB, "10 enterprise customers signed")
    w.expect(BOB, "When is it due?")
    w.dm(BOB, "2020-01-01")
    w.expect(BOB, "has already passed")
    w.dm(BOB, "end of March")
    w.expect(BOB, "Anything you expect to get in your way?")
    w.dm(BOB, "none")
    review = w.expect(BOB, "Your goal, ready to send")
    assert "Wed 31 Mar 2027" in review.text
    w.click(BOB, review, "Submit")
    w.expect(BOB, "Sent to")
    proposal = w.expect(ALICE, "proposes a goal for your agreement")
    [goal] = snapshot(w.r.engine)["goals"]
    assert goal["status"] == "proposed" and goal["due"] == "2027-03-31"

    # Only the manager decides: Carol's click is refused and changes nothing.
    w.click(CAROL, proposal, "Agree")
    w.expect(CAROL, "Only Bob's manager")
    assert snapshot(w.r.engine)["goals"][0]["status"] == "proposed"

    # Suggest changes: a comment in a modal sends the goal back to Bob's draft.
    w.click(ALICE, proposal, "Suggest changes")
    w.r.fake.wait_for(lambda f: f.top_modal(ALICE))
    w._mark(BOB)
    w.r.slack.submit(ALICE, {"comment": {"value": "Can we say which customers, and by when?"}})
    comment = w.expect(BOB, "suggests changes")
    assert "which customers" in comment.text
    assert snapshot(w.r.engine)["goals"][0]["status"] == "draft"
    w.click(BOB, comment, "Revise")
    review = w.expect(BOB, "Your goal, ready to send")
    assert "Your manager suggested" in review.text
    w.click(BOB, review, "Edit goal")
    w.expect(BOB, "What's your goal?")
    w.dm(BOB, "Sign 10 enterprise customers in the Nordics by end of March")
    review = w.expect(BOB, "Your goal, ready to send")
    w.click(BOB, review, "Submit")
    proposal = w.expect(ALICE, "Nordics")
    stale_copy = copy.deepcopy(proposal)  # as a slow client still shows it, buttons and all
    w.click(ALICE, proposal, "Agree")
    w.expect(BOB, "agreed your goal")
    # Alice's message with the buttons becomes the record of her decision: no decision is left
    # to click, and she is asked how she will help.
    w.r.fake.wait_for(lambda f: "You agreed" in proposal.text)
    labels = [
        e["text"]["text"] for b in proposal.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["Say how I'll help"]
    [goal] = snapshot(w.r.engine)["goals"]
    assert goal["status"] == "agreed" and goal["agreed_at"]

    # A second click on the old Agree is stale: polite, and nothing changes.
    w.click(ALICE, stale_copy, "Agree")
    w.expect(ALICE, "no longer waiting for agreement")

    # Views: the chain, and the tree with coverage.
    w.command(BOB, "mine")
    mine = w.expect(BOB, "Your goals for FY27 H1")
    assert "Grow revenue 20% in FY27 → Sign 10 new enterprise customers → this goal" in mine.text
    w.command(ADMIN, "tree")
    tree = w.expect(ADMIN, "Alignment tree: Acme")
    assert "1/2 members with an agreed goal" in tree.text
    assert "Delight our customers _(no goals yet)_" in tree.text
    w.r.slack.home_opened(BOB)
    home = w.r.fake.wait_for(lambda f: f.home_views.get(BOB))
    assert "Your goals for FY27 H1" in str(home) and "Nordics" in str(home)


def test_cancel_back_and_help_at_every_step(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w)
    w.command(BOB, "set")
    w.expect(BOB, "Which of Sales' objectives")
    w.dm(BOB, "help")
    w.expect(BOB, "Setting a goal")
    w.dm(BOB, "7")
    w.expect(BOB, "reply with a number from 1 to 1")
    w.dm(BOB, "1")
    w.expect(BOB, "What's your goal?")
    w.dm(BOB, "back")
    w.expect(BOB, "Which of Sales' objectives")
    w.dm(BOB, "1")
    w.expect(BOB, "What's your goal?")
    w.dm(BOB, "Sign 12 enterprise customers by end of March")
    w.expect(BOB, "Clear and measurable")
    read_back = w.expect(BOB, "Your goal already says")
    w.click(BOB, read_back, "Edit measure")
    w.expect(BOB, "How will you and your manager know")
    w.dm(BOB, "   ")
    w.expect(BOB, "didn't catch an answer")
    w.dm(BOB, "x" * 5000)
    w.expect(BOB, "longer than 3000 characters")
    w.dm(BOB, "back")
    w.expect(BOB, "How will you and your manager know")
    w.dm(BOB, "back")
    w.expect(BOB, "Your goal already says")
    w.dm(BOB, "cancel")
    w.expect(BOB, "Cancelled")
    [goal] = snapshot(w.r.engine)["goals"]
    assert goal["status"] == "draft" and goal["measure"] == "x" * 3000  # trimmed, kept
    assert goal["due"] == "2027-03-31"  # read from the statement, kept with the changed measure
    # Starting again picks the draft up.
    w.command(BOB, "set")
    w.expect(BOB, "Picking up your draft")


def test_only_managers_publish_and_only_owners_answer(walk: Walk) -> None:
    w = walk
    publish_top(w)
    w.command(BOB, 'plan "Sales"')
    w.expect(BOB, "Only *Sales'* manager")
    w.command(DAVE, "plan")
    w.expect(DAVE, "don't manage a unit")
    assert len(snapshot(w.r.engine)["objectives"]) == 2


def test_a_stale_flow_button_changes_nothing(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w)
    w.command(BOB, "set")
    question = w.expect(BOB, "Which of Sales' objectives")
    stale_copy = copy.deepcopy(question)
    w.click(BOB, question, "1.")
    w.expect(BOB, "What's your goal?")
    # Answered: the question keeps its words, loses its buttons, and shows the answer.
    assert not [b for b in question.blocks if b["type"] == "actions"]
    assert "1. Sign 10 new enterprise customers" in str(question.blocks[-1])
    w.click(BOB, stale_copy, "1.")  # the same button again, from a client that still shows it
    w.expect(BOB, "from an earlier question")
    assert snapshot(w.r.engine)["goals"] == []


def test_invitations_carry_buttons_that_start_the_next_flow(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w, invitation=w.expect(ALICE, "Time to derive *Sales'* objectives"))
    invite = w.expect(BOB, "Set your personal goals")
    w.click(BOB, invite, "Set my goals")
    w.expect(BOB, "Which of Sales' objectives")


def test_quick_successive_answers_are_taken_in_order(walk: Walk) -> None:
    w = walk
    publish_top(w)
    publish_sales(w)
    w.command(BOB, "set")
    w.expect(BOB, "Which of Sales' objectives")
    w.dm(BOB, "1")  # no waiting for Cascade in between: a fast typist
    w.dm(BOB, "Sign 12 enterprise customers by end of March")
    w.dm(BOB, "measure")  # the date the statement gives is right, the measure is another
    w.dm(BOB, "12 signed contracts")
    w.expect(BOB, "Anything you expect to get in your way?")
    [goal] = snapshot(w.r.engine)["goals"]
    assert goal["measure"] == "12 signed contracts" and goal["due"] == "2027-03-31"


def test_one_undeliverable_invitation_does_not_stop_the_others(walk: Walk) -> None:
    w = walk
    w.r.fake.add_user("UGHOST2", "Aaron Ghost")  # sorts first: Slack will refuse to message them
    w.command(ADMIN, f'unit members "Sales" <@UGHOST2> <@{BOB}> <@{CAROL}>')
    w.expect(ADMIN, "updated")
    w.expect("UGHOST2", "You're now in *Sales*")  # told while still in Slack
    del w.r.fake.users[
        "UGHOST2"
    ]  # gone from Slack since: chat.postMessage answers channel_not_found
    publish_top(w)
    publish_sales(w)
    w.expect(BOB, "Set your personal goals")
    w.expect(CAROL, "Set your personal goals")
    assert w.r.fake.wait_for(lambda f: f.errors) == [("chat.postMessage", "channel_not_found")]
    w.r.fake.errors.clear()  # the refusal was expected; nothing else may be refused


def test_a_flow_started_in_a_channel_points_to_the_dm(walk: Walk) -> None:
    w = walk
    w._mark(OWNER)
    body = w.r.slack.command_body(OWNER, "plan", channel_id="CGENERAL")
    assert w.r.slack.post(body, "application/x-www-form-urlencoded").status == 200
    w.expect(OWNER, "Type an objective")
    hint = w.expect(OWNER, "let's continue there")
    assert hint.ephemeral_to == OWNER and hint.channel == "CGENERAL"


def test_help_follows_the_cascade(walk: Walk) -> None:
    w = walk
    w.command(ALICE, "help")
    w.expect(ALICE, "Its objectives come after the unit above publishes its own")
    publish_top(w)
    w.command(ALICE, "help")
    w.expect(ALICE, "set its objectives for *FY27 H1* with `/goals plan`")
    publish_sales(w)
    w.command(ALICE, "help")
    w.expect(ALICE, "are published. Review or change them")
    w.command(BOB, "help")
    w.expect(BOB, "set your personal goals with `/goals set`")
