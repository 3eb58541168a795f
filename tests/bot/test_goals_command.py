"""`/goals` set-up commands end to end: signed requests in, the fake Slack's record out."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, ALICE, BOB, CAROL, DAVE, GONE, OWNER, ROBOT, Running
from tests.helpers import snapshot


def run(running: Running, user: str, text: str) -> str:
    """Send `/goals text` as `user`; returns the text of the ephemeral reply."""
    before = len(running.fake.replies_for(user))
    reply = running.slack.command(user, text)
    assert reply.status == 200, reply.body
    # The command's answer is ephemeral; DMs (a welcome to a new member) may arrive meanwhile.
    message = running.fake.wait_for(
        lambda f: next((m for m in f.replies_for(user)[before:] if m.ephemeral_to == user), None)
    )
    assert message.ephemeral_to == user
    return str(message.text)


@pytest.fixture
def org(running: Running) -> Running:
    """A cycle, a root unit (Acme, Olga) and Sales under it (Alice; Bob and Carol)."""
    assert "Cycle *FY27 H1*" in run(running, ADMIN, 'cycle add "FY27 H1" 2027-01-01 2027-06-30')
    assert "created" in run(running, ADMIN, f'unit add "Acme" manager:<@{OWNER}|olga>')
    assert "created" in run(
        running, ADMIN, f'unit add "Sales" parent:"Acme" manager:<@{ALICE}|alice>'
    )
    assert "updated" in run(running, ADMIN, f'unit members "Sales" <@{BOB}|bob> <@{CAROL}>')
    return running


def test_set_up_an_organisation(org: Running) -> None:
    data = snapshot(org.engine)
    today = org.services.clock().date().isoformat()
    assert [(c["name"], c["active"]) for c in data["cycles"]] == [
        ("FY27 H1", "2027-01-01" <= today <= "2027-06-30")
    ]
    units = {u["name"]: u for u in data["units"]}
    assert units["Acme"]["parent_id"] is None and units["Acme"]["manager_id"] == OWNER
    assert units["Sales"]["parent_id"] == units["Acme"]["id"]
    people = {p["user_id"]: p for p in data["people"]}
    assert people[BOB]["unit_id"] == people[CAROL]["unit_id"] == units["Sales"]["id"]
    # Alice manages Sales and so belongs to the unit above it.
    assert people[ALICE]["unit_id"] == units["Acme"]["id"]
    assert people[ALICE]["manages"] == [units["Sales"]["id"]]


@pytest.mark.now("2027-04-11T09:00:00+00:00")
def test_a_cycle_is_active_while_its_dates_contain_today(org: Running) -> None:
    text = run(org, ADMIN, 'cycle add "FY27 H2" 2027-05-01 2027-12-31')
    assert "may not overlap" in text and "FY27 H1" in text
    text = run(org, ADMIN, 'cycle add "FY27 H2" 2027-07-01 2027-12-31')
    assert "is planned" in text and "*FY27 H1* stays the active cycle" in text
    at = org.services.clock()
    cycles = {c["name"]: c["active"] for c in snapshot(org.engine, at)["cycles"]}
    assert cycles == {"FY27 H1": True, "FY27 H2": False}
    later = at.replace(month=7, day=1)
    cycles = {c["name"]: c["active"] for c in snapshot(org.engine, later)["cycles"]}
    assert cycles == {"FY27 H1": False, "FY27 H2": True}


def test_slack_owner_is_an_admin(running: Running) -> None:
    assert "Cycle *Q1*" in run(running, OWNER, 'cycle add "Q1" 2027-01-01 2027-03-31')


def test_unit_manager_may_set_members_but_not_steal(org: Running) -> None:
    # Only an admin places someone who is in no unit (Dave); the manager arranges their own.
    assert "Only a Cascade admin" in run(org, ALICE, f'unit members "Sales" <@{BOB}> <@{DAVE}>')
    assert "updated" in run(org, ADMIN, f'unit members "Sales" <@{BOB}> <@{CAROL}> <@{DAVE}>')
    assert "updated" in run(org, ALICE, f'unit members "Sales" <@{BOB}> <@{DAVE}>')
    people = {p["user_id"]: p for p in snapshot(org.engine)["people"]}
    assert people[CAROL]["unit_id"] is None and people[DAVE]["unit_id"] is not None
    run(org, ADMIN, f'unit add "Ops" parent:"Acme" manager:<@{CAROL}>')
    run(org, ADMIN, f'unit members "Ops" <@{DAVE}>')
    before = snapshot(org.engine)
    text = run(org, ALICE, f'unit members "Sales" <@{BOB}> <@{DAVE}>')
    assert "belongs to *Ops*" in text
    assert snapshot(org.engine) == before


def test_members_unchanged_says_so(org: Running) -> None:
    assert "nothing changed" in run(org, ADMIN, f'unit members "sales" <@{BOB}> <@{CAROL}>')


def test_help_depends_on_role(org: Running) -> None:
    assert "Add a unit" in run(org, ADMIN, "")
    alice = run(org, ALICE, "help")
    assert "You manage *Sales*" in alice and "Add a unit" not in alice
    assert "You're in *Sales*" in run(org, BOB, "help")
    assert "aren't in a unit" in run(org, DAVE, "help")


@pytest.mark.parametrize(
    ("user", "text", "problem", "form"),
    [
        (ADMIN, "cycle add", "needs 3 values", 'cycle add "FY27 H1"'),
        (ADMIN, 'cycle add "H1" 2027-01-01', "needs 3 values", 'cycle add "FY27 H1"'),
        (ADMIN, 'cycle add "H1" 2027-02-30 2027-06-30', "couldn't read `2027-02-30`", "cycle add"),
        (ADMIN, 'cycle add "H1" 2027-13-01 2027-06-30', "as the start date", "cycle add"),
        (ADMIN, 'cycle add "H1" 2027-06-30 2027-01-01', "on or before it starts", "cycle add"),
        (ADMIN, 'cycle add "Old" 2020-01-01 2020-06-30', "already passed", "cycle add"),
        (ADMIN, 'cycle add "FY27 H1" 2027-01-01 2027-06-30', "already exists", "cycle add"),
        (ADMIN, 'cycle add "H1" 🎉 2027-06-30', "couldn't read `🎉`", "cycle add"),
        (
            ADMIN,
            "cycle add " + '"' + "x" * 5000 + '" 2027-01-01 2027-06-30',
            "5000 characters",
            "cycle add",
        ),
        (ADMIN, 'cycle add "FY27 H1 2027-01-01 2027-06-30', "never closed", "/goals help"),
        (ADMIN, "cycle remove", "don't know", "cycle add"),
        (ADMIN, 'unit add "Ops"', "needs one name", 'unit add "Sales"'),
        (
            ADMIN,
            f'unit add "Ops" parent:"Nowhere" manager:<@{DAVE}>',
            "no unit called *Nowhere*",
            "unit add",
        ),
        (ADMIN, f'unit add "Ops" manager:<@{DAVE}>', "already has its top unit", "parent:"),
        (
            ADMIN,
            'unit add "Ops" parent:"Acme" manager:<@UNOBODY>',
            "can't find <@UNOBODY>",
            "unit add",
        ),
        (ADMIN, f'unit add "Ops" parent:"Acme" manager:<@{GONE}>', "deactivated", "unit add"),
        (ADMIN, f'unit add "Ops" parent:"Acme" manager:<@{ROBOT}>', "is a bot", "unit add"),
        (ADMIN, 'unit add "Ops" parent:"Acme" manager:@nobody.here', "isn't a person", "unit add"),
        (ADMIN, 'unit add "Ops" parent:"Acme" manager:🎉', "isn't a person", "unit add"),
        (ADMIN, f'unit add "Sales" parent:"Acme" manager:<@{DAVE}>', "already exists", "unit add"),
        (
            ADMIN,
            f'unit add "{"y" * 5000}" parent:"Acme" manager:<@{DAVE}>',
            "at most 80",
            "unit add",
        ),
        (ADMIN, f'unit add "" parent:"Acme" manager:<@{DAVE}>', "name is empty", "unit add"),
        (ADMIN, f'unit add "Ops" parent:"Acme manager:<@{DAVE}>', "never closed", "/goals help"),
        (ADMIN, 'unit members "Sales"', "mention one or more", 'unit members "Sales"'),
        (ADMIN, f'unit members "Nowhere" <@{DAVE}>', "no unit called", "unit members"),
        (ADMIN, f'unit members "Sales" <@{ALICE}>', "manages *Sales*", "unit members"),
        (ADMIN, f'unit members "Sales" <@{BOB}> <@{GONE}>', "deactivated", "unit members"),
        (ADMIN, f'unit members "Sales" <@{BOB}> <@UNOBODY>', "can't find", "unit members"),
        (BOB, 'cycle add "H2" 2027-07-01 2027-12-31', "Only a Cascade admin", "cycle add"),
        (
            BOB,
            f'unit add "Ops" parent:"Acme" manager:<@{DAVE}>',
            "Only a Cascade admin",
            "unit add",
        ),
        (BOB, f'unit members "Sales" <@{DAVE}>', "Only *Sales'* manager", "unit members"),
        (ADMIN, "frobnicate", "don't know `frobnicate`", "/goals help"),
    ],
)
def test_malformed_input_is_explained_and_writes_nothing(
    org: Running, user: str, text: str, problem: str, form: str
) -> None:
    before = snapshot(org.engine)
    reply = run(org, user, text)
    assert problem in reply
    assert form in reply
    assert snapshot(org.engine) == before


def test_names_with_emoji_and_other_scripts_work(org: Running) -> None:
    text = run(org, ADMIN, f'unit add "🚀 Launch — 発売" parent:"Acme" manager:<@{DAVE}>')
    assert "*🚀 Launch — 発売*" in text
    assert "🚀 Launch — 発売" in {u["name"] for u in snapshot(org.engine)["units"]}


def test_smart_quotes_from_slack_clients_are_understood(org: Running) -> None:
    assert "created" in run(org, ADMIN, f"unit add “Field Ops” parent:“Acme” manager:<@{DAVE}>")


def test_user_text_is_escaped_and_never_pings(org: Running) -> None:
    # Typed literally, Slack escapes it; as a real @channel, Slack sends the <!channel> token.
    for raw in ("<!channel> Ops", "@channel Ops2"):
        text = run(org, ADMIN, f'unit add "{raw}" parent:"Acme" manager:<@{DAVE}>')
        assert "<!channel>" not in text and "<!" not in text
    units = {u["name"] for u in snapshot(org.engine)["units"]}
    assert {"<!channel> Ops", "@channel Ops2"} <= units
    text = run(org, ADMIN, 'unit members "<!channel> Ops" <@UNOBODY>')
    assert "<!" not in text
    text = run(org, ADMIN, f'unit members "<b>&" <@{DAVE}>')
    assert "&lt;b&gt;&amp;amp;" in text or "&lt;b&gt;&amp;" in text


def test_people_new_since_the_last_sync_are_looked_up_one_by_one(org: Running) -> None:
    lists = len(org.fake.calls_to("users.list"))
    org.fake.add_user("UNEWHIRE", "New Hire", email="new@example.com")
    assert "updated" in run(org, ADMIN, f'unit members "Sales" <@{BOB}> <@UNEWHIRE>')
    assert "can't find" in run(org, ADMIN, f'unit members "Sales" <@{BOB}> <@USTRANGER>')
    assert len(org.fake.calls_to("users.list")) == lists  # no full sync for one or two people
    assert [c.args["user"] for c in org.fake.calls_to("users.info")] == ["UNEWHIRE", "USTRANGER"]
