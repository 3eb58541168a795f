"""The cascade end to end: objectives top-down, the gate, the interview, agreement, views."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.sandbox.fake_slack import Message
from tests.conftest import ADMIN, ALICE, BOB, CAROL, DAVE, OWNER, Running
from tests.helpers import snapshot


class Walk:
    """Plays the people of the workspace: commands, DMs, clicks; waits for what Cascade says."""

    def __init__(self, running: Running) -> None:
        self.r = running
        self.seen: dict[str, int] = {}

    def _mark(self, user: str) -> None:
        self.seen[user] = len(self.r.fake.replies_for(user))

    def expect(self, user: str, text: str, timeout: float = 10.0) -> Message:
        """Wait until Cascade has told `user` something containing `text` since the last action."""
        start = self.seen.get(user, 0)

        def found(fake: Any) -> Message | None:
            return next((m for m in fake.replies_for(user)[start:] if text in m.text), None)

        message: Message = self.r.fake.wait_for(found, timeout)
        return message

    def command(self, user: str, text: str) -> None:
        self._mark(user)
        assert self.r.slack.command(user, text).status == 200

    def dm(self, user: str, text: str) -> None:
        self._mark(user)
        assert self.r.slack.dm(user, text).status == 200

    def click(self, user: str, message: Message, label: str) -> None:
        buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
        button = next((b for b in buttons if label in b["text"]["text"]), None)
        assert button is not None, f"no button {label!r} in {[b['text']['text'] for b in buttons]}"
        self._mark(user)
        reply = self.r.slack.action(
            user,
            button["action_id"],
            button.get("value", ""),
            message_ts=message.ts,
            element={
                "type": "button",
                "action_id": button["action_id"],
                "block_id": "b",
                "text": button["text"],
            },
        )
        assert reply.status == 200


@pytest.fixture
def walk(running: Running) -> Walk:
    w = Walk(running)
    w.command(ADMIN, 'cycle add "FY27 H1" 2027-01-01 2027-06-30')
    w.expect(ADMIN, "Cycle *FY27 H1*")
    w.command(ADMIN, f'unit add "Acme" manager:<@{OWNER}>')
    w.expect(ADMIN, "created")
    w.command(ADMIN, f'unit add "Sales" parent:"Acme" manager:<@{ALICE}>')
    w.expect(ADMIN, "created")
    w.command(ADMIN, f'unit members "Sales" <@{BOB}> <@{CAROL}>')
    w.expect(ADMIN, "updated")
    return w


def publish_top(w: Walk) -> None:
    w.command(OWNER, "plan")
    w.expect(OWNER, "Type an objective")
    w.dm(OWNER, "Grow revenue 20% in FY27")
    w.expect(OWNER, "Noted: Grow revenue 20% in FY27")
    w.dm(OWNER, "Delight our customers")
    w.expect(OWNER, "Noted")
    w.dm(OWNER, "done")
    review = w.expect(OWNER, "Acme's objectives for FY27 H1")
    w.click(OWNER, review, "Publish")
    w.expect(OWNER, "Published 2 objectives")


def publish_sales(w: Walk, invitation: Message | None = None) -> None:
    """Alice derives Sales' objectives, starting from `/goals plan` or the invitation's button."""
    if invitation is None:
        w.command(ALICE, "plan")
    else:
        w.click(ALICE, invitation, "Plan our objectives")
    w.expect(ALICE, "1 of 2:")
    w.dm(ALICE, "Sign 10 new enterprise customers")
    second = w.expect(ALICE, "2 of 2:")
    w.click(ALICE, second, "Skip")
    extra = w.expect(ALICE, "Anything else Sales will do?")
    w.click(ALICE, extra, "Done")
    w.expect(ALICE, "Sales' objectives for FY27 H1")
    w.dm(ALICE, "publish")
    w.expect(ALICE, "Published 1 objective")


def interview(w: Walk, statement: str = "Improve onboarding") -> Message:
    w.command(BOB, "set")
    question = w.expect(BOB, "Which of Sales' objectives")
    w.click(BOB, question, "1.")
    w.expect(BOB, "What's your goal?")
    w.dm(BOB, statement)
    return w.expect(BOB, "?")


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
    # Alice's message with the buttons becomes the record of her decision (no buttons left).
    w.r.fake.wait_for(lambda f: "You agreed" in proposal.text)
    assert not [b for b in proposal.blocks if b["type"] == "actions"]
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
