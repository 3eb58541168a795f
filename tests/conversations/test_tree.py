"""`/goals tree` as a tree: units nested, objectives under the ones they derive from, goals
under their objective, who has no agreed goal yet; cut within Slack's limits, in a fixed number
of queries."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, event

from bot import blocks
from bot.sandbox.fake_slack import validate_blocks
from conversations.actor import Actor
from conversations.views.tree import alignment_tree
from prompts import render
from storage import goals, people
from storage.db import transaction
from storage.models import GoalStatus
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile

NOW = datetime(2027, 2, 1, 12, tzinfo=UTC)
EM = "\u2003\u2003"


def org(engine: Engine, teams: int = 2, size: int = 3) -> Actor:
    """Acme (Cleo) → teams of `size` under managers; Acme's "Grow" → each team's "Sell N";
    one member per team has an agreed goal on it; Acme's "Delight" has nothing built on it."""
    users = {f"UT{t}M{m}": f"Member {t}.{m}" for t in range(teams) for m in range(size)}
    with transaction(engine) as s:
        built = build_org(
            s,
            team_id="T",
            profiles=[profile("UCEO", "Cleo")]
            + [profile(f"UMGR{t}", f"Manager {t}") for t in range(teams)]
            + [profile(u, n) for u, n in users.items()],
            units_=[UnitSpec("Acme", "UCEO")]
            + [
                UnitSpec(
                    f"Team {t}",
                    f"UMGR{t}",
                    "Acme",
                    tuple(u for u in users if u.startswith(f"UT{t}M")),
                )
                for t in range(teams)
            ],
            cycle=("FY27", date(2027, 1, 1), date(2027, 12, 31)),
            objectives_=[ObjectiveSpec("Acme", "Grow"), ObjectiveSpec("Acme", "Delight")]
            + [ObjectiveSpec(f"Team {t}", f"Sell {t}", "Grow") for t in range(teams)],
            now=NOW,
        )
        for t in range(teams):
            goal = goals.create_goal(
                session=s,
                team_id="T",
                owner_id=built.ids[f"UT{t}M0"],
                unit_id=built.units[f"Team {t}"].id or 0,
                cycle_id=built.cycle.id if built.cycle and built.cycle.id else 0,
                objective_id=built.objectives[f"Sell {t}"].id,
                statement=f"Win account {t}",
            )
            goals.update_goal(session=s, goal=goal, now=NOW, status=GoalStatus.AGREED)
        cleo = people.get_person(session=s, team_id="T", user_id="UCEO")
        assert cleo is not None
    return Actor(team_id="T", person=cleo, is_admin=True)


def test_units_nest_and_objectives_carry_what_builds_on_them(engine: Engine) -> None:
    cleo = org(engine)
    with transaction(engine) as s:
        tree = alignment_tree(session=s, actor=cleo, unit_name=None, now=NOW)
    text = render("commands/tree", tree=tree)
    lines = text.splitlines()
    assert f"{EM}└ :office: *Team 0* — 1/3 members with an agreed goal" in text
    assert "not yet: <@UT0M1>, <@UT0M2>" in text  # named, not just counted
    grow = lines.index(":dart: Grow")
    assert lines[grow + 1] == f"{EM}└ :dart: Sell 0 (Team 0)"  # derived, under what it derives from
    assert lines[grow + 2].startswith(f"{EM}{EM}└ • Win account 0 — <@UT0M0> · agreed")
    assert ":dart: Grow _(no goals yet)_" not in text  # Team 0 built on it
    assert ":dart: Delight _(no goals yet)_" in text  # nothing builds on it: an orphan
    with transaction(engine) as s:  # from a team down, its own objectives are the roots
        tree = alignment_tree(session=s, actor=cleo, unit_name="Team 1", now=NOW)
    text = render("commands/tree", tree=tree)
    assert ":dart: Sell 1\n" in text + "\n" and "Team 0" not in text


@pytest.mark.parametrize("teams", [5, 50])
def test_the_tree_takes_a_fixed_number_of_queries_and_fits_slack(
    engine: Engine, teams: int
) -> None:
    cleo = org(engine, teams=teams, size=10)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with transaction(engine) as s:
            tree = alignment_tree(session=s, actor=cleo, unit_name=None, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    print(f"{teams} teams: {len(statements)} statements")
    assert len(statements) <= 12
    text = render("commands/tree", tree=tree)
    validate_blocks(blocks.message(text)["blocks"], 50)
    if teams == 50:
        assert tree.hidden > 0 and f"and {tree.hidden} more lines" in text


@pytest.mark.parametrize("unit_name", [None, "Team 1"])
def test_a_tree_full_of_units_counts_what_it_cuts_as_a_read_tree_would(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, unit_name: str | None
) -> None:
    """When units alone fill the tree, its objectives and goals are counted in the database, not
    read: the count of lines left out is the one the whole tree, read and drawn, gives."""
    from conversations.views import tree

    cleo = org(engine, teams=4, size=3)
    with transaction(engine) as s:
        whole = alignment_tree(session=s, actor=cleo, unit_name=unit_name, now=NOW)
    assert whole.hidden == 0 and any(r.kind == "goal" for r in whole.rows)
    units_shown = sum(1 for r in whole.rows if r.kind == "unit")
    for rows in (1, units_shown):  # room for one unit; for every unit and nothing else
        monkeypatch.setattr(tree, "TREE_ROWS", rows)
        with transaction(engine) as s:
            cut = alignment_tree(session=s, actor=cleo, unit_name=unit_name, now=NOW)
        assert [r.kind for r in cut.rows] == ["unit"] * rows
        assert cut.hidden + len(cut.rows) == len(whole.rows), rows
        assert not cut.at_least


def test_a_tree_cut_stops_counting_at_its_limit_and_says_over(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tree that units fill counts objectives, and goals, no further than LINES_COUNTED (a
    whole organisation's goals are not worth counting to say how many are left out): then it
    says "over" that many; below the limit it says exactly how many."""
    from conversations.views import tree

    cleo = org(engine, teams=4, size=3)
    with transaction(engine) as s:
        whole = alignment_tree(session=s, actor=cleo, unit_name=None, now=NOW)
    units_shown = sum(1 for r in whole.rows if r.kind == "unit")
    objectives_shown = sum(1 for r in whole.rows if r.kind == "objective")
    goals_shown = sum(1 for r in whole.rows if r.kind == "goal")
    monkeypatch.setattr(tree, "TREE_ROWS", units_shown)
    most = max(objectives_shown, goals_shown)
    for limit, stopped in ((most + 1, False), (most, False), (most - 1, True), (2, True)):
        monkeypatch.setattr(tree, "LINES_COUNTED", limit)
        with transaction(engine) as s:
            cut = alignment_tree(session=s, actor=cleo, unit_name=None, now=NOW)
        counted = min(objectives_shown, limit) + min(goals_shown, limit)
        assert (cut.hidden, cut.at_least) == (counted, stopped), limit
        said = render("commands/tree", tree=cut)
        assert (f"and over {cut.hidden} more lines" in said) is stopped, said
        assert f"{cut.hidden} more lines" in said
