"""Slack's pace for messages, kept by the sender: about one a second per conversation, with short
bursts, and an overall cap (chat.postMessage's "special" limit: 1 per second per channel, and a
workspace-wide limit of several hundred a minute).

Each limit is a leaky bucket (GCRA): a send may go once the bucket's "theoretical arrival time"
is no more than `burst` intervals ahead of now. A reply (someone just asked and is waiting for
it) waits only for its own conversation: it still takes its place in the overall bucket, so the
messages nobody is waiting for (the tick's check-ins, the import's notices) make room for it
instead of it queueing behind them, and a burst of replies never holds the threads that send
them (up to REPLIES_AHEAD of them). Times come from an injectable monotonic clock and
waits from an injectable sleep, so a test can run hours of sending in no time and read the pace
from the fake Slack's recorded call times.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

PER_CONVERSATION = 1.0  # seconds between messages to one person, sustained
CONVERSATION_BURST = 3  # messages one person may get at once (one turn's replies)
OVERALL = 0.2  # seconds between messages overall: 300 a minute
OVERALL_BURST = 20
FORGET = 10_000  # conversations remembered before the idle ones are forgotten
# How far ahead replies may book the overall pace: past it (more than 50 replies in 10 s) they
# go over it, and Slack's 429 with Retry-After is the limit; what nobody waits for then waits at
# most this long for them (well inside an outbox lease).
REPLIES_AHEAD = 10.0


@dataclass
class Pacer:
    """Waits as long as Slack's pace asks before each message; shared by every sender thread."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    per_conversation: float = PER_CONVERSATION
    conversation_burst: int = CONVERSATION_BURST
    overall: float = OVERALL
    overall_burst: int = OVERALL_BURST
    _due: dict[Hashable, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def at(cls, pace: float) -> Pacer:
        """Slack's pace, `pace` times over (the bursts stay)."""
        return cls(per_conversation=PER_CONVERSATION / pace, overall=OVERALL / pace)

    def wait(self, conversation: Hashable, *, reply: bool = False) -> float:
        """Block until a message to `conversation` may go; returns how long it waited. A `reply`
        waits only for its conversation's bucket (see above)."""
        with self._lock:  # reserve the slot under the lock, wait outside it
            now = self.monotonic()
            start = self._slot(conversation, now, self.per_conversation, self.conversation_burst)
            if not reply:
                start = max(start, self._slot(None, now, self.overall, self.overall_burst))
            for key, interval in ((conversation, self.per_conversation), (None, self.overall)):
                due = max(self._due.get(key, start), start) + interval
                if reply and key is None:  # replies push the rest back so far, then go over
                    due = min(due, max(self._due.get(key, start), now + REPLIES_AHEAD))
                self._due[key] = due
            if len(self._due) > FORGET:
                self._due = {k: v for k, v in self._due.items() if v > now}
        delay = start - now
        if delay > 0:
            self.sleep(delay)
        return max(delay, 0.0)

    def _slot(self, key: Hashable, now: float, interval: float, burst: int) -> float:
        """The earliest instant a message may go under one bucket."""
        return max(now, self._due.get(key, now) - (burst - 1) * interval)
