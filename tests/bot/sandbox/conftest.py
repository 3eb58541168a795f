"""A whole sandbox per test, on a free port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox.run import Sandbox, start_sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(port=0)
    yield running
    running.stop()


@pytest.fixture
def demo() -> Iterator[Sandbox]:
    running = start_sandbox(port=0, demo=True)
    yield running
    running.stop()
