"""One test per hole the outside probe found; each failed before its fix (see the commit)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, text

from bot.app import build_app
from bot.sandbox.fake_slack import FakeSlack
from bot.services import Services
from conversations.actor import Actor
from conversations.flows import engine as runner
from conversations.flows import objectives
from storage import conversations, cycles, goals, people, units
from storage import objectives as objective_store
from storage.db import transaction
from storage.models import ObjectiveStatus, Workspace
from tests.bot.test_cascade import Walk
from tests.conftest import ADMIN, ALICE, BOB, CAROL, DAVE, OWNER, Running, settings_for
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile
from tests.helpers import last_reply, snapshot

FORM = "application/x-www-form-urlencoded"


def unhandled(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture
def walk(running: Running) -> Walk:
    """FY27 H1; Acme (Olga, head of the organisation, in no unit) → Sales (Alice; Bob, Carol)."""
    w = Walk(running)
    for text_, expected in [
        ('cycle add "FY27 H1" 2026-01-01 2027-06-30', "Cycle *FY27 H1*"),
        (f'unit add "Acme" manager:<@{OWNER}>', "created"),
        (f'unit add "Sales" parent:"Acme" manager:<@{ALICE}>', "created"),
        (f'unit members "Sales" <@{BOB}> <@{CAROL}>', "updated"),
    ]:
        w.command(ADMIN, text_)
        w.expect(ADMIN, expected)
    return w


def run(w: Walk, user: str, text_: str) -> str:
    w.command(user, text_)
    return last_reply(w.r.fake, user, w.seen[user] + 1).text


def publish(w: Walk, unit: str, title: str, parent: str | None = None) -> None:
    """Publish one objective of `unit` straight in the database (the flows are tested apart)."""
    with transaction(w.r.engine) as s:
        team = w.r.fake.team_id
        found = units.find_unit(session=s, team_id=team, name=unit)
        cycle = cycles.current_cycle(session=s, team_id=team, today=date.today())
        parent_id = None
        if parent is not None:
            parent_id = next(
                o.id
                for o in objective_store.list_objectives(session=s, team_id=team)
                if o.title == parent
            )
        assert found is not None and found.id is not None
        assert cycle is not None and cycle.id is not None
        objective_store.create_objective(
            session=s,
            team_id=team,
            unit_id=found.id,
            cycle_id=cycle.id,
            title=title,
            parent_id=parent_id,
            status=ObjectiveStatus.PUBLISHED,
        )


# 1 ------------------------------------------------------------------------------------------


def test_1_nobody_is_placed_under_someone_who_reports_to_them(walk: Walk) -> None:
    before = snapshot(walk.r.engine)
    # Alice (Sales) enrols Olga, who heads the organisation and so is Alice's boss.
    refused = run(walk, ALICE, f'unit members "Sales" <@{BOB}> <@{CAROL}> <@{OWNER}>')
    assert "manages *Acme*" in refused
    # Not even an admin may: Sales' manager reports to Olga.
    assert "manages *Acme*" in run(walk, ADMIN, f'unit members "Sales" <@{BOB}> <@{OWNER}>')
    # Someone in no unit is placed by an admin only.
    assert "Only a Cascade admin" in run(walk, ALICE, f'unit members "Sales" <@{BOB}> <@{DAVE}>')
    assert snapshot(walk.r.engine) == before
    # And so Olga's goals still go to an admin, never to Alice.
    people = {p["user_id"]: p for p in snapshot(walk.r.engine)["people"]}
    assert people[OWNER]["unit_id"] is None


# 2 ------------------------------------------------------------------------------------------


def test_2_a_replaced_manager_loses_their_open_plan(walk: Walk) -> None:
    publish(walk, "Acme", "Grow")
    publish(walk, "Sales", "Sell more", parent="Grow")
    walk.command(ALICE, "plan")
    walk.expect(ALICE, "Sales' objectives for FY27 H1")  # the review, with "Sell more" published
    # An org import makes Carol Sales' manager.
    with transaction(walk.r.engine) as s:
        sales = units.find_unit(session=s, team_id=walk.r.fake.team_id, name="Sales")
        carol = people.get_person(session=s, team_id=walk.r.fake.team_id, user_id=CAROL)
        assert sales is not None and carol is not None
        sales.manager_id = carol.id
        s.add(sales)
    before = snapshot(walk.r.engine)["objectives"]
    walk.dm(ALICE, "edit 1 Hijacked")
    walk.expect(ALICE, "Only *Sales'* manager")
    for typed in ("retire 1", "add", "publish"):
        walk.dm(ALICE, typed)
        walk.expect(ALICE, "What you can do next")  # the interview has ended
    assert snapshot(walk.r.engine)["objectives"] == before
    text_ = run(walk, ALICE, 'plan "Sales"')
    walk.expect(ALICE, "Only *Sales'* manager")
    assert "Picking up where we left off" not in text_ + "".join(
        m.text for m in walk.r.fake.replies_for(ALICE)[walk.seen[ALICE] :]
    )


def test_2_a_member_moved_mid_interview_cannot_finish_the_old_goal(walk: Walk) -> None:
    publish(walk, "Acme", "Grow")
    publish(walk, "Sales", "Sell more", parent="Grow")
    walk.command(ADMIN, f'unit add "Ops" parent:"Acme" manager:<@{DAVE}>')
    walk.expect(ADMIN, "created")
    walk.command(BOB, "set")
    walk.expect(BOB, "Which of Sales' objectives")
    walk.dm(BOB, "1")
    walk.expect(BOB, "What's your goal?")
    walk.command(ADMIN, f'unit members "Ops" <@{BOB}>')  # Ops has published nothing
    walk.expect(ADMIN, "updated")
    walk.dm(BOB, "Sign 10 enterprise customers by March")
    walk.expect(BOB, "hasn't published its objectives")
    with transaction(walk.r.engine) as s:
        assert goals.list_goals(session=s, team_id=walk.r.fake.team_id) == []


# 3 ------------------------------------------------------------------------------------------


def test_3_user_text_in_a_button_label_is_escaped(walk: Walk) -> None:
    publish(walk, "Acme", "Grow")
    publish(walk, "Sales", "<!channel> pipe & <@U1> &lt;", parent="Grow")
    publish(walk, "Sales", "<!here> <https://evil|x>", parent="Grow")
    walk.command(BOB, "set")
    question = walk.expect(BOB, "Which of Sales' objectives")
    assert walk.r.fake.misformatted == []
    labels = [e["text"]["text"] for b in question.blocks if b["type"] == "actions"
              for e in b["elements"]]  # fmt: skip
    assert labels == [
        "1. &lt;!channel&gt; pipe &amp; &lt;@U1&gt; &amp;lt;",
        "2. &lt;!here&gt; &lt;https://evil|x&gt;",
    ]


# 4 ------------------------------------------------------------------------------------------


def test_4_control_characters_are_removed_and_text_normalised(walk: Walk) -> None:
    publish(walk, "Acme", "Grow")
    publish(walk, "Sales", "Sell more", parent="Grow")
    walk.command(BOB, "set")
    walk.expect(BOB, "Which of Sales' objectives")
    walk.dm(BOB, "1")
    walk.expect(BOB, "What's your goal?")
    walk.dm(BOB, "Sign\x00 10 caf\u0065\u0301s\x07 by March\tnow\r\nplease\x1b")
    walk.expect(BOB, "?")
    with transaction(walk.r.engine) as s:
        [goal] = goals.list_goals(session=s, team_id=walk.r.fake.team_id)
    assert goal.statement == "Sign 10 caf\u00e9s by March\tnow\nplease"


# 5 ------------------------------------------------------------------------------------------


def test_5_someone_not_yet_in_the_directory_gets_an_answer_everywhere(
    walk: Walk, caplog: pytest.LogCaptureFixture
) -> None:
    fake = walk.r.fake
    fake.add_user("UNEWBIE", "New Person")
    fake.fail_next("users.info", 200, error="user_not_found", times=3)  # Slack lags behind
    walk.dm("UNEWBIE", "hello")
    walk.expect("UNEWBIE", "can't find you")
    walk.r.slack.home_opened("UNEWBIE")
    home = fake.wait_for(lambda f: f.home_views.get("UNEWBIE"))
    assert "can't find you" in json.dumps(home)
    assert "can't find you" in run(walk, "UNEWBIE", "help")
    assert not any("went wrong" in m.text for m in fake.replies_for("UNEWBIE"))
    assert unhandled(caplog) == []


# 6 ------------------------------------------------------------------------------------------


def test_6_start_up_waits_out_rate_limits(
    engine: Engine, fake_slack: tuple[FakeSlack, str]
) -> None:
    fake, url = fake_slack
    fake.fail_next("auth.test", 429, retry_after=0, times=6)  # more than the client's own 3 retries
    app = build_app(Services(settings=settings_for(fake, url), engine=engine))
    assert app is not None and len(fake.calls_to("auth.test")) == 7


def cli(
    args: list[str], fake: FakeSlack, url: str, tmp: Path, **env: str
) -> subprocess.CompletedProcess[str]:  # noqa: E501
    environ = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": url + "/api/",
        "DATABASE_URL": f"sqlite:///{tmp}/cascade.db",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_6_a_rate_limit_past_patience_and_a_wrong_token_are_one_line_each(
    fake_slack: tuple[FakeSlack, str], tmp_path: Path
) -> None:
    fake, url = fake_slack
    fake.fail_next("auth.test", 429, retry_after=1, times=1000)
    done = cli(["serve", "--port", "0"], fake, url, tmp_path, SLACK_RATE_LIMIT_PATIENCE="2")
    assert done.returncode == 1
    assert "rate limiting auth.test" in done.stderr and "invalid" not in done.stderr
    assert "Traceback" not in done.stderr
    fake.calm()
    with fake.lock:
        fake._faults.clear()
    done = cli(["serve", "--port", "0"], fake, url, tmp_path, SLACK_BOT_TOKEN="xoxb-wrong")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in done.stderr


def test_6_org_import_waits_out_rate_limits(
    fake_slack: tuple[FakeSlack, str], tmp_path: Path
) -> None:
    fake, url = fake_slack
    (tmp_path / "people.csv").write_text(
        "email,name,manager_email\nolga@example.com,Olga,\nalice@example.com,Alice,olga@example.com\n"
    )
    fake.fail_next("users.list", 429, retry_after=0, times=6)
    done = cli(["org", "import", "people.csv"], fake, url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


# 7 ------------------------------------------------------------------------------------------


def hold_the_write_lock(engine: Engine, seconds: float) -> threading.Thread:
    """Another person's long turn: a transaction holding the write lock (SQLite) or an exclusive
    lock on the event ledger (PostgreSQL), for `seconds`."""
    held = threading.Event()

    def hold() -> None:
        with engine.begin() as conn:  # on SQLite: BEGIN IMMEDIATE, as every writing turn
            if engine.dialect.name != "sqlite":
                conn.execute(text("LOCK TABLE slackevent IN EXCLUSIVE MODE"))
            conn.exec_driver_sql("SELECT 1")
            held.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    return thread


def test_7_an_ack_never_waits_on_another_persons_turn(running: Running) -> None:
    running.slack.command(BOB, "help")  # the directory is synced
    last_reply(running.fake, BOB)
    thread = hold_the_write_lock(running.engine, 4.0)
    try:
        ack = running.slack.dm(CAROL, "hello")
    finally:
        thread.join()
    assert ack.status == 200 and ack.seconds < 1.0, ack.seconds
    last_reply(running.fake, CAROL)  # ...and the turn itself runs once the lock is free


# 8 ------------------------------------------------------------------------------------------


def test_8_an_event_whose_work_failed_is_acted_on_when_slack_retries(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.work

    running.slack.command(BOB, "help")
    last_reply(running.fake, BOB)
    real, calls = runner.reply, []

    def crash_once(**kwargs: object) -> runner.Turn | None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the process died here")
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bot.work.engine, "reply", crash_once)
    body = running.slack.event_body(running.slack.payloads.dm_event(BOB, "hello?"), "EvCRASH1")
    assert running.slack.post(body, "application/json").status == 200
    running.fake.wait_for(lambda f: "went wrong" in f.replies_for(BOB)[-1].text)
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert running.slack.post(body, "application/json", headers=retry).status == 200
    running.fake.wait_for(lambda f: "What you can do next" in f.replies_for(BOB)[-1].text)


# 9 ------------------------------------------------------------------------------------------


def test_9_requests_from_another_workspace_are_refused_and_create_nothing(
    running: Running,
) -> None:
    slack = running.slack
    command = slack.payloads.command(ADMIN, 'cycle add "Theirs" 2027-01-01 2027-06-30')
    command["team_id"] = "TOTHER"
    event = slack.payloads.event(slack.payloads.home_opened_event(ADMIN))
    event["team_id"] = "TOTHER"
    click = slack.payloads.action(ADMIN, "cycle_new")
    click["team"] = {"id": "TOTHER"}
    replies = [
        slack.post(urlencode(command).encode(), FORM),
        slack.post(json.dumps(event).encode(), "application/json"),
        slack.post(urlencode({"payload": json.dumps(click)}).encode(), FORM),
    ]
    assert [r.status for r in replies] == [403, 403, 403]
    time.sleep(0.5)
    assert all(rows == [] for rows in snapshot(running.engine).values())
    with transaction(running.engine) as s:
        assert s.get(Workspace, "TOTHER") is None
    assert running.fake.calls_to("users.list") == [] and running.fake.messages == []


# 10 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        ("objectives_start", "999999"),
        ("objectives_start", "9" * 30),
        ("goal_agree", "9" * 30),
        ("goal_revise", "-3"),
        ("goal_suggest", "1e5"),
        ("flow_answer_0", '{"f": "objectives", "s": "review", "v": Infinity, "x": "publish"}'),
        ("flow_answer_0", '{"f": "nope", "s": [], "v": 1, "x": {}}'),
        ("flow_answer_1", "[]"),
    ],
)
def test_10_forged_values_are_refused_with_a_reason(
    walk: Walk, caplog: pytest.LogCaptureFixture, action_id: str, value: str
) -> None:
    before = snapshot(walk.r.engine)
    reply = walk.r.slack.action(BOB, action_id, value)
    assert reply.status in (200, 400), reply.body
    if reply.status == 200:
        walk.expect(BOB, "")  # an answer, whatever it is
    time.sleep(0.3)
    assert snapshot(walk.r.engine) == before
    assert unhandled(caplog) == []


# 11 -----------------------------------------------------------------------------------------


def test_11_remove_only_removes_drafts(engine: Engine) -> None:
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    with transaction(engine) as s:
        org = build_org(
            s,
            team_id="T1",
            profiles=[profile("UCEO", "Cleo"), profile("UMGR", "Max")],
            units_=[UnitSpec("Acme", "UCEO"), UnitSpec("Sales", "UMGR", parent="Acme")],
            cycle=("FY27", date(2026, 10, 1), date(2027, 6, 30)),
            objectives_=[ObjectiveSpec("Acme", "Grow"), ObjectiveSpec("Sales", "Sell", "Grow")],
            now=now,
        )
        person = people.get_person(session=s, team_id="T1", user_id="UMGR")
        assert person is not None
        actor = Actor(team_id="T1", person=person, is_admin=False)
        runner.start(
            session=s,
            actor=actor,
            flow=objectives.FLOW,
            now=now,
            today=now.date(),
            args=objectives.Start(unit_id=org.units["Sales"].id),
        )
        turn = runner.reply(session=s, actor=actor, text="remove 1", now=now, today=now.date())
        assert turn is not None
        said = " ".join(str(say.template) for say, _ in turn.say)
        assert "remove_published" in said
        assert turn.notices == []
        [sell] = [
            o for o in objective_store.list_objectives(session=s, team_id="T1") if o.title == "Sell"
        ]
        assert sell.status == ObjectiveStatus.PUBLISHED
        step = conversations.latest_conversation(session=s, team_id="T1", person_id=org.ids["UMGR"])
        assert step is not None and step.step == "review"
