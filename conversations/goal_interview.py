"""The personal goal interview (`/goals set`). See goal_interview.mmd for the diagram.

objective → statement → (coach)* → measure → due → (confirm_due) → barriers → review → submit.
Refused, with a nudge to the unit's manager at most once a day, while the unit has no
published objectives for the active cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum

from conversations import agreement, coach, views
from conversations.dates import parse_due
from conversations.flow import (
    Button,
    Context,
    Finish,
    FlowSpec,
    Next,
    Notice,
    Outcome,
    Refuse,
    Say,
    Step,
)
from storage import cycles, goals, objectives, outbox, people
from storage.models import Cycle, Goal, GoalStatus, Objective, Unit

FLOW = "goal_interview"
GATE_NUDGE = "gate_nudge"


class S(StrEnum):
    OBJECTIVE = "objective"
    STATEMENT = "statement"
    COACH = "coach"
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
    return cycles.active_cycle(session=ctx.session, team_id=ctx.actor.team_id)


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
    notices: list[Notice] = []
    nudged = False
    if manager is not None and manager.id != ctx.actor.person_id:
        key = (GATE_NUDGE, f"unit:{unit.id}", ctx.today.isoformat())  # once a day per unit
        claimed = outbox.claim(
            session=ctx.session,
            team_id=ctx.actor.team_id,
            claims=[(key, manager.user_id)],
            now=ctx.now,
        ).get(key)
        nudged = claimed is not None
        if nudged:
            notices.append(
                Notice(
                    manager.user_id,
                    "goal_interview/gate_nudge",
                    {"unit": unit, "cycle": cycle, "asker": ctx.actor.person},
                    kind=GATE_NUDGE,
                    claimed=claimed,
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


def guard(ctx: Context) -> Refuse | None:
    """Before every turn: there is an active cycle, the person still belongs to a unit whose
    objectives for it are published, and the draft being written (if any) is still theirs, a
    draft, in that unit and cycle (a move to another unit ends the interview)."""
    cycle, unit = _cycle(ctx), _unit(ctx)
    if cycle is None:
        return Refuse(say=[Say("goal_interview/no_cycle")])
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
    draft = next((g for g in mine if g.status == GoalStatus.DRAFT and g.unit_id == unit.id), None)
    if draft is not None:  # finish the draft before starting another
        ctx.answers.update(goal_id=draft.id, objective_id=draft.objective_id, editing=True)
        return Next(S.REVIEW, say=[Say("goal_interview/resume_draft", {"goal": draft})])
    return Next(S.OBJECTIVE)


def _next(ctx: Context, step: S) -> S:
    """After an edit from the review, go straight back to the review."""
    return S.REVIEW if ctx.answers.get("editing") else step


def ask_objective(ctx: Context) -> Say:
    options = _objectives(ctx)
    buttons = tuple(
        Button(str(i), text=f"{i}. {o.title}") for i, o in enumerate(options[:NUMBERED_BUTTONS], 1)
    )
    return Say("goal_interview/ask_objective", {"objectives": options, "unit": _unit(ctx)}, buttons)


def ask_statement(ctx: Context) -> Say:
    objective_id = ctx.answers.get("objective_id")
    return Say(
        "goal_interview/ask_statement",
        {
            "chain": views.chain_of(
                ctx.session, ctx.actor.team_id, int(objective_id) if objective_id else None
            ),
            "goal": _goal(ctx),
        },
    )


def ask_coach(ctx: Context) -> Say:
    goal = _goal(ctx)
    questions = _review_statement(ctx, goal).questions if goal is not None else []
    return Say(
        "goal_interview/ask_coach",
        {"questions": questions},
        (Button("keep", label="keep_wording"),),
    )


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


def ask_review(ctx: Context) -> Say:
    goal = _goal(ctx)
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
            "chain": views.chain_of(
                ctx.session, ctx.actor.team_id, goal.objective_id if goal else None
            ),
            "approvers": approver,
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


def _review_statement(ctx: Context, goal: Goal) -> coach.Review:
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
    return coach.review(
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
    return Next(_next(ctx, S.MEASURE), say=[Say("goal_interview/statement_clear")])


def _coach(ctx: Context, text: str, goal: Goal) -> Outcome:
    if text.lower().strip(" .!") in YES_WORDS:
        return Next(_next(ctx, S.MEASURE), say=[Say("goal_interview/kept_wording")])
    goals.update_goal(session=ctx.session, goal=goal, now=ctx.now, statement=text)
    rounds = int(ctx.answers.get("coached", 1))
    if _review_statement(ctx, goal).questions and rounds < COACH_ROUNDS:
        ctx.answers["coached"] = rounds + 1
        return Next(S.COACH)
    return Next(_next(ctx, S.MEASURE), say=[Say("goal_interview/statement_noted")])


def _measure(ctx: Context, text: str, goal: Goal) -> Outcome:
    goals.update_goal(session=ctx.session, goal=goal, now=ctx.now, measure=text)
    return Next(_next(ctx, S.DUE))


def _due(ctx: Context, text: str, goal: Goal) -> Outcome:
    due = parse_due(text, ctx.today)
    cycle = _cycle(ctx)
    if due is None:
        return Next(S.DUE, say=[Say("goal_interview/bad_due", {"text": text[:80]})])
    if due < ctx.today:
        return Next(
            S.DUE, say=[Say("goal_interview/due_in_past", {"due": due, "today": ctx.today})]
        )
    if cycle is not None and not cycle.start <= due <= cycle.end:
        ctx.answers["due"] = due.isoformat()
        return Next(S.CONFIRM_DUE)
    return _set_due(ctx, goal, due)


def _set_due(ctx: Context, goal: Goal, due: date) -> Outcome:
    goals.update_goal(session=ctx.session, goal=goal, now=ctx.now, due=due)
    return Next(_next(ctx, S.BARRIERS))


def _confirm_due(ctx: Context, text: str, goal: Goal) -> Outcome:
    word = text.lower().strip(" .!")
    if word in YES_WORDS:
        return _set_due(ctx, goal, date.fromisoformat(ctx.answers["due"]))
    if word in NO_WORDS:
        return Next(S.DUE)
    if parse_due(text, ctx.today) is not None:  # they answered with another date
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
        session=ctx.session, actor=ctx.actor, goal=goal, unit=unit, now=ctx.now
    )
    approver_names = [n.user_id for n in notices]
    return Finish(
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
    S.STATEMENT: Step(ask_statement, _statement, to=(S.COACH, S.MEASURE, S.REVIEW)),
    S.COACH: Step(ask_coach, _with_draft(_coach), to=(S.OBJECTIVE, S.COACH, S.MEASURE, S.REVIEW)),
    S.MEASURE: Step(ask_measure, _with_draft(_measure), to=(S.OBJECTIVE, S.DUE, S.REVIEW)),
    S.DUE: Step(
        ask_due,
        _with_draft(_due),
        to=(S.OBJECTIVE, S.DUE, S.CONFIRM_DUE, S.BARRIERS, S.REVIEW),
    ),
    S.CONFIRM_DUE: Step(
        ask_confirm_due,
        _with_draft(_confirm_due),
        to=(S.OBJECTIVE, S.DUE, S.CONFIRM_DUE, S.BARRIERS, S.REVIEW),
    ),
    S.BARRIERS: Step(ask_barriers, _with_draft(_barriers), to=(S.OBJECTIVE, S.REVIEW)),
    S.REVIEW: Step(
        ask_review,
        _with_draft(_review),
        to=(S.OBJECTIVE, S.STATEMENT, S.MEASURE, S.DUE, S.REVIEW),
        finishes=True,
    ),
}

SPEC = FlowSpec(
    name=FLOW,
    steps=S,
    table=TABLE,
    start=start,
    starts=(S.OBJECTIVE, S.REVIEW),
    help=help_for,
    guard=guard,
)
