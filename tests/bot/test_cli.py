"""The `cascade` command line, against the fake Slack and a SQLite file."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from benchmarks.org import generate
from bot.cli import import_rows, main
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.serving import BackgroundServer
from bot.slack import USERS_PAGE, make_client
from conversations.services.org_import import parse_rows
from storage import outbox
from storage.db import transaction
from storage.export import EXPORT_COLUMNS
from tests.conftest import settings_for
from tests.conversations.test_org_import import ORG
from tests.helpers import counting_statements
from tests.storage.test_repositories import NOW


@pytest.fixture
def env(
    tmp_path: Path, fake_slack: tuple[FakeSlack, str], monkeypatch: pytest.MonkeyPatch
) -> FakeSlack:
    fake, url = fake_slack
    for email, name in [
        ("ceo", "Cleo"),
        ("vp", "Victor"),
        ("rep1", "Rita"),
        ("rep2", "Raj"),
        ("cto", "Tara"),
        ("dev", "Dev"),
    ]:
        fake.add_user(f"U{email.upper()}", name, email=f"{email}@acme.com", tz="Europe/Paris")
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": url + "/api",
        "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
    }.items():
        monkeypatch.setenv(key, value)
    return fake


def test_org_import_then_export_json(
    env: FakeSlack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "people.csv").write_text(ORG)
    assert main(["org", "import", "people.csv"]) == 0
    assert "3 units created" in capsys.readouterr().out
    assert main(["org", "import", "people.csv"]) == 0
    assert "Nothing changed" in capsys.readouterr().out
    assert main(["export"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == list(EXPORT_COLUMNS)
    for key, rows in data.items():
        for row in rows:
            assert list(row) == EXPORT_COLUMNS[key]
            assert row["team_id"] == env.team_id
            assert all(
                isinstance(row[k], str) or row[k] is None
                for k in row
                if k.endswith("id") and k != "team_id"
            )
    person = next(p for p in data["people"] if p["user_id"] == "UREP1")
    assert person["tz"] == "Europe/Paris" and person["email"] == "rep1@acme.com"
    sales = next(u for u in data["units"] if u["name"] == "Sales")
    assert person["unit_id"] == sales["id"] and sales["manager_id"] == "UVP"


def test_export_csv_writes_one_file_per_key(env: FakeSlack, tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(ORG)
    main(["org", "import", "people.csv"])
    assert main(["export", "--format", "csv", "--out", "out"]) == 0
    for key, columns in EXPORT_COLUMNS.items():
        with (tmp_path / "out" / f"{key}.csv").open() as handle:
            reader = csv.DictReader(handle)
            assert reader.fieldnames == columns
            rows = list(reader)
        assert (len(rows) > 0) == (key in ("units", "people"))


def test_a_malformed_csv_names_its_line_and_imports_nothing(
    env: FakeSlack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "people.csv").write_text(ORG + "x@acme.com,X,nobody@acme.com,\n")
    assert main(["org", "import", "people.csv"]) == 1
    err = capsys.readouterr().err
    assert (
        "people.csv: line 8" in err and "nobody@acme.com" in err and "Nothing was imported" in err
    )
    assert env.calls_to("users.list") == []  # the file is checked before Slack is asked
    main(["export"])
    assert all(rows == [] for rows in json.loads(capsys.readouterr().out).values())


def test_directory_sync_pages_users_list(env: FakeSlack, tmp_path: Path) -> None:
    for i in range(2 * USERS_PAGE + 10 - len(env.users)):
        env.add_user(f"UBULK{i:04d}", f"Bulk {i}", email=f"bulk{i}@acme.com")
    (tmp_path / "people.csv").write_text(ORG)
    assert main(["org", "import", "people.csv"]) == 0
    calls = env.calls_to("users.list")  # the largest pages Slack allows: 999
    assert len(calls) == 3 and all(int(c.args["limit"]) == USERS_PAGE for c in calls)
    assert env.calls_to("users.info") == [] and env.calls_to("users.lookupByEmail") == []


def test_missing_token_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--port", "0"],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(Path(__file__).parents[2])},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SLACK_BOT_TOKEN" in lines[0], result.stderr


def test_db_upgrade(env: FakeSlack, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_cascade_serve_answers_health_and_signed_commands(
    env: FakeSlack, fake_slack: tuple[FakeSlack, str], tmp_path: Path
) -> None:
    """The real `cascade serve` process: waitress, SQLite migrated at start, the fake Web API."""
    import os
    import socket
    import time
    import urllib.request

    from tests.fakes.slack_requests import SlackClient
    from tests.helpers import last_reply

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = dict(os.environ) | {"SLACK_SIGNING_SECRET": "test-signing-secret"}
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                    assert response.read() == b"ok\n"
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("cascade serve never became healthy")
        slack = SlackClient(url, env, fake_slack[1])
        assert slack.command("UCEO", "help").status == 200
        assert "What you can do next" in last_reply(env, "UCEO").text
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_org_import_tells_new_managers_and_members_once(
    env: FakeSlack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from storage.db import open_database

    (tmp_path / "people.csv").write_text(ORG)
    assert main(["org", "import", "people.csv"]) == 0
    assert "Told 3 people" in capsys.readouterr().out  # the managers of the three new units
    assert env.messages == []  # the import returns once it has committed: the tick delivers
    assert main(["tick"]) == 0
    told = {m.channel: m.text for m in env.messages if m.user == env.bot_user_id}
    assert "You now manage *Sales*, under *Acme*" in told[env.dm_channel("UVP")]
    assert "You're now in *Acme*" in told[env.dm_channel("UVP")]
    assert "You now manage *Acme*, the top of the organisation" in told[env.dm_channel("UCEO")]
    # Placed for the first time, managing nothing: they hear when their unit publishes (SPEC).
    assert env.dm_channel("UREP1") not in told and env.dm_channel("UDEV") not in told
    with transaction(open_database(f"sqlite:///{tmp_path}/cli.db")) as s:
        rows = outbox.list_messages(session=s, team_id=env.team_id)
        assert len(rows) == 3 and {r.status for r in rows} == {"sent"}
    assert main(["org", "import", "people.csv"]) == 0  # nothing changed: nobody told twice
    assert "Told" not in capsys.readouterr().out
    # Rita moves to Tara's team: she is told where she is now.
    (tmp_path / "people.csv").write_text(
        ORG.replace("rep1@acme.com,Rita,vp@", "rep1@acme.com,Rita,cto@")
    )
    assert main(["org", "import", "people.csv"]) == 0
    assert "Told 1 person" in capsys.readouterr().out
    assert main(["tick"]) == 0
    moved = [m.text for m in env.messages if m.channel == env.dm_channel("UREP1")]
    assert len(moved) == 1 and "You're now in" in moved[0] and "<@UCTO>" in moved[0]


def test_an_import_takes_the_same_statements_for_30_people_as_300_and_rewrites_nothing(
    engine: Engine,
) -> None:
    """`cascade org import` whole (the directory synced from users.list, the file applied, the
    welcomes owed written to the outbox): a fixed number of statements however many people,
    and the same file again writes nothing but the directory sync's lease."""
    first: dict[int, int] = {}
    again: dict[int, int] = {}
    for size in (30, 300):
        org = generate(size)
        fake = FakeSlack(team_id=f"T{size}")
        org.add_to(fake)
        served = BackgroundServer(fake.wsgi_app())
        fake.base_url = served.url
        client = make_client(settings_for(fake, served.url))
        try:
            with counting_statements(engine) as statements:
                result, told = import_rows(
                    rows=parse_rows(org.csv()), client=client, engine=engine, now=NOW
                )
            # Told: each new unit's manager (someone placed for the first time hears when their
            # unit publishes).
            assert (result.units_created, result.moves, told) == (org.units, size - 1, org.units)
            first[size] = len(statements)
            later = NOW + timedelta(hours=1)  # the directory is synced again, too
            with counting_statements(engine) as statements:
                result, told = import_rows(
                    rows=parse_rows(org.csv()), client=client, engine=engine, now=later
                )
            assert not result.changed and told == 0
            assert statements.data_writes() == []  # nobody, no unit, no message written
            assert len(statements.writes(table="workspace")) == 2  # the lease: taken, given back
            again[size] = len(statements)
        finally:
            served.stop()
        with transaction(engine) as s:
            assert len(outbox.list_messages(session=s, team_id=fake.team_id)) == org.units
    assert first[30] == first[300] <= 25  # 22 on PostgreSQL; SQLite's BEGINs are statements
    assert again[30] == again[300] <= 17
