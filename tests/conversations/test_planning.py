"""Which cycle people work on, and the next cycle an admin is offered as an example."""

from __future__ import annotations

import pytest

from conversations.services.planning import _next_name


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
