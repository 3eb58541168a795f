"""Agreement: a goal counts as agreed only when its owner and their manager have both agreed.

A goal's status moves only along `TRANSITIONS` (drawn in agreement.mmd, checked by a test).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from conversations.errors import Refusal
from conversations.flow import Choice, Notice, Offer
from conversations.organisation import Actor, managed_above
from storage import goals, people, units
from storage.models import Goal, GoalStatus, Person, Unit


class Event(StrEnum):
    """What happens to a goal, and who makes it happen."""

    SUBMIT = "submit"  # the owner agrees and sends it to their manager
    AGREE = "agree"  # the manager agrees too
    SUGGEST_CHANGES = "suggest_changes"  # the manager sends it back with a comment


TRANSITIONS: dict[tuple[GoalStatus, Event], GoalStatus] = {
    (GoalStatus.DRAFT, Event.SUBMIT): GoalStatus.PROPOSED,
    (GoalStatus.PROPOSED, Event.AGREE): GoalStatus.AGREED,
    (GoalStatus.PROPOSED, Event.SUGGEST_CHANGES): GoalStatus.DRAFT,
}


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
    return [
        p
        for p in people.list_people(session=session, team_id=actor.team_id)
        if (p.user_id in actor.admin_ids or p.is_slack_admin) and not p.deleted and not p.is_bot
    ]


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
    *, session: Session, actor: Actor, goal: Goal, unit: Unit, now: datetime
) -> list[Notice]:
    """The owner agrees their draft and proposes it: the notices to whoever agrees it."""
    status = next_status(goal, Event.SUBMIT)
    if status is None:
        raise Refusal("goal_not_draft", status=goal.status)
    goals.update_goal(session=session, goal=goal, now=now, status=status, owner_agreed_at=now)
    return proposal_notices(session=session, actor=actor, goal=goal, unit=unit)


def proposal_notices(*, session: Session, actor: Actor, goal: Goal, unit: Unit) -> list[Notice]:
    """The proposal, with Agree and Suggest changes, to whoever agrees it."""
    owner = actor.person
    assert goal.id is not None
    buttons = (
        Choice(Offer.AGREE_GOAL, str(goal.id), primary=True),
        Choice(Offer.SUGGEST_CHANGES, str(goal.id)),
    )
    return [
        Notice(
            p.user_id, "agreement/proposed", {"goal": goal, "owner": owner, "unit": unit}, buttons
        )
        for p in approvers(session=session, actor=actor, unit=unit, owner=owner)
    ]


@dataclass(frozen=True)
class Decision:
    goal: Goal
    owner: Person
    notices: list[Notice]


def _proposed_goal(session: Session, actor: Actor, goal_id: int) -> tuple[Goal, Person]:
    goal = goals.get_goal(session=session, team_id=actor.team_id, goal_id=goal_id)
    if goal is None:
        raise Refusal("goal_gone")
    owner = people.get_person_by_id(session=session, team_id=actor.team_id, person_id=goal.owner_id)
    assert owner is not None
    if not may_agree(session=session, actor=actor, goal=goal):
        raise Refusal("not_your_report", owner=owner.name)
    if next_status(goal, Event.AGREE) is None:
        raise Refusal("goal_not_proposed", status=goal.status, owner=owner.name)
    return goal, owner


def agree(*, session: Session, actor: Actor, goal_id: int, now: datetime) -> Decision:
    """The manager agrees: the goal is agreed (the owner agreed when they submitted it)."""
    goal, owner = _proposed_goal(session, actor, goal_id)
    if goal.owner_agreed_at is None:  # both sides' agreement, or it is not agreed
        raise Refusal("goal_not_proposed", status=goal.status, owner=owner.name)
    goals.update_goal(
        session=session,
        goal=goal,
        now=now,
        status=next_status(goal, Event.AGREE),
        manager_agreed_at=now,
        agreed_by_id=actor.person_id,
        agreed_at=now,
    )
    notice = Notice(
        owner.user_id, "agreement/agreed_owner", {"goal": goal, "manager": actor.person}
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
    goals.update_goal(
        session=session,
        goal=goal,
        now=now,
        status=next_status(goal, Event.SUGGEST_CHANGES),
        manager_comment=comment,
        owner_agreed_at=None,
    )
    assert goal.id is not None
    revise = Choice(Offer.REVISE_GOAL, str(goal.id), primary=True)
    notice = Notice(
        owner.user_id,
        "agreement/changes_suggested",
        {"goal": goal, "manager": actor.person, "comment": comment},
        (revise,),
    )
    return Decision(goal=goal, owner=owner, notices=[notice])
