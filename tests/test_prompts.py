"""Words that belong on their own line stay there. Jinja's `trim_blocks` eats the newline after
a line that ends in a block tag; where the next words must start a new line, the tag ends in
`+%}`. These render each such template and read its lines."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace as NS

from prompts import render, render_plain


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_a_closed_goal_says_what_was_learned_on_its_own_line() -> None:
    goal = NS(status="achieved", statement="Sign 3 retailers", learning="Pilot first")
    owner = NS(user_id="URITA")
    assert lines(render("goal_closing/closed", goal=goal))[1] == "What you learned: Pilot first"
    told = lines(render("goal_closing/closed_manager", goal=goal, owner=owner))
    assert told[1] == "What they learned: Pilot first"


def test_a_noted_objective_puts_the_coachs_thought_and_the_next_step_on_their_own_lines() -> None:
    text = render("objectives/noted", objective=NS(title="Grow"), question="By how much?")
    [noted, thought, following] = lines(text)
    assert noted.endswith("Noted: Grow.") and thought.startswith(":bulb:")
    assert following == "Next one, or `done`."
    assert lines(render("objectives/noted", objective=NS(title="Grow"), question=None))[1] == (
        "Next one, or `done`."
    )


def test_the_objectives_to_pick_from_each_start_a_line() -> None:
    listed = [(1, NS(title="Grow")), (2, NS(title="Keep"))]
    text = render(
        "goal_interview/ask_objective", unit=NS(name="Sales"), buttons=True, count=2, listed=listed
    )
    assert lines(text)[1:] == ["1. Grow", "2. Keep"]


def test_the_import_report_says_who_was_told_on_its_own_line() -> None:
    result = NS(people=3, units_created=1, units_changed=0, moves=0, changed=True, skipped=0)
    assert lines(render_plain("cli/imported", result=result, told=2))[1].startswith("Told 2")
    result.skipped = 1  # a row naming someone forgotten: said on its own line, before who was told
    said = lines(render_plain("cli/imported", result=result, told=2))
    assert said[1].startswith("Skipped 1 row ") and said[2].startswith("Told 2")


def test_each_unit_of_a_look_back_starts_a_line() -> None:
    unit = {"achieved": 1, "missed": 0, "dropped": 0}
    units = [
        NS(name=name, depth=0, outcomes=unit, raised=1, resolved=1, median_days=2, lessons=())
        for name in ("Sales", "Engineering")
    ]
    retro = NS(
        cycle=NS(name="H1"),
        totals={"achieved": 2, "missed": 0, "dropped": 0, "agreed": 0},
        units=units,
        next_cycle=NS(name="H2", start=date(2027, 7, 1)),
    )
    text = lines(render("retrospective/channel", retro=retro))
    assert [line.split("*")[1] for line in text if line.startswith("•")] == ["Sales", "Engineering"]
    assert text[-1].startswith("*H2* starts")
