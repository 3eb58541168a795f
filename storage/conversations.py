"""Conversations: the durable state of guided interviews, one row per (person, flow).

A row outlives its flow (state `finished`), so its version only ever goes up and a button from an
earlier run can never answer a later one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from storage.memo import recall
from storage.models import Conversation, ConversationState
from storage.people import NOT_TALKING


def get_conversation(
    *, session: Session, team_id: str, person_id: int, flow: str, lock: bool = False
) -> Conversation | None:
    """One flow's conversation, finished or not; `lock` holds it until the transaction ends."""
    query = select(Conversation).where(
        Conversation.team_id == team_id,
        Conversation.person_id == person_id,
        Conversation.flow == flow,
    )
    return session.exec(query.with_for_update() if lock else query).first()


def latest_conversation(
    *, session: Session, team_id: str, person_id: int, lock: bool = False
) -> Conversation | None:
    """The open conversation that asked this person a question last: their DM text goes to it.
    None without a query when reading who they are found none open (`people.get_person_placed`)."""
    if recall(session, (NOT_TALKING, team_id, person_id)):
        return None
    query = (
        select(Conversation)
        .where(
            Conversation.team_id == team_id,
            Conversation.person_id == person_id,
            Conversation.state == ConversationState.ACTIVE,
        )
        .order_by(col(Conversation.asked_seq).desc(), col(Conversation.id).desc())
    )
    return session.exec(query.with_for_update() if lock else query).first()


def start_conversation(
    *,
    session: Session,
    team_id: str,
    person_id: int,
    flow: str,
    step: str,
    answers: dict[str, Any],
    now: datetime,
) -> Conversation:
    """Begin a flow afresh (replacing an earlier run of the same flow, whose version goes on)."""
    conversation = get_conversation(
        session=session, team_id=team_id, person_id=person_id, flow=flow
    )
    if conversation is None:
        conversation = Conversation(team_id=team_id, person_id=person_id, flow=flow, step=step)
    else:
        conversation.version += 1
    conversation.step = step
    conversation.state = ConversationState.ACTIVE
    conversation.answers = dict(answers)
    conversation.history = []
    conversation.last_activity = conversation.created_at = now
    conversation.asked_seq = _next_ask(session, team_id, person_id)
    session.add(conversation)
    session.flush()
    return conversation


def save_turn(
    *,
    session: Session,
    conversation: Conversation,
    step: str,
    answers: dict[str, Any],
    history: list[Any],
    now: datetime,
    asked: bool = True,
) -> None:
    """Record one step taken: the version goes up, so buttons from before it are stale."""
    conversation.step = step
    conversation.answers = dict(answers)  # new objects, so the JSON columns are written
    conversation.history = list(history)
    conversation.version += 1
    conversation.last_activity = now
    if asked:
        conversation.asked_seq = _next_ask(session, conversation.team_id, conversation.person_id)
    session.add(conversation)
    session.flush()


def _next_ask(session: Session, team_id: str, person_id: int) -> int:
    latest = session.exec(
        select(func.max(Conversation.asked_seq)).where(
            Conversation.team_id == team_id, Conversation.person_id == person_id
        )
    ).one()
    return int(latest or 0) + 1


def end_conversation(*, session: Session, conversation: Conversation, now: datetime) -> None:
    """The flow is over (done, cancelled, refused or expired): it takes no more answers."""
    conversation.state = ConversationState.FINISHED
    conversation.version += 1
    conversation.last_activity = now
    session.add(conversation)
    session.flush()


def list_conversations(
    *, session: Session, team_id: str, active_only: bool = True
) -> list[Conversation]:
    query = select(Conversation).where(Conversation.team_id == team_id)
    if active_only:
        query = query.where(Conversation.state == ConversationState.ACTIVE)
    return list(session.exec(query.order_by(col(Conversation.id))))


def active_of_flow(*, session: Session, team_id: str, flow: str) -> list[Conversation]:
    """Every open conversation of one flow in a workspace, in one query."""
    return list(
        session.exec(
            select(Conversation)
            .where(
                Conversation.team_id == team_id,
                Conversation.flow == flow,
                Conversation.state == ConversationState.ACTIVE,
            )
            .order_by(col(Conversation.id))
        )
    )
