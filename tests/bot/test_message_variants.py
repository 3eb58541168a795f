"""The message variants Slack really sends, end to end: an edit of an answer, a reply in a thread,
a file shared with a caption, a thread reply also sent to the DM, a `/me`, and an App Home open
(published once). Each is signed and POSTed as Slack sends it (bot/sandbox/slack_side.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.sandbox.fake_slack import Message
from tests.bot.conftest import Walk, interview, publish_sales, publish_top
from tests.conftest import ADMIN, BOB, OWNER
from tests.helpers import snapshot


def post(w: Walk, user: str, event: dict[str, Any]) -> None:
    """Slack delivers `event` from `user`; it is acknowledged (Slack counts anything else as a
    failure)."""
    w.seen[user] = len(w.r.fake.replies_for(user))
    assert w.r.slack.event(event).status == 200


def settled(w: Walk, user: str) -> None:
    """Everything `user` asked for so far is done, refreshes of others' Homes too: their work runs
    in arrival order, so a last read-only command is answered only after it."""
    before = len(w.r.fake.replies_for(user))
    w.r.slack.command(user, "mine")
    w.r.fake.wait_for(lambda f: any(m.ephemeral_to == user for m in f.replies_for(user)[before:]))


def mine(w: Walk, user: str, text: str) -> Message:
    """The person's own last message with this text, as the fake Slack shows it."""
    return next(
        m for m in reversed(w.r.fake.messages_for(user)) if m.user == user and m.text == text
    )


def measure_asked(w: Walk) -> Message:
    """Bob, in the goal interview, at the question of how progress is measured."""
    publish_top(w)
    publish_sales(w)
    coached = interview(w)
    w.click(BOB, coached, "Keep my wording")
    return w.expect(BOB, "How will you and your manager know")


def goal_rows(w: Walk) -> list[dict[str, Any]]:
    return snapshot(w.r.engine)["goals"]


def state(w: Walk) -> dict[str, Any]:
    """What an edit may change: everything saved but the ledger of events handled."""
    return {k: v for k, v in snapshot(w.r.engine).items() if "event" not in k}


def test_an_edit_of_the_answer_to_the_open_question_replaces_it_and_says_so(walk: Walk) -> None:
    w = walk
    measure_asked(w)
    w.dm(BOB, "12 enterprise customers signed")
    w.expect(BOB, "When is it due?")
    assert goal_rows(w)[0]["measure"] == "12 enterprise customers signed"

    answer = mine(w, BOB, "12 enterprise customers signed")
    post(w, BOB, w.r.slack.payloads.edit_event(BOB, answer.ts, "15 enterprise customers signed"))
    said = w.expect(BOB, "You edited your answer")
    assert "15 enterprise customers signed" in said.text
    w.expect(BOB, "When is it due?")  # the question the edited answer led to, asked again
    assert goal_rows(w)[0]["measure"] == "15 enterprise customers signed"

    w.dm(BOB, "end of March")
    w.expect(BOB, "Anything you expect to get in your way?")
    w.dm(BOB, "none")
    review = w.expect(BOB, "Your goal, ready to send")
    assert "15 enterprise customers signed" in review.text and "12 enterprise" not in review.text


def test_an_edit_of_an_older_answer_is_told_how_to_change_it_and_changes_nothing(
    walk: Walk,
) -> None:
    w = walk
    measure_asked(w)
    w.dm(BOB, "12 enterprise customers signed")
    w.expect(BOB, "When is it due?")
    w.dm(BOB, "end of March")
    w.expect(BOB, "Anything you expect to get in your way?")
    before = state(w)

    answer = mine(w, BOB, "12 enterprise customers signed")
    post(w, BOB, w.r.slack.payloads.edit_event(BOB, answer.ts, "15 enterprise customers signed"))
    told = w.expect(BOB, "Your edit didn't change anything")
    assert "`back`" in told.text
    assert state(w) == before

    # `back`, as told, reaches the question the edited message answered.
    w.dm(BOB, "back")
    w.expect(BOB, "When is it due?")
    w.dm(BOB, "back")
    w.expect(BOB, "How will you and your manager know")


def test_an_edit_outside_any_conversation_says_it_changed_nothing(walk: Walk) -> None:
    w = walk
    w.dm(BOB, "hello?")
    w.expect(BOB, "What you can do next")
    hello = mine(w, BOB, "hello?")
    post(w, BOB, w.r.slack.payloads.edit_event(BOB, hello.ts, "hello!"))
    told = w.expect(BOB, "Your edit didn't change anything")
    assert "`back`" not in told.text


def test_the_app_never_answers_its_own_edits_nor_an_edit_that_kept_the_words(walk: Walk) -> None:
    w = walk
    settled(w, ADMIN)  # the set-up's messages to Bob have all arrived
    w.dm(BOB, "hello?")
    answered = w.expect(BOB, "What you can do next")
    hello = mine(w, BOB, "hello?")
    before = len(w.r.fake.replies_for(BOB))
    # Cascade rewriting its own message; a link preview added to Bob's, his words unchanged.
    post(w, BOB, w.r.slack.payloads.bot_edit_event(answered))
    post(w, BOB, w.r.slack.payloads.edit_event(BOB, hello.ts, "hello?"))
    # Then a real edit: answered once, so everything before it was handled (and said nothing).
    post(w, BOB, w.r.slack.payloads.edit_event(BOB, hello.ts, "hello!"))
    w.expect(BOB, "Your edit didn't change anything")
    time.sleep(0.3)
    assert len(w.r.fake.replies_for(BOB)) == before + 1, [
        m.text[:80] for m in w.r.fake.replies_for(BOB)
    ]


def objective_question(w: Walk) -> Message:
    """Olga, planning the top unit, is asked for an objective."""
    w.command(OWNER, "plan")
    return w.expect(OWNER, "Type an objective")


def titles(w: Walk) -> list[str]:
    return [o["title"] for o in snapshot(w.r.engine)["objectives"]]


def test_a_reply_in_a_thread_is_the_answer_and_is_answered_in_that_thread(walk: Walk) -> None:
    w = walk
    question = objective_question(w)
    event = w.r.slack.payloads.dm_variant_event(
        OWNER, "Grow revenue 20% in FY27", thread_ts=question.ts
    )
    post(w, OWNER, event)
    noted = w.expect(OWNER, "Noted: Grow revenue 20% in FY27")
    assert noted.thread_ts == question.ts
    assert titles(w) == ["Grow revenue 20% in FY27"]

    # A reply to Cascade's reply joins the same thread, and is answered there too.
    post(w, OWNER, w.r.slack.payloads.dm_variant_event(OWNER, "done", thread_ts=noted.ts))
    review = w.expect(OWNER, "Acme's objectives for FY27 H1")
    assert review.thread_ts == question.ts


@pytest.mark.parametrize("subtype", ["file_share", "thread_broadcast", "me_message"])
def test_words_that_come_with_more_count_as_their_words(walk: Walk, subtype: str) -> None:
    """A file shared with a caption counts as its caption; a thread reply also sent to the DM and
    a `/me` as their text."""
    w = walk
    question = objective_question(w)
    event = w.r.slack.payloads.dm_variant_event(
        OWNER,
        "Grow revenue 20% in FY27",
        subtype=subtype,
        thread_ts=question.ts if subtype == "thread_broadcast" else None,
        filename="plan.pdf" if subtype == "file_share" else None,
    )
    assert event["subtype"] == subtype
    post(w, OWNER, event)
    noted = w.expect(OWNER, "Noted: Grow revenue 20% in FY27")
    assert titles(w) == ["Grow revenue 20% in FY27"]
    assert noted.thread_ts == (question.ts if subtype == "thread_broadcast" else None)


def test_a_file_without_a_caption_is_told_what_counts(walk: Walk) -> None:
    w = walk
    objective_question(w)
    post(w, OWNER, w.r.slack.payloads.dm_variant_event(OWNER, "", filename="plan.pdf"))
    w.expect(OWNER, "I can't read what's in a file")
    w.expect(OWNER, "Type an objective")  # the question, asked again
    assert titles(w) == []


def publishes_to(w: Walk, user: str) -> int:
    return sum(1 for c in w.r.fake.calls_to("views.publish") if c.args.get("user_id") == user)


def test_opening_the_home_publishes_it_once(walk: Walk) -> None:
    w = walk
    settled(w, ADMIN)  # the set-up's changes have refreshed every Home they touched
    for opened in (1, 2):
        w.r.fake.home_views.pop(BOB, None)
        assert w.r.slack.home_opened(BOB).status == 200
        w.r.fake.wait_for(lambda f: f.home_views.get(BOB))
        settled(w, BOB)  # the open's work is over, and any refresh after it
        assert publishes_to(w, BOB) == opened
