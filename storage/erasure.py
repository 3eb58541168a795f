"""One person's data: found for an access request, erased for a data-protection request.

Erasing keeps other people's rows working: nothing is left pointing at the erased person's id
(PostgreSQL's foreign keys would refuse it anyway), and a message or an interview of someone
else that quotes them goes with them."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, col, select

from storage.models import (
    AgendaItem,
    Barrier,
    CheckIn,
    Commitment,
    Conversation,
    ConversationState,
    Goal,
    InboxMessage,
    Membership,
    OneOnOne,
    OutboxMessage,
    Person,
)

# A shorter text of theirs ("ok") is too common to tell their words from someone else's in a
# message; it still goes with its own row.
SHORTEST_TEXT = 8
SHORTEST_NAME = 3


def people_matching(*, session: Session, who: str) -> list[Person]:
    """Everyone, in any workspace, whose Slack user id is `who` or whose email is (any case)."""
    query = select(Person).where(
        or_(col(Person.user_id) == who, func.lower(col(Person.email)) == who.strip().lower())
    )
    return list(session.exec(query.order_by(col(Person.team_id))))


def goals_of(*, session: Session, person: Person) -> list[Goal]:
    return list(session.exec(select(Goal).where(Goal.owner_id == person.id).order_by(col(Goal.id))))


def conversations_of(*, session: Session, person: Person) -> list[Conversation]:
    query = select(Conversation).where(Conversation.person_id == person.id)
    return list(session.exec(query.order_by(col(Conversation.id))))


def one_on_ones_of(*, session: Session, person: Person) -> list[OneOnOne]:
    pair = or_(col(OneOnOne.manager_id) == person.id, col(OneOnOne.report_id) == person.id)
    return list(session.exec(select(OneOnOne).where(pair).order_by(col(OneOnOne.id))))


def _agenda_of(person_id: int, goal_ids: Collection[int]) -> Any:
    return or_(
        col(AgendaItem.manager_id) == person_id,
        col(AgendaItem.report_id) == person_id,
        col(AgendaItem.added_by_id) == person_id,
        col(AgendaItem.goal_id).in_(goal_ids),
    )


def agenda_items_of(*, session: Session, person: Person) -> list[AgendaItem]:
    goal_ids = [g.id for g in goals_of(session=session, person=person) if g.id is not None]
    query = select(AgendaItem).where(_agenda_of(person.id or 0, goal_ids))
    return list(session.exec(query.order_by(col(AgendaItem.id))))


def messages_to(*, session: Session, person: Person) -> list[OutboxMessage]:
    """What Cascade sent (or owes) them."""
    query = select(OutboxMessage).where(
        OutboxMessage.team_id == person.team_id, OutboxMessage.recipient == person.user_id
    )
    return list(session.exec(query.order_by(col(OutboxMessage.id))))


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (keys too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _shown(text: str) -> set[str]:
    """A text as stored and as a message shows it (mrkdwn-escaped)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {text, escaped}


def markers(*, session: Session, person: Person) -> set[str]:
    """What would identify them in a message or an interview: their ids, email, name, and every
    text only they wrote (goals, check-in notes, barriers, their interviews' answers)."""
    texts: list[str | None] = []
    for goal in goals_of(session=session, person=person):
        texts += [goal.statement, goal.measure, goal.anticipated_barriers, goal.learning]
    notes = select(CheckIn.note).where(CheckIn.person_id == person.id)
    texts += list(session.exec(notes))
    reported = select(Barrier.text).where(Barrier.reporter_id == person.id)
    texts += [text for text in session.exec(reported)]
    for talk in conversations_of(session=session, person=person):
        texts += list(_strings(talk.answers))
    found = {person.user_id, *([person.email] if person.email else [])}
    if len(person.name.strip()) >= SHORTEST_NAME:
        found |= _shown(person.name.strip())
    for text in texts:
        if text is not None and len(text.strip()) >= SHORTEST_TEXT:
            found |= _shown(text.strip())
    return found


def _quotes(value: Any, found: Collection[str]) -> bool:
    return any(marker in text for text in _strings(value) for marker in found)


def _erase_messages(session: Session, person: Person, subjects: set[str], found: set[str]) -> int:
    """Every outbox row to them, about their things, or quoting them."""
    rows = session.execute(
        select(
            col(OutboxMessage.id),
            col(OutboxMessage.recipient),
            col(OutboxMessage.subject),
            col(OutboxMessage.payload),
        )
        .where(OutboxMessage.team_id == person.team_id)
        .execution_options(yield_per=1000)  # a long outbox is read a thousand rows at a time
    )
    gone = [
        id_
        for id_, recipient, subject, payload in rows
        if recipient == person.user_id or subject in subjects or _quotes(payload, found)
    ]
    return _delete_ids(session, OutboxMessage, gone)


def _erase_conversations(
    session: Session, person: Person, goal_ids: set[int], found: set[str]
) -> int:
    """Theirs go; another person's interview about their goal, or quoting them, ends empty."""
    erased = _delete_where(session, Conversation, Conversation.person_id == person.id)
    for talk in session.exec(select(Conversation).where(Conversation.team_id == person.team_id)):
        if talk.answers.get("goal_id") in goal_ids or _quotes([talk.answers, talk.history], found):
            talk.answers, talk.history = {}, []
            talk.state = ConversationState.FINISHED
            session.add(talk)
            erased += 1
    session.flush()
    return erased


def _delete_ids(session: Session, model: Any, ids: Collection[int | None]) -> int:
    return _delete_where(session, model, col(model.id).in_([i for i in ids if i is not None]))


def _delete_where(session: Session, model: Any, condition: Any) -> int:
    return int(session.execute(delete(model).where(condition)).rowcount)  # type: ignore[attr-defined]


def _update_where(session: Session, model: Any, condition: Any, **values: Any) -> int:
    return int(
        session.execute(update(model).where(condition).values(**values)).rowcount  # type: ignore[attr-defined]
    )


def _move_barriers(
    session: Session, team_id: str, person_id: int, holders: Mapping[int, int | None]
) -> int:
    """Others' barriers: held by someone else now, and their chain without this person."""
    moved = 0
    query = select(Barrier).where(Barrier.team_id == team_id, Barrier.reporter_id != person_id)
    for barrier in session.exec(query):
        if barrier.holder_id != person_id and person_id not in barrier.chain:
            continue
        if barrier.holder_id == person_id:
            barrier.holder_id = holders.get(barrier.id or 0)
        barrier.chain = [i for i in barrier.chain if i != person_id]
        session.add(barrier)
        moved += 1
    session.flush()
    return moved


def erase_person(
    *, session: Session, person: Person, holders: Mapping[int, int | None]
) -> dict[str, int]:
    """Erase one person and everything theirs; `holders` says who holds each barrier of someone
    else they hold now. Returns, per kind, how many rows went (or, for others' rows, changed)."""
    pid = person.id or 0
    goal_ids = {g.id or 0 for g in goals_of(session=session, person=person)}
    barrier_ids = set(session.exec(select(Barrier.id).where(Barrier.reporter_id == pid)))
    talks = {c.id for c in conversations_of(session=session, person=person)}
    slots = {s.id for s in one_on_ones_of(session=session, person=person)}
    subjects = {f"goal:{i}" for i in goal_ids} | {f"barrier:{i}" for i in barrier_ids}
    subjects |= {f"conversation:{i}" for i in talks} | {f"one_on_one:{i}" for i in slots}
    subjects |= {f"person:{pid}", f"manager:{pid}", f"flow:{person.user_id}"}
    found = markers(session=session, person=person)
    counts = {
        "messages": _erase_messages(session, person, subjects, found),
        "conversations": _erase_conversations(session, person, goal_ids, found),
        "agenda_items": _delete_where(session, AgendaItem, _agenda_of(pid, goal_ids)),
        "one_on_ones": _delete_ids(session, OneOnOne, slots),
    }
    in_goals = col(Commitment.goal_id).in_(goal_ids)
    _update_where(session, Commitment, col(Commitment.barrier_id).in_(barrier_ids), barrier_id=None)
    counts["commitments"] = _delete_where(
        session, Commitment, or_(in_goals, col(Commitment.manager_id) == pid)
    )
    counts["checkins"] = _delete_where(
        session, CheckIn, or_(col(CheckIn.goal_id).in_(goal_ids), col(CheckIn.person_id) == pid)
    )
    _update_where(
        session,
        Barrier,
        col(Barrier.goal_id).in_(goal_ids) & (Barrier.reporter_id != pid),
        goal_id=None,
    )
    counts["barriers"] = _delete_ids(session, Barrier, barrier_ids)
    counts["barriers_moved"] = _move_barriers(session, person.team_id, pid, holders)
    # Goals they agreed as a manager stay agreed; who agreed, and what they said, go.
    counts["goals_agreed"] = _update_where(
        session, Goal, Goal.agreed_by_id == pid, agreed_by_id=None, manager_comment=None
    )
    counts["goals"] = _delete_ids(session, Goal, goal_ids)
    _delete_where(session, Membership, Membership.person_id == pid)
    counts["inbox"] = _delete_where(
        session,
        InboxMessage,
        (InboxMessage.team_id == person.team_id) & (InboxMessage.user_id == person.user_id),
    )
    counts["people"] = _delete_where(session, Person, col(Person.id) == pid)
    session.expunge_all()  # nothing stale of theirs stays in this session's memory
    return counts
