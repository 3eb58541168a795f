"""Each person's work after the ack runs in arrival order; different people in parallel."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bot.ordering import SerialPerKey


def test_one_key_in_order_even_when_the_first_task_is_slow() -> None:
    done: list[str] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        serial = SerialPerKey(pool)
        serial.submit("bob", lambda: (time.sleep(0.2), done.append("first")))
        serial.submit("bob", lambda: done.append("second"))
        serial.submit("bob", lambda: done.append("third"))
    assert done == ["first", "second", "third"]


def test_different_keys_run_side_by_side() -> None:
    both_running = threading.Barrier(2, timeout=2)
    with ThreadPoolExecutor(max_workers=4) as pool:
        serial = SerialPerKey(pool)
        serial.submit("bob", both_running.wait)  # would time out if Carol had to wait for Bob
        serial.submit("carol", both_running.wait)
    assert not both_running.broken


def test_a_failing_task_does_not_block_the_queue() -> None:
    done: list[str] = []
    queued = threading.Event()

    def boom() -> None:
        queued.wait(2)  # fail only once the next task is waiting behind this one
        raise RuntimeError("boom")

    with ThreadPoolExecutor(max_workers=2) as pool:
        serial = SerialPerKey(pool)
        serial.submit("bob", boom)
        serial.submit("bob", lambda: done.append("after"))
        queued.set()
    assert done == ["after"]
