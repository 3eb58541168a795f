"""The authorization matrix: every role × every command, button and modal, against one table.

Each cell starts from the same organisation (restored from a snapshot), sends one signed request
as that role, and asks whether the action took effect. A refused cell must also leave the
database as it was. Adding a command, button or modal is one row of TABLE.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, delete, insert, select
from sqlmodel import SQLModel

from bot.listeners.actions import handlers
from bot.listeners.commands import read
from bot.sandbox.fake_slack import FakeSlack
from bot.triggers import FORMS, SUBCOMMANDS
from bot.turns import answer_value
from conversations.actor import Who
from conversations.flows.engine import ButtonsFor
from storage import (
    barriers,
    checkins,
    commitments,
    conversations,
    cycles,
    goals,
    objectives,
    one_on_ones,
    people,
    units,
)
from storage.db import transaction
from storage.models import (
    AgendaItem,
    BarrierStatus,
    ConversationState,
    GoalStatus,
    ObjectiveStatus,
)
from tests.factories import ObjectiveSpec, UnitSpec, build_org
from tests.faults.harness import FORM, Harness, harness
from tests.faults.world import profiles_of

ROLES = ["admin", "head", "manager", "former", "member", "outsider", "foreign"]
USERS = {
    "admin": "UADMIN",  # in CASCADE_ADMINS, in no unit
    "head": "UHEAD",  # manages the top unit (Acme), belongs to none, not an admin
    "manager": "UMGR",  # manages Sales, belongs to Acme
    "former": "UFORMER",  # managed Sales until an import made UMGR its manager; in Acme
    "member": "UMEMBER",  # in Sales; has a goal proposed to UMGR
    "outsider": "UOUT",  # in no unit
    "foreign": "UADMIN",  # an admin's id, from a workspace Cascade is not installed in
}
FOREIGN_TEAM = "TOTHER"


# -- the organisation -----------------------------------------------------------------------


@dataclass
class Org:
    h: Harness
    team: str
    sales: int
    goal: int  # UMEMBER's proposed goal
    former_review: str  # the value of the Publish button on UFORMER's old plan of Sales
    agreed: int  # UMGR's agreed goal (in Acme), with an anticipated barrier
    barrier: int  # reported by UMEMBER, held by UMGR
    commitment: int  # UHEAD's promise of help on UMGR's agreed goal
    ids: dict[str, int]  # user → person id


def build(h: Harness) -> Org:
    fake, team = h.fake, h.fake.team_id
    for user in ("UHEAD", "UMGR", "UFORMER", "UMEMBER", "UMEMBER2", "UOUT"):
        fake.add_user(user, user.title())
    now = datetime.now(UTC)
    today = date.today()
    with transaction(h.engine) as s:
        org = build_org(
            s,
            team_id=team,
            profiles=profiles_of(fake),
            units_=[
                UnitSpec("Acme", "UHEAD"),
                UnitSpec("Sales", "UFORMER", "Acme", ("UMEMBER", "UMEMBER2")),
            ],
            cycle=("FY", today - timedelta(days=30), today + timedelta(days=300)),
            objectives_=[ObjectiveSpec("Acme", "Grow"), ObjectiveSpec("Sales", "Sell", "Grow")],
            now=now,
            synced=True,
        )
        sales = org.units["Sales"]
        assert org.cycle is not None and sales.id is not None and org.cycle.id is not None
        objectives.create_objective(
            session=s,
            team_id=team,
            unit_id=sales.id,
            cycle_id=org.cycle.id,
            title="A draft of the former manager's",
            parent_id=org.objectives["Grow"].id,
            status=ObjectiveStatus.DRAFT,
        )
        review = conversations.start_conversation(
            session=s,
            team_id=team,
            person_id=org.ids["UFORMER"],
            flow="objectives",
            step="review",
            answers={"unit_id": sales.id},
            now=now,
        )
        units.create_unit(session=s, team_id=team, name="Ops", parent_id=None, manager_id=None)
        # The import: UMGR manages Sales now, UFORMER stays in Acme.
        sales.manager_id = org.ids["UMGR"]
        s.add(sales)
        units.set_unit_of(
            session=s, team_id=team, person_id=org.ids["UMGR"], unit_id=org.units["Acme"].id
        )
        units.set_unit_of(
            session=s, team_id=team, person_id=org.ids["UFORMER"], unit_id=org.units["Acme"].id
        )
        goal = goals.create_goal(
            session=s,
            team_id=team,
            owner_id=org.ids["UMEMBER"],
            unit_id=sales.id,
            cycle_id=org.cycle.id,
            objective_id=org.objectives["Sell"].id,
            statement="Sign 10 customers",
            now=now,
        )
        goals.update_goal(
            session=s,
            goal=goal,
            now=now,
            status=GoalStatus.PROPOSED,
            due=today + timedelta(days=60),
            owner_agreed_at=now,
        )
        agreed = goals.create_goal(
            session=s,
            team_id=team,
            owner_id=org.ids["UMGR"],
            unit_id=org.units["Acme"].id or 0,
            cycle_id=org.cycle.id,
            objective_id=org.objectives["Grow"].id,
            statement="Grow the Nordics",
            now=now,
        )
        goals.update_goal(
            session=s,
            goal=agreed,
            now=now,
            status=GoalStatus.AGREED,
            due=today + timedelta(days=90),
            anticipated_barriers="Hiring freeze",
        )
        held = barriers.report_barrier(
            session=s,
            team_id=team,
            reporter_id=org.ids["UMEMBER"],
            text="No CRM access",
            holder_id=org.ids["UMGR"],
            now=now,
        )
        promise = commitments.add_commitment(
            session=s,
            team_id=team,
            goal_id=agreed.id or 0,
            manager_id=org.ids["UHEAD"],
            text="Budget for the Nordics trip",
            due=None,
            now=now,
        )
        target = ButtonsFor("objectives", "review", review.version)
        # Ops was a stray root: not part of the matrix; drop it again.
        ops = units.find_unit(session=s, team_id=team, name="Ops")
        assert ops is not None
        s.delete(ops)
        return Org(
            h,
            team,
            sales.id,
            goal.id or 0,
            answer_value(target, "publish"),
            agreed.id or 0,
            held.id or 0,
            promise.id or 0,
            dict(org.ids),
        )


# -- a snapshot of every table, restored before each cell ----------------------------------


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, in key order: without ORDER BY, PostgreSQL returns rows as they lie,
    and rows restored after a vacuum can lie elsewhere (equal tables then compared unequal)."""
    with transaction(engine) as s:
        return {
            t.name: [dict(r._mapping) for r in s.execute(select(t).order_by(*t.primary_key))]
            for t in SQLModel.metadata.sorted_tables
        }


def restore(engine: Engine, snap: dict[str, list[dict[str, Any]]]) -> None:
    tables = SQLModel.metadata.sorted_tables
    with transaction(engine) as s:
        for table in reversed(tables):
            s.execute(delete(table))
        for table in tables:
            if snap[table.name]:
                s.execute(insert(table), snap[table.name])


IGNORED = {"person", "workspace", "slackevent", "inbox", "outbox", "conversation"}


def changed(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> list[str]:  # noqa: E501
    """Tables whose rows differ (the directory, the ledgers and flow state aside)."""
    return [t for t in before if t not in IGNORED and before[t] != after[t]]


# -- actions: what one role does, and whether it took effect ----------------------------------


def request(org: Org, role: str, payload: dict[str, Any] | str, kind: str) -> int:
    """Send one request as `role`; a foreign role's carries the other workspace's id."""
    h = org.h
    if kind == "command":
        fields = h.payloads.command(USERS[role], "")
        fields["text"] = h.fake.as_sent_by_slack(str(payload))
        if role == "foreign":
            fields["team_id"] = FOREIGN_TEAM
        return h.post(urlencode(fields), FORM).status
    if kind == "event":
        body = h.payloads.event(payload)  # type: ignore[arg-type]
        if role == "foreign":
            body["team_id"] = FOREIGN_TEAM
        return h.post(json.dumps(body), "application/json").status
    interaction = h.payloads.interaction(USERS[role], payload)  # type: ignore[arg-type]
    if role == "foreign":
        interaction["team"] = {"id": FOREIGN_TEAM}
    return h.post(urlencode({"payload": json.dumps(interaction)}), FORM).status


Do = Callable[[Org, str], int]


def triggering(trigger: tuple[str, str], do: Do) -> Do:
    """Say which declared trigger (bot/triggers.py) an action exercises."""
    do.trigger = trigger  # type: ignore[attr-defined]
    return do


def command(text: str) -> Do:
    subcommand, _ = read(text)
    return triggering(
        ("command", subcommand.name), lambda org, role: request(org, role, text, "command")
    )


def dm(text: str) -> Callable[[Org, str], int]:
    return lambda org, role: request(org, role, org.h.payloads.dm_event(USERS[role], text), "event")


def home(org: Org, role: str) -> int:
    return request(org, role, org.h.payloads.home_opened_event(USERS[role]), "event")


def click(action_id: str, value: Callable[[Org], str]) -> Do:
    @partial(triggering, ("click", action_id))
    def do(org: Org, role: str) -> int:
        payload = org.h.payloads.action(USERS[role], action_id, value(org))
        payload = {k: v for k, v in payload.items() if k in ("type", "actions", "container")}
        payload["response_url"] = org.h.payloads.response_url(USERS[role], "D1")
        return request(org, role, payload, "interaction")

    return do


def submit(
    callback_id: str, values: dict[str, str], metadata: Callable[[Org], str]
) -> Callable[[Org, str], int]:  # noqa: E501
    """A modal's submission, forged for whoever was never shown the modal."""

    @partial(triggering, ("form", callback_id))
    def do(org: Org, role: str) -> int:
        # A block id with "{}" names the row the form is about (its metadata).
        named = {k.replace("{}", metadata(org)): v for k, v in values.items()}
        state = {k: {k: {"type": "plain_text_input", "value": v}} for k, v in named.items()}
        view = {
            "id": "VFORGED",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata(org),
            "team_id": org.team,
            "state": {"values": state},
        }
        return request(org, role, {"type": "view_submission", "view": view}, "interaction")

    return do


# Effects: did the action take effect for this role? (`seen` is the fake's message count before.)
Effect = Callable[[Org, str, int], bool]


def answered(org: Org, role: str, seen: int) -> bool:
    """A reply that is neither a refusal nor a stranger's, nor an apology."""
    new = org.h.fake.messages_for(USERS[role])[seen:]
    home_view = json.dumps(org.h.fake.home_views.get(USERS[role], {}))
    texts = [m.text for m in new] + ([home_view] if home_view != "{}" else [])
    bad = (":warning:", "can't find you", "went wrong", "isn't installed")
    return bool(texts) and not any(b in t for t in texts for b in bad)


def db(check: Callable[[Any, Org, str], bool]) -> Effect:
    def effect(org: Org, role: str, seen: int) -> bool:
        with transaction(org.h.engine) as s:
            return check(s, org, role)

    return effect


def in_flow(flow: str) -> Effect:
    def check(s: Any, org: Org, role: str) -> bool:
        person = people.get_person(session=s, team_id=org.team, user_id=USERS[role])
        if person is None or person.id is None:
            return False
        found = conversations.get_conversation(
            session=s, team_id=org.team, person_id=person.id, flow=flow
        )
        untouched = role == "former" and flow == "objectives"  # the old plan, still open?
        return (
            found is not None
            and found.state == ConversationState.ACTIVE
            and not (untouched and found.step == "review" and found.version <= 1)
        )

    return db(check)


def goal_is(status: GoalStatus) -> Effect:
    return db(
        lambda s, org, role: (
            goals.get_goal(session=s, team_id=org.team, goal_id=org.goal).status == status
        )
    )  # type: ignore[union-attr]  # noqa: E501


def agreed_is(status: GoalStatus) -> Effect:
    return db(
        lambda s, org, role: (
            goals.get_goal(session=s, team_id=org.team, goal_id=org.agreed).status == status
        )
    )  # type: ignore[union-attr]  # noqa: E501


def modal_open(org: Org, role: str, seen: int) -> bool:
    return bool(org.h.fake.modals.get(USERS[role]))


def cycle_named(name: str) -> Effect:
    return db(
        lambda s, org, role: cycles.find_cycle(session=s, team_id=org.team, name=name) is not None
    )  # noqa: E501


def unit_named(name: str) -> Effect:
    return db(
        lambda s, org, role: units.find_unit(session=s, team_id=org.team, name=name) is not None
    )  # noqa: E501


def sales_members(count: int) -> Effect:
    return db(
        lambda s, org, role: (
            len(units.members_of(session=s, team_id=org.team, unit_id=org.sales)) == count
        )
    )  # noqa: E501


def in_sales(user: str) -> Effect:
    def check(s: Any, org: Org, role: str) -> bool:
        members = units.members_of(session=s, team_id=org.team, unit_id=org.sales)
        return any(p.user_id == user for p in members)

    return db(check)


def sales_drafts_published(s: Any, org: Org, role: str) -> bool:
    found = objectives.list_objectives(session=s, team_id=org.team, unit_id=org.sales)
    return all(o.status == ObjectiveStatus.PUBLISHED for o in found)


def barrier_is(status: BarrierStatus) -> Effect:
    return db(
        lambda s, org, role: (
            barriers.get_barrier(session=s, team_id=org.team, barrier_id=org.barrier).status
            == status
        )
    )  # type: ignore[union-attr]  # noqa: E501


def barrier_moved(s: Any, org: Org, role: str) -> bool:
    found = barriers.get_barrier(session=s, team_id=org.team, barrier_id=org.barrier)
    return found is not None and len(found.chain) > 1


def barriers_reported(count: int) -> Effect:
    return db(
        lambda s, org, role: len(barriers.list_barriers(session=s, team_id=org.team)) == count
    )


def checked_in(s: Any, org: Org, role: str) -> bool:
    return bool(checkins.list_checkins(session=s, team_id=org.team))


def summary_channel_set(s: Any, org: Org, role: str) -> bool:
    from storage import workspaces

    return workspaces.get_workspace(session=s, team_id=org.team).summary_channel == "C0LEAD"


def commitment_value(org: Org) -> str:
    return str(org.commitment)


def commitment_is(status: str) -> Callable[[Any, Org, str], bool]:
    def check(s: Any, org: Org, role: str) -> bool:
        found = commitments.get_commitment(
            session=s, team_id=org.team, commitment_id=org.commitment
        )
        return found is not None and found.status == status

    return check


def commitments_made(count: int) -> Callable[[Any, Org, str], bool]:
    return lambda s, org, role: (
        len(commitments.list_commitments(session=s, team_id=org.team)) == count
    )


def agenda_items(count: int) -> Callable[[Any, Org, str], bool]:
    return lambda s, org, role: len(list(s.exec(select(AgendaItem)))) == count


def one_on_one_set(s: Any, org: Org, role: str) -> bool:
    return bool(one_on_ones.active_schedules(session=s, team_id=org.team))


def agreed_value(org: Org) -> str:
    return str(org.agreed)


def barrier_value(org: Org) -> str:
    return str(org.barrier)


GOAL = "goal"


def goal_value(org: Org) -> str:
    return str(org.goal)


@dataclass(frozen=True)
class Action:
    do: Callable[[Org, str], int]
    effect: Effect
    allowed: str  # one letter per role in ROLES: Y took effect, - refused


TABLE: dict[str, Action] = {
    #                                                                          admin head mgr former member outsider foreign  # noqa: E501
    "/goals help": Action(command("help"), answered, "YYYYYY-"),
    "/goals cycle add": Action(command('cycle add "New" 2028-01-01 2028-06-30'), cycle_named("New"), "Y------"),  # noqa: E501
    "/goals unit add": Action(command('unit add "New" parent:"Acme" manager:<@UOUT>'), unit_named("New"), "Y------"),  # noqa: E501
    "/goals unit members Sales": Action(command('unit members "Sales" <@UMEMBER>'), sales_members(1), "Y-Y----"),  # noqa: E501
    "/goals unit members +head": Action(command('unit members "Sales" <@UMEMBER> <@UHEAD>'), in_sales("UHEAD"), "-------"),  # noqa: E501
    "/goals unit members +outsider": Action(command('unit members "Sales" <@UMEMBER> <@UOUT>'), in_sales("UOUT"), "Y------"),  # noqa: E501
    "/goals plan": Action(command("plan"), in_flow("objectives"), "YYY----"),
    '/goals plan "Sales"': Action(command('plan "Sales"'), in_flow("objectives"), "Y-Y----"),
    "/goals set": Action(command("set"), in_flow("goal_interview"), "-YYYY--"),
    "/goals mine": Action(command("mine"), answered, "YYYYYY-"),
    "/goals tree": Action(command("tree"), answered, "YYYYYY-"),
    "/goals team": Action(command("team"), answered, "-YY----"),
    "/goals checkin": Action(command("checkin"), modal_open, "--Y----"),
    "/goals barrier": Action(command("barrier The build is broken"), barriers_reported(2), "YYYYYY-"),  # noqa: E501
    "/goals barriers": Action(command("barriers"), answered, "YYYYYY-"),
    "/goals summary": Action(command("summary"), answered, "YYY----"),
    "/goals settings summary": Action(command("settings summary <#C0LEAD|leadership>"), db(summary_channel_set), "Y------"),  # noqa: E501
    "/goals pause": Action(command("pause 2w"), answered, "YYYYYY-"),
    "/goals resume": Action(command("resume"), answered, "YYYYYY-"),
    "DM publish (the former manager's open plan)": Action(dm("publish"), db(sales_drafts_published), "-------"),  # noqa: E501
    "App Home": Action(home, answered, "YYYYYY-"),
    "button: Agree": Action(click("goal_agree", goal_value), goal_is(GoalStatus.AGREED), "Y-Y----"),  # noqa: E501
    "button: Suggest changes": Action(click("goal_suggest", goal_value), modal_open, "Y-Y----"),  # noqa: E501
    # Revise opens the owner's draft: the member's goal is proposed, not a draft, so nobody can.
    "button: Revise": Action(click("goal_revise", goal_value), in_flow("goal_interview"), "-------"),  # noqa: E501
    "button: Set my goals": Action(click("goal_interview_start", lambda org: ""), in_flow("goal_interview"), "-YYYY--"),  # noqa: E501
    "button: Plan Sales": Action(click("objectives_start", lambda org: str(org.sales)), in_flow("objectives"), "Y-Y----"),  # noqa: E501
    "button: Publish (the former manager's old review)": Action(click("flow_answer_0", lambda org: org.former_review), db(sales_drafts_published), "-------"),  # noqa: E501
    "button: New cycle": Action(click("cycle_new", lambda org: ""), modal_open, "Y------"),
    "button: Check in": Action(click("checkin_open", lambda org: ""), modal_open, "--Y----"),
    "button: Acknowledge": Action(click("barrier_acknowledge", barrier_value), barrier_is(BarrierStatus.ACKNOWLEDGED), "--Y----"),  # noqa: E501
    "button: Resolved": Action(click("barrier_resolve", barrier_value), barrier_is(BarrierStatus.RESOLVED), "--Y-Y--"),  # noqa: E501
    "button: Escalate": Action(click("barrier_escalate", barrier_value), db(barrier_moved), "--Y----"),  # noqa: E501
    "button: It's in the way now": Action(click("barrier_report_anticipated", agreed_value), barriers_reported(2), "--Y----"),  # noqa: E501
    "button: Report a barrier": Action(click("barrier_form_open", lambda org: ""), modal_open, "YYYYYY-"),  # noqa: E501
    "button: Achieved": Action(click("goal_close_achieved", agreed_value), in_flow("goal_closing"), "--Y----"),  # noqa: E501
    "button: Missed": Action(click("goal_close_missed", agreed_value), in_flow("goal_closing"), "--Y----"),  # noqa: E501
    "button: Dropped": Action(click("goal_close_dropped", agreed_value), in_flow("goal_closing"), "--Y----"),  # noqa: E501
    "button: New goal": Action(click("goal_new", lambda org: ""), in_flow("goal_interview"), "-YYYY--"),  # noqa: E501
    # Resume opens the owner's draft: the member's goal is proposed, so nobody can.
    "button: Resume": Action(click("goal_resume", goal_value), in_flow("goal_interview"), "-------"),  # noqa: E501
    "button: Change goal": Action(click("goal_change", agreed_value), in_flow("goal_interview"), "--Y----"),  # noqa: E501
    "button: Drop goal": Action(click("goal_drop", agreed_value), answered, "--Y----"),
    "button: Agree to drop": Action(click("goal_agree_drop", agreed_value), agreed_is(GoalStatus.DROPPED), "YY-----"),  # noqa: E501
    "button: Keep it": Action(click("goal_keep", agreed_value), answered, "YY-----"),
    # The matrix's cycle is the only one: nothing comes after it to plan yet, for anyone.
    "button: Plan the next cycle": Action(click("objectives_next_cycle", lambda org: f"{org.sales}/1"), in_flow("objectives"), "-------"),  # noqa: E501
    "/goals 1on1": Action(command("1on1 <@UMGR>"), answered, "-Y--Y--"),
    "/goals 1on1 every": Action(command("1on1 <@UMEMBER> every thu 10:00"), db(one_on_one_set), "--Y----"),  # noqa: E501
    "button: Say how I'll help": Action(click("commitment_offer", agreed_value), modal_open, "-Y-----"),  # noqa: E501
    "button: Done (a promise)": Action(click("commitment_done", commitment_value), db(commitment_is("done")), "-Y-----"),  # noqa: E501
    "button: Not yet (a promise)": Action(click("commitment_not_yet", commitment_value), answered, "-Y-----"),  # noqa: E501
    "button: Drop (a promise)": Action(click("commitment_drop", commitment_value), db(commitment_is("dropped")), "-Y-----"),  # noqa: E501
    "button: Add to our 1:1": Action(click("one_on_one_add_goal", goal_value), db(agenda_items(1)), "--Y----"),  # noqa: E501
    "button: Add a topic": Action(click("one_on_one_add_topic", lambda org: str(org.ids["UMGR"])), modal_open, "-Y--Y--"),  # noqa: E501
    "modal: How will you help": Action(submit("commitment_help", {"help": "Weekly pipeline review by end of March"}, agreed_value), db(commitments_made(2)), "-Y-----"),  # noqa: E501
    "modal: Add a topic": Action(submit("one_on_one_topic", {"topic": "Travel budget"}, lambda org: str(org.ids["UMGR"])), db(agenda_items(1)), "-Y--Y--"),  # noqa: E501
    "modal: Check-in": Action(submit("checkin", {"progress_{}": "40", "confidence_{}": "on_track"}, agreed_value), db(checked_in), "--Y----"),  # noqa: E501
    "modal: Report a barrier": Action(submit("barrier_new", {"what": "No budget"}, lambda org: ""), barriers_reported(2), "YYYYYY-"),  # noqa: E501
    "modal: New cycle": Action(submit("cycle_new", {"name": "Form", "start": "2028-07-01", "end": "2028-12-31"}, lambda org: ""), cycle_named("Form"), "Y------"),  # noqa: E501
    "modal: Suggest changes": Action(submit("goal_suggest", {"comment": "Tighten it"}, lambda org: f"{org.goal}||"), goal_is(GoalStatus.DRAFT), "Y-Y----"),  # noqa: E501
}  # fmt: skip


@pytest.fixture
def matrix(engine: Engine, fake_slack: tuple[FakeSlack, str]) -> Iterator[Org]:
    fake, url = fake_slack
    with harness(fake, url, engine) as h:
        yield build(h)


def test_every_role_and_every_action_against_one_table(matrix: Org) -> None:
    org = matrix
    h = org.h
    start = snapshot(h.engine)
    wrong: list[str] = []
    for name, action in TABLE.items():
        assert len(action.allowed) == len(ROLES), name
        for role, expected in zip(ROLES, action.allowed, strict=True):
            restore(h.engine, start)
            h.forget()
            with h.fake.lock:
                h.fake.modals.clear()
                h.fake.home_views.clear()
            seen = len(h.fake.messages_for(USERS[role]))
            status = action.do(org, role)
            took = action.effect(org, role, seen)
            if took != (expected == "Y"):
                wrong.append(f"{name} as {role}: {'took effect' if took else 'refused'}")
            if not took and changed(start, snapshot(h.engine)):
                wrong.append(
                    f"{name} as {role}: refused, but changed {changed(start, snapshot(h.engine))}"
                )  # noqa: E501
            if role == "foreign" and status != 403:
                wrong.append(f"{name} as {role}: answered {status}, not 403")
            problems = [p for p in h.problems() if "unhandled" in p or "refused:" in p]
            if problems:
                wrong.append(f"{name} as {role}: {problems}")
    assert wrong == [], "\n".join(wrong)


# What each role is, as the declarations' audiences (conversations/actor.py `Who`) see it.
MAY = {
    "admin": {Who.ANYONE, Who.LEADER, Who.ADMIN},
    "head": {Who.ANYONE, Who.MANAGER, Who.LEADER},
    "manager": {Who.ANYONE, Who.MANAGER, Who.LEADER},
    "former": {Who.ANYONE},  # runs no unit any more
    "member": {Who.ANYONE},
    "outsider": {Who.ANYONE},
    "foreign": set(),  # a workspace Cascade is not installed in
}


def declared() -> dict[tuple[str, str], Who]:
    """Every declared trigger and its audience (bot/triggers.py)."""
    return {
        **{("command", name): s.who for name, s in SUBCOMMANDS.items()},
        **{("click", offer.action_id): offer.who for offer in handlers()},
        **{("form", callback_id): form.who for callback_id, form in FORMS.items()},
    }


def test_every_declared_trigger_has_a_row_and_its_audience_holds() -> None:
    """Adding a command, button or form without its row here fails; so does a row that lets in
    someone its declaration keeps out."""
    audiences = declared()
    rows = {name: getattr(action.do, "trigger", None) for name, action in TABLE.items()}
    assert set(audiences) - set(rows.values()) == set(), "declared, but no row in TABLE"
    wrong = [
        f"{name} as {role}"
        for name, action in TABLE.items()
        if rows[name] in audiences
        for role, allowed in zip(ROLES, action.allowed, strict=True)
        if allowed == "Y" and audiences[rows[name]] not in MAY[role]  # type: ignore[index]
    ]
    assert wrong == [], "the row lets in someone the declaration keeps out"
