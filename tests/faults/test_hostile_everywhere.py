"""Slack's tokens and escapes in every field people fill — their Slack names, unit and cycle names,
objectives, goal statements, measures, barriers, a manager's comment — through the whole cascade,
then every view: every message, modal and Home the app renders reaches the fake Slack, which
refuses what Slack refuses and records what it would broadcast or show wrongly. None may."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.sandbox.fake_slack import FakeSlack
from storage import commitments, one_on_ones, people
from storage.db import transaction
from storage.models import GoalStatus
from tests.conftest import ADMIN, ALICE, BOB, CAROL, OWNER
from tests.faults.cascade import Words, goal_id, play, script
from tests.faults.harness import Harness, harness
from tests.faults.test_storm import InProcess

# Typed literally, these reach the app escaped by Slack; `@here` and `@channel` typed as mentions
# reach it as Slack's own broadcast tokens.
H = "<!channel> @here <@U123> <https://evil.example|x> &lt; & *b*"
NAME = "<!here> & <@U1> <https://evil|x> &lt;"  # a Slack display name (nobody escapes those)
TITLE = "<!here> & <https://evil|x> &lt;"  # in a unit or cycle name (a picked <@U1> is "@U1")


@pytest.fixture
def hostile(engine: Engine, fake_slack: tuple[FakeSlack, str]) -> Iterator[Harness]:
    fake, url = fake_slack
    for user in (ADMIN, OWNER, ALICE, BOB, CAROL):
        member = fake.users[user]
        member["real_name"] = member["profile"]["real_name"] = f"{NAME} {user}"
        member["profile"]["display_name"] = f"{NAME} {user}"
    with harness(fake, url, engine) as h:
        yield h


def test_tokens_in_every_field_reach_no_view_raw(hostile: Harness) -> None:
    h = hostile
    words = Words(
        cycle=f"FY {TITLE}",
        top=f"Acme {TITLE}",
        unit=f"Sales {TITLE}",
        objectives=(f"Grow {H}", f"Delight {H}"),
        contribution=f"Sell {H}",
        statement=f"Sign 10 enterprise customers by end of March {H}",
        measure=f"10 contracts {H}",
        barriers=f"Legal {H}",
        barrier=f"Blocked {H}",
    )
    steps = [s for s in script(words) if not (s.kind == "agree" and s.about == CAROL)]
    play(InProcess(h), h.engine, h.fake.team_id, steps, patience=0.0)  # Carol's: not agreed
    # The manager suggests changes to Carol's goal: the form shows its words; the comment is hers.
    carol = goal_id(h.engine, h.fake.team_id, CAROL, GoalStatus.PROPOSED)
    assert carol is not None
    h.click(ALICE, "goal_suggest", str(carol))
    assert h.fake.top_modal(ALICE) is not None
    h.submit(ALICE, {"comment": {"value": f"Tighten it {H}"}})
    h.click(CAROL, "goal_revise", str(carol))
    # The manager promises help on Bob's goal; Bob adds a topic to their 1:1: both with tokens.
    bob = goal_id(h.engine, h.fake.team_id, BOB, GoalStatus.AGREED)
    h.click(ALICE, "commitment_offer", str(bob))
    h.submit(ALICE, {"help": {"value": f"Get you CRM access {H}"}})
    with transaction(h.engine) as s:
        alice = people.get_person(session=s, team_id=h.fake.team_id, user_id=ALICE)
        assert alice is not None
    h.click(BOB, "one_on_one_add_topic", str(alice.id))
    h.submit(BOB, {"topic": {"value": f"Budget {H}"}})
    h.command(BOB, f"1on1 <@{ALICE}>")
    h.command(ALICE, f"1on1 <@{BOB}>")
    h.command(ALICE, "team")
    with transaction(h.engine) as s:
        assert len(commitments.list_commitments(session=s, team_id=h.fake.team_id)) == 1
        assert (
            len(
                one_on_ones.items_of_pairs(
                    session=s,
                    team_id=h.fake.team_id,
                    pairs=[(alice.id or 0, bob_id(s, h))],
                    since=EPOCH,
                )
            )
            == 1
        )
    # Every view of it all, for everyone.
    for user in (ADMIN, OWNER, ALICE, BOB, CAROL):
        for text in ("help", "mine", "tree", f'tree "{words.unit}"'):
            h.command(user, text)
        h.home(user)
    h.click(ADMIN, "cycle_new")
    h.submit(ADMIN, {"name": {"value": f"H2 {TITLE}"}, "start": {"value": "2031-01-01"},
                     "end": {"value": "2031-06-30"}})  # fmt: skip
    assert h.problems() == []
    shown = json.dumps([m.blocks for m in h.fake.messages] + list(h.fake.home_views.values()))
    assert "<!channel>" not in shown and "<!here>" not in shown and "<@U123>" not in shown
    assert len(h.fake.messages) > 60


EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def bob_id(s: Any, h: Harness) -> int:
    found = people.get_person(session=s, team_id=h.fake.team_id, user_id=BOB)
    assert found is not None and found.id is not None
    return found.id
