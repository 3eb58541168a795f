"""Cascade's domain model: every table is scoped by Slack workspace (`team_id`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Column, Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants as UTC and always returns them timezone-aware (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def instant(*, nullable: bool = True, default_now: bool = False) -> Any:
    """A timezone-aware timestamp field."""
    if default_now:
        return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class ObjectiveStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class GoalStatus(StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    AGREED = "agreed"
    ACHIEVED = "achieved"
    MISSED = "missed"
    DROPPED = "dropped"


# A goal counts for its owner's alignment once agreed, and still when closed as achieved or
# missed (it was the person's part of the plan); a dropped one no longer does.
ALIGNING = (GoalStatus.AGREED, GoalStatus.ACHIEVED, GoalStatus.MISSED)


class Confidence(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


class BarrierStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class CommitmentStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class ConversationState(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"  # completed, refused part-way, cancelled or expired: it takes no answers


class InboxStatus(StrEnum):
    PENDING = "pending"  # recorded and acked; its work has not committed yet
    APPLIED = "applied"  # its work committed, in the same transaction as this status
    ANSWERED = "answered"  # it changed nothing (a refusal, a failure): the person was told so
    LOST = "lost"  # its flow had moved on: the person was asked to send it again


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"  # a nudge over the person's weekly budget: told in their next message instead
    FOLDED = "folded"  # a held nudge, told as an "also" line in a later message


class Workspace(SQLModel, table=True):
    """One Slack workspace and its configurable defaults."""

    team_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=200)
    tz: str = Field(default="UTC", max_length=64)
    summary_channel: str | None = Field(default=None, max_length=32)
    checkin_weekday: int = 0  # Monday
    checkin_time: str = Field(default="09:00", max_length=5)
    summary_weekday: int = 0
    summary_time: str = Field(default="08:00", max_length=5)
    barrier_escalation_days: int = 3
    working_days: str = Field(default="0,1,2,3,4", max_length=13)  # Monday = 0
    nudge_budget: int = 5  # scheduled nudges per person per week, at most
    directory_synced_at: datetime | None = instant()
    # A lease on the directory sync: whoever holds an unexpired one is syncing, nobody else.
    directory_sync_lease_until: datetime | None = instant()
    directory_sync_owner: str | None = Field(default=None, max_length=64)
    # Set while Slack refuses the app's token (uninstalled, revoked): nothing is sent, what is
    # owed waits; cleared when auth.test accepts a token again (bot/outbox.py).
    suspended_at: datetime | None = instant()
    suspended_reason: str | None = Field(default=None, max_length=64)
    created_at: datetime = instant(default_now=True)


class Person(SQLModel, table=True):
    """A Slack user of one workspace, as last synced from Slack."""

    __table_args__ = (sa.UniqueConstraint("team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    user_id: str = Field(max_length=32)
    email: str | None = Field(default=None, max_length=320)
    name: str = Field(default="", max_length=200)
    tz: str = Field(default="UTC", max_length=64)
    is_slack_admin: bool = False
    is_bot: bool = False
    deleted: bool = False
    checkin_weekday: int | None = None  # None: the workspace default
    checkin_time: str | None = Field(default=None, max_length=5)
    paused_until: date | None = None
    synced_at: datetime | None = instant()  # when Slack's directory last changed this row
    home_seen_at: datetime | None = instant()  # opened their App Home: it is refreshed on change


class Forgotten(SQLModel, table=True):
    """Someone erased by `cascade forget`, kept as keyed hashes only (storage/forgotten.py), so
    that Slack's directory, an org import or their own message never brings them back."""

    __table_args__ = (
        sa.UniqueConstraint("team_id", "user_hash"),
        sa.Index("ix_forgotten_email", "team_id", "email_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_hash: str = Field(max_length=64)
    email_hash: str | None = Field(default=None, max_length=64)
    forgotten_at: datetime = instant(default_now=True)


class Unit(SQLModel, table=True):
    """A work unit: a node of the organisation tree, managed by one person."""

    __table_args__ = (sa.UniqueConstraint("team_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    name: str = Field(max_length=80)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    created_at: datetime = instant(default_now=True)


class Membership(SQLModel, table=True):
    """The unit a person belongs to (at most one). Managers belong to their manager's unit."""

    __table_args__ = (sa.UniqueConstraint("team_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    person_id: int = Field(foreign_key="person.id")
    unit_id: int = Field(foreign_key="unit.id", index=True)


class Cycle(SQLModel, table=True):
    """A planning period. Cycles never overlap; the active one is the one whose dates contain
    today (storage/cycles.py)."""

    __table_args__ = (sa.UniqueConstraint("team_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    name: str = Field(max_length=80)
    start: date
    end: date
    # No longer read: which cycle is active follows from the dates. Kept (always False for new
    # rows) so that the schema needs no migration.
    active: bool = False
    created_at: datetime = instant(default_now=True)


class Objective(SQLModel, table=True):
    """A unit's objective for a cycle, linked to an objective of the parent unit."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    title: str = Field(max_length=3000)
    measure: str | None = Field(default=None, max_length=3000)
    parent_id: int | None = Field(default=None, foreign_key="objective.id", index=True)
    status: str = Field(default=ObjectiveStatus.DRAFT, max_length=16)
    published_at: datetime | None = instant()
    position: int = 0
    created_at: datetime = instant(default_now=True)
    updated_at: datetime = instant(default_now=True)


class Goal(SQLModel, table=True):
    """A person's goal, linked to an objective of their unit, agreed with their manager."""

    # The leadership summary asks, per person, "any agreed goal this cycle?" (owner first); the
    # tick, which agreed goals are past due and which are proposed (status, then due date).
    __table_args__ = (
        sa.Index("ix_goal_owner_cycle_status", "owner_id", "cycle_id", "status"),
        sa.Index("ix_goal_team_status_due", "team_id", "status", "due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    owner_id: int = Field(foreign_key="person.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    objective_id: int | None = Field(default=None, foreign_key="objective.id", index=True)
    statement: str = Field(default="", max_length=3000)
    measure: str | None = Field(default=None, max_length=3000)
    due: date | None = None
    anticipated_barriers: str | None = Field(default=None, max_length=3000)
    status: str = Field(default=GoalStatus.DRAFT, max_length=16)
    progress: int = 0
    confidence: str | None = Field(default=None, max_length=16)
    manager_comment: str | None = Field(default=None, max_length=3000)
    owner_agreed_at: datetime | None = instant()
    manager_agreed_at: datetime | None = instant()
    agreed_by_id: int | None = Field(default=None, foreign_key="person.id")
    agreed_at: datetime | None = instant()
    closed_at: datetime | None = instant()  # achieved, missed or dropped
    learning: str | None = Field(default=None, max_length=3000)  # one line, when closed
    created_at: datetime = instant(default_now=True)
    updated_at: datetime = instant(default_now=True)


class CheckIn(SQLModel, table=True):
    """A dated progress report on a goal."""

    # The leadership summary asks, per person, "a check-in in their week?"
    __table_args__ = (sa.Index("ix_checkin_person_week", "person_id", "week"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    goal_id: int = Field(foreign_key="goal.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    at: datetime = instant(default_now=True)
    progress: int
    confidence: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=3000)
    week: str | None = Field(default=None, max_length=10, index=True)  # the person's ISO week


class Barrier(SQLModel, table=True):
    """What gets in the way; it sits with a manager and escalates up the tree."""

    # The leadership summary counts a workspace's unresolved barriers by age.
    __table_args__ = (sa.Index("ix_barrier_team_status", "team_id", "status", "reported_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    reporter_id: int = Field(foreign_key="person.id", index=True)
    goal_id: int | None = Field(default=None, foreign_key="goal.id")
    text: str = Field(max_length=3000)
    status: str = Field(default=BarrierStatus.OPEN, max_length=16)
    holder_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    # Everyone who has held it, in order: they (and the reporter) may read its text.
    chain: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reported_at: datetime = instant(default_now=True)
    acknowledged_at: datetime | None = instant()
    escalated_at: datetime | None = instant()
    resolved_at: datetime | None = instant()


class Commitment(SQLModel, table=True):
    """A manager's promise of help on a goal: made when agreeing it or later, followed up at
    check-ins, counted for leadership. Its text is seen by the two of them and the managers
    above them."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    goal_id: int = Field(foreign_key="goal.id", index=True)
    manager_id: int = Field(foreign_key="person.id", index=True)
    text: str = Field(max_length=500)
    due: date | None = None
    status: str = Field(default=CommitmentStatus.OPEN, max_length=16)
    # The barrier the owner reported when it had not come by its due date (at most one).
    barrier_id: int | None = Field(default=None, foreign_key="barrier.id")
    created_at: datetime = instant(default_now=True)
    done_at: datetime | None = instant()  # done or dropped


class AgendaItem(SQLModel, table=True):
    """Something either side of a 1:1 added to talk about (a goal's alert, a topic)."""

    __tablename__ = "agenda_item"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    manager_id: int = Field(foreign_key="person.id", index=True)
    report_id: int = Field(foreign_key="person.id", index=True)
    added_by_id: int = Field(foreign_key="person.id")
    goal_id: int | None = Field(default=None, foreign_key="goal.id")
    text: str = Field(max_length=500)
    created_at: datetime = instant(default_now=True)


class OneOnOne(SQLModel, table=True):
    """A weekly 1:1 between a manager and a direct report: its agenda goes to both two hours
    before, in the manager's time zone."""

    __tablename__ = "one_on_one"
    __table_args__ = (sa.UniqueConstraint("team_id", "manager_id", "report_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    manager_id: int = Field(foreign_key="person.id", index=True)
    report_id: int = Field(foreign_key="person.id")
    weekday: int  # Monday = 0
    time: str = Field(max_length=5)  # "10:00", the manager's local time
    active: bool = True
    created_at: datetime = instant(default_now=True)


class Conversation(SQLModel, table=True):
    """The durable state of one guided interview; a restart loses nothing.

    One row per (person, flow), kept when the flow ends so its version only ever goes up: a
    button from an earlier run of the flow can never answer a later one."""

    __table_args__ = (sa.UniqueConstraint("team_id", "person_id", "flow"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    person_id: int = Field(foreign_key="person.id")
    flow: str = Field(max_length=32)
    step: str = Field(max_length=32)
    state: str = Field(default=ConversationState.ACTIVE, max_length=16)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The engine's own record of the steps taken (for `back`), apart from the person's answers:
    # step names, or {"s": step, "p": {answer: value}} for a place within a repeated step.
    history: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    version: int = 0  # bumped on every step: two processes never advance one interview twice
    last_activity: datetime = instant(default_now=True)
    # Which of this person's conversations asked last (a per-person counter, never a clock, so two
    # questions in the same instant still have an order): typed DM text goes to the latest.
    asked_seq: int = 0
    created_at: datetime = instant(default_now=True)


class OutboxMessage(SQLModel, table=True):
    """One message owed to someone, written in the transaction of the change that owes it.

    Its life: pending → sent (with Slack's `ts`) or failed (with the error). A scheduled message
    carries (kind, subject, period_key), unique per workspace: that makes every nudge exactly-once
    across retries, restarts and processes. See storage/outbox.py for the delivery semantics."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "kind", "subject", "period_key"),
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
        sa.Index("ix_outbox_subject", "team_id", "subject"),
        # What is still owed to one person, in order (the sender's "anything earlier?").
        sa.Index(
            "ix_outbox_pending_to",
            "team_id",
            "recipient",
            "id",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        ),
        # What one sender holds (its one read of a batch).
        sa.Index(
            "ix_outbox_leased",
            "lease_owner",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    kind: str = Field(max_length=32)  # what it is: a flow's reply, an invitation, a nudge…
    recipient: str = Field(max_length=32)  # a Slack user id (a DM) or a channel id
    subject: str | None = Field(default=None, max_length=64)  # a unit, a goal, a barrier…
    period_key: str | None = Field(default=None, max_length=64)  # a day, an ISO week…
    method: str = Field(default="chat.postMessage", max_length=40)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = 0
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = instant()
    next_attempt_at: datetime = instant(default_now=True)
    ts: str | None = Field(default=None, max_length=32)
    channel: str | None = Field(default=None, max_length=32)  # where Slack put it: a DM's id
    error: str | None = Field(default=None, max_length=200)
    created_at: datetime = instant(default_now=True)
    sent_at: datetime | None = instant()


class SummarySnapshot(SQLModel, table=True):
    """The numbers of one weekly leadership summary, per unit, kept so the next can say what
    changed. One per (workspace, top unit of its scope, week): a rerun of a week replaces it."""

    __tablename__ = "summary_snapshot"
    __table_args__ = (sa.UniqueConstraint("team_id", "scope_unit_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    scope_unit_id: int  # no foreign key: a snapshot is history, and outlives what it counted
    period: str = Field(max_length=16)  # the workspace's ISO week: "2027-W09"
    taken_at: datetime = instant(default_now=True)
    # unit id (as text: JSON keys) → that unit's counts (conversations/views/summary.py: Numbers)
    units: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SlackEvent(SQLModel, table=True):
    """An Events API delivery already acted on, so a retry never acts twice."""

    event_id: str = Field(primary_key=True, max_length=64)
    team_id: str = Field(max_length=32)
    received_at: datetime = instant(default_now=True)


class InboxMessage(SQLModel, table=True):
    """A DM or a click Slack was told succeeded, recorded before the ack: its work is done
    after the ack, from this row, once (see bot/inbox.py for the rules)."""

    __tablename__ = "inbox"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "delivery"),
        sa.Index("ix_inbox_waiting", "status", "team_id", "user_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)  # the order of receipt
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    kind: str = Field(max_length=16)  # "message" or "action"
    delivery: str = Field(max_length=100)  # the event id, or the click's trigger: once each
    received_at: datetime = instant(default_now=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=InboxStatus.PENDING, max_length=16)
    deliveries: int = 1  # Slack's retries of it count here: one during a failed try tries again
    done_at: datetime | None = instant()
