"""Payloads Slack never sends still get an answer and change nothing."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.conftest import BOB, Running
from tests.helpers import last_reply, snapshot

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "block_actions", "team": {"id": "T0CASCADE"}, "user": {"id": BOB}, "actions": []},
        {
            "type": "block_actions",
            "team": {"id": "T0CASCADE"},
            "user": {"id": BOB},
            "actions": [{"action_id": "flow_answer_0", "value": "not json"}],
        },
        {
            "type": "block_actions",
            "team": {"id": "T0CASCADE"},
            "user": {"id": BOB},
            "actions": [{"action_id": "goal_agree", "value": "99999"}],
        },
        {
            "type": "block_actions",
            "team": {"id": "T0CASCADE"},
            "user": {"id": BOB},
            "actions": [{"action_id": "goal_agree", "value": "'; drop table goal; --"}],
        },
        {
            "type": "view_submission",
            "team": {"id": "T0CASCADE"},
            "user": {"id": BOB},
            "view": {"callback_id": "goal_suggest", "private_metadata": "nonsense", "state": {}},
        },
        {
            "type": "view_submission",
            "team": {"id": "T0CASCADE"},
            "user": {"id": BOB},
            "view": {"callback_id": "cycle_new"},
        },
        {"type": "no_such_type", "team": {"id": "T0CASCADE"}, "user": {"id": BOB}},
    ],
)
def test_odd_interactions(running: Running, payload: dict[str, object]) -> None:
    running.slack.command(BOB, "help")  # Bob is in the directory
    last_reply(running.fake, BOB)
    before = snapshot(running.engine)
    reply = running.slack.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM)
    # An answer, never a crash: 200 where a listener could make sense of it, else 400/404.
    assert reply.status in (200, 400, 404), reply.body
    assert snapshot(running.engine) == before


def test_a_command_without_user_or_text(running: Running) -> None:
    body = urlencode(
        {
            "command": "/goals",
            "team_id": "T0CASCADE",
            "response_url": running.fake.response_url_for(
                running.slack.fake_url, user_id="UNOBODY", channel_id=""
            ),
        }
    ).encode()
    reply = running.slack.post(body, FORM)
    assert reply.status == 200
    running.fake.wait_for(lambda f: f.messages_for("UNOBODY"))
    assert "can't find you" in running.fake.messages_for("UNOBODY")[0].text
    assert all(rows == [] for key, rows in snapshot(running.engine).items() if key != "people")


def test_an_event_without_a_user(running: Running) -> None:
    reply = running.slack.event({"type": "message", "channel_type": "im", "text": "hi"})
    assert reply.status == 200
    reply = running.slack.event({"type": "app_home_opened", "tab": "home"})
    assert reply.status == 200
