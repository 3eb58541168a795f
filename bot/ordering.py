"""Work after the ack, in the background pool, one person at a time and in arrival order.

Two DMs sent in quick succession must be answered in the order they were written: each person's
lazy work forms a queue, drained by one pool thread at a time; different people run in parallel.
Across processes, DMs and clicks are ordered by the inbox (bot/inbox.py); this keeps one process
from running a person's work on two threads at once.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from logging import Logger

from slack_bolt.lazy_listener.internals import build_runnable_function
from slack_bolt.lazy_listener.runner import LazyListenerRunner
from slack_bolt.request import BoltRequest

logger = logging.getLogger("cascade")


class SerialPerKey:
    """Runs tasks on `executor`, one at a time and in order for each key, keys in parallel."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self._queues: dict[str, deque[Callable[[], None]]] = {}
        self._lock = threading.Lock()

    def submit(self, key: str, task: Callable[[], None]) -> None:
        with self._lock:
            queue = self._queues.setdefault(key, deque())
            queue.append(task)
            if len(queue) > 1:
                return  # the thread draining this key's queue will get to it
        self.executor.submit(self._drain, key)

    def _drain(self, key: str) -> None:
        more = True
        while more:
            with self._lock:
                task = self._queues[key][0]
            try:
                task()
            except Exception:  # one failure must not strand the rest of this person's queue
                logger.exception("work after the ack failed")
            with self._lock:
                queue = self._queues[key]
                queue.popleft()
                more = bool(queue)
                if not more:
                    del self._queues[key]


class PerPersonLazyRunner(LazyListenerRunner):
    """Bolt's lazy listeners, serialised per person (see `SerialPerKey`)."""

    def __init__(self, logger: Logger, serial: SerialPerKey) -> None:
        self.logger = logger
        self.serial = serial

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        key = f"{request.context.team_id}:{request.context.user_id}"
        self.serial.submit(
            key, build_runnable_function(func=function, logger=self.logger, request=request)
        )
