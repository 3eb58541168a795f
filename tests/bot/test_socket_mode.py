"""`cascade run` in Socket Mode, end to end: the real process asks the fake Slack's
`apps.connections.open` for a WebSocket URL, connects to the local Socket Mode server, and answers
a command, events and clicks that arrive in envelopes, acknowledging each by its envelope_id; when
asked to reconnect, it opens a new connection and goes on."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.slack_side import SlackPayloads
from bot.sandbox.socket_mode import ACK_DEADLINE, SocketModeServer, SocketModeSide
from tests.bot.test_processes import seed
from tests.conftest import ADMIN, BOB

START_TIMEOUT = 15.0  # a Python process importing Bolt and migrating SQLite; ~1 s here


class SocketModeProcess:
    """`cascade run` with SLACK_APP_TOKEN set, in a child process; its stderr kept in a file."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.stderr_path = cwd / "cascade-run.stderr"
        with self.stderr_path.open("w") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def run_env(fake: FakeSlack, fake_url: str, tmp_path: Path, app_token: str) -> dict[str, str]:
    """The environment `make run` gets in Socket Mode: no signing secret, which only HTTP needs."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "CASCADE_")) and k != "DATABASE_URL"
    }
    return inherited | {
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_APP_TOKEN": app_token,
        "SLACK_API_URL": fake_url + "/api/",
        "DATABASE_URL": f"sqlite:///{tmp_path}/cascade.db",
        "CASCADE_ADMINS": ADMIN,
    }


@pytest.fixture
def socket_server(fake_slack: tuple[FakeSlack, str]) -> Iterator[SocketModeServer]:
    server = SocketModeServer()
    server.attach(fake_slack[0])
    yield server
    server.stop()


@pytest.fixture
def connected(
    fake_slack: tuple[FakeSlack, str], socket_server: SocketModeServer, tmp_path: Path
) -> Iterator[tuple[FakeSlack, SocketModeServer, SocketModeSide]]:
    """`cascade run` connected over Socket Mode to a seeded workspace (Acme → Sales; Bob in
    Sales; one published objective each)."""
    fake, fake_url = fake_slack
    env = run_env(fake, fake_url, tmp_path, fake.app_token)
    seed(env["DATABASE_URL"], fake)
    process = SocketModeProcess(env, tmp_path)
    try:
        try:
            socket_server.wait_for(lambda s: s.open_links(), timeout=START_TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"cascade run never connected:\n{process.stderr}") from None
        yield fake, socket_server, SocketModeSide(socket_server, SlackPayloads(fake, fake_url))
        assert process.proc.poll() is None, f"cascade run stopped:\n{process.stderr}"
    finally:
        process.stop()
    assert socket_server.unexpected == [], "the app sent something that is not an ack"
    refused = [e for e in fake.errors if e != ("users.info", "user_not_found")]
    assert refused == [], "the app sent Slack something it refuses (see fake.errors)"


def said(fake: FakeSlack, user: str, text: str, after: int) -> None:
    fake.wait_for(lambda f: any(text in m.text for m in f.replies_for(user)[after:]))


def test_commands_events_and_clicks_travel_over_the_socket_and_survive_a_reconnect(
    connected: tuple[FakeSlack, SocketModeServer, SocketModeSide],
) -> None:
    fake, server, slack = connected
    assert len(fake.calls_to("apps.connections.open")) == 1
    assert {c.token for c in fake.calls_to("apps.connections.open")} == {fake.app_token}

    # A slash command: acknowledged by its envelope_id in time, with nothing in the ack; the
    # answer comes through the command's response_url.
    ack = server.wait_for_ack(slack.command(ADMIN, "help"))
    assert ack.payload is None and ack.seconds < ACK_DEADLINE
    fake.wait_for(lambda f: f.calls_to("response_url"))
    said(fake, ADMIN, "What you can do next", 0)
    assert fake.replies_for(ADMIN)[-1].ephemeral_to == ADMIN

    # A DM event: the interview started by /goals set takes Bob's answer and asks the next question.
    n = len(fake.replies_for(BOB))
    server.wait_for_ack(slack.command(BOB, "set"))
    said(fake, BOB, "Which of Sales' objectives", n)
    n = len(fake.replies_for(BOB))
    ack = server.wait_for_ack(slack.dm(BOB, "1"))
    assert ack.payload is None
    said(fake, BOB, "What's your goal?", n)
    assert fake.replies_for(BOB)[-1].channel == fake.dm_channel(BOB)

    # App Home: opened, published, with the admin's New cycle button.
    server.wait_for_ack(slack.home_opened(ADMIN))
    home = fake.wait_for(lambda f: f.home_views.get(ADMIN))
    assert any(b["type"] == "actions" for b in home["blocks"])

    # Clicks: a button nothing knows any more gets a polite ephemeral; New cycle opens the form.
    n = len(fake.replies_for(ADMIN))
    server.wait_for_ack(slack.action(ADMIN, "no_such_button", "x"))
    said(fake, ADMIN, "no longer", n)
    assert fake.replies_for(ADMIN)[-1].ephemeral_to == ADMIN
    server.wait_for_ack(slack.action(ADMIN, "cycle_new", view_id=home["id"]))
    modal = fake.wait_for(lambda f: f.top_modal(ADMIN))
    assert modal["callback_id"] == "cycle_new"

    # A modal's errors come back in the ack's payload; a good submission closes it.
    ack = slack.submit(
        ADMIN,
        {
            "name": {"value": "FY28"},
            "start": {"selected_date": "2028-06-30"},
            "end": {"selected_date": "2028-01-01"},
        },
    )
    assert ack.payload and ack.payload["response_action"] == "errors"
    assert set(ack.payload["errors"]) == {"end"}
    n = len(fake.replies_for(ADMIN))
    ack = slack.submit(
        ADMIN,
        {
            "name": {"value": "FY28"},
            "start": {"selected_date": "2028-01-01"},
            "end": {"selected_date": "2028-12-31"},
        },
    )
    assert ack.payload is None and fake.top_modal(ADMIN) is None
    said(fake, ADMIN, "FY28", n)

    # Slack refreshes the connection: the app asks for a new URL, connects, drops the old one.
    old = server.disconnect("refresh_requested")
    # (slack_sdk's client drops the old one once its read times out: up to 3 s.)
    server.wait_for(lambda s: len(s.links) == 2 and s.links[-1].open and not old.open, 10)
    assert len(fake.calls_to("apps.connections.open")) == 2
    n = len(fake.replies_for(BOB))
    ack = server.wait_for_ack(slack.command(BOB, "help"))
    assert ack.seconds < ACK_DEADLINE
    said(fake, BOB, "What you can do next", n)
    assert [link.number for link in server.open_links()] == [2]


@pytest.mark.parametrize(
    ("given", "error"), [("revoked", "invalid_auth"), ("bot token", "not_allowed_token_type")]
)
def test_an_app_token_slack_refuses_stops_start_up_with_one_line(
    fake_slack: tuple[FakeSlack, str],
    socket_server: SocketModeServer,
    tmp_path: Path,
    given: str,
    error: str,
) -> None:
    fake, fake_url = fake_slack
    token = {"revoked": "xapp-1-revoked", "bot token": fake.bot_token}[given]
    process = SocketModeProcess(run_env(fake, fake_url, tmp_path, token), tmp_path)
    try:
        assert process.proc.wait(timeout=START_TIMEOUT) == 1
    finally:
        process.stop()
    stderr = process.stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"cascade: Slack refused SLACK_APP_TOKEN ({error}).")
    assert "xapp-" in last and "connections:write" in last
    assert socket_server.links == []
