"""Sandbox time: real time plus an offset the page can move forward."""

from __future__ import annotations

import threading
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


def next_monday_at(now: datetime, tz: str, hour: int = 9) -> datetime:
    """The next Monday at `hour`:00 in time zone `tz`, strictly after `now`."""
    return clock.next_weekday_at(now, tz, 0, time(hour))
