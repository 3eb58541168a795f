"""Sandbox time: real time plus an offset the page can move forward."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from conversations import clock


class SandboxClock:
    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._offset += max(delta, timedelta(0))  # time never runs backwards
        return self.now()

    def move_to(self, instant: datetime) -> datetime:
        return self.advance(instant - self.now())


def hours_passed(start: datetime, end: datetime) -> Iterator[datetime]:
    """Every whole hour after `start` up to `end`, then `end` itself (once): the instants a move
    of the clock ticks at, so nothing due in between is skipped."""
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    while hour < end:
        yield hour
        hour += timedelta(hours=1)
    if end > start:
        yield end.astimezone(UTC)


def next_monday_at(now: datetime, tz: str, hour: int = 9) -> datetime:
    """The next Monday at `hour`:00 in time zone `tz`, strictly after `now`."""
    return clock.next_weekday_at(now, tz, 0, time(hour))
