"""`cascade sandbox`: the real app, an in-process Slack, SQLite and the page, in one process."""

from __future__ import annotations

import errno
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler

from bot import inbox
from bot.app import build_app
from bot.sandbox.clock import SandboxClock
from bot.sandbox.demo import seed_demo, seed_visitor
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.page import SandboxPage
from bot.sandbox.serving import BackgroundServer
from bot.sandbox.slack_side import SlackSide
from bot.scheduler import start_scheduler
from bot.server import wsgi_app
from bot.services import Services
from bot.settings import Settings
from bot.slack import make_client
from bot.tick import run_tick
from storage.db import open_database

SUMMARY_CHANNEL = "CLEADERSHIP"


class PortInUse(Exception):
    pass


@dataclass
class Sandbox:
    page: SandboxPage
    page_server: BackgroundServer
    app_server: BackgroundServer
    services: Services
    scheduler: BackgroundScheduler | None = None

    @property
    def url(self) -> str:
        return self.page_server.url

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        self.page.close_polls()
        self.page_server.stop()
        self.app_server.stop()


def start_sandbox(
    *,
    port: int = 3000,
    demo: bool = False,
    database: str | None = None,
    visitor_tz: str = "UTC",
    scheduler: bool = True,
) -> Sandbox:
    """Start everything in background threads; raises PortInUse if `port` is taken."""
    fake = FakeSlack()
    fake.add_channel(SUMMARY_CHANNEL, "leadership")  # `/goals settings summary #leadership`
    clock = SandboxClock()
    fake.now = lambda: clock.now().timestamp()  # messages are stamped in sandbox time
    page = SandboxPage(fake=fake, clock=clock, admins=[], summary_channel=SUMMARY_CHANNEL)
    try:
        page_server = BackgroundServer(page.wsgi_app(), port=port, threads=16)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(str(port)) from error
        raise
    fake.base_url = page_server.url
    if database is None:
        database = f"sqlite:///{Path(tempfile.mkdtemp(prefix='cascade-sandbox-')) / 'sandbox.db'}"
    # The production code, configured: only the Web API URL, the credentials and the clock differ.
    settings = Settings(
        _env_file=None,
        slack_bot_token=fake.bot_token,
        slack_signing_secret=secrets.token_hex(16),
        slack_api_url=page_server.url + "/api/",
        database_url=database,
        cascade_summary_channel=SUMMARY_CHANNEL,
    )
    engine = open_database(database)
    client = make_client(settings)
    if demo:
        admins = seed_demo(fake, client=client, engine=engine, now=clock.now())
    else:
        admins = seed_visitor(fake, visitor_tz)
    settings = settings.model_copy(update={"cascade_admins": ",".join(admins)})
    page.admins = admins
    services = Services(settings=settings, engine=engine, clock=clock.now)
    app = build_app(services, client)
    inbox.recover(services, client)  # a sandbox on a kept database: answers left waiting
    app_server = BackgroundServer(wsgi_app(app), threads=16)
    page.slack = SlackSide(
        app_url=app_server.url,
        fake=fake,
        fake_url=page_server.url,
        secret=settings.slack_signing_secret or "",
    )
    # Moving the page's clock runs the tick at every hour passed; the scheduler ticks on its own.
    page.tick = lambda now: run_tick(services, now)
    sandbox = Sandbox(page=page, page_server=page_server, app_server=app_server, services=services)
    if scheduler:
        sandbox.scheduler = start_scheduler(services)
    return sandbox
