"""The composition root: settings, engine and Web API client in; the Bolt App out."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot import redaction
from bot.errors import on_error
from bot.install import hand_to_bolt, installed_workspace, only_installed, patient_client
from bot.listeners import register_listeners
from bot.ordering import PerPersonLazyRunner
from bot.services import Services
from bot.settings import Settings
from bot.slack import make_client
from storage import workspaces
from storage.db import open_database, transaction

logger = logging.getLogger("cascade")
LISTENER_THREADS = 16


def build_app(services: Services, client: WebClient | None = None) -> App:
    """The Bolt App with every listener registered, for the workspace the token belongs to."""
    settings = services.settings
    redaction.install(
        [settings.slack_signing_secret, settings.slack_bot_token, settings.slack_app_token]
    )
    patience = settings.slack_rate_limit_patience
    installation = installed_workspace(client or patient_client(settings), patience=patience)
    app = App(
        client=client or make_client(settings),
        signing_secret=settings.slack_signing_secret or "",
        token_verification_enabled=False,  # asked above, patiently; handed to Bolt below
        before_authorize=only_installed(installation),
        # Slow work runs here after the ack; Bolt's default of 5 threads queues it under load.
        listener_executor=ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="cascade"
        ),
    )
    # Bolt runs lazy listeners in the pool that runs ack functions: under a burst of slow work an
    # ack would queue behind it (measured: 2.8 s at 1 s per Web API call). Give them their own,
    # and keep each person's work in the order it arrived.
    app.listener_runner.lazy_listener_runner = PerPersonLazyRunner(
        logger=app.logger, serial=services.serial
    )
    hand_to_bolt(app, installation)
    with transaction(services.engine) as session:  # a working token: sending resumes
        if workspaces.resume(session=session, team_id=installation.team_id):
            logger.warning(
                "workspace %s: the token works again, sending resumes", installation.team_id
            )
    app.error(on_error)
    register_listeners(app, services)
    return app


def build_services(settings: Settings) -> Services:
    """Settings and a database; SQLite is migrated at start, PostgreSQL by `cascade db upgrade`."""
    return Services(settings=settings, engine=open_database(settings.database_url))
