"""The composition root: settings, engine and Web API client in; the Bolt App out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.errors import on_error
from bot.listeners import register_listeners
from bot.ordering import PerPersonLazyRunner
from bot.services import Services
from bot.settings import Settings
from bot.slack import make_client
from storage.db import open_database, transaction
from storage.events import claim_event

logger = logging.getLogger("cascade")
LISTENER_THREADS = 16


def _dedupe_events(services: Services) -> Callable[..., BoltResponse | None]:
    """Global middleware: an Events API delivery acts once, however often Slack retries it."""

    def middleware(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            with transaction(services.engine) as session:
                first = claim_event(
                    session=session, team_id=str(body.get("team_id") or ""), event_id=str(event_id)
                )
            if not first:
                logger.info("event %s already handled; acknowledging the retry", event_id)
                return BoltResponse(status=200, body="")
        return next()

    return middleware


def build_app(services: Services, client: WebClient | None = None) -> App:
    """The Bolt App with every listener registered."""
    settings = services.settings
    app = App(
        client=client or make_client(settings),
        signing_secret=settings.slack_signing_secret or "",
        token_verification_enabled=True,
        # Slow work runs here after the ack; Bolt's default of 5 threads queues it under load.
        listener_executor=ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="cascade"
        ),
    )
    # Bolt runs lazy listeners in the pool that runs ack functions: under a burst of slow work an
    # ack would queue behind it (measured: 2.8 s at 1 s per Web API call). Give them their own,
    # and keep each person's work in the order it arrived.
    app.listener_runner.lazy_listener_runner = PerPersonLazyRunner(
        logger=app.logger, executor=services.background
    )
    app.use(_dedupe_events(services))
    app.error(on_error)
    register_listeners(app, services)
    return app


def build_services(settings: Settings) -> Services:
    """Settings and a database; SQLite is migrated at start, PostgreSQL by `cascade db upgrade`."""
    return Services(settings=settings, engine=open_database(settings.database_url))
