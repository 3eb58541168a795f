"""Kill points, for the fault suite only: with `CASCADE_FAULT_KILL=<point>:<n>` set, the process
SIGKILLs itself the n-th time it reaches `<point>`: the moments of an inbox row's life
(bot/inbox.py) — after_ack (the n-th row whose work this process starts), before_commit,
after_commit. Unset, as in production, they do nothing."""

from __future__ import annotations

import os
import signal
import threading
import time

from bot.settings import Settings

ACK_FLUSH_SECONDS = 0.2  # after_ack: time for the ack's HTTP response to leave first

_reached: dict[str, int] = {}
_lock = threading.Lock()


def kill_point(settings: Settings, point: str, applies: bool = True) -> None:
    """SIGKILL this process here if the settings say this is the moment."""
    wanted = settings.cascade_fault_kill
    if not wanted or not applies or not wanted.startswith(point + ":"):
        return
    with _lock:
        _reached[point] = _reached.get(point, 0) + 1
        due = _reached[point] == int(wanted.rsplit(":", 1)[1])
    if due:
        if point == "after_ack":
            time.sleep(ACK_FLUSH_SECONDS)
        os.kill(os.getpid(), signal.SIGKILL)
