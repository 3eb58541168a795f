"""Conversations: the durable state of guided interviews, one row per (person, flow)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.models import Conversation


def get_conversation(
    *, session: Session, team_id: str, person_id: int, flow: str, lock: bool = False
) -> Conversation | None:
    """One flow's conversation; `lock` holds it until the transaction ends (one turn at a time)."""
    query = select(Conversation).where(
        Conversation.team_id == team_id,
        Conversation.person_id == person_id,
        Conversation.flow == flow,
    )
    return session.exec(query.with_for_update() if lock else query).first()


def latest_conversation(
    *, session: Session, team_id: str, person_id: int, lock: bool = False
) -> Conversation | None:
    """The conversation this person touched last: their DM text goes to it."""
    query = (
        select(Conversation)
        .where(Conversation.team_id == team_id, Conversation.person_id == person_id)
        .order_by(col(Conversation.last_activity).desc(), col(Conversation.id).desc())
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
    """Begin a flow (replacing an unfinished one of the same flow)."""
    existing = get_conversation(session=session, team_id=team_id, person_id=person_id, flow=flow)
    if existing is not None:
        session.delete(existing)
        session.flush()
    conversation = Conversation(
        team_id=team_id,
        person_id=person_id,
        flow=flow,
        step=step,
        answers=answers,
        last_activity=now,
        created_at=now,
    )
    session.add(conversation)
    session.flush()
    return conversation


def save_turn(
    *,
    session: Session,
    conversation: Conversation,
    step: str,
    answers: dict[str, Any],
    now: datetime,
) -> None:
    """Record one step taken: the version goes up, so buttons from before it are stale."""
    conversation.step = step
    conversation.answers = dict(answers)  # a new object, so the JSON column is written
    conversation.version += 1
    conversation.last_activity = now
    session.add(conversation)
    session.flush()


def end_conversation(*, session: Session, conversation: Conversation) -> None:
    session.delete(conversation)
    session.flush()


def list_conversations(*, session: Session, team_id: str) -> list[Conversation]:
    return list(
        session.exec(
            select(Conversation)
            .where(Conversation.team_id == team_id)
            .order_by(col(Conversation.id))
        )
    )
