"""What every listener is handed at registration: settings, the database and the clock."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import Engine

from bot.ordering import SerialPerKey
from bot.outbox import Sender
from bot.pacing import Pacer
from bot.settings import Settings
from bot.slack import make_client


def system_clock() -> datetime:
    return datetime.now(UTC)


SLOW_WORK_THREADS = 32


def slow_work_pool() -> Executor:
    return ThreadPoolExecutor(max_workers=SLOW_WORK_THREADS, thread_name_prefix="cascade-slow")


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    clock: Callable[[], datetime] = field(default=system_clock)
    # Work after the ack (Web API calls) runs here, never in the pool that runs ack functions.
    background: Executor = field(default_factory=slow_work_pool)
    # Slack's pace, kept by every send of the process (None: as the settings say).
    pacer: Pacer | None = None

    @cached_property
    def sender(self) -> Sender:
        """The one send path, with a Web API client of its own built from the settings."""
        client = make_client(self.settings)
        pacer = self.pacer or Pacer.at(self.settings.cascade_slack_pace)
        return Sender(engine=self.engine, client=client, clock=self.clock, pacer=pacer)

    @cached_property
    def serial(self) -> SerialPerKey:
        """Work after the ack, in the background pool, one task at a time per person."""
        return SerialPerKey(self.background)
