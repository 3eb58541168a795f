"""The personal goal interview (`/goals set`). See goal_interview.mmd for the diagram.

objective → statement → (coach)* → (read_back) → measure → due → (confirm_due) → barriers →
review → submit. What the statement already says (a measure, a due date) is read back for one-click
confirmation and asked only when missing; every date read is echoed with its weekday.
Refused, with a nudge to the unit's manager at most once a day, while the unit has no
published objectives for the cycle (the current one, or the one it was started for).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from conversations.coach.review import Reading, Review, read_statement, review
from conversations.dates import parse_due
from conversations.flows import spec
from conversations.flows.spec import Button, Context, Next, Outcome, Refuse, Say, Step
from conversations.offers import Choice, Offer
from conversations.services import agreement, planning
from conversations.views import mine
from storage import goals, objectives, outbox, people
from storage.models import Cycle, Goal, GoalStatus, Objective, Unit

FLOW = "goal_interview"
GATE_NUDGE = "gate_nudge"


class S(StrEnum):
    OBJECTIVE = "objective"
    STATEMENT = "statement"
    COACH = "coach"
    READ_BACK = "read_back"
    MEASURE = "measure"
    DUE = "due"
    CONFIRM_DUE = "confirm_due"
    BARRIERS = "barriers"
    REVIEW = "review"


COACH_ROUNDS = 2  # after this many follow-ups, take the wording as it is
NUMBERED_BUTTONS = 5
ACTIVE = (GoalStatus.DRAFT, GoalStatus.PROPOSED, GoalStatus.AGREED)
NONE_WORDS = {"none", "no", "nothing", "skip", "n/a", "-", "nope", "ninguno", "rien", "nichts"}
NO_WORDS = {"no", "n", "nope", "change", "change it", "non", "nein"}
YES_WORDS = {"yes", "y", "yeah", "yep", "keep", "ok", "okay", "sí", "si", "oui", "ja"}


def _cycle(ctx: Context) -> Cycle | None:
    """The cycle this interview is for (chosen when it started), else the current one."""
    return spec.chosen_cycle(ctx)


def _unit(ctx: Context) -> Unit | None:
    return agreement.goal_unit(
        session=ctx.session, team_id=ctx.actor.team_id, person=ctx.actor.person
    )


def _goal(ctx: Context) -> Goal | None:
    goal_id = ctx.answers.get("goal_id")
    if goal_id is None:
        return None
    return goals.get_goal(session=ctx.session, team_id=ctx.actor.team_id, goal_id=int(goal_id))


def _objectives(ctx: Context) -> list[Objective]:
    cycle, unit = _cycle(ctx), _unit(ctx)
    if cycle is None or unit is None or cycle.id is None or unit.id is None:
        return []
    return objectives.published_objectives(
        session=ctx.session, team_id=ctx.actor.team_id, unit_id=unit.id, cycle_id=cycle.id
    )


def _gate(ctx: Context, unit: Unit, cycle: Cycle) -> Refuse:
    """The unit has not published: explain, and nudge its manager (at most once a day)."""
    manager = (
        people.get_person_by_id(
            session=ctx.session, team_id=ctx.actor.team_id, person_id=unit.manager_id
        )
        if unit.manager_id is not None
        else None
    )
    notices: list[spec.Notice] = []
    nudged = False
    if manager is not None and manager.id != ctx.actor.person_id:
        once = (f"unit:{unit.id}", ctx.today.isoformat())  # once a day per unit
        nudged = not outbox.owed(
            session=ctx.session,
            team_id=ctx.actor.team_id,
            kind=GATE_NUDGE,
            subject=once[0],
            period_key=once[1],
        )
        if nudged:
            notices.append(
                spec.Notice(
                    manager.user_id,
                    "goal_interview/gate_nudge",
                    {"unit": unit, "cycle": cycle, "asker": ctx.actor.person},
                    kind=GATE_NUDGE,
                    once=once,
                )
            )
    context = {
        "unit": unit,
        "cycle": cycle,
        "manager": manager,
        "nudged": nudged,
        "is_manager": manager is not None and manager.id == ctx.actor.person_id,
    }
    return Refuse(say=[Say("goal_interview/gate", context)], notices=notices)


def _reopen(ctx: Context) -> Next | Refuse:
    """Revise, resume or change one goal (`goal_id`): its review, where any part can be edited."""
    goal = _goal(ctx)
    if goal is None or goal.owner_id != ctx.actor.person_id:
        return Refuse(say=[Say("goal_interview/draft_gone_for_good")])
    changing = goal.status == GoalStatus.AGREED and bool(ctx.answers.get("change"))
    if changing:
        agreement.reopen(session=ctx.session, actor=ctx.actor, goal=goal, now=ctx.now)
    elif goal.status != GoalStatus.DRAFT:
        return Refuse(say=[Say("goal_interview/not_a_draft", {"goal": goal})])
    ctx.answers.update(
        cycle_id=goal.cycle_id, objective_id=goal.objective_id, editing=True, change=changing
    )
    context = {"goal": goal, "others": 0, "change": changing}
    return Next(S.REVIEW, say=[Say("goal_interview/resume_draft", context)])


def guard(ctx: Context) -> Refuse | None:
    """Before every turn: there is an active cycle, the person still belongs to a unit whose
    objectives for it are published, and the draft being written (if any) is still theirs, a
    draft, in that unit and cycle (a move to another unit ends the interview)."""
    cycle, unit = _cycle(ctx), _unit(ctx)
    if cycle is None:
        return Refuse(say=[Say("goal_interview/no_cycle")])
    ctx.answers["cycle_id"] = cycle.id
    if unit is None:
        return Refuse(say=[Say("goal_interview/no_unit")])
    if not _objectives(ctx):
        return _gate(ctx, unit, cycle)
    goal = _goal(ctx)
    if goal is not None and (
        goal.owner_id != ctx.actor.person_id
        or goal.unit_id != unit.id
        or goal.cycle_id != cycle.id
        or goal.status != GoalStatus.DRAFT
    ):
        return Refuse(say=[Say("goal_interview/draft_elsewhere", {"unit": unit, "goal": goal})])
    return None


def start(ctx: Context) -> Next | Refuse:
    if ctx.answers.get("goal_id") is not None:
        return _reopen(ctx)
    refused = guard(ctx)
    if refused is not None:
        return refused
    cycle, unit = _cycle(ctx), _unit(ctx)
    assert cycle is not None and unit is not None  # the guard has checked
    mine = goals.list_goals(
        session=ctx.session,
        team_id=ctx.actor.team_id,
        owner_id=ctx.actor.person_id,
        cycle_id=cycle.id,
    )
    drafts = [g for g in mine if g.status == GoalStatus.DRAFT and g.unit_id == unit.id]
    if drafts and not ctx.answers.get("new"):  # pick the latest draft up; a new one is a click away
        draft = drafts[-1]
        ctx.answers.update(goal_id=draft.id, objective_id=draft.objective_id, editing=True)
        new = Choice(Offer.NEW_GOAL, str(cycle.id))
        context = {"goal": draft, "others": len(drafts) - 1, "change": False}
        return Next(S.REVIEW, say=[Say("goal_interview/resume_draft", context, choices=(new,))])
    return Next(S.OBJECTIVE, say=[_for_cycle(ctx, cycle)])


def _for_cycle(ctx: Context, cycle: Cycle) -> Say:
    """Which cycle the new goal is for, with the next cycle on offer once it exists."""
    later = planning.after(session=ctx.session, team_id=ctx.actor.team_id, cycle=cycle)
    choices = (Choice(Offer.SET_GOALS, str(later.id), context={"cycle": later}),) if later else ()
    context = {
        "cycle": cycle,
        "later": later,
        "today": planning.today(session=ctx.session, team_id=ctx.actor.team_id, now=ctx.now),
    }
    return Say("goal_interview/for_cycle", context, choices=choices)


def _next(ctx: Context, step: S) -> S:
    """After an edit from the review, go straight back to the review."""
    return S.REVIEW if ctx.answers.get("editing") else step


def ask_objective(ctx: Context) -> Say:
    """A few objectives are buttons (the message shows in full only labels cut to fit); many
    are a numbered list to answer by number. Either way each is listed once."""
    options = _objectives(ctx)
    labels = [f"{i}. {o.title}" for i, o in enumerate(options, 1)]
    as_buttons = len(options) <= NUMBERED_BUTTONS
    buttons = tuple(Button(str(i), text=label) for i, label in enumerate(labels, 1))
    listed = [
        (i, o)
        for i, (o, label) in enumerate(zip(options, labels, strict=True), 1)
        if not as_buttons or not spec.fits_label(label)
    ]
    return Say(
        "goal_interview/ask_objective",
        {"listed": listed, "buttons": as_buttons, "unit": _unit(ctx), "count": len(options)},
        buttons if as_buttons else (),
    )


def ask_statement(ctx: Context) -> Say:
    objective_id = ctx.answers.get("objective_id")
    return Say(
        "goal_interview/ask_statement",
        {
            "chain": mine.chain_of(
                ctx.session, ctx.actor.team_id, int(objective_id) if objective_id else None
            ),
            "goal": _goal(ctx),
        },
    )


def ask_coach(ctx: Context) -> Say:
    """The coach's one most useful question, not all of them at once."""
    goal = _goal(ctx)
    question = _review_statement(ctx, goal).question if goal is not None else None
    return Say(
        "goal_interview/ask_coach",
        {"question": question},
        (Button("keep", label="keep_wording"),),
    )


def _read(ctx: Context) -> tuple[str | None, date | None]:
    measure = ctx.answers.get("read_measure")
    due = ctx.answers.get("read_due")
    return (
        measure if isinstance(measure, str) else None,
        date.fromisoformat(due) if isinstance(due, str) else None,
    )


NUMBER = re.compile(r"\d[\d,.]*\s?%?")


def _target(measure: str, goal: Goal | None) -> str | None:
    """The number to reach, when the measure read is most of the goal's own sentence (read back
    whole, it would only repeat the goal)."""
    statement = goal.statement if goal is not None and goal.statement else ""
    number = NUMBER.search(measure)
    if number is None or len(measure) < 0.6 * len(statement):
        return None
    return number.group(0).strip()


def ask_read_back(ctx: Context) -> Say:
    measure, due = _read(ctx)
    buttons = [Button("yes", label="yes_right", primary=True)]
    if measure is not None:
        buttons.append(Button("measure", label="edit_measure"))
    if due is not None:
        buttons.append(Button("due", label="edit_due"))
    context = {
        "measure": measure,
        "target": _target(measure, _goal(ctx)) if measure else None,
        "due": due,
        "due_text": ctx.answers.get("read_due_text"),
    }
    return Say("goal_interview/ask_read_back", context, tuple(buttons))


def ask_measure(ctx: Context) -> Say:
    return Say("goal_interview/ask_measure", {"goal": _goal(ctx)})


def ask_due(ctx: Context) -> Say:
    return Say("goal_interview/ask_due", {"cycle": _cycle(ctx), "goal": _goal(ctx)})


def ask_confirm_due(ctx: Context) -> Say:
    buttons = (Button("yes", label="yes_keep_date"), Button("no", label="no_change_date"))
    return Say(
        "goal_interview/ask_confirm_due",
        {"due": date.fromisoformat(ctx.answers["due"]), "cycle": _cycle(ctx)},
        buttons,
    )


def ask_barriers(ctx: Context) -> Say:
    return Say("goal_interview/ask_barriers", {}, (Button("none", label="none"),))


def _said_due(ctx: Context, goal: Goal) -> Reading:
    """The date the statement itself names, when it names one that a due date can contradict
    (not "in 2 months": that depends on the day it was said)."""
    reading = read_statement(goal.statement, ctx.today)
    return Reading() if reading.relative else reading


def ask_review(ctx: Context) -> Say:
    goal = _goal(ctx)
    said = _said_due(ctx, goal) if goal is not None else Reading()
    contradicts = goal is not None and goal.due is not None and said.due not in (None, goal.due)
    buttons = (
        Button("submit", label="submit", primary=True),
        Button("statement", label="edit_statement"),
        Button("measure", label="edit_measure"),
        Button("due", label="edit_due"),
    )
    unit = _unit(ctx)
    approver = (
        agreement.approvers(session=ctx.session, actor=ctx.actor, unit=unit, owner=ctx.actor.person)
        if unit is not None
        else []
    )
    return Say(
        "goal_interview/ask_review",
        {
            "goal": goal,
            "chain": mine.chain_of(
                ctx.session, ctx.actor.team_id, goal.objective_id if goal else None
            ),
            "approvers": approver,
            "said": said,
            "contradicts": contradicts,
            "change": bool(ctx.answers.get("change")),
        },
        buttons,
    )


def help_for(ctx: Context, step: StrEnum) -> Say:
    return Say("goal_interview/help", {"step": step})


def _choose_objective(ctx: Context, text: str) -> Outcome:
    options = _objectives(ctx)
    choice = text.strip().rstrip(".")
    if not choice.isdecimal() or not 1 <= int(choice) <= len(options):  # "²" is a digit, no number
        return Next(S.OBJECTIVE, say=[Say("goal_interview/bad_choice", {"count": len(options)})])
    ctx.answers["objective_id"] = options[int(choice) - 1].id
    goal = _goal(ctx)
    if goal is not None:
        goals.update_goal(
            session=ctx.session, goal=goal, now=ctx.now, objective_id=ctx.answers["objective_id"]
        )
    return Next(_next(ctx, S.STATEMENT) if goal is not None else S.STATEMENT)


def _review_statement(ctx: Context, goal: Goal) -> Review:
    others = [
        g.statement
        for g in goals.list_goals(
            session=ctx.session, team_id=ctx.actor.team_id, owner_id=ctx.actor.person_id
        )
        if g.id != goal.id and g.status in ACTIVE and g.statement
    ]
    active = sum(
        1
        for g in goals.list_goals(
            session=ctx.session,
            team_id=ctx.actor.team_id,
            owner_id=ctx.actor.person_id,
            cycle_id=goal.cycle_id,
        )
        if g.id != goal.id and g.status in ACTIVE
    )
    return review(
        goal.statement,
        linked=goal.objective_id is not None,
        other_goals=others,
        active_goals=active,
    )


def _statement(ctx: Context, text: str) -> Outcome:
    goal = _goal(ctx)
    if goal is None:
        cycle, unit = _cycle(ctx), _unit(ctx)
        if cycle is None or unit is None or cycle.id is None or unit.id is None:
            return Refuse(say=[Say("goal_interview/no_cycle")])
        goal = goals.create_goal(
            session=ctx.session,
            team_id=ctx.actor.team_id,
            owner_id=ctx.actor.person_id,
            unit_id=unit.id,
            cycle_id=cycle.id,
            objective_id=ctx.answers.get("objective_id"),
            statement=text,
            now=ctx.now,
        )
        ctx.answers["goal_id"] = goal.id
    else:
        goals.update_goal(session=ctx.session, goal=goal, now=ctx.now, statement=text)
    if _review_statement(ctx, goal).questions:
        ctx.answers["coached"] = 1
        return Next(S.COACH)
    return _after_statement(ctx, goal, Say("goal_interview/statement_clear"))


def _coach(ctx: Context, text: str, goal: Goal) -> Outcome:
    if text.lower().strip(" .!") in YES_WORDS:
        return _after_statement(ctx, goal, Say("goal_interview/kept_wording"))
    goals.update_goal(session=ctx.session, goal=goal, now=ctx.now, statement=text)
    rounds = int(ctx.answers.get("coached", 1))
    if _review_statement(ctx, goal).questions and rounds < COACH_ROUNDS:
        ctx.answers["coached"] = rounds + 1
        return Next(S.COACH)
    return _after_statement(ctx, goal, Say("goal_interview/statement_noted"))


def _missing(ctx: Context, goal: Goal, say: list[Say] | None = None) -> Next:
    """The first part of the goal still to ask for (straight back to an edit's review)."""
    if ctx.answers.get("editing"):
        step = S.REVIEW
    elif goal.measure is None:
        step = S.MEASURE
    elif goal.due is None:
        step = S.DUE
    else:
        step = S.BARRIERS
    return Next(step, say=say or [])


def _after_statement(ctx: Context, goal: Goal, said: Say) -> Next:
    """Read back what the statement already says, for confirmation; ask only what it lacks."""
    if ctx.answers.get("editing"):
        return Next(S.REVIEW, say=[said])
    says = [said]
    reading = read_statement(goal.statement, ctx.today)
    measure = reading.measure if goal.measure is None else None
    due = reading.due if goal.due is None else None
    if due is not None and due < ctx.today:  # said, but passed: point it out, ask for a date
        context = {"due": due, "today": ctx.today, "text": reading.due_text}
        says.append(Say("goal_interview/stated_due_passed", context))
        due = None
    ctx.answers.update(
        read_measure=measure,
        read_due=due.isoformat() if due else None,
        read_due_text=reading.due_text if due else None,
    )
    if measure is None and due is None:
        return _missing(ctx, goal, says)
    return Next(S.READ_BACK, say=says)


def _read_back(ctx: Context, text: str, goal: Goal) -> Outcome:
    word = text.lower().strip(" .!")
    measure, due = _read(ctx)
    if word in YES_WORDS or word in ("measure", "due"):
        if measure is not None and word != "measure":
            goals.update_goal(session=ctx.session, goal=goal, now=ctx.now, measure=measure)
        if word == "due":
            return Next(S.DUE)
        if word == "measure" and due is None:
            return Next(S.MEASURE)
        if due is not None:
            return _take_due(ctx, goal, due)  # then whatever is still missing
        return _missing(ctx, goal)
    if word in NO_WORDS:
        return _missing(ctx, goal)
    return Next(S.READ_BACK, say=[Say("goal_interview/yes_or_change")])


def _measure(ctx: Context, text: str, goal: Goal) -> Outcome:
    goals.update_goal(session=ctx.session, goal=goal, now=ctx.now, measure=text)
    return _missing(ctx, goal)


def _due(ctx: Context, text: str, goal: Goal) -> Outcome:
    due = parse_due(text, ctx.today)
    if due is None:
        return Next(S.DUE, say=[Say("goal_interview/bad_due", {"text": text[:80]})])
    return _take_due(ctx, goal, due)


def _take_due(ctx: Context, goal: Goal, due: date) -> Outcome:
    """A date read (typed, or from the statement): in the past it is asked again, outside the
    cycle it is confirmed first."""
    cycle = _cycle(ctx)
    if due < ctx.today:
        return Next(
            S.DUE, say=[Say("goal_interview/due_in_past", {"due": due, "today": ctx.today})]
        )
    if cycle is not None and not cycle.start <= due <= cycle.end:
        ctx.answers["due"] = due.isoformat()
        return Next(S.CONFIRM_DUE)
    return _set_due(ctx, goal, due)


def _set_due(ctx: Context, goal: Goal, due: date) -> Outcome:
    """Set the date, echo it with its weekday, and point out a statement that says otherwise."""
    goals.update_goal(session=ctx.session, goal=goal, now=ctx.now, due=due)
    said = [Say("goal_interview/due_set", {"due": due})]
    stated = _said_due(ctx, goal)
    if stated.due is not None and stated.due != due:
        said.append(
            Say("goal_interview/due_contradicts", {"due": due, "said": stated, "goal": goal})
        )
    return _missing(ctx, goal, said)


def _confirm_due(ctx: Context, text: str, goal: Goal) -> Outcome:
    word = text.lower().strip(" .!")
    if word in YES_WORDS:
        return _set_due(ctx, goal, date.fromisoformat(ctx.answers["due"]))
    if word in NO_WORDS:
        return Next(S.DUE)
    if parse_due(text, ctx.today) is not None:  # they answered with another date (`back` then
        # returns to the due date question, never to this superseded one: it is transient)
        return _due(ctx, text, goal)
    return Next(S.CONFIRM_DUE, say=[Say("goal_interview/yes_or_no")])


def _barriers(ctx: Context, text: str, goal: Goal) -> Outcome:
    barriers = None if text.lower().strip(" .!") in NONE_WORDS else text
    goals.update_goal(session=ctx.session, goal=goal, now=ctx.now, anticipated_barriers=barriers)
    return Next(S.REVIEW)


REVIEW_EDITS = {"statement": S.STATEMENT, "measure": S.MEASURE, "due": S.DUE}


def _review(ctx: Context, text: str, goal: Goal) -> Outcome:
    choice = text.lower().strip(" .!")
    if choice in REVIEW_EDITS:
        ctx.answers["editing"] = True
        return Next(REVIEW_EDITS[choice])
    if choice not in ("submit", "send", "yes"):
        return Next(S.REVIEW, say=[Say("goal_interview/bad_review_choice")])
    unit = _unit(ctx)
    if unit is None or not goal.statement or goal.due is None:
        return Next(S.REVIEW, say=[Say("goal_interview/incomplete")])
    if not agreement.approvers(
        session=ctx.session, actor=ctx.actor, unit=unit, owner=ctx.actor.person
    ):
        return Next(S.REVIEW, say=[Say("goal_interview/no_approver", {"unit": unit})])
    notices = agreement.submit(
        session=ctx.session,
        actor=ctx.actor,
        goal=goal,
        unit=unit,
        now=ctx.now,
        changed=bool(ctx.answers.get("change")),
    )
    approver_names = [n.user_id for n in notices]
    return spec.Finish(
        say=[Say("goal_interview/submitted", {"goal": goal, "approvers": approver_names})],
        notices=notices,
    )


def _with_draft(take: Callable[[Context, str, Goal], Outcome]) -> Callable[[Context, str], Outcome]:
    """A step that works on the draft goal; if the draft is gone meanwhile, start over."""

    def answer(ctx: Context, text: str) -> Outcome:
        goal = _goal(ctx)
        if goal is None:
            return Next(S.OBJECTIVE, say=[Say("goal_interview/draft_gone")])
        return take(ctx, text, goal)

    return answer


TABLE: dict[StrEnum, Step] = {
    S.OBJECTIVE: Step(ask_objective, _choose_objective, to=(S.OBJECTIVE, S.STATEMENT, S.REVIEW)),
    S.STATEMENT: Step(
        ask_statement,
        _statement,
        to=(S.COACH, S.READ_BACK, S.MEASURE, S.DUE, S.BARRIERS, S.REVIEW),
    ),
    S.COACH: Step(
        ask_coach,
        _with_draft(_coach),
        to=(S.OBJECTIVE, S.COACH, S.READ_BACK, S.MEASURE, S.DUE, S.BARRIERS, S.REVIEW),
    ),
    S.READ_BACK: Step(
        ask_read_back,
        _with_draft(_read_back),
        to=(S.OBJECTIVE, S.READ_BACK, S.MEASURE, S.DUE, S.CONFIRM_DUE, S.BARRIERS, S.REVIEW),
    ),
    S.MEASURE: Step(
        ask_measure, _with_draft(_measure), to=(S.OBJECTIVE, S.DUE, S.BARRIERS, S.REVIEW)
    ),
    S.DUE: Step(
        ask_due,
        _with_draft(_due),
        to=(S.OBJECTIVE, S.DUE, S.CONFIRM_DUE, S.MEASURE, S.BARRIERS, S.REVIEW),
    ),
    S.CONFIRM_DUE: Step(
        ask_confirm_due,
        _with_draft(_confirm_due),
        to=(S.OBJECTIVE, S.DUE, S.CONFIRM_DUE, S.MEASURE, S.BARRIERS, S.REVIEW),
        transient=True,
    ),
    S.BARRIERS: Step(ask_barriers, _with_draft(_barriers), to=(S.OBJECTIVE, S.REVIEW)),
    S.REVIEW: Step(
        ask_review,
        _with_draft(_review),
        to=(S.OBJECTIVE, S.STATEMENT, S.MEASURE, S.DUE, S.REVIEW),
        finishes=True,
    ),
}


@dataclass(frozen=True)
class Start:
    """How the interview starts: in a given cycle, at a given goal, a new one, or to change an
    agreed goal (its manager agrees again)."""

    cycle_id: int | None = None
    goal_id: int | None = None
    new: bool = False
    change: bool = False


ENTRIES: dict[Offer, Callable[[Any], Start]] = {
    Offer.SET_GOALS: lambda cycle_id: Start(cycle_id=cycle_id),
    Offer.NEW_GOAL: lambda cycle_id: Start(cycle_id=cycle_id, new=True),
    Offer.REVISE_GOAL: lambda goal_id: Start(goal_id=goal_id),
    Offer.RESUME_GOAL: lambda goal_id: Start(goal_id=goal_id),
    Offer.CHANGE_GOAL: lambda goal_id: Start(goal_id=goal_id, change=True),
}


def restart(answers: dict[str, object]) -> Choice:
    cycle_id = answers.get("cycle_id")
    return Choice(Offer.SET_GOALS, str(cycle_id) if isinstance(cycle_id, int) else "")


STARTING = spec.Starting(start, (S.OBJECTIVE, S.REVIEW), Start, ENTRIES)
SPEC = spec.FlowSpec(FLOW, S, TABLE, STARTING, help_for, guard, restart=restart)
