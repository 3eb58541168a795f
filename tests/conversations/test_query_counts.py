"""Every view reads what it shows in a fixed number of queries, whatever the organisation's size:
counted with SQLAlchemy events (the actor's lookup included, BEGIN/COMMIT not) on two
organisations that differ tenfold, each view at most 10 and the same at both sizes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from bot.home import home_view
from conversations.actor import Actor, actor_for
from conversations.services import barrier, one_on_one, planning
from conversations.views import home, managers, mine, team, tree
from conversations.views.next_steps import next_steps
from conversations.views.one_on_one import agendas
from conversations.views.retrospective import retrospective
from prompts import render
from storage import checkins, goals
from storage.db import reading, transaction
from storage.models import Confidence, GoalStatus
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile

NOW = datetime(2027, 2, 1, 12, tzinfo=UTC)
ADMINS = frozenset({"UCEO"})
LIMIT = 10


def org(engine: Engine, scale: int, team_id: str = "T") -> None:
    """Acme (Cleo, an admin) → 2×scale teams of 3×scale: everyone has a goal linked up the
    cascade (half agreed, half waiting for their manager), half have checked in, the first of
    each team reports a barrier to their manager, and the first manager one to Cleo."""
    teams, size = 2 * scale, 3 * scale
    members = {t: [f"UT{t}M{m}" for m in range(size)] for t in range(teams)}
    with transaction(engine) as s:
        built = build_org(
            s,
            team_id=team_id,
            profiles=[profile("UCEO", "Cleo")]
            + [profile(f"UMGR{t}", f"Manager {t}") for t in range(teams)]
            + [profile(u, f"Member {u}") for us in members.values() for u in us],
            units_=[UnitSpec("Acme", "UCEO")]
            + [UnitSpec(f"Team {t}", f"UMGR{t}", "Acme", members[t]) for t in range(teams)],
            cycle=("FY27", date(2027, 1, 1), date(2027, 12, 31)),
            objectives_=[ObjectiveSpec("Acme", "Grow")]
            + [ObjectiveSpec(f"Team {t}", f"Sell {t}", "Grow") for t in range(teams)],
            now=NOW - timedelta(days=10),
            synced=True,
        )
        cycle_id = built.cycle.id if built.cycle and built.cycle.id else 0
        owners = [("UCEO", "Acme", "Grow")] + [
            (u, f"Team {t}", f"Sell {t}") for t, us in members.items() for u in [f"UMGR{t}", *us]
        ]
        for n, (user, unit, objective) in enumerate(owners):
            goal = goals.create_goal(
                session=s,
                team_id=team_id,
                owner_id=built.ids[user],
                unit_id=built.units[unit].id or 0,
                cycle_id=cycle_id,
                objective_id=built.objectives[objective].id,
                statement=f"Goal {n}",
                now=NOW,
            )
            status = GoalStatus.AGREED if n % 2 == 0 else GoalStatus.PROPOSED
            goals.update_goal(session=s, goal=goal, now=NOW, status=status)
            if status == GoalStatus.AGREED:
                checkins.record_checkin(
                    session=s,
                    team_id=team_id,
                    goal_id=goal.id or 0,
                    person_id=built.ids[user],
                    progress=40,
                    confidence=Confidence.ON_TRACK,
                    at=NOW - timedelta(days=2),
                )
    for reporter in ["UMGR0", *(us[0] for us in members.values())]:
        with transaction(engine) as s:
            actor = actor_for(session=s, team_id=team_id, user_id=reporter, admin_ids=ADMINS)
            barrier.report(session=s, actor=actor, text=f"Blocked ({reporter})", now=NOW)


def _team(s: Session, actor: Actor) -> object:
    """`/goals team`: the teams, and how the manager is doing."""
    cycle = planning.current(session=s, team_id=actor.team_id, now=NOW)
    numbers = managers.numbers(
        session=s, team_id=actor.team_id, managers=[actor.person], cycle=cycle, now=NOW
    )
    teams = team.teams_of(session=s, actor=actor, now=NOW)
    return teams, numbers


def _agenda(s: Session, actor: Actor) -> object:
    """`/goals 1on1 @UT0M0`, asked by their manager."""
    pair = one_on_one.pair_with(session=s, actor=actor, user_id="UT0M0")
    return agendas(session=s, team_id=actor.team_id, pairs=[pair], now=NOW)


def _retrospective(s: Session, actor: Actor) -> object:
    """The cycle's look back, for the whole organisation (as the tick reads it once)."""
    cycle = planning.current(session=s, team_id=actor.team_id, now=NOW)
    assert cycle is not None
    return retrospective(session=s, team_id=actor.team_id, cycle=cycle, next_cycle=None, tz="UTC")


def _home(s: Session, actor: Actor) -> object:
    return home_view(home.home_of(session=s, actor=actor, now=NOW))


VIEWS: dict[str, tuple[str, Callable[[Session, Actor], object]]] = {
    "tree from the top": (
        "UCEO",
        lambda s, a: tree.alignment_tree(session=s, actor=a, unit_name=None, now=NOW),
    ),
    "mine (a member)": ("UT0M0", lambda s, a: mine.my_goals(session=s, actor=a, now=NOW)),
    "mine (a manager)": ("UMGR0", lambda s, a: mine.my_goals(session=s, actor=a, now=NOW)),
    "help (a member)": (
        "UT0M1",
        lambda s, a: render("commands/help", steps=next_steps(session=s, actor=a, now=NOW)),
    ),
    "help (a manager)": (
        "UMGR0",
        lambda s, a: render("commands/help", steps=next_steps(session=s, actor=a, now=NOW)),
    ),
    "help (an admin)": (
        "UCEO",
        lambda s, a: render("commands/help", steps=next_steps(session=s, actor=a, now=NOW)),
    ),
    "team": ("UMGR0", _team),
    "1on1": ("UMGR0", _agenda),
    "retrospective": ("UCEO", _retrospective),
    "home (a member)": ("UT0M0", _home),
    "home (a manager)": ("UMGR0", _home),
    "home (the admin at the top)": ("UCEO", _home),
}


def count_queries(
    engine: Engine, team_id: str, user: str, view: Callable[[Session, Actor], Any]
) -> int:
    counted: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            counted.append(statement)

    # Views read through `reading`, which has an engine of its own on PostgreSQL: count on both.
    engines = {engine, getattr(engine, "_cascade_reader", engine)}
    for each in engines:
        event.listen(each, "before_cursor_execute", count)
    try:
        with reading(engine) as s:
            actor = actor_for(session=s, team_id=team_id, user_id=user, admin_ids=ADMINS)
            view(s, actor)
    finally:
        for each in engines:
            event.remove(each, "before_cursor_execute", count)
    assert counted  # (something was counted: the actor's lookup at least)
    return len(counted)


def test_every_view_reads_in_a_fixed_number_of_queries(engine: Engine) -> None:
    counts: dict[int, dict[str, int]] = {}
    for scale in (1, 10):  # 1 + 2 managers + 6 members, then 1 + 20 + 600
        team_id = f"T{scale}"
        org(engine, scale, team_id)
        counts[scale] = {
            what: count_queries(engine, team_id, user, view) for what, (user, view) in VIEWS.items()
        }
    print(counts)
    for what in VIEWS:
        assert counts[1][what] == counts[10][what] <= LIMIT, (what, counts)


@pytest.mark.parametrize("what", ["home (the admin at the top)", "home (a manager)"])
def test_the_home_shows_what_it_read_once(engine: Engine, what: str) -> None:
    """The Home reads once what its parts share; what it shows is what each part reads alone."""
    team_id = "T"
    org(engine, 1)
    user, _ = VIEWS[what]
    with reading(engine) as s:
        actor = actor_for(session=s, team_id=team_id, user_id=user, admin_ids=ADMINS)
        together = home.home_of(session=s, actor=actor, now=NOW)
    with reading(engine) as s:
        actor = actor_for(session=s, team_id=team_id, user_id=user, admin_ids=ADMINS)
        steps = next_steps(session=s, actor=actor, now=NOW)
    with reading(engine) as s:
        actor = actor_for(session=s, team_id=team_id, user_id=user, admin_ids=ADMINS)
        found = mine.my_goals(session=s, actor=actor, now=NOW)
    with reading(engine) as s:
        actor = actor_for(session=s, team_id=team_id, user_id=user, admin_ids=ADMINS)
        barriers = mine.open_barriers(session=s, actor=actor, now=NOW)
    with reading(engine) as s:
        actor = actor_for(session=s, team_id=team_id, user_id=user, admin_ids=ADMINS)
        teams = team.teams_of(session=s, actor=actor, now=NOW)
    assert render("help/next_steps", steps=together.steps) == render("help/next_steps", steps=steps)
    assert [(m.goal.id, [o.id for o in m.chain]) for m in together.found.mine] == [
        (m.goal.id, [o.id for o in m.chain]) for m in found.mine
    ]
    assert all(m.chain for m in found.mine)  # linked up the cascade
    assert [(b.barrier.id, b.reporter, b.holder) for b in together.barriers] == [
        (b.barrier.id, b.reporter, b.holder) for b in barriers
    ]
    assert barriers
    assert render("team/team", teams=together.teams) == render("team/team", teams=teams)
