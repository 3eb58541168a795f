"""The personal goal interview (`/goals set`). See goal_interview.mmd for the diagram.

objective → statement → (coach)* → measure → due → (confirm_due) → barriers → review → submit.
Refused, with a nudge to the unit's manager at most once a day, while the unit has no
published objectives for the active cycle.
"""

from __future__ import annotations

from datetime import date

from conversations import agreement, coach, views
from conversations.dates import parse_due
from conversations.flow import Button, Context, FlowSpec, Notice, Outcome, Say, register
from prompts import render_plain
from storage import cycles, deliveries, goals, objectives, people
from storage.models import Cycle, Goal, GoalStatus, Objective, Unit

FLOW = "goal_interview"
START = "goal_interview_start"  # a button that starts (or resumes) the interview
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


def _gate(ctx: Context, unit: Unit, cycle: Cycle) -> Outcome:
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
        nudged = deliveries.claim_delivery(
            session=ctx.session,
            team_id=ctx.actor.team_id,
            kind="gate_nudge",
            subject=f"unit:{unit.id}",
            period_key=ctx.today.isoformat(),
            now=ctx.now,
        )
        if nudged:
            notices.append(
                Notice(
                    manager.user_id,
                    "goal_interview/gate_nudge",
                    {"unit": unit, "cycle": cycle, "asker": ctx.actor.person},
                )
            )
    context = {
        "unit": unit,
        "cycle": cycle,
        "manager": manager,
        "nudged": nudged,
        "is_manager": manager is not None and manager.id == ctx.actor.person_id,
    }
    return Outcome(None, say=[Say("goal_interview/gate", context)], notices=notices)


def start(ctx: Context) -> Outcome:
    cycle, unit = _cycle(ctx), _unit(ctx)
    if cycle is None:
        return Outcome(None, say=[Say("goal_interview/no_cycle")])
    if unit is None:
        return Outcome(None, say=[Say("goal_interview/no_unit")])
    if not _objectives(ctx):
        return _gate(ctx, unit, cycle)
    mine = goals.list_goals(
        session=ctx.session,
        team_id=ctx.actor.team_id,
        owner_id=ctx.actor.person_id,
        cycle_id=cycle.id,
    )
    draft = next((g for g in mine if g.status == GoalStatus.DRAFT), None)
    if draft is not None:  # finish the draft before starting another
        ctx.answers.update(goal_id=draft.id, objective_id=draft.objective_id, editing=True)
        return Outcome("review", say=[Say("goal_interview/resume_draft", {"goal": draft})])
    return Outcome("objective")


def _next(ctx: Context, step: str) -> str:
    """After an edit from the review, go straight back to the review."""
    return "review" if ctx.answers.get("editing") else step


def ask(ctx: Context, step: str) -> Say:
    goal = _goal(ctx)
    cycle = _cycle(ctx)
    if step == "objective":
        options = _objectives(ctx)
        buttons = tuple(
            Button(f"{i}. {o.title}"[:75], str(i))
            for i, o in enumerate(options[:NUMBERED_BUTTONS], 1)
        )
        return Say(
            "goal_interview/ask_objective", {"objectives": options, "unit": _unit(ctx)}, buttons
        )
    if step == "statement":
        objective_id = ctx.answers.get("objective_id")
        return Say(
            "goal_interview/ask_statement",
            {
                "chain": views.chain_of(
                    ctx.session, ctx.actor.team_id, int(objective_id) if objective_id else None
                ),
                "goal": goal,
            },
        )
    if step == "coach":
        keep = Button(render_plain("buttons/keep_wording"), "keep")
        return Say(
            "goal_interview/ask_coach", {"questions": ctx.answers.get("questions", [])}, (keep,)
        )
    if step == "measure":
        return Say("goal_interview/ask_measure", {"goal": goal})
    if step == "due":
        return Say("goal_interview/ask_due", {"cycle": cycle, "goal": goal})
    if step == "confirm_due":
        buttons = (
            Button(render_plain("buttons/yes_keep_date"), "yes"),
            Button(render_plain("buttons/no_change_date"), "no"),
        )
        return Say(
            "goal_interview/ask_confirm_due",
            {"due": date.fromisoformat(ctx.answers["due"]), "cycle": cycle},
            buttons,
        )
    if step == "barriers":
        return Say(
            "goal_interview/ask_barriers", {}, (Button(render_plain("buttons/none"), "none"),)
        )
    assert goal is not None and step == "review"
    buttons = (
        Button(render_plain("buttons/submit"), "submit", primary=True),
        Button(render_plain("buttons/edit_statement"), "statement"),
        Button(render_plain("buttons/edit_measure"), "measure"),
        Button(render_plain("buttons/edit_due"), "due"),
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
            "chain": views.chain_of(ctx.session, ctx.actor.team_id, goal.objective_id),
            "approvers": approver,
        },
        buttons,
    )


def help_for(ctx: Context, step: str) -> Say:
    return Say("goal_interview/help", {"step": step})


def _choose_objective(ctx: Context, text: str) -> Outcome:
    options = _objectives(ctx)
    choice = text.strip().rstrip(".")
    if not choice.isdigit() or not 1 <= int(choice) <= len(options):
        return Outcome("objective", say=[Say("goal_interview/bad_choice", {"count": len(options)})])
    ctx.answers["objective_id"] = options[int(choice) - 1].id
    goal = _goal(ctx)
    if goal is not None:
        goals.update_goal(
            session=ctx.session, goal=goal, now=ctx.now, objective_id=ctx.answers["objective_id"]
        )
    return Outcome(_next(ctx, "statement") if goal is not None else "statement")


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
            return Outcome(None, say=[Say("goal_interview/no_cycle")])
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
    review = _review_statement(ctx, goal)
    if review.questions:
        ctx.answers.update(questions=review.questions, coached=1)
        return Outcome("coach")
    return Outcome(_next(ctx, "measure"), say=[Say("goal_interview/statement_clear")])


def _coach(ctx: Context, text: str) -> Outcome:
    goal = _goal(ctx)
    assert goal is not None
    if text.lower().strip(" .!") in YES_WORDS:
        return Outcome(_next(ctx, "measure"), say=[Say("goal_interview/kept_wording")])
    goals.update_goal(session=ctx.session, goal=goal, now=ctx.now, statement=text)
    review = _review_statement(ctx, goal)
    rounds = int(ctx.answers.get("coached", 1))
    if review.questions and rounds < COACH_ROUNDS:
        ctx.answers.update(questions=review.questions, coached=rounds + 1)
        return Outcome("coach")
    return Outcome(_next(ctx, "measure"), say=[Say("goal_interview/statement_noted")])


def _due(ctx: Context, text: str) -> Outcome:
    due = parse_due(text, ctx.today)
    cycle = _cycle(ctx)
    if due is None:
        return Outcome("due", say=[Say("goal_interview/bad_due", {"text": text[:80]})])
    if due < ctx.today:
        return Outcome(
            "due", say=[Say("goal_interview/due_in_past", {"due": due, "today": ctx.today})]
        )
    if cycle is not None and not cycle.start <= due <= cycle.end:
        ctx.answers["due"] = due.isoformat()
        return Outcome("confirm_due")
    return _set_due(ctx, due)


def _set_due(ctx: Context, due: date) -> Outcome:
    goal = _goal(ctx)
    assert goal is not None
    goals.update_goal(session=ctx.session, goal=goal, now=ctx.now, due=due)
    return Outcome(_next(ctx, "barriers"))


def _confirm_due(ctx: Context, text: str) -> Outcome:
    word = text.lower().strip(" .!")
    if word in YES_WORDS:
        return _set_due(ctx, date.fromisoformat(ctx.answers["due"]))
    if word in NO_WORDS:
        return Outcome("due")
    if parse_due(text, ctx.today) is not None:  # they answered with another date
        return _due(ctx, text)
    return Outcome("confirm_due", say=[Say("goal_interview/yes_or_no")])


def _review(ctx: Context, text: str) -> Outcome:
    goal = _goal(ctx)
    assert goal is not None and goal.id is not None
    choice = text.lower().strip(" .!")
    if choice in ("statement", "measure", "due"):
        ctx.answers["editing"] = True
        return Outcome(choice)
    if choice not in ("submit", "send", "yes"):
        return Outcome("review", say=[Say("goal_interview/bad_review_choice")])
    unit = _unit(ctx)
    if unit is None or not goal.statement or goal.due is None:
        return Outcome("review", say=[Say("goal_interview/incomplete")])
    if not agreement.approvers(
        session=ctx.session, actor=ctx.actor, unit=unit, owner=ctx.actor.person
    ):
        return Outcome("review", say=[Say("goal_interview/no_approver", {"unit": unit})])
    goals.update_goal(
        session=ctx.session,
        goal=goal,
        now=ctx.now,
        status=GoalStatus.PROPOSED,
        owner_agreed_at=ctx.now,
    )
    notices = agreement.proposal_notices(session=ctx.session, actor=ctx.actor, goal=goal, unit=unit)
    approver_names = [n.user_id for n in notices]
    return Outcome(
        None,
        say=[Say("goal_interview/submitted", {"goal": goal, "approvers": approver_names})],
        notices=notices,
    )


def answer(ctx: Context, step: str, text: str) -> Outcome:
    goal = _goal(ctx)
    if step == "objective":
        return _choose_objective(ctx, text)
    if step == "statement":
        return _statement(ctx, text)
    if step == "coach":
        return _coach(ctx, text)
    if goal is None:  # the draft was deleted meanwhile: start over
        return Outcome("objective", say=[Say("goal_interview/draft_gone")])
    if step == "measure":
        goals.update_goal(session=ctx.session, goal=goal, now=ctx.now, measure=text)
        return Outcome(_next(ctx, "due"))
    if step == "due":
        return _due(ctx, text)
    if step == "confirm_due":
        return _confirm_due(ctx, text)
    if step == "barriers":
        barriers = None if text.lower().strip(" .!") in NONE_WORDS else text
        goals.update_goal(
            session=ctx.session, goal=goal, now=ctx.now, anticipated_barriers=barriers
        )
        return Outcome("review")
    return _review(ctx, text)


SPEC = register(FlowSpec(name=FLOW, start=start, ask=ask, answer=answer, help=help_for))
