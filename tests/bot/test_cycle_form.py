"""The New cycle button and modal: a click opens it, errors land on their fields."""

from __future__ import annotations

from tests.conftest import ADMIN, BOB, Running
from tests.helpers import last_reply, snapshot


def open_form(running: Running, user: str = ADMIN) -> None:
    running.slack.command(user, "help")
    message = last_reply(running.fake, user)
    buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["cycle_new"]
    running.slack.action(user, "cycle_new")
    running.fake.wait_for(lambda f: f.top_modal(user))


def test_admin_creates_a_cycle_through_the_form(running: Running) -> None:
    open_form(running)
    modal = running.fake.top_modal(ADMIN)
    assert modal and modal["callback_id"] == "cycle_new"
    reply = running.slack.submit(
        ADMIN,
        {
            "name": {"value": "FY27 H1"},
            "start": {"selected_date": "2027-01-01"},
            "end": {"selected_date": "2027-06-30"},
        },
    )
    assert reply.status == 200 and reply.body.strip() == b""
    assert running.fake.top_modal(ADMIN) is None
    assert "FY27 H1" in last_reply(running.fake, ADMIN, 2).text
    assert [c["name"] for c in snapshot(running.engine)["cycles"]] == ["FY27 H1"]


def test_errors_land_on_their_fields_and_nothing_is_written(running: Running) -> None:
    open_form(running)
    reply = running.slack.submit(
        ADMIN,
        {
            "name": {"value": "FY27 H1"},
            "start": {"selected_date": "2027-06-30"},
            "end": {"selected_date": "2027-01-01"},
        },
    )
    body = reply.json()
    assert body["response_action"] == "errors" and set(body["errors"]) == {"end"}
    assert "on or before it starts" in body["errors"]["end"]
    reply = running.slack.submit(
        ADMIN,
        {
            "name": {"value": "   "},
            "start": {"selected_date": "2027-01-01"},
            "end": {"selected_date": "2027-06-30"},
        },
    )
    assert set(reply.json()["errors"]) == {"name"}
    reply = running.slack.submit(ADMIN, {"name": {"value": "X"}})  # a payload Slack never sends
    assert set(reply.json()["errors"]) == {"start"}
    assert running.fake.top_modal(ADMIN) is not None  # still open, for the person to fix
    assert snapshot(running.engine)["cycles"] == []


def test_non_admins_get_no_button_and_cannot_submit(running: Running) -> None:
    running.slack.command(BOB, "help")
    assert not any(b["type"] == "actions" for b in last_reply(running.fake, BOB).blocks)
    running.fake.modals[BOB] = [
        {
            "id": "VFORGED",
            "type": "modal",
            "callback_id": "cycle_new",
            "title": {"type": "plain_text", "text": "x"},
            "blocks": [],
        }
    ]
    reply = running.slack.submit(
        BOB,
        {
            "name": {"value": "Mine"},
            "start": {"selected_date": "2027-01-01"},
            "end": {"selected_date": "2027-06-30"},
        },
    )
    assert "Only a Cascade admin" in reply.json()["errors"]["name"]
    assert snapshot(running.engine)["cycles"] == []


def test_app_home_offers_admins_the_form(running: Running) -> None:
    running.slack.event(
        {"type": "app_home_opened", "user": ADMIN, "channel": "DADMIN", "tab": "home"}
    )
    view = running.fake.wait_for(lambda f: f.home_views.get(ADMIN))
    assert any(b["type"] == "actions" for b in view["blocks"])
