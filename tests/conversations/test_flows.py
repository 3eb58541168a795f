"""Each flow step through the engine, without Slack: state in, words and state out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.turns import owed_notices
from conversations.actor import Actor
from conversations.flows import engine as runner
from conversations.flows import goal_interview, objectives
from conversations.flows.engine import Turn
from conversations.flows.registry import FLOWS
from prompts import render
from storage import conversations, cycles, goals, outbox, people, units
from storage import objectives as objective_store
from storage.db import transaction
from storage.models import ObjectiveStatus
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile

TEAM = "T1"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
USERS = {"UCEO": "Cleo", "UMGR": "Max", "UBOB": "Bob", "UCAT": "Cat", "UKID": "Kim"}


@dataclass
class Org:
    engine: Engine
    ids: dict[str, int]


def seed(engine: Engine, *, published: bool = True) -> Org:
    """Acme (Cleo) → Sales (Max; Bob, Cat) → Sales Kids (Kim manages, no members)."""
    with transaction(engine) as s:
        org = build_org(
            s,
            team_id=TEAM,
            profiles=[profile(u, n, email=f"{n.lower()}@x.com") for u, n in USERS.items()],
            units_=[
                UnitSpec("Acme", "UCEO"),
                UnitSpec("Sales", "UMGR", parent="Acme", members=("UBOB", "UCAT")),
                UnitSpec("Sales Kids", "UKID", parent="Sales"),
            ],
            cycle=("FY27", date(2026, 10, 1), date(2027, 6, 30)),
            objectives_=[
                ObjectiveSpec("Acme", "Grow"),
                ObjectiveSpec("Sales", "Sell more", parent="Grow"),
            ]
            if published
            else [],
            now=NOW,
        )
    return Org(engine, org.ids)


def text_of(turn: Turn | None) -> str:
    assert turn is not None
    return "\n".join(render(say.template, **say.context) for say, _ in turn.say)


def notices_of(turn: Turn | None) -> list[tuple[str, str]]:
    assert turn is not None
    return [(n.user_id, render(n.template, **n.context)) for n in turn.notices]


def as_(org: Org, user: str, *, admin: bool = False) -> Actor:
    with transaction(org.engine) as s:
        person = people.get_person(session=s, team_id=TEAM, user_id=user)
        assert person is not None
        return Actor(team_id=TEAM, person=person, is_admin=admin)


def start(org: Org, user: str, name: str, now: datetime = NOW, **answers: object) -> Turn:
    with transaction(org.engine) as s:
        return runner.start(
            session=s,
            actor=as_(org, user),
            flow=name,
            now=now,
            today=now.date(),
            args=FLOWS[name].starting.args(**answers),
        )


def say(org: Org, user: str, text: str, now: datetime = NOW) -> Turn | None:
    with transaction(org.engine) as s:
        return runner.reply(session=s, actor=as_(org, user), text=text, now=now, today=now.date())


def step(org: Org, user: str) -> str | None:
    with transaction(org.engine) as s:
        found = conversations.latest_conversation(session=s, team_id=TEAM, person_id=org.ids[user])
        return None if found is None else found.step


def to_step(org: Org, target: str) -> None:
    """Walk Bob's interview up to `target`."""
    start(org, "UBOB", goal_interview.FLOW)
    script = [
        ("objective", "1"),
        ("statement", "Sign 10 enterprise customers by end of March"),
        ("read_back", "no"),  # what the statement says is proposed back; asked instead here
        ("measure", "10 signed contracts"),
        ("due", "end of March"),
        ("barriers", "none"),
    ]
    for current, answer in script:
        if step(org, "UBOB") == target:
            return
        assert step(org, "UBOB") == current
        say(org, "UBOB", answer)
    assert step(org, "UBOB") == target


def start_owing(org: Org, user: str, now: datetime = NOW) -> Turn:
    """Start the interview, and owe what it says to others, as the app does in one transaction."""
    turn = start(org, user, goal_interview.FLOW, now)
    with transaction(org.engine) as s:
        outbox.enqueue(session=s, messages=owed_notices(TEAM, turn.notices).new, now=now)
    return turn


def test_gate_refuses_writes_nothing_and_nudges_once_a_day(engine: Engine) -> None:
    org = seed(engine, published=False)
    first = start_owing(org, "UBOB")
    assert "hasn't published its objectives" in text_of(first)
    assert [u for u, _ in notices_of(first)] == ["UMGR"]
    assert notices_of(start_owing(org, "UCAT")) == []  # same unit, same day
    assert notices_of(start_owing(org, "UBOB", NOW + timedelta(days=1)))  # the next day
    assert step(org, "UBOB") is None
    with transaction(engine) as s:
        assert goals.list_goals(session=s, team_id=TEAM) == []


@pytest.mark.parametrize(
    "target", ["objective", "statement", "measure", "due", "barriers", "review"]
)
def test_cancel_back_and_help_at_every_step(engine: Engine, target: str) -> None:
    org = seed(engine)
    to_step(org, target)
    assert "Setting a goal" in text_of(say(org, "UBOB", "help"))
    assert step(org, "UBOB") == target
    back = say(org, "UBOB", "back")
    if target == "objective":
        assert "nothing to go back to" in text_of(back)
    else:
        assert step(org, "UBOB") != target
    assert "Cancelled" in text_of(say(org, "UBOB", "cancel"))
    assert step(org, "UBOB") is None


def test_empty_and_overlong_answers(engine: Engine) -> None:
    org = seed(engine)
    to_step(org, "statement")
    assert "didn't catch an answer" in text_of(say(org, "UBOB", "  \n "))
    assert step(org, "UBOB") == "statement"
    turn = say(org, "UBOB", "Sign 10 customers by May " + "🚀" * 4000)
    assert "longer than 3000 characters" in text_of(turn)
    with transaction(engine) as s:
        [goal] = goals.list_goals(session=s, team_id=TEAM)
        assert len(goal.statement) == 3000


def test_objective_choice_must_be_a_listed_number(engine: Engine) -> None:
    org = seed(engine)
    start(org, "UBOB", goal_interview.FLOW)
    for bad in ("0", "2", "one", "🙂"):
        assert "number from 1 to 1" in text_of(say(org, "UBOB", bad))
        assert step(org, "UBOB") == "objective"


def test_vague_goal_is_coached_but_may_be_kept(engine: Engine) -> None:
    org = seed(engine)
    to_step(org, "statement")
    turn = say(org, "UBOB", "Improve onboarding")
    assert step(org, "UBOB") == "coach" and "What exactly will be different" in text_of(turn)
    assert "Keeping your wording" in text_of(say(org, "UBOB", "keep"))
    assert step(org, "UBOB") == "measure"


def test_coach_asks_at_most_twice(engine: Engine) -> None:
    org = seed(engine)
    to_step(org, "statement")
    say(org, "UBOB", "Help the team")
    say(org, "UBOB", "Support sales")
    assert step(org, "UBOB") == "coach"
    assert "noted" in text_of(say(org, "UBOB", "Work on things"))
    assert step(org, "UBOB") == "measure"


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("yesterday", "already passed"),
        ("soon-ish", "couldn't read"),
        ("🎉", "couldn't read"),
        ("2027-02-30", "couldn't read"),
    ],
)
def test_due_dates_in_the_past_or_unreadable_are_coached(
    engine: Engine, answer: str, outcome: str
) -> None:
    org = seed(engine)
    to_step(org, "due")
    assert outcome in text_of(say(org, "UBOB", answer))
    assert step(org, "UBOB") == "due"


def test_due_date_outside_the_cycle_must_be_confirmed(engine: Engine) -> None:
    org = seed(engine)
    to_step(org, "due")
    assert "falls outside the cycle" in text_of(say(org, "UBOB", "2027-09-30"))
    say(org, "UBOB", "no")
    assert step(org, "UBOB") == "due"
    say(org, "UBOB", "2027-09-30")
    say(org, "UBOB", "yes")
    assert step(org, "UBOB") == "barriers"


def test_submit_proposes_to_the_manager(engine: Engine) -> None:
    org = seed(engine)
    to_step(org, "review")
    turn = say(org, "UBOB", "submit")
    assert step(org, "UBOB") is None
    [(manager, text)] = notices_of(turn)
    assert manager == "UMGR" and "proposes a goal" in text
    with transaction(engine) as s:
        [goal] = goals.list_goals(session=s, team_id=TEAM)
        assert (
            goal.status == "proposed"
            and goal.owner_agreed_at == NOW
            and goal.manager_agreed_at is None
        )


def test_emoji_and_other_scripts(engine: Engine) -> None:
    org = seed(engine)
    to_step(org, "statement")
    say(org, "UBOB", "🚀 新規顧客を１０社獲得する（３月末まで）")
    assert step(org, "UBOB") == "read_back"  # it names an amount: proposed back as the measure
    with transaction(engine) as s:
        assert goals.list_goals(session=s, team_id=TEAM)[0].statement.startswith("🚀 新規顧客")


def test_a_long_objective_list_stays_within_block_kit(engine: Engine) -> None:
    from bot.sandbox.fake_slack import validate_blocks
    from bot.turns import _message

    org = seed(engine)
    with transaction(engine) as s:
        sales = units.find_unit(session=s, team_id=TEAM, name="Sales")
        cycle = cycles.current_cycle(session=s, team_id=TEAM, today=TODAY)
        assert sales and cycle
        for i in range(60):
            objective_store.create_objective(
                session=s,
                team_id=TEAM,
                unit_id=sales.id or 0,
                cycle_id=cycle.id or 0,
                title=f"Objective {i} " + "ж" * 280,
                status=ObjectiveStatus.PUBLISHED,
            )
    turn = start(org, "UBOB", goal_interview.FLOW)
    for say_, target in turn.say:
        message = _message(say_, target)
        validate_blocks(message["blocks"], 50)


def test_objectives_flow_top_then_unit(engine: Engine) -> None:
    org = seed(engine, published=False)
    with transaction(engine) as s:
        acme = units.find_unit(session=s, team_id=TEAM, name="Acme")
        sales = units.find_unit(session=s, team_id=TEAM, name="Sales")
        assert acme and sales
    assert "aren't published yet" in text_of(start(org, "UMGR", objectives.FLOW, unit_id=sales.id))
    start(org, "UCEO", objectives.FLOW, unit_id=acme.id)
    assert "at least one" in text_of(say(org, "UCEO", "done"))
    say(org, "UCEO", "Grow revenue 20%")
    say(org, "UCEO", "Delight customers")
    say(org, "UCEO", "done")
    assert step(org, "UCEO") == "review"
    say(org, "UCEO", "remove 2")
    say(org, "UCEO", "edit 1 Grow revenue 25%")
    turn = say(org, "UCEO", "publish")
    assert "Published 1 objective" in text_of(turn)
    # Sales's manager: one DM, to derive Sales' objectives and (as a member of Acme) set goals.
    [(user, invitation)] = notices_of(turn)
    assert (
        user == "UMGR" and "derive *Sales'* objectives" in invitation and "/goals set" in invitation
    )

    start(org, "UMGR", objectives.FLOW, unit_id=sales.id)
    assert step(org, "UMGR") == "contribute"
    say(org, "UMGR", "Sign 10 enterprise customers")
    assert step(org, "UMGR") == "extra"
    assert "Start with the number" in text_of(say(org, "UMGR", "no number here"))
    say(org, "UMGR", "1 Open the Nordic market")
    say(org, "UMGR", "done")
    turn = say(org, "UMGR", "publish")
    invited = {u for u, _ in notices_of(turn)}
    assert invited == {"UKID", "UBOB", "UCAT"}  # the child unit's manager and the members


def test_only_the_manager_or_an_admin_plans(engine: Engine) -> None:
    org = seed(engine)
    with transaction(engine) as s:
        sales = units.find_unit(session=s, team_id=TEAM, name="Sales")
        assert sales
    assert "Only *Sales'* manager" in text_of(start(org, "UBOB", objectives.FLOW, unit_id=sales.id))
    with transaction(engine) as s:
        turn = runner.start(
            session=s,
            actor=as_(org, "UCAT", admin=True),
            flow=objectives.FLOW,
            now=NOW,
            today=TODAY,
            args=objectives.Start(unit_id=sales.id),
        )
    assert "objectives for FY27" in text_of(turn)


def test_editing_and_retiring_published_objectives_tell_who_built_on_them(engine: Engine) -> None:
    org = seed(engine)
    to_step(org, "review")
    say(org, "UBOB", "submit")  # Bob's goal links to "Sell more"
    with transaction(engine) as s:
        acme = units.find_unit(session=s, team_id=TEAM, name="Acme")
        sales = units.find_unit(session=s, team_id=TEAM, name="Sales")
        assert acme and sales
    start(org, "UCEO", objectives.FLOW, unit_id=acme.id)
    turn = say(org, "UCEO", "edit 1 Grow profitably")
    assert [(u, "Sell more" in t) for u, t in notices_of(turn)] == [("UMGR", True)]
    say(org, "UCEO", "cancel")
    start(org, "UMGR", objectives.FLOW, unit_id=sales.id)
    turn = say(org, "UMGR", "retire 1")
    told = dict(notices_of(turn))
    assert "relink" in told["UBOB"]
    with transaction(engine) as s:
        assert (
            objective_store.list_objectives(session=s, team_id=TEAM, unit_id=sales.id)[0].status
            == "retired"
        )


def test_a_button_from_someone_elses_interview_does_nothing(engine: Engine) -> None:
    org = seed(engine)
    turn = start(org, "UBOB", goal_interview.FLOW)
    _, target = turn.say[-1]
    assert target is not None
    with transaction(engine) as s:
        stolen = runner.reply(
            session=s, actor=as_(org, "UCAT"), text="1", now=NOW, today=TODAY, clicked=target
        )
    assert "from an earlier question" in text_of(stolen)
    assert step(org, "UBOB") == "objective"


def test_an_idle_conversation_expires(engine: Engine) -> None:
    org = seed(engine)
    start(org, "UBOB", goal_interview.FLOW)
    turn = say(org, "UBOB", "1", NOW + timedelta(days=45))
    assert "sat idle" in text_of(turn)
    assert step(org, "UBOB") is None


def test_a_large_tree_is_cut_with_a_count_and_stays_within_block_kit(engine: Engine) -> None:
    from bot import blocks
    from bot.sandbox.fake_slack import validate_blocks
    from conversations.views.tree import TREE_ROWS, alignment_tree

    ceo = as_(seed(engine), "UCEO")
    with transaction(engine) as s:
        acme = units.find_unit(session=s, team_id=TEAM, name="Acme")
        cycle = cycles.current_cycle(session=s, team_id=TEAM, today=TODAY)
        assert acme and cycle
        for i in range(40):
            unit = units.create_unit(
                session=s, team_id=TEAM, name=f"Team {i} 🚀", parent_id=acme.id, manager_id=None
            )
            for j in range(4):
                objective_store.create_objective(
                    session=s,
                    team_id=TEAM,
                    unit_id=unit.id or 0,
                    cycle_id=cycle.id or 0,
                    title=f"<b>Objective</b> {j} " + "x" * 200,
                    status=ObjectiveStatus.PUBLISHED,
                )
        tree = alignment_tree(session=s, actor=ceo, unit_name=None, now=NOW)
    assert tree.hidden > 0 and len(tree.rows) == TREE_ROWS
    text = render("commands/tree", tree=tree)
    assert f"and {tree.hidden} more lines" in text and "<b>" not in text
    validate_blocks(blocks.message(text)["blocks"], 50)


@pytest.mark.parametrize("target", ["collect", "review"])
def test_objectives_flow_understands_cancel_back_and_help(engine: Engine, target: str) -> None:
    org = seed(engine, published=False)
    with transaction(engine) as s:
        acme = units.find_unit(session=s, team_id=TEAM, name="Acme")
        assert acme
    start(org, "UCEO", objectives.FLOW, unit_id=acme.id)
    if target == "review":
        say(org, "UCEO", "Grow")
        say(org, "UCEO", "done")
    assert step(org, "UCEO") == target
    assert "Planning objectives" in text_of(say(org, "UCEO", "help"))
    assert step(org, "UCEO") == target
    say(org, "UCEO", "back")
    assert step(org, "UCEO") == "collect"
    assert "Cancelled" in text_of(say(org, "UCEO", "cancel"))
    assert step(org, "UCEO") is None


@pytest.mark.parametrize("target", ["contribute", "extra"])
def test_unit_objectives_flow_understands_cancel_back_and_help(engine: Engine, target: str) -> None:
    org = seed(engine)
    with transaction(engine) as s:
        kids = units.find_unit(session=s, team_id=TEAM, name="Sales Kids")
        assert kids
    start(org, "UKID", objectives.FLOW, unit_id=kids.id)
    if target == "extra":
        say(org, "UKID", "skip")
    assert step(org, "UKID") == target
    assert "for each objective of the unit above" in text_of(say(org, "UKID", "help"))
    say(org, "UKID", "cancel")
    assert step(org, "UKID") is None


def test_goal_text_never_pings_from_the_managers_message(engine: Engine) -> None:
    org = seed(engine)
    to_step(org, "statement")
    say(org, "UBOB", "<!channel> Sign 10 customers by May & <https://evil.example|click>")
    say(org, "UBOB", "keep")
    for answer in ("10 signed", "end of March", "none"):
        say(org, "UBOB", answer)
    [(_, proposal)] = notices_of(say(org, "UBOB", "submit"))
    assert "<!channel>" not in proposal and "&lt;!channel&gt;" in proposal
    assert "<https://evil" not in proposal and "&amp;" in proposal


def test_planning_another_unit_starts_afresh_rather_than_resuming(engine: Engine) -> None:
    org = seed(engine, published=False)
    with transaction(engine) as s:
        acme = units.find_unit(session=s, team_id=TEAM, name="Acme")
        sales = units.find_unit(session=s, team_id=TEAM, name="Sales")
        assert acme and sales
    admin = as_(org, "UCAT", admin=True)
    with transaction(engine) as s:
        runner.start(
            session=s,
            actor=admin,
            flow=objectives.FLOW,
            now=NOW,
            today=TODAY,
            args=objectives.Start(unit_id=acme.id),
        )
    with transaction(engine) as s:
        turn = runner.start(
            session=s,
            actor=admin,
            flow=objectives.FLOW,
            now=NOW,
            today=TODAY,
            args=objectives.Start(unit_id=sales.id),
        )
    assert "aren't published yet" in text_of(turn)  # about Sales, not a resumed Acme


def test_confirming_a_date_accepts_a_new_date_and_asks_again_otherwise(engine: Engine) -> None:
    org = seed(engine)
    to_step(org, "due")
    say(org, "UBOB", "2027-09-30")
    assert "Reply yes to keep" in text_of(say(org, "UBOB", "Legal review takes 3 weeks"))
    assert step(org, "UBOB") == "confirm_due"
    say(org, "UBOB", "end of May")  # a new date, inside the cycle
    assert step(org, "UBOB") == "barriers"
    with transaction(engine) as s:
        assert goals.list_goals(session=s, team_id=TEAM)[0].due == date(2027, 5, 31)


def test_a_goal_nobody_can_agree_is_not_sent_into_the_void(engine: Engine) -> None:
    org = seed(engine)
    to_step(org, "review")
    with transaction(engine) as s:
        sales = units.find_unit(session=s, team_id=TEAM, name="Sales")
        assert sales
        sales.manager_id = None
        s.add(sales)
    assert "Nobody can agree this goal yet" in text_of(say(org, "UBOB", "submit"))
    assert step(org, "UBOB") == "review"
    with transaction(engine) as s:
        assert goals.list_goals(session=s, team_id=TEAM)[0].status == "draft"


def test_a_few_objectives_are_buttons_listed_once_long_labels_cut_at_a_word(
    engine: Engine,
) -> None:
    from bot.turns import _message

    org = seed(engine)
    long_title = "Make every enterprise customer in the Nordics a reference account " + "x" * 20
    with transaction(engine) as s:
        sales = units.find_unit(session=s, team_id=TEAM, name="Sales")
        cycle = cycles.current_cycle(session=s, team_id=TEAM, today=TODAY)
        assert sales and cycle
        objective_store.create_objective(
            session=s,
            team_id=TEAM,
            unit_id=sales.id or 0,
            cycle_id=cycle.id or 0,
            title=long_title,
            status=ObjectiveStatus.PUBLISHED,
        )
    turn = start(org, "UBOB", goal_interview.FLOW)
    question, target = turn.say[-1]
    message = _message(question, target)
    labels = [
        e["text"]["text"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert labels[0] == "1. Sell more"
    assert labels[1].endswith("…") and len(labels[1]) <= 75 and " x" not in labels[1]
    assert labels[1][:-1] in f"2. {long_title}"
    text = message["text"]
    assert "Sell more" not in text  # on its button only: listed once
    assert f"2. {long_title}" in text  # cut on its button: in full in the message


def test_back_after_a_replaced_out_of_cycle_date_goes_to_the_due_date(engine: Engine) -> None:
    org = seed(engine)
    to_step(org, "due")
    say(org, "UBOB", "2027-09-30")
    assert step(org, "UBOB") == "confirm_due"
    say(org, "UBOB", "end of May")
    assert step(org, "UBOB") == "barriers"
    assert "When is it due?" in text_of(say(org, "UBOB", "back"))
    assert step(org, "UBOB") == "due"
    say(org, "UBOB", "back")
    assert step(org, "UBOB") == "measure"


def test_back_in_a_units_objectives_returns_to_the_one_before(engine: Engine) -> None:
    org = seed(engine)
    with transaction(engine) as s:
        acme = units.find_unit(session=s, team_id=TEAM, name="Acme")
        kids = units.find_unit(session=s, team_id=TEAM, name="Sales Kids")
        assert acme and kids
    start(org, "UCEO", objectives.FLOW, unit_id=acme.id)
    say(org, "UCEO", "add")
    say(org, "UCEO", "Delight customers")
    say(org, "UCEO", "done")
    say(org, "UCEO", "publish")  # Acme: Grow, Delight customers → Sales plans 2 of 2
    with transaction(engine) as s:
        sales = units.find_unit(session=s, team_id=TEAM, name="Sales")
        assert sales
        for o in objective_store.list_objectives(session=s, team_id=TEAM, unit_id=sales.id):
            objective_store.delete_objective(session=s, objective=o)
    assert "1 of 2" in text_of(start(org, "UMGR", objectives.FLOW, unit_id=sales.id))
    assert "2 of 2" in text_of(say(org, "UMGR", "Sell more"))
    assert "1 of 2" in text_of(say(org, "UMGR", "back"))
    assert "2 of 2" in text_of(say(org, "UMGR", "Sell much more"))
    say(org, "UMGR", "skip")
    assert "2 of 2" in text_of(say(org, "UMGR", "back"))
    with transaction(engine) as s:
        titles = [
            o.title
            for o in objective_store.list_objectives(session=s, team_id=TEAM, unit_id=sales.id)
        ]
    assert titles == ["Sell much more"]
    assert kids  # untouched


def test_the_statements_measure_and_date_are_proposed_back(engine: Engine) -> None:
    org = seed(engine)
    to_step(org, "statement")
    turn = say(org, "UBOB", "Get 12 of my existing accounts to renew on two-year terms by May")
    assert step(org, "UBOB") == "read_back"
    text = text_of(turn)
    assert "*Measure:* reaching *12*, as your goal says" in text
    assert "Mon 31 May 2027" in text
    say(org, "UBOB", "yes")
    assert step(org, "UBOB") == "barriers"
    with transaction(engine) as s:
        [goal] = goals.list_goals(session=s, team_id=TEAM)
    assert goal.measure == "Get 12 of my existing accounts to renew on two-year terms"
    assert goal.due == date(2027, 5, 31)


def test_a_future_cycle_is_planned_ahead_without_touching_the_running_one(engine: Engine) -> None:
    org = seed(engine)
    with transaction(engine) as s:
        later = cycles.add_cycle(
            session=s, team_id=TEAM, name="FY28", start=date(2027, 7, 1), end=date(2027, 12, 31)
        )
        acme = units.find_unit(session=s, team_id=TEAM, name="Acme")
        assert acme
    first = start(org, "UCEO", objectives.FLOW, unit_id=acme.id)
    assert "This plan is for *FY27*" in text_of(first) and "FY28" in text_of(first)
    say(org, "UCEO", "cancel")
    start(org, "UCEO", objectives.FLOW, unit_id=acme.id, cycle_id=later.id)
    say(org, "UCEO", "Grow again")
    say(org, "UCEO", "done")
    say(org, "UCEO", "publish")
    with transaction(engine) as s:
        by_cycle = {
            o.title: o.cycle_id
            for o in objective_store.list_objectives(session=s, team_id=TEAM, unit_id=acme.id)
        }
    assert by_cycle["Grow again"] == later.id and by_cycle["Grow"] != later.id
    # Bob's interview is still for the running cycle, and offers the next one.
    turn = start(org, "UBOB", goal_interview.FLOW)
    assert "This goal is for *FY27*" in text_of(turn)


def test_objectives_are_coached_but_never_held_back(engine: Engine) -> None:
    org = seed(engine, published=False)
    with transaction(engine) as s:
        acme = units.find_unit(session=s, team_id=TEAM, name="Acme")
        assert acme
    start(org, "UCEO", objectives.FLOW, unit_id=acme.id)
    vague = text_of(say(org, "UCEO", "Improve things"))
    assert "Noted: Improve things" in vague and "A thought:" in vague
    clear = text_of(say(org, "UCEO", "Grow recurring revenue 20% by the end of FY27"))
    assert "A thought:" not in clear
    spanish = text_of(say(org, "UCEO", "Mejorar la comunicación"))
    assert "A thought:" in spanish and "¿" in spanish  # asked in the objective's language
    review = text_of(say(org, "UCEO", "done"))
    assert review.count(":bulb:") == 2
    assert "Published 3 objectives" in text_of(say(org, "UCEO", "publish"))
