"""Which cycle people work on, and the next cycle an admin is offered as an example."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Engine

from conversations.services.planning import _next_name, suggested_next
from storage import cycles, workspaces
from storage.db import transaction


@pytest.mark.parametrize(
    ("name", "following"),
    [
        ("FY27 H1", "FY27 H2"),
        ("FY27 H2", "FY28 H1"),
        ("Q4 2027", "Q1 2028"),
        ("Q2 2027", "Q3 2027"),
        ("Sprint 9", "Sprint 10"),
        ("Spring planning", "Spring planning (next)"),
    ],
)
def test_the_next_cycle_is_named_after_the_last(name: str, following: str) -> None:
    assert _next_name(name) == following


@pytest.mark.parametrize(
    ("last", "now", "suggested"),
    [
        # Named by its months: the next is named by its own (not "Dec 2026 – May 2028").
        (("Dec 2026 – May 2027", "2026-12-01", "2027-05-31"), "2027-01-10",
         ("Jun 2027 – Nov 2027", "2027-06-01", "2027-11-30")),
        (("FY27 H1", "2027-01-01", "2027-06-30"), "2027-02-01",
         ("FY27 H2", "2027-07-01", "2027-12-31")),
        # The last ended long ago: the example starts this month, so that it is accepted.
        (("Q1 2025", "2025-01-01", "2025-03-31"), "2027-02-10",
         ("Feb 2027 – Apr 2027", "2027-02-01", "2027-04-30")),
    ],
)  # fmt: skip
def test_the_suggested_cycle_says_its_dates_and_is_never_past(
    engine: Engine, last: tuple[str, str, str], now: str, suggested: tuple[str, str, str]
) -> None:
    name, start, end = last
    with transaction(engine) as s:
        workspaces.get_workspace(session=s, team_id="T1")
        cycles.add_cycle(
            session=s,
            team_id="T1",
            name=name,
            start=date.fromisoformat(start),
            end=date.fromisoformat(end),
        )
        at = datetime.fromisoformat(now + "T12:00:00+00:00")
        made = suggested_next(session=s, team_id="T1", now=at)
    assert (made[0], made[1].isoformat(), made[2].isoformat()) == suggested
