"""Small scenes the sandbox tests set up directly in the database."""

from __future__ import annotations

from datetime import date, timedelta

from bot.sandbox.run import Sandbox
from storage import cycles, goals, people, units
from storage import objectives as objective_store
from storage.db import transaction
from storage.models import Goal, GoalStatus, ObjectiveStatus


def agreed_goal(running: Sandbox, user_id: str, statement: str) -> Goal:
    """An agreed goal of `user_id`'s, under a published objective of their unit: their weekly
    check-in is due."""
    now = running.services.clock()
    team = running.page.fake.team_id
    with transaction(running.services.engine) as s:
        person = people.get_person(session=s, team_id=team, user_id=user_id)
        assert person and person.id
        unit = units.unit_of(session=s, team_id=team, person_id=person.id)
        cycle = cycles.current_cycle(session=s, team_id=team, today=now.date())
        assert unit and unit.id and cycle and cycle.id
        objective = objective_store.create_objective(
            session=s,
            team_id=team,
            unit_id=unit.id,
            cycle_id=cycle.id,
            title="Win the Nordics",
            status=ObjectiveStatus.PUBLISHED,
            published_at=now - timedelta(days=10),
        )
        goal = goals.create_goal(
            session=s,
            team_id=team,
            owner_id=person.id,
            unit_id=unit.id,
            cycle_id=cycle.id,
            objective_id=objective.id,
            statement=statement,
            now=now,
        )
        goals.update_goal(
            session=s, goal=goal, now=now, status=GoalStatus.AGREED, due=date(2099, 1, 1)
        )
        return goal
