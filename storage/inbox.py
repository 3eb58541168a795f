"""The inbox: each DM and click recorded before Slack is told it succeeded (bot/inbox.py says
how they are done, in order, once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from storage.db import insert_or, table_of
from storage.models import Conversation, InboxMessage, InboxStatus, Person, Workspace
from storage.people import DirectoryState


def record(*, session: Session, message: InboxMessage) -> None:
    """One INSERT; a delivery already recorded (Slack's retry of it) is counted, and left as it is
    unless its work failed or was refused (answered): then it waits to be done again. (A retry
    that comes while it is being done is seen by `settle`.)"""
    row = {
        "team_id": message.team_id,
        "user_id": message.user_id,
        "kind": message.kind,
        "delivery": message.delivery[:100],
        "payload": message.payload,
        "received_at": message.received_at,
        "status": InboxStatus.PENDING,
        "deliveries": 1,
    }
    table = table_of(InboxMessage)
    statement = insert_or(session, table).values(**row)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["team_id", "delivery"],
            set_={
                "deliveries": table.c.deliveries + 1,
                "status": case(
                    (table.c.status == InboxStatus.ANSWERED, InboxStatus.PENDING),
                    else_=table.c.status,
                ),
                "payload": case(  # its words were let go when it was answered
                    (table.c.status == InboxStatus.ANSWERED, statement.excluded.payload),
                    else_=table.c.payload,
                ),
            },
        )
    )


@dataclass(frozen=True)
class Waiting:
    """A person's oldest waiting row, with what its work needs to know first, read with it."""

    message: InboxMessage
    # Their flow moved on after it was received, other than by their own earlier messages and
    # clicks: it is told lost (bot/inbox.py, rule 3).
    overtaken: bool
    directory: DirectoryState  # the directory's state for them (bot/directory.py)


def next_waiting(*, session: Session, team_id: str, user_id: str) -> Waiting | None:
    """The person's first recorded message or click whose work has not committed, in one query
    with whether it is overtaken and the directory's state for them.

    Overtaken: one of their conversations changed (`last_activity`) after both its receipt and
    the work of their latest applied inbox row. Work done from the inbox stamps the row's
    `done_at` with the instant it gives the conversation, so only a change from elsewhere (a
    slash command, a form, an expiry) counts."""
    theirs = and_(col(Person.team_id) == team_id, col(Person.user_id) == user_id)
    applied = aliased(InboxMessage)
    changed = (
        select(func.max(Conversation.last_activity))
        .join(Person, col(Person.id) == col(Conversation.person_id))
        .where(theirs)
        .scalar_subquery()
    )
    last_applied = (
        select(func.max(applied.done_at))
        .where(
            col(applied.team_id) == team_id,
            col(applied.user_id) == user_id,
            col(applied.status) == InboxStatus.APPLIED,
        )
        .scalar_subquery()
    )
    synced = (
        select(Workspace.directory_synced_at).where(Workspace.team_id == team_id).scalar_subquery()
    )
    found = session.execute(
        sa_select(InboxMessage, changed, last_applied, synced, exists().where(theirs))
        .where(
            col(InboxMessage.status) == InboxStatus.PENDING,
            col(InboxMessage.team_id) == team_id,
            col(InboxMessage.user_id) == user_id,
        )
        .order_by(col(InboxMessage.id))
        .limit(1)
    ).first()
    if found is None:
        return None
    message, changed_at, applied_at, synced_at, known = found
    since = max(message.received_at, applied_at) if applied_at else message.received_at
    directory = DirectoryState(
        synced_at, frozenset({user_id}), frozenset({user_id} if known else ())
    )
    return Waiting(message, changed_at is not None and changed_at > since, directory)


def mark_done(
    *,
    session: Session,
    message_id: int,
    status: InboxStatus,
    now: datetime,
    deliveries: int | None = None,
) -> bool:
    """Mark a waiting row done (applied, answered or lost), in one statement, and let its words
    go: the row stays only so that a retry of it acts once. False when it was no longer waiting
    (another process did it first) or, with `deliveries`, when Slack delivered it again since it
    was read: checked in the same statement, as a retry's record takes no person lock."""
    waiting = [col(InboxMessage.id) == message_id, col(InboxMessage.status) == InboxStatus.PENDING]
    if deliveries is not None:
        waiting.append(col(InboxMessage.deliveries) == deliveries)
    done = session.execute(
        update(InboxMessage)
        .where(*waiting)
        .values(status=status, done_at=now, payload={})
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def drop(*, session: Session, message: InboxMessage) -> None:
    """Not even a record that it came (its sender is someone Cascade has forgotten)."""
    session.delete(message)
    session.flush()


def get_message(*, session: Session, message_id: int) -> InboxMessage | None:
    return session.get(InboxMessage, message_id, populate_existing=True)


def waiting_people(
    *, session: Session, received_before: datetime | None = None, limit: int = 500
) -> list[tuple[str, str]]:
    """(team, user) of everyone with work waiting, received before the instant if given."""
    query = select(InboxMessage.team_id, InboxMessage.user_id).where(
        InboxMessage.status == InboxStatus.PENDING
    )
    if received_before is not None:
        query = query.where(InboxMessage.received_at < received_before)
    query = query.group_by(col(InboxMessage.team_id), col(InboxMessage.user_id))
    return [(t, u) for t, u in session.exec(query.order_by(func.min(InboxMessage.id)).limit(limit))]


def list_messages(*, session: Session, team_id: str) -> list[InboxMessage]:
    query = select(InboxMessage).where(InboxMessage.team_id == team_id)
    return list(session.exec(query.order_by(col(InboxMessage.id))))
