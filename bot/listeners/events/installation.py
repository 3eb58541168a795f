"""Events API: the app uninstalled, or its bot token revoked. Cascade stops sending to the
workspace and keeps its data; what is owed waits in the outbox until a token works again (the
tick's auth.test, or a restart with a new token: bot/outbox.py `resume_reinstalled`)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.errors import reported
from bot.handling import ack_now
from bot.payloads import Revoked
from bot.services import Services
from storage import workspaces
from storage.db import transaction

logger = logging.getLogger("cascade")


def register(app: App, services: Services) -> None:
    def revoked(event: dict[str, Any], body: dict[str, Any]) -> None:
        found = Revoked.parse(event, body)
        if found is None or not found.team_id:
            return
        with transaction(services.engine) as session:
            newly = workspaces.suspend(
                session=session, team_id=found.team_id, reason=found.reason, at=services.clock()
            )
        if newly:
            logger.warning(
                "workspace %s: %s; nothing is sent until a token works again",
                found.team_id,
                found.reason,
            )

    for kind in ("app_uninstalled", "tokens_revoked"):
        app.event(kind)(ack=ack_now, lazy=[reported(revoked)])
