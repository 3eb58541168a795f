"""Small helpers shared by the tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event

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


WRITES = ("INSERT", "UPDATE", "DELETE")


class Statements(list[str]):
    """Every statement an engine sent while counting (SQLAlchemy's before_cursor_execute)."""

    def writes(self, *, table: str | None = None) -> list[str]:
        found = [s for s in self if s.lstrip().upper().startswith(WRITES)]
        if table is not None:
            found = [s for s in found if f" {table} " in s.replace("(", " ") + " "]
        return found

    def data_writes(self) -> list[str]:
        """Writes to anything but the workspace row (the directory sync's lease lives there)."""
        return [s for s in self.writes() if s not in self.writes(table="workspace")]


@contextmanager
def counting_statements(engine: Engine) -> Iterator[Statements]:
    statements = Statements()

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def cli_env(running: Any) -> dict[str, str]:
    """The environment for a `cascade …` child process on the running app's database and fake."""
    settings = running.services.settings
    database = running.engine.url.render_as_string(hide_password=False)
    return dict(os.environ) | {
        "SLACK_BOT_TOKEN": settings.slack_bot_token or "",
        "SLACK_SIGNING_SECRET": settings.slack_signing_secret or "",
        "SLACK_API_URL": settings.slack_api_url,
        "DATABASE_URL": database,
    }
