"""Objectives flows (`/goals plan`): the organisation's, then each unit's. See objectives.mmd.

Top unit:   collect (one per message, `done`) → review → publish
Other unit: contribute (each parent objective, or `skip`) → extra (`N text`, `done`) → review →
            publish. Publishing invites child units' managers and the unit's members.
In review: `edit N text`, `remove N` (a draft), `retire N` (a published one), `add`, `publish`.
Editing or retiring a published objective tells whoever built on it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from conversations.actor import Actor
from conversations.coach.review import review_objective
from conversations.flows import goal_interview, spec
from conversations.flows.spec import Button, Context, Next, Notice, Outcome, Refuse, Say, Step
from conversations.offers import Choice, Offer
from conversations.services import planning
from conversations.services.organisation import manager_user_id, unit_named
from storage import cycles, goals, objectives, people, units
from storage.models import Cycle, GoalStatus, Objective, ObjectiveStatus, Person, Unit

FLOW = "objectives"


class S(StrEnum):
    COLLECT = "collect"
    CONTRIBUTE = "contribute"
    EXTRA = "extra"
    REVIEW = "review"


TITLE_LIMIT = 300
EDIT = re.compile(r"^(edit|remove|delete|retire)\s+(\d+)\s*(.*)$", re.IGNORECASE | re.DOTALL)
LINKED = re.compile(r"^(\d+)[.):]?\s+(.+)$", re.DOTALL)
REVIEW_WORDS = ("publish", "add", "edit", "remove", "retire")  # what the review understands
DONE_WORDS = {"done", "review", "finished", "that's all", "fertig", "listo", "fini"}


def planned_unit(*, session: Session, actor: Actor, name: str | None) -> Unit | None:
    """The unit `/goals plan` is about: the one named, else the first of mine that is due."""
    if name:
        return unit_named(session=session, team_id=actor.team_id, name=name)
    managed = units.units_managed_by(
        session=session, team_id=actor.team_id, person_id=actor.person_id
    )
    if not managed and actor.is_admin:
        roots = units.root_units(session=session, team_id=actor.team_id)
        return roots[0] if roots else None
    return managed[0] if managed else None


def _cycle(ctx: Context) -> Cycle | None:
    """The cycle being planned (chosen when the flow started), else the current one."""
    return spec.chosen_cycle(ctx)


def _find_unit(ctx: Context) -> Unit | None:
    unit_id = ctx.answers.get("unit_id")
    if not isinstance(unit_id, int):
        return None
    return units.get_unit(session=ctx.session, team_id=ctx.actor.team_id, unit_id=unit_id)


def _unit(ctx: Context) -> Unit:
    """The unit being planned; `guard` has checked, this turn, that it exists."""
    unit = _find_unit(ctx)
    if unit is None:
        raise LookupError(f"unit {ctx.answers.get('unit_id')!r} is gone")
    return unit


def _mine(ctx: Context) -> list[Objective]:
    """This unit's objectives for the cycle, drafts and published (not retired), in order."""
    cycle = _cycle(ctx)
    if cycle is None:
        return []
    return [
        o
        for o in objectives.list_objectives(
            session=ctx.session,
            team_id=ctx.actor.team_id,
            unit_id=int(ctx.answers["unit_id"]),
            cycle_id=cycle.id,
        )
        if o.status != ObjectiveStatus.RETIRED
    ]


def _parents(ctx: Context) -> list[Objective]:
    unit, cycle = _unit(ctx), _cycle(ctx)
    if unit.parent_id is None or cycle is None or cycle.id is None:
        return []
    return objectives.published_objectives(
        session=ctx.session, team_id=ctx.actor.team_id, unit_id=unit.parent_id, cycle_id=cycle.id
    )


def may_plan(actor: Actor, unit: Unit) -> bool:
    return actor.is_admin or unit.manager_id == actor.person_id


def guard(ctx: Context) -> Refuse | None:
    """Before every turn: there is an active cycle, the unit still exists, this person may still
    plan it, and (below the top) the unit above still has published objectives to build on."""
    if _cycle(ctx) is None:
        return Refuse(say=[Say("objectives/no_cycle")])
    unit = _find_unit(ctx)
    if unit is None:
        return Refuse(say=[Say("objectives/no_unit")])
    if not may_plan(ctx.actor, unit):
        manager = manager_user_id(session=ctx.session, unit=unit)
        return Refuse(say=[Say("objectives/not_manager", {"unit": unit, "manager": manager})])
    if unit.parent_id is not None and not _parents(ctx):
        parent = units.get_unit(
            session=ctx.session, team_id=ctx.actor.team_id, unit_id=unit.parent_id
        )
        return Refuse(
            say=[Say("objectives/parent_not_published", {"unit": unit, "parent": parent})]
        )
    return None


def start(ctx: Context) -> Next | Refuse:
    """`ctx.answers["unit_id"]` is set by the caller (see `planned_unit`)."""
    carried = _next_after(ctx)
    if isinstance(carried, Refuse):
        return carried
    cycle = _cycle(ctx)
    if cycle is None:
        return Refuse(say=[Say("objectives/no_cycle")])
    ctx.answers["cycle_id"] = cycle.id
    refused = guard(ctx)
    if refused is not None:
        return refused
    unit = _unit(ctx)
    if carried is not None and not _mine(ctx):
        _carry_forward(ctx, unit, carried, cycle)
    if _mine(ctx):
        return Next(S.REVIEW, say=[_for_cycle(ctx, unit, cycle)])
    if unit.parent_id is None:
        return Next(
            S.COLLECT,
            say=[
                Say("objectives/intro_top", {"unit": unit, "cycle": cycle}),
                _for_cycle(ctx, unit, cycle),
            ],
        )
    parents = _parents(ctx)
    ctx.answers["index"] = 0
    return Next(
        S.CONTRIBUTE,
        say=[
            Say("objectives/intro_unit", {"unit": unit, "cycle": cycle, "count": len(parents)}),
            _for_cycle(ctx, unit, cycle),
        ],
    )


def _next_after(ctx: Context) -> Cycle | Refuse | None:
    """For a plan started from a retrospective: the ended cycle it carries on from, with the
    next cycle chosen; a refusal when no next cycle has been added yet."""
    ended_id = ctx.answers.pop("carry_from", None)
    if not isinstance(ended_id, int):
        return None
    ended = cycles.get_cycle(session=ctx.session, team_id=ctx.actor.team_id, cycle_id=ended_id)
    later = (
        planning.after(session=ctx.session, team_id=ctx.actor.team_id, cycle=ended)
        if ended
        else None
    )
    if ended is None or later is None:
        return Refuse(say=[Say("objectives/no_next_cycle", {"ended": ended})])
    ctx.answers["cycle_id"] = later.id
    return ended


def _carry_forward(ctx: Context, unit: Unit, ended: Cycle, cycle: Cycle) -> None:
    """The unit's objectives of the ended cycle that no achieved goal served, as drafts of the
    new one, each under the parent unit's objective of the same title (none found: left out,
    so that nothing floats unlinked)."""
    team_id = ctx.actor.team_id
    old = objectives.published_objectives(
        session=ctx.session, team_id=team_id, unit_id=unit.id or 0, cycle_id=ended.id or 0
    )
    served = {
        g.objective_id
        for g, _ in goals.goals_with_owners(
            session=ctx.session,
            team_id=team_id,
            cycle_id=ended.id or 0,
            objective_ids=[o.id or 0 for o in old],
            statuses=[GoalStatus.ACHIEVED],
        )
    }
    parents_then = {o.id: o.title for o in _published(ctx, unit.parent_id, ended)}
    parents_now = {o.title: o.id for o in _published(ctx, unit.parent_id, cycle)}
    for position, objective in enumerate(o for o in old if o.id not in served):
        parent = parents_now.get(parents_then.get(objective.parent_id, ""))
        if unit.parent_id is not None and parent is None:
            continue
        objectives.create_objective(
            session=ctx.session,
            team_id=team_id,
            unit_id=unit.id or 0,
            cycle_id=cycle.id or 0,
            title=objective.title,
            measure=objective.measure,
            parent_id=parent,
            position=position,
        )


def _published(ctx: Context, unit_id: int | None, cycle: Cycle) -> list[Objective]:
    if unit_id is None:
        return []
    return objectives.published_objectives(
        session=ctx.session, team_id=ctx.actor.team_id, unit_id=unit_id, cycle_id=cycle.id or 0
    )


def _for_cycle(ctx: Context, unit: Unit, cycle: Cycle) -> Say:
    """Which cycle this plan is for, with the next cycle on offer once it exists."""
    later = planning.after(session=ctx.session, team_id=ctx.actor.team_id, cycle=cycle)
    choices = (
        (Choice(Offer.PLAN_UNIT, f"{unit.id}/{later.id}", context={"cycle": later}),)
        if later is not None
        else ()
    )
    context = {
        "unit": unit,
        "cycle": cycle,
        "later": later,
        "today": planning.today(session=ctx.session, team_id=ctx.actor.team_id, now=ctx.now),
    }
    return Say("objectives/for_cycle", context, choices=choices)


def ask_collect(ctx: Context) -> Say:
    return Say("objectives/ask_collect", {"unit": _unit(ctx), "drafts": _mine(ctx)})


def ask_contribute(ctx: Context) -> Say:
    parents = _parents(ctx)
    index = min(int(ctx.answers.get("index", 0)), max(len(parents) - 1, 0))
    return Say(
        "objectives/ask_contribute",
        {"unit": _unit(ctx), "parent": parents[index], "number": index + 1, "count": len(parents)},
        (Button("skip", label="skip"),),
    )


def ask_extra(ctx: Context) -> Say:
    done = Button("done", label="done", primary=True)
    return Say("objectives/ask_extra", {"unit": _unit(ctx), "parents": _parents(ctx)}, (done,))


def ask_review(ctx: Context) -> Say:
    mine = _mine(ctx)
    drafts = any(o.status == ObjectiveStatus.DRAFT for o in mine)
    buttons = (
        *((Button("publish", label="publish", primary=True),) if drafts else ()),
        Button("add", label="add_objective", primary=not drafts),
    )
    return Say(
        "objectives/ask_review",
        {
            "unit": _unit(ctx),
            "mine": mine,
            "drafts": drafts,
            "cycle": _cycle(ctx),
            "parents": {o.id: o for o in _parents(ctx)},
            # The coach's one question per draft: a suggestion, never a bar to publishing.
            "questions": {
                o.id: review_objective(o.title).question
                for o in mine
                if o.status == ObjectiveStatus.DRAFT
            },
        },
        buttons,
    )


def help_for(ctx: Context, step: StrEnum) -> Say:
    return Say("objectives/help", {"step": step, "top": _unit(ctx).parent_id is None})


def _draft(ctx: Context, title: str, parent_id: int | None) -> Objective:
    cycle = _cycle(ctx)
    assert cycle is not None and cycle.id is not None
    return objectives.create_objective(
        session=ctx.session,
        team_id=ctx.actor.team_id,
        unit_id=int(ctx.answers["unit_id"]),
        cycle_id=cycle.id,
        title=" ".join(title.split())[:TITLE_LIMIT],
        parent_id=parent_id,
        position=len(_mine(ctx)),
    )


def _too_long(text: str) -> Say | None:
    """An objective is a line: past TITLE_LIMIT it is refused whole (nothing is cut unseen)."""
    length = len(" ".join(text.split()))
    if length <= TITLE_LIMIT:
        return None
    return Say("objectives/too_long", {"length": length, "limit": TITLE_LIMIT})


def _collect(ctx: Context, text: str) -> Outcome:
    if (refused := _too_long(text)) is not None:
        return Next(S.COLLECT, say=[refused], ask=False)
    if text.lower().strip(" .!") in DONE_WORDS:
        if not _mine(ctx):
            return Next(S.COLLECT, say=[Say("objectives/need_one")])
        return Next(S.REVIEW)
    objective = _draft(ctx, text, None)
    return Next(S.COLLECT, say=[_noted(objective)], ask=False)


def _contribute(ctx: Context, text: str) -> Outcome:
    """This unit's contribution to the parent objective at `index`. Answered again (after
    `back`), the answer replaces the earlier one rather than adding a second."""
    if (refused := _too_long(text)) is not None:
        return Next(S.CONTRIBUTE, say=[refused], ask=False)
    parents = _parents(ctx)
    index = int(ctx.answers.get("index", 0))
    contributed = dict(ctx.answers.get("contributed") or {})
    earlier = _own_draft(ctx, contributed.pop(str(index), None))
    skip = text.lower().strip(" .!") == "skip"
    if earlier is not None and skip:
        objectives.delete_objective(session=ctx.session, objective=earlier)
    elif earlier is not None:
        title = " ".join(text.split())[:TITLE_LIMIT]
        objectives.update_objective(
            session=ctx.session, objective=earlier, now=ctx.now, title=title
        )
        contributed[str(index)] = earlier.id
    elif index < len(parents) and not skip:
        contributed[str(index)] = _draft(ctx, text, parents[index].id).id
    ctx.answers["contributed"] = contributed
    ctx.answers["index"] = index + 1
    drafted = _own_draft(ctx, contributed.get(str(index)))
    question = review_objective(drafted.title).question if drafted else None
    say = (
        [Say("objectives/coach", {"objective": drafted, "question": question})] if question else []
    )
    return Next(S.CONTRIBUTE if index + 1 < len(parents) else S.EXTRA, say=say)


def _own_draft(ctx: Context, objective_id: object) -> Objective | None:
    """A draft of this unit's, by id (None once published or gone)."""
    if not isinstance(objective_id, int):
        return None
    found = next((o for o in _mine(ctx) if o.id == objective_id), None)
    return found if found is not None and found.status == ObjectiveStatus.DRAFT else None


def _extra(ctx: Context, text: str) -> Outcome:
    if text.lower().strip(" .!") in DONE_WORDS:
        return Next(S.REVIEW)
    parents = _parents(ctx)
    match = LINKED.match(text.strip())
    if match is None or not 1 <= int(match.group(1)) <= len(parents):
        return Next(S.EXTRA, say=[Say("objectives/bad_extra", {"count": len(parents)})])
    if (refused := _too_long(match.group(2))) is not None:
        return Next(S.EXTRA, say=[refused], ask=False)
    objective = _draft(ctx, match.group(2), parents[int(match.group(1)) - 1].id)
    return Next(S.EXTRA, say=[_noted(objective)], ask=False)


def _noted(objective: Objective) -> Say:
    """Noted, with the coach's one question when the objective is vague, unmeasurable or not
    time-bound: asked, never waited on (a sharper wording is an `edit N` at the review)."""
    question = review_objective(objective.title).question
    return Say("objectives/noted", {"objective": objective, "question": question})


def _derived_notices(ctx: Context, objective: Objective, template: str) -> list[Notice]:
    """Tell child units' managers whose objectives derive from this one, and (for a retired
    objective) the owners of goals linked to it."""
    assert objective.id is not None
    notices: list[Notice] = []
    for child in objectives.children_of(
        session=ctx.session, team_id=ctx.actor.team_id, objective_id=objective.id
    ):
        child_unit = units.get_unit(
            session=ctx.session, team_id=ctx.actor.team_id, unit_id=child.unit_id
        )
        manager = _person(ctx, child_unit.manager_id if child_unit else None)
        if manager is not None and child.status != ObjectiveStatus.RETIRED:
            notices.append(
                Notice(
                    manager.user_id,
                    f"objectives/{template}_child",
                    {"objective": objective, "child": child, "unit": child_unit},
                )
            )
    if template == "retired":
        for goal in goals.goals_linked_to(
            session=ctx.session, team_id=ctx.actor.team_id, objective_id=objective.id
        ):
            owner = _person(ctx, goal.owner_id)
            if owner is not None and goal.status in goal_interview.ACTIVE:
                notices.append(
                    Notice(
                        owner.user_id,
                        "objectives/retired_goal",
                        {"objective": objective, "goal": goal},
                    )
                )
    return notices


def _person(ctx: Context, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    return people.get_person_by_id(
        session=ctx.session, team_id=ctx.actor.team_id, person_id=person_id
    )


def _edit(ctx: Context, verb: str, number: int, text: str) -> Outcome:
    mine = _mine(ctx)
    if not 1 <= number <= len(mine):
        return Next(S.REVIEW, say=[Say("objectives/bad_number", {"count": len(mine)})])
    objective = mine[number - 1]
    published = objective.status == ObjectiveStatus.PUBLISHED
    if verb == "edit" and (refused := _too_long(text)) is not None:
        return Next(S.REVIEW, say=[refused])
    if verb == "edit":
        title = " ".join(text.split())[:TITLE_LIMIT]
        if not title:
            return Next(S.REVIEW, say=[Say("objectives/edit_needs_text", {"number": number})])
        objectives.update_objective(
            session=ctx.session, objective=objective, now=ctx.now, title=title
        )
        notices = _derived_notices(ctx, objective, "edited") if published else []
        return Next(
            S.REVIEW,
            say=[Say("objectives/edited", {"objective": objective, "told": len(notices)})],
            notices=notices,
        )
    if verb == "remove" and published:  # published objectives are retired, never removed
        return Next(S.REVIEW, say=[Say("objectives/remove_published", {"number": number})])
    if verb == "retire" and not published:
        return Next(S.REVIEW, say=[Say("objectives/retire_draft", {"number": number})])
    if not published:
        objectives.delete_objective(session=ctx.session, objective=objective)
        return Next(S.REVIEW, say=[Say("objectives/removed", {"objective": objective})])
    objectives.update_objective(
        session=ctx.session, objective=objective, now=ctx.now, status=ObjectiveStatus.RETIRED
    )
    notices = _derived_notices(ctx, objective, "retired")
    return Next(
        S.REVIEW,
        say=[Say("objectives/retired", {"objective": objective, "told": len(notices)})],
        notices=notices,
    )


def _publish(ctx: Context) -> Outcome:
    unit = _unit(ctx)
    drafts = [o for o in _mine(ctx) if o.status == ObjectiveStatus.DRAFT]
    if not drafts:
        return spec.Finish(say=[Say("objectives/nothing_to_publish", {"unit": unit})])
    for objective in drafts:
        objectives.update_objective(
            session=ctx.session,
            objective=objective,
            now=ctx.now,
            status=ObjectiveStatus.PUBLISHED,
            published_at=ctx.now,
        )
    notices = _invitations(ctx, unit)
    return spec.Finish(
        say=[
            Say("objectives/published", {"unit": unit, "published": drafts, "told": len(notices)})
        ],
        notices=notices,
    )


def _invitations(ctx: Context, unit: Unit) -> list[Notice]:
    """One DM per person: child units' managers plan theirs, members set goals (a manager who is
    also a member gets both buttons in one message)."""
    assert unit.id is not None
    cycle = _cycle(ctx)
    team_id = ctx.actor.team_id
    plans: dict[int, Unit] = {
        child.manager_id: child
        for child in units.list_units(session=ctx.session, team_id=team_id)
        if child.parent_id == unit.id and child.manager_id is not None
    }
    members = {
        m.id: m
        for m in units.members_of(session=ctx.session, team_id=team_id, unit_id=unit.id)
        if m.id is not None and m.id != ctx.actor.person_id and not m.deleted
    }
    notices: list[Notice] = []
    for person_id in [*plans, *(m for m in members if m not in plans)]:
        person = members.get(person_id) or _person(ctx, person_id)
        if person is None or person.deleted:
            continue
        child = plans.get(person_id)
        choices = []
        planned = "" if cycle is None else f"/{cycle.id}"
        if child is not None:
            choices.append(Choice(Offer.PLAN_UNIT, f"{child.id}{planned}", primary=True))
        if person_id in members:
            choices.append(Choice(Offer.SET_GOALS, planned.lstrip("/"), primary=child is None))
        context = {"unit": unit, "cycle": cycle, "child": child, "member": person_id in members}
        notices.append(
            Notice(
                person.user_id,
                "objectives/invitation",
                context,
                tuple(choices),
                kind="invitation",
            )
        )
    return notices


def _review(ctx: Context, text: str) -> Outcome:
    word = text.lower().strip(" .!")
    if word == "publish":
        return _publish(ctx)
    if word == "add":
        return Next(S.COLLECT if _unit(ctx).parent_id is None else S.EXTRA)
    match = EDIT.match(text.strip())
    if match is None:
        first = word.split()[0] if word.split() else ""
        near = difflib.get_close_matches(first, REVIEW_WORDS, 1, 0.7)
        suggestion = near[0] if near else None
        return Next(S.REVIEW, say=[Say("objectives/bad_review_choice", {"suggestion": suggestion})])
    verb = {"delete": "remove"}.get(match.group(1).lower(), match.group(1).lower())
    return _edit(ctx, verb, int(match.group(2)), match.group(3))


TABLE: dict[StrEnum, Step] = {
    S.COLLECT: Step(ask_collect, _collect, to=(S.COLLECT, S.REVIEW)),
    S.CONTRIBUTE: Step(ask_contribute, _contribute, to=(S.CONTRIBUTE, S.EXTRA)),
    S.EXTRA: Step(ask_extra, _extra, to=(S.EXTRA, S.REVIEW)),
    S.REVIEW: Step(
        ask_review, _review, to=(S.REVIEW, S.COLLECT, S.EXTRA), finishes=True, redraw=True
    ),
}


@dataclass(frozen=True)
class Start:
    """Which unit plans (by default the one the person runs) and for which cycle (by default the
    current one)."""

    unit_id: int | None = None
    cycle_id: int | None = None
    carry_from: int | None = None  # a cycle that ended: its unfinished objectives come as drafts


def _plan(value: tuple[int, int | None]) -> Start:
    unit_id, cycle_id = value
    return Start(unit_id=unit_id, cycle_id=cycle_id)


def _plan_next(value: tuple[int, int | None]) -> Start:
    """From a retrospective: the cycle after the one that ended, carrying on what it left."""
    unit_id, ended = value
    return Start(unit_id=unit_id, carry_from=ended)


def restart(answers: dict[str, object]) -> Choice | None:
    unit_id, cycle_id = answers.get("unit_id"), answers.get("cycle_id")
    if not isinstance(unit_id, int):
        return None
    return Choice(
        Offer.PLAN_UNIT, f"{unit_id}/{cycle_id}" if isinstance(cycle_id, int) else str(unit_id)
    )


STARTING = spec.Starting(
    start,
    (S.COLLECT, S.CONTRIBUTE, S.REVIEW),
    Start,
    {Offer.PLAN_UNIT: _plan, Offer.PLAN_NEXT_CYCLE: _plan_next},
)
SPEC = spec.FlowSpec(
    FLOW, S, TABLE, STARTING, help_for, guard, position=("index",), restart=restart
)
