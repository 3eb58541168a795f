"""Barriers: what gets in the way, reported at any time, held by the reporter's manager, and
escalated up the same tree the goals came down. See barrier.mmd (checked against TRANSITIONS).

Its text is seen only by the reporter and by the managers it has passed through (`chain`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache

from sqlmodel import Session

from conversations.actor import Actor
from conversations.errors import Refusal
from conversations.flows.spec import RETIRE, Notice
from conversations.offers import Choice, Offer
from conversations.services import agreement
from storage import barriers, goals, people, units
from storage.models import Barrier, BarrierStatus, Person
from storage.people import PersonLike

TEXT_LIMIT = 3000
ESCALATION = "barrier_escalation"  # the outbox kind of a barrier moving up on its own


class Event(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    ESCALATE = "escalate"


Transition = tuple[BarrierStatus, Event]
TRANSITIONS: dict[Transition, BarrierStatus] = {
    (BarrierStatus.OPEN, Event.ACKNOWLEDGE): BarrierStatus.ACKNOWLEDGED,
    (BarrierStatus.OPEN, Event.RESOLVE): BarrierStatus.RESOLVED,
    (BarrierStatus.ACKNOWLEDGED, Event.RESOLVE): BarrierStatus.RESOLVED,
    (BarrierStatus.OPEN, Event.ESCALATE): BarrierStatus.OPEN,
    (BarrierStatus.ACKNOWLEDGED, Event.ESCALATE): BarrierStatus.OPEN,
}


OFFERS = {
    Event.ACKNOWLEDGE: Offer.ACKNOWLEDGE_BARRIER,
    Event.RESOLVE: Offer.RESOLVE_BARRIER,
    Event.ESCALATE: Offer.ESCALATE_BARRIER,
}


def about(barrier: Barrier) -> str:
    """What messages with a barrier's buttons are about (spec.Notice.about)."""
    return f"barrier:{barrier.id}"


def holder_choices(barrier: Barrier) -> tuple[Choice, ...]:
    """The buttons its holder has, for what can still happen to it."""
    possible = _possible(BarrierStatus(barrier.status))
    return tuple(Choice(OFFERS[e], str(barrier.id), primary=i == 0) for i, e in enumerate(possible))


@cache
def _possible(status: BarrierStatus) -> tuple[Event, ...]:
    """What can happen to a barrier in this status (the table's rows for it, in order)."""
    return tuple(e for e in Event if (status, e) in TRANSITIONS)


def _person(session: Session, team_id: str, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    return people.get_person_by_id(session=session, team_id=team_id, person_id=person_id)


def manager_of(session: Session, team_id: str, person: Person) -> Person | None:
    """The manager of the unit this person belongs to (none for the head of the organisation)."""
    assert person.id is not None
    unit = units.unit_of(session=session, team_id=team_id, person_id=person.id)
    manager = _person(session, team_id, unit.manager_id if unit else None)
    if manager is None or manager.deleted or manager.id == person.id:
        return None
    return manager


def clean_text(text: str) -> tuple[str, bool]:
    """The barrier as reported: not empty, at most TEXT_LIMIT characters; and whether it was cut."""
    cleaned = text.strip()
    if not cleaned:
        raise Refusal("empty_barrier", field="barrier")
    return cleaned[:TEXT_LIMIT], len(cleaned) > TEXT_LIMIT


@dataclass(frozen=True)
class Reported:
    barrier: Barrier
    holder: Person | None
    trimmed: bool
    notices: list[Notice]


def report(
    *,
    session: Session,
    actor: Actor,
    text: str,
    now: datetime,
    goal_id: int | None = None,
    holder: Person | None = None,
) -> Reported:
    """Report a barrier: its holder (the reporter's manager, unless the barrier is someone
    else's to hold) hears at once, with the buttons."""
    cleaned, trimmed = clean_text(text)
    reporter = actor.person
    holder = holder or manager_of(session, actor.team_id, reporter)
    if holder is None:  # the head of the organisation: the admins hold it
        unit = agreement.goal_unit(session=session, team_id=actor.team_id, person=reporter)
        found = (
            agreement.approvers(session=session, actor=actor, unit=unit, owner=reporter)
            if unit is not None
            else []
        )
        holder = next((p for p in found if p.id != reporter.id), None)
    if goal_id is not None:
        goal = goals.get_goal(session=session, team_id=actor.team_id, goal_id=goal_id)
        if goal is None or goal.owner_id != actor.person_id:
            goal_id = None
    barrier = barriers.report_barrier(
        session=session,
        team_id=actor.team_id,
        reporter_id=actor.person_id,
        text=cleaned,
        holder_id=holder.id if holder else None,
        goal_id=goal_id,
        now=now,
    )
    notices = []
    if holder is not None:
        notices.append(
            Notice(
                holder.user_id,
                "barrier/to_holder",
                {"barrier": barrier, "reporter": reporter, "escalated_from": None},
                holder_choices(barrier),
                kind="barrier",
                about=about(barrier),
            )
        )
    return Reported(barrier=barrier, holder=holder, trimmed=trimmed, notices=notices)


def report_anticipated(*, session: Session, actor: Actor, goal_id: int, now: datetime) -> Reported:
    """The barrier the owner anticipated when they set the goal is in the way now."""
    goal = goals.get_goal(session=session, team_id=actor.team_id, goal_id=goal_id)
    if goal is None or goal.owner_id != actor.person_id or not goal.anticipated_barriers:
        raise Refusal("goal_gone")
    return report(
        session=session, actor=actor, text=goal.anticipated_barriers, now=now, goal_id=goal.id
    )


@dataclass(frozen=True)
class Decision:
    barrier: Barrier
    event: Event
    holder: Person | None  # who holds it now
    reporter: Person
    notices: list[Notice]


def act(
    *, session: Session, actor: Actor, barrier_id: int, event: Event, now: datetime
) -> Decision:
    """The holder acknowledges, resolves or escalates; the reporter may resolve their own."""
    barrier = barriers.get_barrier(
        session=session, team_id=actor.team_id, barrier_id=barrier_id, lock=True
    )
    if barrier is None:
        raise Refusal("barrier_gone")
    holder = _person(session, actor.team_id, barrier.holder_id)
    reporter = _person(session, actor.team_id, barrier.reporter_id)
    assert reporter is not None
    is_holder = barrier.holder_id == actor.person_id
    if not (is_holder or (event == Event.RESOLVE and barrier.reporter_id == actor.person_id)):
        raise Refusal("not_your_barrier", holder=holder.name if holder else None)
    status = TRANSITIONS.get((BarrierStatus(barrier.status), event))
    if status is None:
        raise Refusal("barrier_already", status=barrier.status)
    if event == Event.ESCALATE:
        assert holder is not None
        above = manager_of(session, barrier.team_id, holder)
        if above is None:
            raise Refusal("barrier_at_top", holder=holder.name)
        return _move_up(session, Escalation(barrier, holder, above, reporter), now, by_hand=True)
    fields: dict[str, object] = {"status": status}
    if event == Event.ACKNOWLEDGE:
        fields["acknowledged_at"] = now
    else:
        fields["resolved_at"] = now
    barriers.update_barrier(session=session, barrier=barrier, **fields)
    notices = []
    if actor.person_id != reporter.id:
        notices.append(
            Notice(
                reporter.user_id,
                f"barrier/{event.value}d_reporter",
                {"barrier": barrier, "by": actor.person},
                kind="barrier",
            )
        )
    if event == Event.RESOLVE:  # no one's buttons apply any more
        notices.append(
            Notice("", "barrier/moved_on", {"by": actor.person}, kind=RETIRE, about=about(barrier))
        )
    if event == Event.RESOLVE and holder is not None and actor.person_id != holder.id:
        notices.append(
            Notice(
                holder.user_id,
                "barrier/resolved_holder",
                {"barrier": barrier, "by": actor.person},
                kind="barrier",
            )
        )
    return Decision(barrier, event, holder, reporter, notices)


@dataclass(frozen=True)
class Escalation:
    """A barrier moving up: from its holder to the manager above them."""

    barrier: Barrier
    holder: PersonLike  # who holds it now (and, on its own, let it sit)
    above: PersonLike  # whom it moves to
    reporter: PersonLike


def _move_up(session: Session, e: Escalation, now: datetime, *, by_hand: bool) -> Decision:
    barrier, above, reporter = e.barrier, e.above, e.reporter
    assert isinstance(above, Person) and isinstance(reporter, Person)  # by hand: read as rows
    barriers.update_barrier(
        session=session,
        barrier=barrier,
        holder_id=above.id,
        status=BarrierStatus.OPEN,
        acknowledged_at=None,
        escalated_at=now,
        chain=[*barrier.chain, above.id],
    )
    return Decision(barrier, Event.ESCALATE, above, reporter, _move_up_notices(e, by_hand=by_hand))


def _move_up_notices(e: Escalation, *, by_hand: bool) -> list[Notice]:
    """Who hears of a barrier that moved up (`e.barrier` as it is now, with its new holder)."""
    barrier, holder, above, reporter = e.barrier, e.holder, e.above, e.reporter
    context = {"barrier": barrier, "reporter": reporter, "escalated_from": holder}
    kind = "barrier" if by_hand else ESCALATION
    notices = [
        Notice(
            above.user_id,
            "barrier/to_holder",
            context,
            holder_choices(barrier),
            kind=kind,
            about=about(barrier),
        ),
        Notice(above.user_id, "barrier/moved_on", {"to": above}, kind=RETIRE, about=about(barrier)),
        Notice(
            reporter.user_id,
            "barrier/escalated_reporter",
            {"barrier": barrier, "to": above, "by_hand": by_hand},
            kind="barrier",
        ),
    ]
    if not by_hand:  # the holder who let it sit hears where it went
        notices.append(
            Notice(
                holder.user_id,
                "barrier/escalated_holder",
                {"barrier": barrier, "to": above},
                kind="barrier",
            )
        )
    return notices


def escalate(*, session: Session, escalations: list[Escalation], now: datetime) -> list[Notice]:
    """Move up every barrier the tick found due (conversations/schedule/), in two statements
    whatever their number: lock them all, write them all. One that another tick (or its holder)
    moved meanwhile is left alone, and no one hears of it."""
    if not escalations:
        return []
    locked = barriers.lock_barriers(
        session=session,
        team_id=escalations[0].barrier.team_id,
        barrier_ids=[e.barrier.id or 0 for e in escalations],
    )
    moving = [
        Escalation(b, e.holder, e.above, e.reporter)
        for e in escalations
        if (b := locked.get(e.barrier.id or 0)) is not None
        and b.holder_id == e.holder.id
        and b.status == BarrierStatus.OPEN
    ]
    barriers.move_up(session=session, moves=[(e.barrier, e.above.id or 0) for e in moving], now=now)
    return [n for e in moving for n in _move_up_notices(e, by_hand=False)]


def visible_to(barrier: Barrier, person_id: int) -> bool:
    """Whether this person may read the barrier's text: its reporter, or a manager it passed."""
    return person_id == barrier.reporter_id or person_id in barrier.chain
