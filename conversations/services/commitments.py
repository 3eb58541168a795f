"""Commitments: the manager's side of the partnership. When agreeing a goal (or later) the
manager says how they will help, a line a promise, with a due date read from its words ("by Fri
5 Feb"); the owner is told. The manager's weekly check-in asks Done, Not yet or Drop; the owner's
asks whether the help came, and "not yet" past its due date is a barrier held by that manager.

A commitment's text is seen by the owner, the manager, and the managers above them: never in a
channel, and counted (kept / open) for leadership."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Session

from conversations.actor import Actor
from conversations.dates import parse_due
from conversations.errors import Refusal
from conversations.flows.spec import Notice
from conversations.offers import Choice, Offer
from conversations.services import agreement, barrier
from prompts import render_plain
from storage import commitments, goals, people, units
from storage.models import Commitment, CommitmentStatus, Goal, GoalStatus, Person

TEXT_LIMIT = 500
LINES_LIMIT = 10
KIND = "commitment"  # the outbox kind of what a commitment tells the other side
_DUE = re.compile(r"\b(?:by|before|until|on|no later than)\s+(?P<when>[^,;]+?)\s*[.!]?$", re.I)


@dataclass(frozen=True)
class Promise:
    """One line of "How will you help?", read."""

    text: str
    due: date | None


def read_help(text: str, today: date) -> list[Promise]:
    """Each non-empty line a promise, its due date read from its end ("by end of March");
    refused whole if a line is too long, there are too many, or a date has passed."""
    lines = [" ".join(line.strip(" \t-•*").split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise Refusal("empty_help", field="help")
    if len(lines) > LINES_LIMIT:
        raise Refusal("too_many_promises", field="help", limit=LINES_LIMIT, count=len(lines))
    promises = []
    for line in lines:
        if len(line) > TEXT_LIMIT:
            raise Refusal("promise_too_long", field="help", limit=TEXT_LIMIT, length=len(line))
        found = _DUE.search(line)
        due = parse_due(found.group("when"), today) if found else None
        if due is not None and due < today:
            raise Refusal("promise_in_past", field="help", due=due, today=today)
        promises.append(Promise(line, due))
    return promises


@dataclass
class Offered:
    goal: Goal
    owner: Person
    made: list[Commitment] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def helped_goal(*, session: Session, actor: Actor, goal_id: int) -> tuple[Goal, Person]:
    """An agreed goal this person may promise help on: they agreed it, or they would."""
    goal = goals.get_goal(session=session, team_id=actor.team_id, goal_id=goal_id)
    if goal is None or goal.status != GoalStatus.AGREED:
        raise Refusal("goal_not_agreed", status=goal.status if goal else "gone")
    owner = people.get_person_by_id(session=session, team_id=actor.team_id, person_id=goal.owner_id)
    unit = units.get_unit(session=session, team_id=actor.team_id, unit_id=goal.unit_id)
    assert owner is not None and unit is not None
    deciders = agreement.approvers(session=session, actor=actor, unit=unit, owner=owner)
    if goal.agreed_by_id != actor.person_id and actor.person not in deciders:
        raise Refusal(
            "not_your_report", owner=owner.name, deciders=[p.user_id for p in deciders][:5]
        )
    return goal, owner


def offer_help(
    *, session: Session, actor: Actor, goal_id: int, text: str, now: datetime, today: date
) -> Offered:
    """The manager's promises on an agreed goal; the owner hears them."""
    promises = read_help(text, today)
    goal, owner = helped_goal(session=session, actor=actor, goal_id=goal_id)
    offered = Offered(goal, owner)
    for promise in promises:
        offered.made.append(
            commitments.add_commitment(
                session=session,
                team_id=actor.team_id,
                goal_id=goal.id or 0,
                manager_id=actor.person_id,
                text=promise.text,
                due=promise.due,
                now=now,
            )
        )
    context = {"goal": goal, "manager": actor.person, "made": offered.made}
    offered.notices.append(Notice(owner.user_id, "commitment/made_owner", context, kind=KIND))
    return offered


class Event(StrEnum):
    DONE = "done"
    NOT_YET = "not_yet"
    DROP = "drop"


# Each event's button: Offer.COMMITMENT_DONE, COMMITMENT_NOT_YET, COMMITMENT_DROP.
OFFERS = {e: next(o for o in Offer if o.value == f"commitment_{e.value}") for e in Event}


def choices(commitment: Commitment) -> tuple[Choice, ...]:
    """The manager's buttons on an open commitment: Done, Not yet, Drop."""
    value = str(commitment.id)
    return tuple(Choice(OFFERS[e], value, primary=e == Event.DONE) for e in Event)


@dataclass(frozen=True)
class Marked:
    commitment: Commitment
    goal: Goal
    event: Event
    notices: list[Notice]


def mark(
    *, session: Session, actor: Actor, commitment_id: int, event: Event, now: datetime
) -> Marked:
    """The manager says how a promise stands: done (the owner hears), not yet, or dropped (the
    owner hears that too)."""
    found = commitments.get_commitment(
        session=session, team_id=actor.team_id, commitment_id=commitment_id, lock=True
    )
    if found is None or found.manager_id != actor.person_id:
        raise Refusal("commitment_gone")
    if found.status != CommitmentStatus.OPEN:
        raise Refusal("commitment_already", status=found.status)
    goal = goals.get_goal(session=session, team_id=actor.team_id, goal_id=found.goal_id)
    assert goal is not None
    if event == Event.NOT_YET:
        return Marked(found, goal, event, [])
    status = CommitmentStatus.DONE if event == Event.DONE else CommitmentStatus.DROPPED
    commitments.update_commitment(session=session, commitment=found, status=status, done_at=now)
    owner = people.get_person_by_id(session=session, team_id=actor.team_id, person_id=goal.owner_id)
    context = {"commitment": found, "goal": goal, "manager": actor.person}
    told = (
        [Notice(owner.user_id, f"commitment/{event.value}_owner", context, kind=KIND)]
        if owner
        else []
    )
    return Marked(found, goal, event, told)


CAME, NOT_YET = "came", "not_yet"


def owner_says(
    *,
    session: Session,
    actor: Actor,
    said: dict[int, str],
    now: datetime,
    today: date,
) -> list[Notice]:
    """The owner's check-in answer on each open promise ("came" or "not yet"): help that came
    is done, and its manager hears so; help not come past its due date is a barrier that
    manager holds (once per promise), escalating like any other."""
    found = {
        c.id: c
        for c in commitments.of_goals(
            session=session,
            team_id=actor.team_id,
            goal_ids=[
                g.id or 0
                for g in goals.list_goals(
                    session=session, team_id=actor.team_id, owner_id=actor.person_id
                )
            ],
            open_only=True,
        )
    }
    notices: list[Notice] = []
    for commitment_id, answer in said.items():
        commitment = found.get(commitment_id)
        if commitment is None:
            continue
        manager = people.get_person_by_id(
            session=session, team_id=actor.team_id, person_id=commitment.manager_id
        )
        if answer == CAME:
            commitments.update_commitment(
                session=session, commitment=commitment, status=CommitmentStatus.DONE, done_at=now
            )
            if manager is not None:
                context = {"commitment": commitment, "owner": actor.person}
                notices.append(
                    Notice(manager.user_id, "commitment/came_manager", context, kind=KIND)
                )
        elif _overdue(commitment, today) and manager is not None and not manager.deleted:
            text = render_plain(
                "commitment/overdue_barrier", commitment=commitment, manager=manager
            )
            reported = barrier.report(
                session=session,
                actor=actor,
                text=text,
                now=now,
                goal_id=commitment.goal_id,
                holder=manager,
            )
            commitments.update_commitment(
                session=session, commitment=commitment, barrier_id=reported.barrier.id
            )
            notices.extend(reported.notices)
    return notices


def _overdue(commitment: Commitment, today: date) -> bool:
    return commitment.due is not None and commitment.due < today and commitment.barrier_id is None
