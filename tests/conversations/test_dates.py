"""Due dates as people type them, emoji and all (conversations/dates.py)."""

from __future__ import annotations

from datetime import date

import pytest

from conversations.dates import parse_due

TODAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("end of March", date(2027, 3, 31)),
        ("end of March 🙂", date(2027, 3, 31)),
        ("🎉 2027-03-31 🎉", date(2027, 3, 31)),
        ("end of March :slightly_smiling_face:", date(2027, 3, 31)),
        (":tada: Q2", date(2027, 6, 30)),
        ("end of March ❤️", date(2027, 3, 31)),
    ],
)
def test_emoji_beside_a_date_say_nothing_of_it(typed: str, meant: date) -> None:
    assert parse_due(typed, TODAY) == meant


@pytest.mark.parametrize("typed", ["🙂", ":tada:", "🙂🙂🙂", "12:30"])
def test_emoji_alone_are_no_date(typed: str) -> None:
    assert parse_due(typed, TODAY) is None
