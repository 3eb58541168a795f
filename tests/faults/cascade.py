"""A full cascade as a script: set-up → the organisation's objectives → a unit's → two members'
goals → agreement. Each step is what one person does, and how to tell, from the database, that
it took effect; a driver sends a step again (as a person would) until it has.

The storm (test_storm.py) plays it in this process while the fake Slack fails a share of calls;
the crash test (test_crash.py) plays it over HTTP against `cascade serve`, killed at random points.
Adding a flow to the cascade is adding its steps here (see the note on check-ins at the end).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from sqlalchemy import Engine

from storage import barriers, conversations, cycles, goals, objectives, people, units
from storage.db import transaction
from storage.models import (
    BarrierStatus,
    ConversationState,
    GoalStatus,
    ObjectiveStatus,
    OutboxStatus,
)
from storage.outbox import list_messages
from tests.conftest import ADMIN, ALICE, BOB, CAROL, OWNER

MEMBERS = (BOB, CAROL)
STATEMENT = "Sign 10 enterprise customers by end of March"  # clear to the coach: no follow-up

Check = Callable[[Engine, str], bool]  # (database, team) → has the step taken effect?


@dataclass(frozen=True)
class Step:
    user: str
    kind: str  # "command", "dm" or "agree" (the Agree button on the user's report's goal)
    text: str
    done: Check
    about: str = ""  # for the agree button: whose goal


class Driver(Protocol):
    def command(self, user: str, text: str) -> None: ...
    def dm(self, user: str, text: str) -> None: ...
    def click(self, user: str, action_id: str, value: str) -> None: ...


def _read(engine: Engine, read: Callable[..., bool], team: str) -> bool:
    with transaction(engine) as s:
        return read(s, team)


def at(user: str, flow: str, step: str | None) -> Check:
    """The person's conversation in `flow` is at `step` (None: it has finished)."""

    def check(engine: Engine, team: str) -> bool:
        def read(s: object, team: str) -> bool:
            person = people.get_person(session=s, team_id=team, user_id=user)  # type: ignore[arg-type]
            if person is None or person.id is None:
                return False
            found = conversations.get_conversation(
                session=s,  # type: ignore[arg-type]
                team_id=team,
                person_id=person.id,
                flow=flow,
            )
            if found is None:
                return False
            if step is None:
                return found.state == ConversationState.FINISHED
            return found.state == ConversationState.ACTIVE and found.step == step

        return _read(engine, read, team)

    return check


def unit_with(name: str, members: int = 0) -> Check:
    def check(engine: Engine, team: str) -> bool:
        def read(s: object, team: str) -> bool:
            unit = units.find_unit(session=s, team_id=team, name=name)  # type: ignore[arg-type]
            if unit is None or unit.id is None:
                return False
            found = units.members_of(session=s, team_id=team, unit_id=unit.id)  # type: ignore[arg-type]
            return len(found) >= members

        return _read(engine, read, team)

    return check


def a_cycle(engine: Engine, team: str) -> bool:
    return _read(
        engine,
        lambda s, t: cycles.current_cycle(session=s, team_id=t, today=date.today()) is not None,
        team,
    )


def objectives_of(unit_name: str, count: int, status: str = "any") -> Check:
    def check(engine: Engine, team: str) -> bool:
        def read(s: object, team: str) -> bool:
            unit = units.find_unit(session=s, team_id=team, name=unit_name)  # type: ignore[arg-type]
            if unit is None:
                return False
            found = [
                o
                for o in objectives.list_objectives(session=s, team_id=team, unit_id=unit.id)  # type: ignore[arg-type]
                if status == "any" or o.status == status
            ]
            return len(found) >= count

        return _read(engine, read, team)

    return check


def goal_of(user: str, status: GoalStatus) -> Check:
    def check(engine: Engine, team: str) -> bool:
        return goal_id(engine, team, user, status) is not None

    return check


def goal_id(engine: Engine, team: str, user: str, status: GoalStatus | None = None) -> int | None:
    with transaction(engine) as s:
        person = people.get_person(session=s, team_id=team, user_id=user)
        if person is None:
            return None
        for goal in goals.list_goals(session=s, team_id=team, owner_id=person.id):
            if status is None or goal.status == status:
                return goal.id
    return None


def barrier_of(user: str, status: BarrierStatus) -> Check:
    def check(engine: Engine, team: str) -> bool:
        return barrier_id(engine, team, user, status) is not None

    return check


def barrier_id(engine: Engine, team: str, user: str, status: BarrierStatus) -> int | None:
    """The first barrier this person reported that is in this status."""
    with transaction(engine) as s:
        person = people.get_person(session=s, team_id=team, user_id=user)
        if person is None:
            return None
        for found in barriers.list_barriers(session=s, team_id=team):
            if found.reporter_id == person.id and found.status == status:
                return found.id
    return None


@dataclass(frozen=True)
class Words:
    """Everything people type in the cascade (the hostile-text test fills it with tokens)."""

    cycle: str = "FY"
    top: str = "Acme"
    unit: str = "Sales"
    objectives: tuple[str, str] = ("Grow revenue 20%", "Delight our customers")
    contribution: str = "Sign 10 new enterprise customers"
    statement: str = STATEMENT
    measure: str = "10 signed contracts"
    barrier: str = "The CRM is down"
    barriers: str = "none"


def interview(user: str, words: Words = Words()) -> list[Step]:
    flow = "goal_interview"
    return [
        Step(user, "command", "set", at(user, flow, "objective")),
        Step(user, "dm", "1", at(user, flow, "statement")),
        # The statement says its measure and date: Cascade reads them back; the measure is
        # rewritten in the person's own (hostile) words, the date kept.
        Step(user, "dm", words.statement, at(user, flow, "read_back")),
        Step(user, "dm", "measure", at(user, flow, "measure")),
        Step(user, "dm", words.measure, at(user, flow, "barriers")),
        Step(user, "dm", words.barriers, at(user, flow, "review")),
        Step(user, "dm", "submit", goal_of(user, GoalStatus.PROPOSED)),
    ]


def script(words: Words = Words()) -> list[Step]:
    today = date.today()
    start, end = today - timedelta(days=30), today + timedelta(days=300)
    plan, top, unit = "objectives", words.top, words.unit
    return [
        Step(ADMIN, "command", f'cycle add "{words.cycle}" {start} {end}', a_cycle),
        Step(ADMIN, "command", f'unit add "{top}" manager:<@{OWNER}>', unit_with(top)),
        Step(
            ADMIN,
            "command",
            f'unit add "{unit}" parent:"{top}" manager:<@{ALICE}>',
            unit_with(unit),
        ),
        Step(ADMIN, "command", f'unit members "{unit}" <@{BOB}> <@{CAROL}>', unit_with(unit, 2)),
        Step(OWNER, "command", "plan", at(OWNER, plan, "collect")),
        Step(OWNER, "dm", words.objectives[0], objectives_of(top, 1)),
        Step(OWNER, "dm", words.objectives[1], objectives_of(top, 2)),
        Step(OWNER, "dm", "done", at(OWNER, plan, "review")),
        Step(OWNER, "dm", "publish", objectives_of(top, 2, ObjectiveStatus.PUBLISHED)),
        Step(ALICE, "command", "plan", at(ALICE, plan, "contribute")),
        Step(ALICE, "dm", words.contribution, objectives_of(unit, 1)),
        Step(ALICE, "dm", "skip", at(ALICE, plan, "extra")),
        Step(ALICE, "dm", "done", at(ALICE, plan, "review")),
        Step(ALICE, "dm", "publish", objectives_of(unit, 1, ObjectiveStatus.PUBLISHED)),
        *(step for member in MEMBERS for step in interview(member, words)),
        *(
            Step(ALICE, "agree", "", goal_of(member, GoalStatus.AGREED), about=member)
            for member in MEMBERS
        ),
        # Something in the way: reported, acknowledged by the manager, resolved.
        Step(BOB, "command", f"barrier {words.barrier}", barrier_of(BOB, BarrierStatus.OPEN)),
        Step(
            ALICE,
            "barrier_acknowledge",
            "",
            barrier_of(BOB, BarrierStatus.ACKNOWLEDGED),
            about=BOB,
        ),
        Step(ALICE, "barrier_resolve", "", barrier_of(BOB, BarrierStatus.RESOLVED), about=BOB),
    ]


def play(
    driver: Driver,
    engine: Engine,
    team: str,
    steps: list[Step],
    *,
    patience: float = 10.0,
    tries: int = 5,
    before: Callable[[int], None] = lambda index: None,
    abandon: Callable[[], bool] = lambda: False,
) -> dict[int, int]:
    """Play the steps in order; each is sent again (up to `tries` times) until its check holds.
    `before(i)` runs before each sending of step i (the crash test kills the server there);
    waiting stops early once `abandon()` says the step will not take (the server died), and a
    step is not sent again if it took meanwhile (bot/inbox.py does acked answers at a restart).
    Returns how many times each step had to be sent."""
    sent: dict[int, int] = {}
    for index, step in enumerate(steps):
        for attempt in range(tries):
            before(index)
            if attempt and step.done(engine, team):
                break  # taken after all (an acked answer done at the restart): not sent again
            sent[index] = sent.get(index, 0) + 1
            if step.kind == "command":
                driver.command(step.user, step.text)
            elif step.kind == "dm":
                driver.dm(step.user, step.text)
            elif step.kind.startswith("barrier_"):  # a click on the barrier the step is about
                wanted = BarrierStatus.OPEN if "acknowledge" in step.kind else None
                found = barrier_id(engine, team, step.about, wanted or BarrierStatus.ACKNOWLEDGED)
                if found is not None:
                    driver.click(step.user, step.kind, str(found))
            else:
                goal = goal_id(engine, team, step.about, GoalStatus.PROPOSED)
                if goal is not None:
                    driver.click(step.user, "goal_agree", str(goal))
            if wait(lambda s=step: s.done(engine, team), patience, abandon):
                break
        else:
            raise AssertionError(f"step {index} ({step.user} {step.kind} {step.text!r}) never took")
    return sent


def wait(
    condition: Callable[[], bool], seconds: float, abandon: Callable[[], bool] = lambda: False
) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if condition():
            return True
        if time.monotonic() > deadline or abandon():
            return condition()
        time.sleep(0.02)


def final_state_problems(engine: Engine, team: str) -> list[str]:
    """The cascade's end: both objectives sets published, every member's goal agreed, nothing
    owed still pending or failed."""
    problems = []
    for member in MEMBERS:
        if goal_id(engine, team, member, GoalStatus.AGREED) is None:
            problems.append(f"{member}'s goal is not agreed")
    with transaction(engine) as s:
        for row in list_messages(session=s, team_id=team):
            if row.status != OutboxStatus.SENT:
                problems.append(f"outbox {row.id} ({row.kind} to {row.recipient}): {row.status}")
    return problems


# When check-ins and barriers land, the cascade goes on here: after agreement, each member's
# `/goals checkin` (progress, confidence, note, "anything in the way?" answered with a barrier),
# then the manager's Acknowledge on the barrier: e.g.
#   Step(member, "command", "checkin", at(member, "checkin", "progress")), ...
#   Step(ALICE, "click", ..., barrier_with(member, BarrierStatus.ACKNOWLEDGED))
