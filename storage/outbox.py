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
* **At least once, with a narrow window.** The sender posts, then marks rows sent in short
  transactions of their own, a batch at a time: after at most `MARK_EVERY` messages or
  `MARK_WITHIN` seconds (bot/outbox.py), before any other write about its rows, and at the end of
  its batch. A crash after Slack accepted a post and before its mark commits leaves the row
  pending: when its lease runs out it is sent again. Nothing is ever lost; a message can be sent
  twice only if the process died in that window, and then only those it had posted since its last
  mark: at most `MARK_EVERY` per sender, all posted in the last `MARK_WITHIN` seconds. (Until issue
  23 each message was marked alone, so the window was the one message in flight; one transaction
  per message held fan-out to a tenth of a bare loop of the same posts.) Slack's chat.postMessage
  has no idempotency key that would close it.
* A transient failure (rate limit or server error after the client's own retries, a dropped
  connection) puts the row back with a later `next_attempt_at`; after `MAX_ATTEMPTS` it fails.
  A permanent one (no such user, invalid blocks) fails at once and is never retried.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, insert, literal_column, or_, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from storage.db import STREAMED, insert_rows
from storage.models import OutboxMessage, OutboxStatus, Workspace

LEASE = timedelta(seconds=90)
RENEWED_WITHIN = timedelta(seconds=10)  # renew_lease leaves these rows be
MAX_ATTEMPTS = 8
ERROR_LIMIT = 200

# Not a Slack method: the sender rewrites the earlier messages about the row's subject without
# their buttons (bot/outbox.py), once they have been sent and have their place.
RETIRING = "cascade.retire"

# `status = 'pending'` written into the SQL, not bound: a query on ix_outbox_pending_to (a partial
# index on pending rows) must say so in its text, or PostgreSQL's generic plan for a statement
# prepared after five runs cannot use it (measured: 0.44 s a batch instead of 17 ms).
PENDING_LITERAL: ColumnElement[str] = literal_column(f"'{OutboxStatus.PENDING.value}'")


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
    lease_until = now + LEASE if owner else None
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
            "lease_until": lease_until,
            "next_attempt_at": now,
            "created_at": now,
        }
        for m in messages
    ]
    if not any(m.period_key is not None for m in messages):
        # Nothing to skip: a key without a period key is never a duplicate (NULLs are distinct
        # in a unique constraint), and a plain INSERT spares each row ON CONFLICT's check.
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        insert_rows(session, insert(table), rows)  # on PostgreSQL one statement, any number
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


def already_owed(*, session: Session, team_id: str, keys: Collection[Key]) -> set[Key]:
    """Which of these keys (kind, subject, period_key) are owed already, in one query: every row
    of their kinds and periods, streamed, keeping only those asked about (a week's check-ins are
    100,000 keys at 100,000 people, of which an hour's tick asks about a few)."""
    if not keys:
        return set()
    kinds = sorted({kind for kind, _, _ in keys})
    period_keys = sorted({period for _, _, period in keys})
    rows = session.exec(
        select(OutboxMessage.kind, OutboxMessage.subject, OutboxMessage.period_key)
        .where(
            col(OutboxMessage.team_id) == team_id,
            col(OutboxMessage.kind).in_(kinds),
            col(OutboxMessage.period_key).in_(period_keys),
        )
        .execution_options(**STREAMED)
    )
    return {key for k, s, p in rows if (key := (k, s or "", p or "")) in keys}


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
    """Lease up to `limit` pending rows that are due and leased to nobody; returns the pending
    rows this sender holds, in order (`lease_due`, then `leased_to`)."""
    lease_due(session=session, owner=owner, now=now, limit=limit)
    return leased_to(session=session, owner=owner)


def lease_due(*, session: Session, owner: str, now: datetime, limit: int = 200) -> int:
    """Lease up to `limit` pending rows that are due and leased to nobody, oldest first; returns
    how many. The conditional UPDATE decides races: of two senders, each row goes to exactly one.
    On PostgreSQL, rows another sender is claiming are skipped (SKIP LOCKED): concurrent senders
    share the work. (Two statements: as one, `IN (SELECT … LIMIT … FOR UPDATE SKIP LOCKED)`,
    PostgreSQL may run the subquery again for each row, and each run skips the rows the UPDATE
    has already taken: measured, it leased all 6,000 pending rows, not 200.)"""
    candidates = list(
        session.exec(
            select(OutboxMessage.id)
            .where(_claimable(now))
            .order_by(col(OutboxMessage.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not candidates:
        return 0
    leased = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(candidates), _claimable(now))
        .values(lease_owner=owner, lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(leased, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Ready:
    """A row a sender holds, with what decides whether it goes now."""

    row: OutboxMessage
    suspended: bool  # Slack refuses its workspace's token: it waits, untried
    # When the first earlier message to the same person, held by no sender, is due: this one
    # waits behind it (None: nothing earlier is owed them).
    behind: datetime | None


def ready(
    *, session: Session, owner: str, now: datetime, after: int = 0, limit: int | None = None
) -> list[Ready]:
    """The pending rows this sender holds (after id `after`, at most `limit`: a tick holds the
    50,000 nudges of its hour), oldest first, each with its workspace's suspension and
    whether an earlier message to the same person is still owed and held by no sender (left
    behind by a failure, or while Slack was away): one query. The first such message is found
    in id order on ix_outbox_pending_to; asked as min(next_attempt_at), PostgreSQL read it off
    ix_outbox_due instead, scanning every pending row for each row of the batch (7 s a batch
    with 75,000 pending). An earlier one another sender holds goes on its own."""
    earlier = aliased(OutboxMessage)
    behind = (
        sa_select(col(earlier.next_attempt_at))
        .where(
            col(earlier.team_id) == col(OutboxMessage.team_id),
            col(earlier.recipient) == col(OutboxMessage.recipient),
            col(earlier.status) == PENDING_LITERAL,  # a literal: the partial index applies
            col(earlier.id) < col(OutboxMessage.id),
            or_(col(earlier.lease_owner).is_(None), col(earlier.lease_owner) != owner),
            or_(col(earlier.lease_until).is_(None), col(earlier.lease_until) < now),
        )
        .order_by(col(earlier.id))  # the first one, by ix_outbox_pending_to in its order
        .limit(1)
        .correlate(OutboxMessage)
        .scalar_subquery()
    )
    found = session.execute(
        sa_select(OutboxMessage, col(Workspace.suspended_at), behind)
        .outerjoin(Workspace, col(Workspace.team_id) == col(OutboxMessage.team_id))
        .where(
            col(OutboxMessage.lease_owner) == owner,
            col(OutboxMessage.status) == PENDING_LITERAL,  # on ix_outbox_leased (partial)
            col(OutboxMessage.id) > after,
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    ).all()
    return [Ready(row, suspended is not None, _instant(due)) for row, suspended, due in found]


MANY = 1_000  # rows owed at once that make the outbox's statistics stale


def refresh_statistics(*, session: Session) -> None:
    """PostgreSQL: ANALYZE the outbox after a tick has owed many rows at once (a 09:00 can owe
    30,000). Until autovacuum gets to it, the planner believes the few pending rows it last
    counted, and found each row's earlier message (`ready`) by scanning every pending row on
    ix_outbox_due: 6.5 s a batch of 200 with 75,000 pending; 0.1 s after ANALYZE."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE outbox"))


def _instant(value: Any) -> datetime | None:
    """An instant read by a scalar subquery: SQLite gives its text, with no zone (it is UTC)."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


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
            col(OutboxMessage.status) == PENDING_LITERAL,  # on ix_outbox_leased (partial)
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


@dataclass(frozen=True)
class Sent:
    """Slack accepted this row's message: where it put it."""

    message_id: int
    ts: str | None = None
    channel: str | None = None


def mark_sent(
    *, session: Session, message_id: int, ts: str | None, now: datetime, channel: str | None = None
) -> None:
    mark_all_sent(session=session, sent=[Sent(message_id, ts, channel)], now=now)


def mark_all_sent(*, session: Session, sent: Sequence[Sent], now: datetime) -> None:
    """Mark these rows sent, each with its place, in one statement (still pending ones only)."""
    if not sent:
        return
    by_id = col(OutboxMessage.id)
    session.execute(
        update(OutboxMessage)
        .where(
            by_id.in_([s.message_id for s in sent]),
            col(OutboxMessage.status) == OutboxStatus.PENDING,
        )
        .values(
            status=OutboxStatus.SENT,
            ts=case({s.message_id: s.ts for s in sent}, value=by_id, else_=None),
            channel=case({s.message_id: s.channel for s in sent}, value=by_id, else_=None),
            sent_at=now,
            attempts=OutboxMessage.attempts + 1,
            lease_owner=None,
            lease_until=None,
            error=None,
        )
        .execution_options(synchronize_session=False)
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


class Listed(NamedTuple):
    """An owed message as `cascade tick --dry-run` lists it."""

    kind: str
    recipient: str
    team_id: str
    attempts: int


def due_listing(*, session: Session, now: datetime) -> list[Listed]:
    """What is owed, due by `now` and leased to nobody, in order: only what a listing shows
    (a busy hour owes 100,000 messages, blocks and all)."""
    free = or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now)
    rows = session.execute(
        sa_select(
            col(OutboxMessage.kind),
            col(OutboxMessage.recipient),
            col(OutboxMessage.team_id),
            col(OutboxMessage.attempts),
        )
        .where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.next_attempt_at) <= now,
            free,
        )
        .order_by(col(OutboxMessage.id))
    )
    return [Listed(*row) for row in rows]


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
        .execution_options(**STREAMED)
    )
    lately: list[tuple[str, datetime]] = []
    held_back: list[tuple[int, str, dict[str, Any]]] = []
    for i, r, at, status, payload in rows:
        if status != OutboxStatus.HELD:
            lately.append((r, at))
        elif i is not None:
            held_back.append((i, r, (payload or {}).get("also") or {}))
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
