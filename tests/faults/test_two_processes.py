"""Two app processes, one database (issue 22, item 5): two `cascade serve --no-scheduler` on
PostgreSQL behind a small round-robin proxy, and cron's `cascade tick` as the one scheduler.

Thirty people interview at once, each typing all their answers ahead (each waits only for Slack's
ack, not for Cascade's reply), and the proxy sends each person's consecutive requests to
alternate processes, the worst case for ordering. Mid-run, the proxy SIGKILLs one process right
after it acks the last answer of someone who typed faster than the rest, while that process is
busy with that person (it waits for their inbox lock, which the test holds); the proxy then sends
everything to the survivor, as a load balancer does, and Slack retries the events that got no
answer. Nothing more comes from that person, so their last answer, acked and never done, can
only be done by the survivor's sweeper.

Expected: every interview ends with its answers where they belong (none lost, none crossed), the
survivor does the dead process's waiting answers without it being restarted (bot/inbox.py), and
the tick delivers whatever the dead process owed."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from bot.inbox import STALE
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.slack_side import SlackSide
from storage import conversations, goals, inbox, people
from storage.db import open_database, transaction, upgrade
from storage.models import InboxStatus, OutboxStatus
from storage.outbox import LEASE, list_messages
from tests.bot.test_processes import free_port
from tests.conftest import ALICE, OWNER, POSTGRES_URL
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile
from tests.fakes.slack_requests import SIGNING_SECRET
from tests.faults.cascade import STATEMENT, wait
from tests.faults.test_crash import database as database  # the fixture

PEOPLE = [f"UP{i:02d}" for i in range(30)]
ANSWERS = ["1", STATEMENT, "no", "10 signed contracts", "end of March", "none"]
VICTIM = PEOPLE[0]  # types fast; their last answer is acked by the first process, which dies
TYPING = 0.3  # seconds between the others' answers: the kill comes mid-run for them

pytestmark = pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL")


class Proxy:
    """A round-robin HTTP forwarder: each person's requests go to the backends in turn; a
    backend that refuses connections is skipped, as a load balancer's health check would."""

    def __init__(self, backends: list[str], kill: Any) -> None:
        self.backends = backends
        self.kill = kill  # the first backend's, called after the victim's last answer's ack
        self.turns: Counter[str] = Counter()
        self.served: Counter[str] = Counter()
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, reply = proxy.forward(body, dict(self.headers))
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # thirty people at once: no connection refused here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def forward(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        user = sender(body)
        with self.lock:
            first = self.turns[user]
            self.turns[user] += 1
        for i in range(len(self.backends)):
            backend = self.backends[(first + i) % len(self.backends)]
            request = urllib.request.Request(
                backend + "/slack/events", data=body, headers=headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    status, reply = response.status, response.read()
                with self.lock:
                    self.served[backend] += 1
                last = user == VICTIM and body.startswith(b"{")
                last = last and json.loads(body)["event"]["text"] == ANSWERS[-1]
                if last and backend == self.backends[0]:
                    self.kill()  # SIGKILL right after the ack
                return status, reply
            except urllib.error.HTTPError as error:
                return error.code, error.read()
            except urllib.error.URLError as error:
                if not isinstance(error.reason, ConnectionRefusedError):
                    return 502, b""  # it died while answering: Slack retries an event
            except (OSError, http.client.HTTPException):
                return 502, b""
        return 502, b""

    def stop(self) -> None:
        self.server.shutdown()


def sender(body: bytes) -> str:
    """The Slack user a request is from (a DM event's, or a slash command's)."""
    if body.startswith(b"{"):
        return str(json.loads(body).get("event", {}).get("user", ""))
    return parse_qs(body.decode()).get("user_id", [""])[0]


def serve(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--no-scheduler"]
        + ["--host", "127.0.0.1", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    assert wait(lambda: _healthy(url), 30), "cascade serve did not start"
    return process, url


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1):
            return True
    except OSError:
        return False


def seed_thirty(url: str, fake: FakeSlack) -> None:
    for user in PEOPLE:
        fake.add_user(user, f"Person {user}", email=f"{user.lower()}@example.com", tz="UTC")
    engine = open_database(url)
    upgrade(engine)
    with transaction(engine) as s:
        build_org(
            s,
            team_id=fake.team_id,
            profiles=[
                profile(u["id"], u["real_name"], email=u["profile"]["email"], tz=u["tz"])
                for u in fake.users.values()
                if not u["deleted"] and not u["is_bot"]
            ],
            units_=[
                UnitSpec("Acme", OWNER),
                UnitSpec("Sales", ALICE, "Acme", members=tuple(PEOPLE)),
            ],
            cycle=("FY27", date(2026, 1, 1), date(2027, 12, 31)),
            objectives_=[
                ObjectiveSpec("Acme", "Grow"),
                ObjectiveSpec("Sales", "Sell more", "Grow"),
            ],
            now=datetime.now(UTC),
            synced=True,
        )
    engine.dispose()


@pytest.fixture
def two_processes(
    database: str,  # noqa: F811
    tmp_path: Path,
    fake_slack: tuple[FakeSlack, str],
) -> Iterator[tuple[FakeSlack, str, str, list[subprocess.Popen[bytes]], Proxy, dict[str, str]]]:
    fake, fake_url = fake_slack
    seed_thirty(database, fake)
    env = dict(os.environ) | {
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_url + "/api/",
        "DATABASE_URL": database,
    }
    started = [serve(env, tmp_path) for _ in range(2)]
    processes = [p for p, _ in started]
    proxy = Proxy([url for _, url in started], processes[0].kill)
    yield fake, fake_url, database, processes, proxy, env
    proxy.stop()
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def interview(side: SlackSide, fake: FakeSlack, user: str, busy: Any) -> int:
    """One person: `/goals set`, then every answer typed ahead; returns Slack's retries."""
    retries = 0
    asked = False
    for _ in range(3):  # a slash command is not retried by Slack, nor kept: typed again
        side.command(user, "set")
        asked = wait(lambda: any("Which of" in m.text for m in fake.replies_for(user)), 10)
        if asked:
            break
    assert asked, f"{user} was never asked"
    for said in ANSWERS:
        if user == VICTIM and said == ANSWERS[-1]:
            busy.__enter__()
        elif user != VICTIM:
            time.sleep(TYPING)
        body = side.event_body(side.payloads.dm_event(user, said))
        for attempt in range(5):
            headers = {"X-Slack-Retry-Num": str(attempt)} if attempt else {}
            try:
                if side.post(body, "application/json", headers=headers).status == 200:
                    break
            except OSError:
                pass
            retries += 1  # no answer: Slack retries the same event
            time.sleep(0.2)
        else:
            raise AssertionError(f"{user}'s {said!r} was never acked")
    return retries


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_thirty_interviews_on_two_processes_one_killed_mid_run(
    two_processes: tuple[FakeSlack, str, str, list[subprocess.Popen[bytes]], Proxy, dict[str, str]],
    tmp_path: Path,
) -> None:
    fake, fake_url, url, processes, proxy, env = two_processes
    started = time.monotonic()
    side = SlackSide(proxy.url, fake, fake_url, SIGNING_SECRET)
    engine = open_database(url)
    busy = holding_the_lock_of(engine, fake.team_id, VICTIM)
    retries: Counter[str] = Counter()
    errors: list[BaseException] = []

    def run(user: str) -> None:
        try:
            retries[user] = interview(side, fake, user, busy)
        except BaseException as error:  # reported below, with the person
            errors.append(error)

    threads = [threading.Thread(target=run, args=(user,)) for user in PEOPLE]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert processes[0].poll() is not None, "the first process was to be killed"
    busy.__exit__(None, None, None)
    assert wait(lambda: all_done(engine, fake.team_id), 30), waiting(engine, fake.team_id)
    applied_in = time.monotonic() - started
    counts = check_every_interview(engine, fake.team_id)
    swept = late(engine, fake.team_id)
    assert swept >= 1  # the victim's last answer, done by the survivor's sweep
    # The scheduler (cron's `cascade tick`), once the dead process's leases have run out.
    later = (datetime.now(UTC) + LEASE).isoformat()
    tick = subprocess.run(
        [sys.executable, "-m", "bot.cli", "tick", "--at", later],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert tick.returncode == 0, tick.stderr
    with transaction(engine) as s:
        unsent = [r for r in list_messages(session=s, team_id=fake.team_id)]
    assert [r.id for r in unsent if r.status != OutboxStatus.SENT] == []
    print(
        f"30 interviews x {len(ANSWERS)} answers on 2 processes (one SIGKILLed "
        f"mid-run): {dict(counts)}, {swept} done over "
        f"{STALE.seconds} s late (the survivor's sweep); "
        f"requests per process {sorted(proxy.served.values())}; "
        f"Slack retries {sum(retries.values())}; "
        f"all applied in {applied_in:.1f} s, {time.monotonic() - started:.1f} s in all"
    )
    engine.dispose()


@contextmanager
def holding_the_lock_of(engine: Any, team: str, user: str) -> Iterator[None]:
    """The person's lock (storage/people.py), held as a process busy with them holds it."""
    with transaction(engine) as session:
        people.lock_person(session=session, team_id=team, user_id=user)
        yield


def late(engine: Any, team: str) -> int:
    with transaction(engine) as s:
        rows = inbox.list_messages(session=s, team_id=team)
    return sum(1 for r in rows if r.done_at is not None and r.done_at - r.received_at > STALE)


def all_done(engine: Any, team: str) -> bool:
    with transaction(engine) as s:
        rows = inbox.list_messages(session=s, team_id=team)
    return len(rows) >= len(PEOPLE) * len(ANSWERS) and all(
        r.status != InboxStatus.PENDING for r in rows
    )


def waiting(engine: Any, team: str) -> list[tuple[str, str]]:
    with transaction(engine) as s:
        rows = inbox.list_messages(session=s, team_id=team)
    return [(r.user_id, r.status) for r in rows if r.status == InboxStatus.PENDING]


def check_every_interview(engine: Any, team: str) -> Counter[str]:
    """Each person's answers applied in the order sent: their draft says what they wrote, and
    their interview waits at the review."""
    with transaction(engine) as s:
        rows = inbox.list_messages(session=s, team_id=team)
        for user in PEOPLE:
            person = people.get_person(session=s, team_id=team, user_id=user)
            assert person is not None and person.id is not None
            [goal] = goals.list_goals(session=s, team_id=team, owner_id=person.id)
            assert (goal.statement, goal.measure) == (STATEMENT, "10 signed contracts"), user
            assert goal.due is not None and goal.anticipated_barriers is None, user
            [going] = [
                c
                for c in conversations.list_conversations(session=s, team_id=team)
                if c.person_id == person.id
            ]
            assert going.step == "review", (user, going.step)
    counts = Counter(str(r.status) for r in rows)
    assert counts["applied"] == len(PEOPLE) * len(ANSWERS), counts
    return counts
