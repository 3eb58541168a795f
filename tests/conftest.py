"""Fixtures: a clean database per test (SQLite always, PostgreSQL when configured), the fake
Slack served on loopback, and the app served over HTTP with its WebClient pointed at the fake."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from bot.app import build_app
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.serving import BackgroundServer
from bot.server import wsgi_app
from bot.services import Services
from bot.settings import Settings
from storage.db import make_engine
from storage.models import Barrier, CheckIn
from tests.databases import drop_database, drop_templates, fresh_database
from tests.fakes.slack_requests import SIGNING_SECRET, SlackClient

POSTGRES_URL = os.environ.get("CASCADE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]

ADMIN = "UADMIN"  # in CASCADE_ADMINS
OWNER = "UOWNER"  # a Slack workspace owner
ALICE, BOB, CAROL, DAVE = "UALICE", "UBOB", "UCAROL", "UDAVE"
GONE, ROBOT = "UGONE", "UROBOT"


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated database of its own for each test (a copy: tests/databases.py)."""
    url = fresh_database(request.param, tmp_path)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        drop_database(url)


@pytest.fixture(scope="session", autouse=True)
def _templates() -> Iterator[None]:
    yield
    drop_templates()


def populate(fake: FakeSlack) -> None:
    fake.add_user(ADMIN, "Ada Admin", email="ada@example.com", tz="Europe/London")
    fake.add_user(OWNER, "Olga Owner", email="olga@example.com", tz="Europe/Berlin", is_owner=True)
    fake.add_user(ALICE, "Alice", email="alice@example.com", tz="America/New_York")
    fake.add_user(BOB, "Bob", email="bob@example.com", tz="Asia/Tokyo")
    fake.add_user(CAROL, "Carol", email="carol@example.com", tz="Australia/Sydney")
    fake.add_user(DAVE, "Dave", email="dave@example.com", tz="America/Los_Angeles")
    fake.add_user(GONE, "Gone Person", email="gone@example.com", deleted=True)
    fake.add_user(ROBOT, "Robot", email="robot@example.com", is_bot=True)


@pytest.fixture
def fake_slack() -> Iterator[tuple[FakeSlack, str]]:
    fake = FakeSlack()
    populate(fake)
    served = BackgroundServer(fake.wsgi_app())
    fake.base_url = served.url
    yield fake, served.url
    served.stop()


class MovableClock:
    """The app's clock for a test marked `now`: fixed, until the test moves it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Running:
    """The app served over HTTP, the fake Slack it talks to, and a signed-request client."""

    services: Services
    fake: FakeSlack
    slack: SlackClient
    clock: MovableClock | None = None  # with the `now` marker

    @property
    def engine(self) -> Engine:
        return self.services.engine


# The fake Slack keeps no rate limits: the app's processes, in this one and those it starts, send
# at 100 times Slack's pace (kept on virtual time at 1x in tests/faults/test_outage.py).
FAKE_PACE = "100"
os.environ["CASCADE_SLACK_PACE"] = FAKE_PACE


def settings_for(fake: FakeSlack, fake_url: str, database_url: str = "sqlite://") -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=fake.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_url + "/api/",
        database_url=database_url,
        cascade_admins=ADMIN,
        cascade_slack_pace=float(FAKE_PACE),
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "now(iso): the instant the app's clock shows (`running`), instead of now"
    )


@pytest.fixture
def running(
    engine: Engine, fake_slack: tuple[FakeSlack, str], request: pytest.FixtureRequest
) -> Iterator[Running]:
    fake, fake_url = fake_slack
    services = Services(settings=settings_for(fake, fake_url), engine=engine)
    fixed = request.node.get_closest_marker("now")
    clock = MovableClock(datetime.fromisoformat(fixed.args[0])) if fixed is not None else None
    if clock is not None:
        services = Services(settings=services.settings, engine=engine, clock=clock)
    app = build_app(services)
    served = BackgroundServer(wsgi_app(app), threads=16)  # as `cascade serve` runs
    yield Running(services, fake, SlackClient(served.url, fake, fake_url), clock)
    # Let the work after the acks finish while the fake Slack is still there to receive it.
    app.listener_runner.listener_executor.shutdown(wait=True)
    services.background.shutdown(wait=True)
    served.stop()
    # Looking someone up who does not exist is a question, not a mistake; anything else Slack
    # refused (invalid blocks, no such channel, …) is a bug in what the app sent.
    refused = [e for e in fake.errors if e != ("users.info", "user_not_found")]
    assert refused == [], "the app sent Slack something it refuses (see fake.errors)"
    assert fake.misformatted == [], "the app sent Slack text it would show wrongly or broadcast"


# Logs hold no secret and no private text (issue 22, item 7): every record logged during each
# test, at any level and from any logger, is read at its end for the tokens and signing secret
# the tests use, and for every barrier and check-in note text the test stored.
SECRETS = frozenset({"xoxb-sandbox", "xapp-sandbox", SIGNING_SECRET})
SHORTEST_PRIVATE = 8  # shorter words ("ok") are not told apart from the log's own
PRIVATE: set[str] = set()


def _stored(text: str | None) -> None:
    if text is not None and len(text.strip()) >= SHORTEST_PRIVATE:
        PRIVATE.add(text.strip())


for _event in ("before_insert", "before_update"):
    event.listen(Barrier, _event, lambda _m, _c, barrier: _stored(barrier.text))
    event.listen(CheckIn, _event, lambda _m, _c, checkin: _stored(checkin.note))


class LogScan(logging.Handler):
    """Every record of one test, as a handler would write it (with its traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, self.format(record)))

    def leaks(self) -> list[tuple[str, str]]:
        markers = SECRETS | PRIVATE
        return [(name, m) for name, _, text in self.records for m in markers if m in text]


@pytest.fixture(autouse=True)
def log_scan() -> Iterator[LogScan]:
    scan, root = LogScan(), logging.getLogger()
    level = root.level
    PRIVATE.clear()
    root.addHandler(scan)
    root.setLevel(logging.DEBUG)
    yield scan
    root.removeHandler(scan)
    root.setLevel(level)
    assert scan.leaks() == [], "a log line holds a secret or a text someone wrote"
