"""Hostile text into `/goals` and into a DM answer at every step of every flow, on SQLite and
PostgreSQL: never a 5xx, never an unhandled error in the log, never a message or view Slack would
refuse or show wrongly, never a control character stored.

Three tiers, so that ten thousand cases fit in CI: the bulk runs the edge's parsing, the listener's
work, the flow step and the rendering of what it owes, each case in a savepoint rolled back; a
smaller number go through the whole app in this process (signed, dispatched by Bolt, committed,
delivered; tests/faults/harness.py); fewer still are POSTed over HTTP to the app as served.
Deterministic: hypothesis is derandomized (its seed is each test's name) and keeps no database of
examples. Cases are printed per test (`pytest -s`); FUZZ_SCALE scales them all.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot import blocks, listeners
from bot.handling import Reply
from bot.listeners.commands import parse
from bot.payloads import DirectMessage, SlashCommand
from bot.reply import refusal_text
from bot.sandbox.fake_slack import FakeSlack
from bot.turns import owed_turn
from conversations.errors import Refusal
from storage import conversations
from storage.db import transaction
from tests.conftest import ADMIN, ALICE, BOB, DAVE, OWNER, Running
from tests.faults.harness import Bulk, Harness, harness, owing_problems, slack_problems
from tests.faults.hostile import HOSTILE
from tests.faults.world import (
    BAD,
    World,
    places,
    put,
    seed,
    stored_text_problems,
)
from tests.helpers import snapshot

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
# Cases per database: SQLite's are cheaper (no round trips), so it takes the larger share.
BULK_CASES = {"sqlite": 3700, "postgresql": 1100}  # DM answers over the 13 steps, rolled back
BULK_COMMAND_CASES = {"sqlite": 3500, "postgresql": 1300}  # `/goals` text, rolled back
APP_CASES = 8  # per step, through the whole app (committed, delivered)
APP_COMMAND_CASES = 80
HTTP_CASES = 40
# In all, on the two (as CI runs): 3,700 + 3,500 + 1,100 + 1,300 bulk, and 2 × (13 × 8 + 80 + 40)
# through the whole app: 9,600 + 448 = 10,048 cases a run.


def scaled(count: int) -> int:
    return max(1, int(count * SCALE))


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture
def world(engine: Engine, fake_slack: tuple[FakeSlack, str]) -> Iterator[tuple[Harness, World]]:
    fake, url = fake_slack
    for user, name in [("UTOBY", "Toby"), ("UNEW", "New Person")]:
        fake.add_user(user, name)
    w = seed(engine, fake)
    with harness(fake, url, engine) as h:
        yield h, w


WEIGHTED: list[str] = []  # PLACES, the due dates' less often: dateparser costs 20-60 ms a case
PLACES = [
    *(f"goal_interview.{step}" for step in
      ("objective", "statement", "coach", "measure", "due", "confirm_due", "barriers", "review")),
    "objectives.collect",
    "objectives.review_top",
    "objectives.contribute",
    "objectives.extra",
    "objectives.review",
]  # fmt: skip
WEIGHTED += [p for p in PLACES for _ in range(1 if p.endswith("due") else 3)]


def test_hostile_dm_answers_at_every_step(world: tuple[Harness, World]) -> None:
    """The bulk: the edge's parsing, the runner, the step and the rendering of every message the
    turn owes, each case in a savepoint rolled back after it (so every case starts from the seed;
    what the whole app then does with a turn is the next test's)."""
    h, w = world
    cases: Counter[str] = Counter()
    bulk = Bulk(h.services, w.team_id)

    @fuzz(scaled(BULK_CASES[h.engine.dialect.name]))
    @given(place=st.sampled_from(WEIGHTED), text=HOSTILE, raw=st.booleans())
    def case(place: str, text: str, raw: bool) -> None:
        cases[place] += 1
        user, flow, step, answers = places(w)[place]
        event = {
            "type": "message",
            "channel_type": "im",
            "user": user,
            "text": text if raw else h.fake.as_sent_by_slack(text),
        }
        message = DirectMessage.parse(event, {"team_id": w.team_id})
        assert message is not None and BAD.isdisjoint(message.text)  # what any step may store
        with bulk.case(user) as a:
            conversations.start_conversation(
                session=a.session,
                team_id=w.team_id,
                person_id=w.ids[user],
                flow=flow,
                step=step,
                answers=answers,
                now=a.now,
            )
            turn = a.reply(message.text)
            assert turn is not None and turn.say
            owing = owed_turn(w.team_id, user, turn)
            assert owing_problems(owing) == [], text[:200]

    try:
        case()
    finally:
        bulk.close()
    print(f"DM answers: {sum(cases.values())} cases (bulk), by step {dict(cases)}")
    assert set(cases) == set(PLACES)


def test_hostile_dm_answers_through_the_whole_app(world: tuple[Harness, World]) -> None:
    """Fewer, through everything: signed, dispatched, committed and delivered to the fake."""
    h, w = world
    cases: Counter[str] = Counter()

    @fuzz(scaled(APP_CASES * len(PLACES)))
    @given(place=st.sampled_from(PLACES), text=HOSTILE, raw=st.booleans())
    def case(place: str, text: str, raw: bool) -> None:
        cases[place] += 1
        user, flow, step, answers = places(w)[place]
        put(h.engine, w, user, flow, step, answers)
        h.forget()
        response = h.dm(user, text, raw=raw)
        assert response.status == 200, (response.status, response.body)
        assert h.problems() == [], (text[:200], h.problems())

    case()
    assert stored_text_problems(h.engine) == []
    print(f"DM answers: {sum(cases.values())} cases (whole app)")


COMMANDS = [
    "{}",
    'cycle add "{}" 2027-01-01 2027-06-30',
    'unit add "{}" parent:"Acme" manager:<@UTOBY>',
    'unit members "{}" <@UNEW>',
    'unit members "Sales" <@UBOB> <@UCAROL> {}',
    "plan {}",
    'plan "{}"',
    "tree {}",
    "set {}",
    "mine {}",
    "help {}",
    "1on1 {}",
    "1on1 <@UBOB> {}",
    "1on1 <@UALICE> every {}",
]


USERS = [ADMIN, OWNER, ALICE, BOB, DAVE, "UNEW"]


def test_hostile_goals_commands(world: tuple[Harness, World]) -> None:
    """The bulk: every `/goals` form with hostile text in its fields, by people of every role,
    in one transaction per case (rolled back)."""
    h, w = world
    cases = 0

    @fuzz(scaled(BULK_COMMAND_CASES[h.engine.dialect.name]))
    @given(
        form=st.sampled_from(COMMANDS), text=HOSTILE, user=st.sampled_from(USERS), raw=st.booleans()
    )
    def case(form: str, text: str, user: str, raw: bool) -> None:
        nonlocal cases
        cases += 1
        typed = form.replace("{}", text)
        fields = {"team_id": w.team_id, "user_id": user, "channel_id": "D1"}
        fields["text"] = typed if raw else h.fake.as_sent_by_slack(typed)
        command = SlashCommand.parse(fields)
        try:
            subcommand, parsed = listeners.commands.read(command.text)
        except parse.BadCommand as bad:
            said = refusal_text(bad.refusal, bad.usage)
            assert slack_problems(blocks.message(said), "refusal") == [], typed[:200]
            return
        assert BAD.isdisjoint(command.text)
        with bulk.case(user) as a:
            try:
                reply = subcommand.run(a, parsed)
            except Refusal as refusal:
                reply = Reply(refusal_text(refusal, subcommand.usage))
            if reply.text:
                shown = blocks.message(reply.text, *reply.extra)
                assert slack_problems(shown, "reply") == [], typed[:200]
            if reply.turn is not None:
                assert owing_problems(owed_turn(w.team_id, user, reply.turn)) == [], typed[:200]

    bulk = Bulk(h.services, w.team_id)
    try:
        case()
    finally:
        bulk.close()
    print(f"/goals: {cases} cases (bulk)")


def test_hostile_goals_commands_through_the_whole_app(world: tuple[Harness, World]) -> None:
    """Fewer, through everything; a refused command writes nothing."""
    h, w = world
    cases = 0

    @fuzz(scaled(APP_COMMAND_CASES))
    @given(
        form=st.sampled_from(COMMANDS),
        text=HOSTILE,
        user=st.sampled_from(USERS),
        raw=st.booleans(),
    )
    def case(form: str, text: str, user: str, raw: bool) -> None:
        nonlocal cases
        cases += 1
        h.forget()
        before = snapshot(h.engine)
        response = h.command(user, form.replace("{}", text), raw=raw)
        assert response.status == 200, (response.status, response.body)
        assert h.problems() == [], (form, text[:200], h.problems())
        replies = [m for m in h.fake.messages_for(user) if m.ephemeral_to == user]
        if replies and replies[-1].text.startswith(":warning:"):
            after = snapshot(h.engine)
            assert {k: v for k, v in after.items() if k != "people"} == {
                k: v for k, v in before.items() if k != "people"
            }, (form, text[:200])

    case()
    assert stored_text_problems(h.engine) == []
    with transaction(h.engine) as s:  # conversations left by `plan` and `set` are well formed
        for conversation in conversations.list_conversations(session=s, team_id=w.team_id):
            assert conversation.flow in ("objectives", "goal_interview")
    print(f"/goals: {cases} cases (whole app)")


def test_signed_requests_over_http(running: Running) -> None:
    """A smaller number of the same, signed and POSTed to the app served as in production."""
    fake = running.fake
    seed(running.engine, fake)
    cases = 0

    @fuzz(scaled(HTTP_CASES))
    @given(text=HOSTILE, kind=st.sampled_from(["command", "dm", "home", "click"]))
    def case(text: str, kind: str) -> None:
        nonlocal cases
        cases += 1
        slack = running.slack
        if kind == "command":
            reply = slack.command(BOB, text)
        elif kind == "dm":
            reply = slack.dm(BOB, text)
        elif kind == "home":
            reply = slack.home_opened(BOB)
        else:
            reply = slack.action(BOB, "goal_agree", text[:100])
        assert reply.status in (200, 400), reply.body
        assert reply.seconds < 3.0

    case()
    running.services.background.shutdown(wait=True)
    running.fake.wait_for(lambda f: True)
    assert stored_text_problems(running.engine) == []
    print(f"over HTTP: {cases} cases")
