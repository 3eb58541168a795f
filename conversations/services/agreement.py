"""Agreement: a goal counts as agreed only when its owner and their manager have both agreed.

A goal's status moves only along `TRANSITIONS` (drawn in agreement.mmd, checked by a test).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from conversations.actor import Actor, admins
from conversations.coach import review as coach
from conversations.errors import Refusal
from conversations.flows.spec import Notice
from conversations.offers import Choice, Offer
from conversations.services.organisation import managed_above
from storage import goals, objectives, people, units
from storage.models import Goal, GoalStatus, Objective, Person, Unit


class Event(StrEnum):
    """What happens to a goal, and who makes it happen."""

    SUBMIT = "submit"  # the owner agrees and sends it to their manager
    AGREE = "agree"  # the manager agrees too
    SUGGEST_CHANGES = "suggest_changes"  # the manager sends it back with a comment
    ACHIEVE = "achieve"  # the owner closes it, with a line on what was learned
    MISS = "miss"
    DROP = "drop"
    REOPEN = "reopen"  # the owner changes an agreed goal: submitting it asks the manager again
    AGREE_DROP = "agree_drop"  # the manager agrees to the owner's request to drop it


TRANSITIONS: dict[tuple[GoalStatus, Event], GoalStatus] = {
    (GoalStatus.DRAFT, Event.SUBMIT): GoalStatus.PROPOSED,
    (GoalStatus.PROPOSED, Event.AGREE): GoalStatus.AGREED,
    (GoalStatus.PROPOSED, Event.SUGGEST_CHANGES): GoalStatus.DRAFT,
    (GoalStatus.AGREED, Event.ACHIEVE): GoalStatus.ACHIEVED,
    (GoalStatus.AGREED, Event.MISS): GoalStatus.MISSED,
    (GoalStatus.AGREED, Event.DROP): GoalStatus.DROPPED,
    (GoalStatus.AGREED, Event.REOPEN): GoalStatus.DRAFT,
    (GoalStatus.AGREED, Event.AGREE_DROP): GoalStatus.DROPPED,
}
CLOSED = (GoalStatus.ACHIEVED, GoalStatus.MISSED, GoalStatus.DROPPED)


def next_status(goal: Goal, event: Event) -> GoalStatus | None:
    """Where `event` takes this goal, or None when it cannot happen to a goal in its status."""
    return TRANSITIONS.get((GoalStatus(goal.status), event))


def goal_unit(*, session: Session, team_id: str, person: Person) -> Unit | None:
    """The unit whose objectives a person's goals link to: the one they belong to, or, for the
    head of the organisation (who belongs to none), the top unit they manage."""
    assert person.id is not None
    unit = units.unit_of(session=session, team_id=team_id, person_id=person.id)
    if unit is not None:
        return unit
    managed = units.units_managed_by(session=session, team_id=team_id, person_id=person.id)
    return next((u for u in managed if u.parent_id is None), None)


def approvers(*, session: Session, actor: Actor, unit: Unit, owner: Person) -> list[Person]:
    """Who agrees this owner's goals: their unit's manager; for the head of the organisation (and
    anyone whose unit's manager reports to them), the admins."""
    assert owner.id is not None
    if (
        unit.manager_id is not None
        and unit.manager_id != owner.id
        and managed_above(session=session, team_id=actor.team_id, person_id=owner.id, unit=unit)
        is None
    ):
        manager = people.get_person_by_id(
            session=session, team_id=actor.team_id, person_id=unit.manager_id
        )
        if manager is not None and not manager.deleted:
            return [manager]
    return admins(session=session, actor=actor)


def may_agree(*, session: Session, actor: Actor, goal: Goal) -> bool:
    owner = people.get_person_by_id(session=session, team_id=actor.team_id, person_id=goal.owner_id)
    unit = units.get_unit(session=session, team_id=actor.team_id, unit_id=goal.unit_id)
    if owner is None or unit is None:
        return False
    if actor.person_id == owner.id:
        return False  # the owner's own agreement is their submission
    return actor.is_admin or any(
        p.id == actor.person_id
        for p in approvers(session=session, actor=actor, unit=unit, owner=owner)
    )


def submit(
    *,
    session: Session,
    actor: Actor,
    goal: Goal,
    unit: Unit,
    now: datetime,
    changed: bool = False,
) -> list[Notice]:
    """The owner agrees their draft and proposes it: the notices to whoever agrees it
    (`changed`: a change to a goal they had agreed before)."""
    status = next_status(goal, Event.SUBMIT)
    if status is None:
        raise Refusal("goal_not_draft", status=goal.status)
    goals.update_goal(session=session, goal=goal, now=now, status=status, owner_agreed_at=now)
    return proposal_notices(session=session, actor=actor, goal=goal, unit=unit, changed=changed)


def reopen(*, session: Session, actor: Actor, goal: Goal, now: datetime) -> None:
    """The owner changes their agreed goal: it is a draft again, agreed by nobody, until they
    submit the change and the manager agrees again."""
    status = next_status(goal, Event.REOPEN)
    if status is None or goal.owner_id != actor.person_id:
        raise Refusal("goal_not_agreed", status=goal.status)
    goals.update_goal(
        session=session,
        goal=goal,
        now=now,
        status=status,
        owner_agreed_at=None,
        manager_agreed_at=None,
        agreed_by_id=None,
        agreed_at=None,
        manager_comment=None,
    )


def _owned_agreed_goal(session: Session, actor: Actor, goal_id: int) -> tuple[Goal, Unit]:
    goal = goals.get_goal(session=session, team_id=actor.team_id, goal_id=goal_id)
    if goal is None or goal.owner_id != actor.person_id:
        raise Refusal("goal_gone")
    unit = units.get_unit(session=session, team_id=actor.team_id, unit_id=goal.unit_id)
    if goal.status != GoalStatus.AGREED or unit is None:
        raise Refusal("goal_not_agreed", status=goal.status)
    return goal, unit


def request_drop(*, session: Session, actor: Actor, goal_id: int) -> tuple[Goal, list[Notice]]:
    """The owner asks to drop an agreed goal: it stays agreed until the manager agrees."""
    goal, unit = _owned_agreed_goal(session, actor, goal_id)
    assert goal.id is not None
    buttons = (
        Choice(Offer.AGREE_DROP, str(goal.id), primary=True),
        Choice(Offer.KEEP_GOAL, str(goal.id)),
    )
    notices = [
        Notice(
            p.user_id, "agreement/drop_requested", {"goal": goal, "owner": actor.person}, buttons
        )
        for p in approvers(session=session, actor=actor, unit=unit, owner=actor.person)
    ]
    if not notices:
        raise Refusal("nobody_to_agree", unit=unit.name)
    return goal, notices


def agree_drop(*, session: Session, actor: Actor, goal_id: int, now: datetime) -> Decision:
    """The manager agrees: the goal is dropped."""
    goal, owner = _decided_goal(session, actor, goal_id, Event.AGREE_DROP)
    goals.update_goal(
        session=session, goal=goal, now=now, status=next_status(goal, Event.AGREE_DROP)
    )
    notice = Notice(
        owner.user_id, "agreement/dropped_owner", {"goal": goal, "manager": actor.person}
    )
    return Decision(goal=goal, owner=owner, notices=[notice])


def keep_goal(*, session: Session, actor: Actor, goal_id: int) -> Decision:
    """The manager would rather keep it: nothing changes; the owner hears so."""
    goal, owner = _decided_goal(session, actor, goal_id, Event.AGREE_DROP)
    notice = Notice(owner.user_id, "agreement/kept_owner", {"goal": goal, "manager": actor.person})
    return Decision(goal=goal, owner=owner, notices=[notice])


@dataclass(frozen=True)
class Reading:
    """The coach's reading of a proposed goal, for the manager: its statement with its measure
    and due date, and the one question worth asking about it (prompts/agreement/ask/<code>)."""

    specific: bool
    measurable: bool
    time_bound: bool
    outcome: bool

    @property
    def ask(self) -> str:
        """The first gap the conversation should close; else, how the manager can help."""
        for code, ok in (
            ("outcome", self.outcome),
            ("specific", self.specific),
            ("measurable", self.measurable),
            ("time_bound", self.time_bound),
        ):
            if not ok:
                return code
        return "help"


def reading(goal: Goal) -> Reading:
    """The coach's reading of the goal as proposed: the statement, with its measure and date."""
    review = coach.review(goal.statement)
    return Reading(
        specific=review.specific,
        measurable=review.measurable or bool(goal.measure),
        time_bound=review.time_bound or goal.due is not None,
        outcome=review.outcome,
    )


def proposal_notices(
    *, session: Session, actor: Actor, goal: Goal, unit: Unit, changed: bool = False
) -> list[Notice]:
    """The proposal to whoever agrees it: the chain it serves, the coach's reading, the owner's
    anticipated barriers and one question for the conversation; Agree and Suggest changes."""
    owner = actor.person
    assert goal.id is not None
    buttons = (
        Choice(Offer.AGREE_GOAL, str(goal.id), primary=True),
        Choice(Offer.SUGGEST_CHANGES, str(goal.id)),
    )
    above = objectives.with_ancestors(
        session=session, team_id=actor.team_id, objective_ids=[goal.objective_id]
    )
    chain = _chain(above, goal.objective_id)
    context = {
        "goal": goal,
        "owner": owner,
        "unit": unit,
        "changed": changed,
        "chain": chain,
        "reading": reading(goal),
    }
    return [
        Notice(p.user_id, "agreement/proposed", context, buttons)
        for p in approvers(session=session, actor=actor, unit=unit, owner=owner)
    ]


def _chain(found: dict[int, Objective], objective_id: int | None) -> list[Objective]:
    """The objective and those above it, the organisation's first."""
    chain: list[Objective] = []
    while objective_id is not None and objective_id in found and len(chain) < len(found):
        chain.append(found[objective_id])
        objective_id = found[objective_id].parent_id
    return list(reversed(chain))


@dataclass(frozen=True)
class Decision:
    goal: Goal
    owner: Person
    notices: list[Notice]


def _decided_goal(
    session: Session, actor: Actor, goal_id: int, event: Event
) -> tuple[Goal, Person]:
    """The goal a manager decides on, if they may and `event` can still happen to it."""
    goal = goals.get_goal(session=session, team_id=actor.team_id, goal_id=goal_id)
    if goal is None:
        raise Refusal("goal_gone")
    owner = people.get_person_by_id(session=session, team_id=actor.team_id, person_id=goal.owner_id)
    assert owner is not None
    if not may_agree(session=session, actor=actor, goal=goal):
        unit = units.get_unit(session=session, team_id=actor.team_id, unit_id=goal.unit_id)
        deciders = (
            [p.user_id for p in approvers(session=session, actor=actor, unit=unit, owner=owner)]
            if unit is not None
            else []
        )
        raise Refusal("not_your_report", owner=owner.name, deciders=deciders[:5])
    if next_status(goal, event) is None:
        code = "goal_not_proposed" if event == Event.AGREE else "goal_not_agreed"
        raise Refusal(code, status=goal.status, owner=owner.name)
    return goal, owner


def _move(session: Session, goal: Goal, event: Event, now: datetime, **fields: Any) -> None:
    """The goal moves on by `event` (TRANSITIONS), with these fields changed too."""
    status = next_status(goal, event)
    goals.update_goal(session=session, goal=goal, now=now, status=status, **fields)


def _proposed_goal(session: Session, actor: Actor, goal_id: int) -> tuple[Goal, Person]:
    return _decided_goal(session, actor, goal_id, Event.AGREE)


def agree(*, session: Session, actor: Actor, goal_id: int, now: datetime) -> Decision:
    """The manager agrees: the goal is agreed (the owner agreed when they submitted it)."""
    goal, owner = _proposed_goal(session, actor, goal_id)
    if goal.owner_agreed_at is None:  # both sides' agreement, or it is not agreed
        raise Refusal("goal_not_proposed", status=goal.status, owner=owner.name)
    agreed = {"manager_agreed_at": now, "agreed_by_id": actor.person_id, "agreed_at": now}
    _move(session, goal, Event.AGREE, now, **agreed)
    anticipated = (
        (Choice(Offer.REPORT_ANTICIPATED, str(goal.id)),) if goal.anticipated_barriers else ()
    )
    notice = Notice(
        owner.user_id,
        "agreement/agreed_owner",
        {"goal": goal, "manager": actor.person},
        anticipated,
    )
    return Decision(goal=goal, owner=owner, notices=[notice])


def check_may_decide(*, session: Session, actor: Actor, goal_id: int) -> tuple[Goal, Person]:
    """Before the Suggest changes form opens: may this person decide on this goal now?"""
    return _proposed_goal(session, actor, goal_id)


def suggest_changes(
    *, session: Session, actor: Actor, goal_id: int, comment: str, now: datetime
) -> Decision:
    """The manager asks for changes: the goal returns to the owner's draft, with the comment."""
    comment = " ".join(comment.split())[:3000]
    if not comment:
        raise Refusal("empty_comment")
    goal, owner = _proposed_goal(session, actor, goal_id)
    _move(session, goal, Event.SUGGEST_CHANGES, now, manager_comment=comment, owner_agreed_at=None)
    assert goal.id is not None
    revise = Choice(Offer.REVISE_GOAL, str(goal.id), primary=True)
    notice = Notice(
        owner.user_id,
        "agreement/changes_suggested",
        {"goal": goal, "manager": actor.person, "comment": comment},
        (revise,),
    )
    return Decision(goal=goal, owner=owner, notices=[notice])
