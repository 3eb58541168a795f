"""`cascade forget` and `cascade export --person` (a data-protection request and an access
request), through the command line, on both databases."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel

from bot.cli import main
from bot.directory import sync_directory, sync_users
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.serving import BackgroundServer
from bot.slack import make_client
from storage import (
    barriers,
    checkins,
    commitments,
    conversations,
    forgotten,
    goals,
    one_on_ones,
    outbox,
)
from storage.db import transaction
from storage.export import EXPORT_KEYS, PERSON_COLUMNS
from storage.models import Confidence, GoalStatus
from storage.outbox import Owed
from storage.summaries import member_counts
from tests.conftest import Running
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile

NOW = datetime(2027, 2, 10, 9, 0, tzinfo=UTC)
TEAM = "TFORGET"
OLGA, ALICE, BOB, CAROL = "UOLGA", "UALICE", "UFORGET1", "UCAROL"
BOB_NAME, BOB_EMAIL = "Bartholomew Forgetme", "bart.forgetme@example.com"
# Texts only Bob wrote, each somewhere else in the database.
GOAL = "Ship the Forgetme widget to 40 retailers by June"
NOTE = "Forgetme note: the retailer pilot slipped a week"
BARRIER = "Forgetme barrier: legal still has the contract"
ANSWER = "Forgetme answer typed halfway through an interview"
QUOTED = "Forgetme quoted in a message to his manager"
CAROLS = "Carol's own barrier, held by her former manager"
BOBS = (BOB, BOB_EMAIL, BOB_NAME, GOAL, NOTE, BARRIER, ANSWER, QUOTED, "Forgetme")


PEOPLE = [
    profile(OLGA, "Olga Owner"),
    profile(ALICE, "Alice Manager"),
    profile(BOB, BOB_NAME, email=BOB_EMAIL),
    profile(CAROL, "Carol Member"),
]


@dataclass
class Built:
    ids: dict[str, int]
    sales: int
    cycle: int
    carol_goal: int
    carol_barrier: int


def _build(session: Session) -> Built:
    org = build_org(
        session,
        team_id=TEAM,
        profiles=PEOPLE,
        units_=[
            UnitSpec("Acme", OLGA),
            UnitSpec("Sales", ALICE, parent="Acme", members=[BOB, CAROL]),
        ],
        cycle=("FY27 H1", date(2027, 1, 1), date(2027, 6, 30)),
        objectives_=[ObjectiveSpec("Sales", "Grow revenue")],
        now=NOW,
    )
    ids, sales = org.ids, org.units["Sales"].id or 0
    assert org.cycle is not None and org.cycle.id is not None
    kw: dict[str, Any] = {"session": session, "team_id": TEAM}
    made = {"unit_id": sales, "cycle_id": org.cycle.id, "objective_id": None, "now": NOW}
    mine = goals.create_goal(**kw, owner_id=ids[BOB], statement=GOAL, **made)
    theirs = goals.create_goal(**kw, owner_id=ids[CAROL], statement="Carol's goal", **made)
    # Bob once managed Carol: he agreed her goal, promised help and still holds her barrier.
    goals.update_goal(
        session=session,
        goal=theirs,
        now=NOW,
        status=GoalStatus.AGREED,
        agreed_by_id=ids[BOB],
        agreed_at=NOW,
        manager_comment="Forgetme comment on Carol's goal",
    )
    commitments.add_commitment(
        **kw, goal_id=theirs.id, manager_id=ids[BOB], text="Forgetme promise", due=None, now=NOW
    )
    commitments.add_commitment(
        **kw, goal_id=mine.id, manager_id=ids[ALICE], text="Alice helps Bob", due=None, now=NOW
    )
    carols = barriers.report_barrier(
        **kw, reporter_id=ids[CAROL], text=CAROLS, holder_id=ids[BOB], now=NOW
    )
    barriers.report_barrier(
        **kw, reporter_id=ids[BOB], text=BARRIER, holder_id=ids[ALICE], goal_id=mine.id, now=NOW
    )
    for goal_id, person in ((mine.id, BOB), (theirs.id, CAROL)):
        checkins.record_checkin(
            **kw,
            goal_id=goal_id or 0,
            person_id=ids[person],
            progress=10,
            confidence=Confidence.AT_RISK,
            note=NOTE if person == BOB else "Carol's note",
            at=NOW,
            week="2027-W06",
        )
    _talks_and_messages(session, ids, theirs.id or 0)
    return Built(ids, sales, org.cycle.id, theirs.id or 0, carols.id or 0)


def _talks_and_messages(session: Session, ids: dict[str, int], carols_goal: int) -> None:
    kw: dict[str, Any] = {"session": session, "team_id": TEAM, "now": NOW}
    talk = {"flow": "goal_interview", "step": "measure", "answers": {"s": ANSWER}}
    conversations.start_conversation(**kw, person_id=ids[BOB], **talk)
    pair = {"manager_id": ids[BOB], "report_id": ids[CAROL]}
    one_on_ones.set_schedule(**kw, **pair, weekday=1, time="10:00")
    one_on_ones.add_item(
        **kw, **pair, added_by_id=ids[CAROL], text="Forgetme agenda", goal_id=carols_goal
    )
    outbox.enqueue(
        session=session,
        messages=[
            Owed(TEAM, "reply", BOB, {"text": "Your goal: " + GOAL}),
            Owed(TEAM, "barrier", ALICE, {"text": f"<@{BOB}> reported: {QUOTED}"}),
            Owed(TEAM, "alert", ALICE, {"blocks": [{"text": {"text": f"{BOB_NAME} is at risk"}}]}),
            Owed(TEAM, "reply", CAROL, {"text": "Carol's own message"}),
        ],
        now=NOW,
    )


@pytest.fixture
def built(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Built:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    with transaction(engine) as session:
        return _build(session)


@pytest.fixture
def fake_slack() -> Iterator[tuple[FakeSlack, str]]:
    """This file's workspace as Slack lists it: Bob is still in it after he is forgotten."""
    fake = FakeSlack(team_id=TEAM)
    for p in PEOPLE:
        fake.add_user(p.user_id, p.name, email=p.email, tz=p.tz)
    served = BackgroundServer(fake.wsgi_app())
    fake.base_url = served.url
    yield fake, served.url
    served.stop()


def every_row(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as the database holds it."""
    with engine.connect() as connection:
        return {
            table.name: [dict(row._mapping) for row in connection.execute(select(table))]
            for table in SQLModel.metadata.sorted_tables
        }


def _members(engine: Engine, built: Built) -> int:
    with transaction(engine) as session:
        rows = member_counts(
            session=session, team_id=TEAM, cycle_id=built.cycle, unit_ids=None, weeks=[]
        )
    return sum(r.members for r in rows if r.unit_id == built.sales)


def test_forget_leaves_nothing_of_them_in_any_table_or_log(
    engine: Engine,
    built: Built,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _members(engine, built) == 2
    before = every_row(engine)
    assert BOB in json.dumps(before, default=str)  # the search below can find what is there
    caplog.set_level(logging.DEBUG)
    assert main(["forget", BOB_EMAIL.upper(), "--yes"]) == 0
    out = capsys.readouterr().out
    after = every_row(engine)
    text = json.dumps(after, default=str) + out + "\n".join(r.getMessage() for r in caplog.records)
    assert [m for m in BOBS if m in text] == []
    bob = built.ids[BOB]
    person_columns = [
        (table.name, c.name)
        for table in SQLModel.metadata.sorted_tables
        for c in table.columns
        if any(k.column.table.name == "person" for k in c.foreign_keys)
    ]
    assert len(person_columns) >= 10
    for table, column in person_columns:
        assert all(row[column] != bob for row in after[table]), (table, column)
    assert all(bob not in row["chain"] for row in after["barrier"])
    # Carol's data is intact: her goal stays agreed, her barrier sits with her manager now.
    carols = {row["id"]: row for row in after["goal"]}[built.carol_goal]
    assert carols["status"] == GoalStatus.AGREED and carols["agreed_by_id"] is None
    barrier = {row["id"]: row for row in after["barrier"]}[built.carol_barrier]
    assert barrier["text"] == CAROLS and barrier["holder_id"] == built.ids[ALICE]
    assert [r["note"] for r in after["checkin"]] == ["Carol's note"]
    assert [m["payload"]["text"] for m in after["outbox"]] == ["Carol's own message"]
    assert len(after["person"]) == len(before["person"]) - 1
    assert _members(engine, built) == 1  # summaries count one person fewer
    assert "goals: 1" in out and "quoting them: 3" in out


def test_forget_without_yes_lists_what_would_go_and_changes_nothing(
    engine: Engine, built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    before = every_row(engine)
    assert main(["forget", BOB]) == 0
    out = capsys.readouterr().out
    assert "nothing was changed" in out
    for line in ("goals: 1", "check-ins: 1", "reported: 1", "by them: 2", "people: 1"):
        assert line in out
    assert every_row(engine) == before


def test_forget_is_refused_for_a_manager_naming_the_unit(
    engine: Engine, built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    before = every_row(engine)
    assert main(["forget", ALICE, "--yes"]) == 2
    err = capsys.readouterr().err
    assert "still manages Sales" in err and "Nothing was changed" in err
    assert every_row(engine) == before


def test_an_unknown_person_is_said_so_and_changes_nothing(
    engine: Engine, built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    before = every_row(engine)
    assert main(["forget", "nobody@example.com", "--yes"]) == 2
    assert "Nobody in Cascade has" in capsys.readouterr().err
    assert main(["export", "--person", "UNOBODY"]) == 2
    assert "nobody@example.com" not in capsys.readouterr().out
    assert every_row(engine) == before


def test_export_person_gives_their_rows_only(
    engine: Engine, built: Built, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["export", "--person", BOB_EMAIL]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == list(PERSON_COLUMNS)
    for key, rows in data.items():
        assert all(list(row) == PERSON_COLUMNS[key] for row in rows), key
        assert all(row["team_id"] == TEAM for row in rows)
    assert [p["user_id"] for p in data["people"]] == [BOB]
    assert data["units"] == [] and data["cycles"] == [] and data["objectives"] == []
    assert [g["statement"] for g in data["goals"]] == [GOAL]
    assert [c["note"] for c in data["checkins"]] == [NOTE]
    assert {b["text"] for b in data["barriers"]} == {BARRIER, CAROLS}  # reported, and held
    assert {c["text"] for c in data["commitments"]} == {"Forgetme promise", "Alice helps Bob"}
    assert [c["answers"] for c in data["conversations"]] == [{"s": ANSWER}]
    assert len(data["one_on_ones"]) == 1 and len(data["agenda_items"]) == 1
    assert [m["text"] for m in data["messages"]] == ["Your goal: " + GOAL]
    assert main(["export", "--person", BOB, "--format", "csv", "--out", "mine"]) == 0
    for key in EXPORT_KEYS:
        with (tmp_path / "mine" / f"{key}.csv").open() as handle:
            assert csv.DictReader(handle).fieldnames == PERSON_COLUMNS[key]


def test_a_manager_exports_the_units_they_manage(
    engine: Engine, built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--person", ALICE]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [u["name"] for u in data["units"]] == ["Sales"]
    assert [p["manages"] for p in data["people"]] == [[str(built.sales)]]


def test_nothing_brings_a_forgotten_person_back(
    engine: Engine,
    built: Built,
    running: Running,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Slack still lists Bob, an org import names him, and he writes to Cascade and opens its
    Home: after forget, no table holds his id, email, name or words, the record that he was
    forgotten included; he is told, politely, that Cascade holds nothing about him."""
    fake, settings = running.fake, running.services.settings
    caplog.set_level(logging.DEBUG)
    assert main(["forget", BOB, "--yes"]) == 0
    client = make_client(settings)
    sync_directory(client=client, engine=engine, team_id=TEAM, now=NOW)  # users.list has Bob
    sync_users(client=client, engine=engine, team_id=TEAM, user_ids=[BOB], now=NOW)
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake.bot_token)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("SLACK_API_URL", str(settings.slack_api_url))
    (tmp_path / "org.csv").write_text(
        "email,name,manager_email,unit\n"
        "olga@example.com,Olga,,Acme\n"
        "alice@example.com,Alice,olga@example.com,Sales\n"
        f"{BOB_EMAIL.upper()},{BOB_NAME},alice@example.com,Forgetme team\n"
        f"carol@example.com,Carol,{BOB_EMAIL},\n"
    )
    assert main(["org", "import", "org.csv"]) == 0
    running.slack.dm(BOB, "Forgetme again: please set my goal")
    running.slack.home_opened(BOB)
    polite = "holds nothing about you"
    fake.wait_for(lambda f: any(polite in m.text for m in f.replies_for(BOB)))
    fake.wait_for(lambda f: polite in json.dumps(f.home_views.get(BOB)))
    out = capsys.readouterr()
    after = every_row(engine)
    text = json.dumps(after, default=str) + out.out + out.err
    text += "\n".join(r.getMessage() for r in caplog.records)
    assert [m for m in BOBS if m in text] == []
    assert "Skipped 1 row" in out.out
    [record] = after["forgotten"]
    assert record["user_hash"] == forgotten.user_hash(TEAM, BOB)
    assert record["email_hash"] == forgotten.email_hash(TEAM, BOB_EMAIL)
    assert sorted(p["user_id"] for p in after["person"]) == [ALICE, CAROL, OLGA]
    assert after["conversation"] == [] and after["slackevent"] == []
    # Carol reported to Bob in the file: she stays in Alice's unit, the manager above him.
    assert _members(engine, built) == 1


def test_forgetting_someone_already_forgotten_changes_nothing(
    engine: Engine, built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forget", BOB_EMAIL, "--yes"]) == 0
    before = every_row(engine)
    capsys.readouterr()
    for who in (BOB, BOB_EMAIL.upper()):
        assert main(["forget", who, "--yes"]) == 0
        assert "erased before" in capsys.readouterr().out
    assert main(["forget", "someone.else@example.com", "--yes"]) == 2
    assert every_row(engine) == before
