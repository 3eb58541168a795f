"""The organisation the fault suite runs in, and a way to put a person at any step of any flow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel

from bot.sandbox.fake_slack import FakeSlack
from conversations.flows import goal_interview, objectives
from storage import conversations, goals
from storage import objectives as objective_store
from storage.db import transaction
from storage.models import Goal, GoalStatus, ObjectiveStatus
from tests.conftest import ALICE, BOB, CAROL, OWNER
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile


@dataclass
class World:
    team_id: str
    ids: dict[str, int]  # Slack user id → person id
    units: dict[str, int]  # unit name → id
    objectives: dict[str, int]  # title → id
    goal_id: int  # Bob's draft goal, that the interview's later steps work on


def profiles_of(fake: FakeSlack) -> list[Any]:
    return [
        profile(
            u["id"],
            u["real_name"],
            email=u["profile"]["email"],
            tz=u["tz"],
            is_admin=u["is_admin"] or u["is_owner"],
            is_bot=u["is_bot"],
            deleted=u["deleted"],
        )
        for u in fake.users.values()
    ]


def seed(engine: Engine, fake: FakeSlack) -> World:
    """Acme (Olga) → Sales (Alice; Bob, Carol); a cycle around today; Grow → Sell more,
    published; the directory synced; Bob has a draft goal."""
    today = date.today()
    now = datetime.now(UTC)
    with transaction(engine) as s:
        org = build_org(
            s,
            team_id=fake.team_id,
            profiles=profiles_of(fake),
            units_=[UnitSpec("Acme", OWNER), UnitSpec("Sales", ALICE, "Acme", (BOB, CAROL))],
            cycle=("FY", today - timedelta(days=200), today + timedelta(days=300)),
            objectives_=[
                ObjectiveSpec("Acme", "Grow"),
                ObjectiveSpec("Sales", "Sell more", "Grow"),
            ],
            now=now,
            synced=True,
        )
        assert org.cycle is not None and org.cycle.id is not None
        goal = goals.create_goal(
            session=s,
            team_id=fake.team_id,
            owner_id=org.ids[BOB],
            unit_id=org.units["Sales"].id or 0,
            cycle_id=org.cycle.id,
            objective_id=org.objectives["Sell more"].id,
            statement="Sign 10 enterprise customers by March",
            now=now,
        )
        return World(
            team_id=fake.team_id,
            ids=org.ids,
            units={name: unit.id or 0 for name, unit in org.units.items()},
            objectives={title: o.id or 0 for title, o in org.objectives.items()},
            goal_id=goal.id or 0,
        )


# (flow, step) → who is asked there, and the answers the step needs.
def places(world: World) -> dict[str, tuple[str, str, str, dict[str, Any]]]:
    interview = {
        "objective_id": world.objectives["Sell more"],
        "goal_id": world.goal_id,
    }
    return {
        **{
            f"goal_interview.{step}": (
                BOB,
                goal_interview.FLOW,
                step,
                {}
                if step == "objective"
                else {"objective_id": world.objectives["Sell more"]}
                if step == "statement"
                else {**interview, "due": (date.today() + timedelta(days=400)).isoformat()}
                if step == "confirm_due"
                else interview,
            )
            for step in (s.value for s in goal_interview.S)
        },
        "objectives.collect": (OWNER, objectives.FLOW, "collect", {"unit_id": world.units["Acme"]}),
        "objectives.review_top": (
            OWNER,
            objectives.FLOW,
            "review",
            {"unit_id": world.units["Acme"]},
        ),
        "objectives.contribute": (
            ALICE,
            objectives.FLOW,
            "contribute",
            {"unit_id": world.units["Sales"], "index": 0},
        ),
        "objectives.extra": (ALICE, objectives.FLOW, "extra", {"unit_id": world.units["Sales"]}),
        "objectives.review": (ALICE, objectives.FLOW, "review", {"unit_id": world.units["Sales"]}),
    }


def put(
    engine: Engine, world: World, user: str, flow: str, step: str, answers: dict[str, Any]
) -> None:  # noqa: E501
    """Put `user` at `step` of `flow`, as if they had answered up to it; what earlier cases
    changed is set back (Bob's goal a draft again, drafts gone, the two objectives published)."""
    now = datetime.now(UTC)
    with transaction(engine) as s:
        goal = s.get(Goal, world.goal_id)
        assert goal is not None
        goals.update_goal(
            session=s,
            goal=goal,
            now=now,
            status=GoalStatus.DRAFT,
            unit_id=world.units["Sales"],
            objective_id=world.objectives["Sell more"],
        )
        for objective in objective_store.list_objectives(session=s, team_id=world.team_id):
            if objective.id in world.objectives.values():
                objective_store.update_objective(
                    session=s, objective=objective, now=now, status=ObjectiveStatus.PUBLISHED
                )
            elif objective.status == ObjectiveStatus.DRAFT:
                objective_store.delete_objective(session=s, objective=objective)
        for other in conversations.list_conversations(session=s, team_id=world.team_id):
            conversations.end_conversation(session=s, conversation=other, now=now)
        conversations.start_conversation(
            session=s,
            team_id=world.team_id,
            person_id=world.ids[user],
            flow=flow,
            step=step,
            answers=answers,
            now=now,
        )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _strings(v)]
    if isinstance(value, list):
        return [t for v in value for t in _strings(v)]
    return []


BAD = frozenset({chr(c) for c in range(32) if chr(c) not in "\n\t"} | {"\x7f"})


def stored_text_problems_in(session: Session) -> list[str]:
    """Stored text that cleaning at the edge should have kept out: NUL and other control
    characters (but newline and tab)."""
    session.flush()
    found: list[str] = []
    for name in ("unit", "cycle", "objective", "goal", "conversation"):
        table = SQLModel.metadata.tables[name]
        for row in session.execute(select(table)):
            for column, value in row._mapping.items():
                for text in _strings(value):
                    if not BAD.isdisjoint(text):
                        found.append(f"{name}.{column}: {text[:60]!r}")
    return found


def stored_text_problems(engine: Engine) -> list[str]:
    with transaction(engine) as s:
        return stored_text_problems_in(s)
