"""Small helpers shared by the tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from bot.sandbox.fake_slack import FakeSlack, Message
from storage.db import transaction
from storage.export import export_all


def snapshot(engine: Engine, now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Everything the export shows (as of `now`), to compare before and after."""
    with transaction(engine) as session:
        return export_all(session=session, now=now)


def replies_to(
    fake: FakeSlack, user_id: str, count: int = 1, timeout: float = 5.0
) -> list[Message]:
    """Wait until this person has seen `count` messages; returns them all."""
    return list(
        fake.wait_for(
            lambda f: len(f.replies_for(user_id)) >= count and f.replies_for(user_id), timeout
        )
    )


def last_reply(fake: FakeSlack, user_id: str, count: int = 1) -> Message:
    return replies_to(fake, user_id, count)[-1]
