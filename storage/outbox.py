"""The outbox: every message Cascade owes someone, written in the transaction that owes it.

A change and the messages it owes commit together, or neither does. One sender (bot/outbox.py)
delivers what is pending: right after the request's transaction commits, and again from the
tick for anything still unsent. No Slack call ever happens inside a database transaction.

Delivery semantics
------------------
* A row is delivered only by the holder of its lease. Rows written by a request are leased to
  that request's sender at once, so the tick leaves them alone while it delivers them; if the
  process dies, the lease runs out (`LEASE`) and the next tick delivers them.
* Scheduled messages carry (kind, subject, period_key), unique per workspace. Writing one that
  is already owed writes nothing, so a nudge is owed once however many ticks or processes ask.
* **At least once, with one narrow window.** The sender posts, then marks the row sent in its own
  short transaction. A crash after Slack accepted the post and before that mark commits leaves the
  row pending: when its lease runs out it is sent again. Nothing is ever lost; a message can be
  sent twice only if the process died in that window, and then only the one message (per sender)
  that was in flight. Slack's chat.postMessage has no idempotency key that would close it.
* A transient failure (rate limit or server error after the client's own retries, a dropped
  connection) puts the row back with a later `next_attempt_at`; after `MAX_ATTEMPTS` it fails.
  A permanent one (no such user, invalid blocks) fails at once and is never retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import OutboxMessage, OutboxStatus, Workspace

LEASE = timedelta(seconds=90)
RENEWED_WITHIN = timedelta(seconds=10)  # renew_lease leaves these rows be
MAX_ATTEMPTS = 8
ERROR_LIMIT = 200

# Not a Slack method: the sender rewrites the earlier messages about the row's subject without
# their buttons (bot/outbox.py), once they have been sent and have their place.
RETIRING = "cascade.retire"


@dataclass(frozen=True)
class Owed:
    """A message to write into the outbox."""

    team_id: str
    kind: str
    recipient: str
    payload: dict[str, Any] = field(default_factory=dict)
    method: str = "chat.postMessage"
    subject: str | None = None
    period_key: str | None = None  # with kind and subject: owed at most once


Key = tuple[str, str, str]  # (kind, subject, period_key): a scheduled message, owed once


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def enqueue(
    *, session: Session, messages: Sequence[Owed], now: datetime, owner: str | None = None
) -> set[Key]:
    """Write these messages, pending; with `owner`, already leased to that sender.

    A scheduled message (with a subject and period key) whose key is already in the outbox is
    skipped: returns the keys of the scheduled messages this call wrote."""
    if not messages:
        return set()
    rows = [
        {
            "team_id": m.team_id,
            "kind": m.kind,
            "recipient": m.recipient,
            "subject": m.subject,
            "period_key": m.period_key,
            "method": m.method,
            "payload": m.payload,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "lease_owner": owner,
            "lease_until": now + LEASE if owner else None,
            "next_attempt_at": now,
            "created_at": now,
        }
        for m in messages
    ]
    if not any(m.period_key is not None for m in messages):
        session.execute(_insert(session), rows)
        return set()
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    statement = _insert(session).returning(table.c.kind, table.c.subject, table.c.period_key)
    return {(k, s, p) for k, s, p in session.execute(statement, rows).all() if s is not None and p}


def owed(*, session: Session, team_id: str, kind: str, subject: str, period_key: str) -> bool:
    """Whether this scheduled message is already in the outbox (sent or not)."""
    return (
        session.exec(
            select(OutboxMessage.id).where(
                col(OutboxMessage.team_id) == team_id,
                col(OutboxMessage.kind) == kind,
                col(OutboxMessage.subject) == subject,
                col(OutboxMessage.period_key) == period_key,
            )
        ).first()
        is not None
    )


def owed_subjects(
    *, session: Session, team_id: str, kinds: Sequence[str], period_keys: Sequence[str]
) -> set[tuple[str, str, str]]:
    """(kind, subject, period_key) of these kinds and periods already owed, in one query."""
    if not kinds or not period_keys:
        return set()
    rows = session.exec(
        select(OutboxMessage.kind, OutboxMessage.subject, OutboxMessage.period_key).where(
            col(OutboxMessage.team_id) == team_id,
            col(OutboxMessage.kind).in_(kinds),
            col(OutboxMessage.period_key).in_(period_keys),
        )
    )
    return {(k, s or "", p or "") for k, s, p in rows}


def _claimable(now: datetime) -> Any:
    suspended = select(Workspace.team_id).where(col(Workspace.suspended_at).is_not(None))
    return and_(
        col(OutboxMessage.status) == OutboxStatus.PENDING,
        col(OutboxMessage.next_attempt_at) <= now,
        or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now),
        col(OutboxMessage.team_id).not_in(suspended),  # held while Slack refuses the token
    )


def claim_due(
    *, session: Session, owner: str, now: datetime, limit: int = 200
) -> list[OutboxMessage]:
    """Lease up to `limit` pending rows that are due and leased to nobody; returns them in order.

    The conditional UPDATE decides races: of two senders, each row goes to exactly one. On
    PostgreSQL, rows another sender is claiming are skipped: concurrent senders share the work."""
    candidates = list(
        session.exec(
            select(OutboxMessage.id)
            .where(_claimable(now))
            .order_by(col(OutboxMessage.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if candidates:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(candidates), _claimable(now))
            .values(lease_owner=owner, lease_until=now + LEASE)
        )
    return leased_to(session=session, owner=owner)


def leased_to(*, session: Session, owner: str) -> list[OutboxMessage]:
    """The pending rows this sender holds, oldest first."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(
                col(OutboxMessage.lease_owner) == owner,
                col(OutboxMessage.status) == OutboxStatus.PENDING,
            )
            .order_by(col(OutboxMessage.id))
        )
    )


def renew_lease(*, session: Session, owner: str, now: datetime) -> None:
    """Keep holding this sender's pending rows while a long batch is delivered. Rows renewed in
    the last RENEWED_WITHIN are left as they are: a sender that renews every few sends would
    otherwise rewrite all its remaining rows each time (10,000 welcomes: 2.5 million row writes,
    and PostgreSQL's delivery fell to 47 a second)."""
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.lease_owner) == owner,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            or_(
                col(OutboxMessage.lease_until).is_(None),
                col(OutboxMessage.lease_until) < now + LEASE - RENEWED_WITHIN,
            ),
        )
        .values(lease_until=now + LEASE)
    )


def sent_about(
    *, session: Session, team_id: str, subject: str, before: int, but_to: str | None
) -> list[OutboxMessage]:
    """The messages about `subject` (a barrier, say) sent before row `before`, with where they
    are, but not those to `but_to`: the ones a later change can rewrite."""
    query = select(OutboxMessage).where(
        col(OutboxMessage.team_id) == team_id,
        col(OutboxMessage.subject) == subject,
        col(OutboxMessage.period_key).is_(None),  # a scheduled message's subject is its key
        col(OutboxMessage.id) < before,
        col(OutboxMessage.status) == OutboxStatus.SENT,
        col(OutboxMessage.method) == "chat.postMessage",
        col(OutboxMessage.channel).is_not(None),
        col(OutboxMessage.ts).is_not(None),
    )
    if but_to is not None:
        query = query.where(col(OutboxMessage.recipient) != but_to)
    return list(session.exec(query.order_by(col(OutboxMessage.id))))


def let_go(*, session: Session, message_ids: Sequence[int]) -> None:
    """These messages are about nothing any more (their buttons were taken off)."""
    if message_ids:
        session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id).in_(list(message_ids)),
                col(OutboxMessage.period_key).is_(None),
            )
            .values(subject=None)
        )


def mark_sent(
    *, session: Session, message_id: int, ts: str | None, now: datetime, channel: str | None = None
) -> None:
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == OutboxStatus.PENDING
        )
        .values(
            status=OutboxStatus.SENT,
            ts=ts,
            channel=channel,
            sent_at=now,
            attempts=OutboxMessage.attempts + 1,
            lease_owner=None,
            lease_until=None,
            error=None,
        )
    )


def mark_failed(
    *, session: Session, message_id: int, error: str, now: datetime, retry_at: datetime | None
) -> None:
    """A failed attempt: tried again at `retry_at` (until MAX_ATTEMPTS), or failed for good."""
    row = session.get(OutboxMessage, message_id)
    if row is None or row.status != OutboxStatus.PENDING:
        return
    attempts = row.attempts + 1
    again = retry_at is not None and attempts < MAX_ATTEMPTS
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(
            status=OutboxStatus.PENDING if again else OutboxStatus.FAILED,
            attempts=attempts,
            error=error[:ERROR_LIMIT],
            next_attempt_at=retry_at if again and retry_at is not None else row.next_attempt_at,
            lease_owner=None,
            lease_until=None,
        )
    )


def defer(*, session: Session, message_ids: Sequence[int], until: datetime) -> None:
    """Give rows back unsent, not due before `until` (behind a recipient's failed message, or
    while Slack is unreachable): their attempts are left as they were."""
    if message_ids:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(list(message_ids)))
            .values(lease_owner=None, lease_until=None, next_attempt_at=until)
        )


def release(*, session: Session, message_ids: Sequence[int]) -> None:
    """Give rows back unsent and untried, due as they were (a suspended workspace's)."""
    if message_ids:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(list(message_ids)))
            .values(lease_owner=None, lease_until=None)
        )


def older_pending_to(
    *, session: Session, rows: Sequence[OutboxMessage], now: datetime
) -> dict[tuple[str, str], datetime]:
    """(team, recipient) → when their first message is due, for the recipients of `rows` who
    are owed an earlier message not among `rows` and held by no sender (left behind by a
    failure, or while Slack was away): one query. One another sender holds goes on its own."""
    ids = [r.id for r in rows if r.id is not None]
    recipients = {r.recipient for r in rows}
    if not ids:
        return {}
    found = session.exec(
        select(
            OutboxMessage.team_id,
            OutboxMessage.recipient,
            OutboxMessage.id,
            OutboxMessage.next_attempt_at,
        ).where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.recipient).in_(recipients),
            col(OutboxMessage.id) < max(ids),
            col(OutboxMessage.id).not_in(ids),
            or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now),
        )
    )
    first = {(r.team_id, r.recipient): r.id for r in reversed(rows) if r.id is not None}
    behind: dict[tuple[str, str], datetime] = {}
    for team_id, recipient, message_id, due in found:
        who = (team_id, recipient)
        if who in first and message_id is not None and message_id < first[who]:
            behind[who] = min(due, behind.get(who, due))
    return behind


def fail_pending_to(
    *, session: Session, team_id: str, recipient: str, error: str, now: datetime
) -> int:
    """Everything still owed to someone who can no longer receive it fails at once."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.team_id) == team_id,
            col(OutboxMessage.recipient) == recipient,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.FAILED, error=error[:ERROR_LIMIT], lease_owner=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def list_messages(
    *, session: Session, team_id: str | None = None, status: str | None = None
) -> list[OutboxMessage]:
    query = select(OutboxMessage)
    if team_id is not None:
        query = query.where(col(OutboxMessage.team_id) == team_id)
    if status is not None:
        query = query.where(col(OutboxMessage.status) == status)
    return list(session.exec(query.order_by(col(OutboxMessage.id))))


def pending_count(*, session: Session) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
        ).one()
    )


def owed_since(
    *, session: Session, team_id: str, kinds: Sequence[str], since: datetime
) -> list[tuple[str, datetime]]:
    """(recipient, when) of every message of these kinds owed since `since` (budgets)."""
    rows = session.exec(
        select(OutboxMessage.recipient, OutboxMessage.created_at).where(
            col(OutboxMessage.team_id) == team_id,
            col(OutboxMessage.kind).in_(kinds),
            col(OutboxMessage.status).in_(
                (OutboxStatus.PENDING, OutboxStatus.SENT, OutboxStatus.FAILED)
            ),
            col(OutboxMessage.created_at) >= since,
        )
    )
    return list(rows)


def hold(
    *,
    session: Session,
    team_id: str,
    items: Sequence[tuple[Key, str, dict[str, Any]]],
    now: datetime,
) -> None:
    """Record nudges held back by a budget ((key, recipient, what to say of it later)): owed in
    their period like any other, never sent alone, folded into the person's next message."""
    if not items:
        return
    rows = [
        {
            "team_id": team_id,
            "kind": kind,
            "subject": subject,
            "period_key": period_key,
            "recipient": recipient,
            "method": "chat.postMessage",
            "payload": {"also": also},
            "status": OutboxStatus.HELD,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for (kind, subject, period_key), recipient, also in items
    ]
    session.execute(_insert(session), rows)


def budget_rows(
    *, session: Session, team_id: str, kinds: Sequence[str], since: datetime
) -> tuple[list[tuple[str, datetime]], list[tuple[int, str, dict[str, Any]]]]:
    """`owed_since` and `held` (as (id, recipient, what to say of it later)), in one query: what
    the tick's budget reads."""
    is_held = col(OutboxMessage.status) == OutboxStatus.HELD
    owed = and_(
        col(OutboxMessage.kind).in_(kinds),
        col(OutboxMessage.status).in_(
            (OutboxStatus.PENDING, OutboxStatus.SENT, OutboxStatus.FAILED)
        ),
        col(OutboxMessage.created_at) >= since,
    )
    rows = session.execute(
        sa_select(
            col(OutboxMessage.id),
            col(OutboxMessage.recipient),
            col(OutboxMessage.created_at),
            col(OutboxMessage.status),
            case((is_held, col(OutboxMessage.payload)), else_=None),  # held rows' payloads only
        )
        .where(col(OutboxMessage.team_id) == team_id, or_(is_held, owed))
        .order_by(col(OutboxMessage.id))
    ).all()
    lately = [(r, at) for _, r, at, status, _ in rows if status != OutboxStatus.HELD]
    held_back = [
        (i, r, (payload or {}).get("also") or {})
        for i, r, _, status, payload in rows
        if status == OutboxStatus.HELD and i is not None
    ]
    return lately, held_back


def held(*, session: Session, team_id: str) -> list[OutboxMessage]:
    """Nudges held back and not yet told, oldest first."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(
                col(OutboxMessage.team_id) == team_id,
                col(OutboxMessage.status) == OutboxStatus.HELD,
            )
            .order_by(col(OutboxMessage.id))
        )
    )


def mark_folded(*, session: Session, message_ids: Sequence[int], now: datetime) -> None:
    if message_ids:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(message_ids))
            .values(status=OutboxStatus.FOLDED, sent_at=now)
        )
