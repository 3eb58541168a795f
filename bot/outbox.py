"""The one send path: delivers what the outbox holds, in a request or from the tick alike.

Built from settings (its own Web API client) and the database; it never calls Slack inside a
transaction. The delivery semantics are in storage/outbox.py.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot import blocks
from bot.summary_post import ChartUpload
from storage import outbox, people
from storage.db import transaction
from storage.models import OutboxMessage

logger = logging.getLogger("cascade")

# Slack's answers that no retry can change.
GONE = frozenset({"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot"})
PERMANENT = GONE | frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "restricted_action",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "missing_scope",
    }
)
# Slack's answers to chat.update of a message that is no longer there to change.
UNEDITABLE = frozenset(
    {"message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found"}
)
UPLOAD = "files.upload_v2"
RENEW_EVERY = 20  # messages: a long batch keeps its lease this often
BATCH = 200


def backoff(attempts: int) -> timedelta:
    """How long after its `attempts`-th failure a message is tried again: 30 s, 1 min, 2 min…"""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def new_owner() -> str:
    """A name for one delivery: unique across threads, processes and hosts."""
    return f"{socket.gethostname()[:20]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass
class Report:
    """What one delivery did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    retry_at: datetime | None = None  # of the one message this report is about, if it failed
    unreached: set[str] = field(default_factory=set)  # recipients a message could not reach

    def add(self, other: Report) -> None:
        """Fold another report into this one."""
        self.unreached |= other.unreached
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.errors.extend(other.errors)


class Sender:
    """Delivers outbox rows through one Web API client."""

    def __init__(self, *, engine: Engine, client: WebClient, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.client = client
        self.clock = clock

    def at(self, now: datetime) -> Sender:
        """This sender, with its clock stopped at `now` (a tick runs as of one instant)."""
        return Sender(engine=self.engine, client=self.client, clock=lambda: now)

    def deliver_owned(self, owner: str) -> Report:
        """Deliver the rows a request wrote, leased to it at once (see storage/outbox.py)."""
        with transaction(self.engine) as session:
            rows = outbox.leased_to(session=session, owner=owner)
        return self._deliver(rows, owner)

    def deliver_due(self, *, limit: int | None = None) -> Report:
        """Deliver everything pending that is due and leased to nobody (the tick's part)."""
        report = Report()
        while limit is None or report.sent + report.failed + report.retrying < limit:
            owner = new_owner()
            with transaction(self.engine) as session:
                rows = outbox.claim_due(session=session, owner=owner, now=self.clock(), limit=BATCH)
            if not rows:
                break
            report.add(self._deliver(rows, owner))
        return report

    def _deliver(self, rows: list[OutboxMessage], owner: str) -> Report:
        report = Report()
        held_back: dict[tuple[str, str], datetime] = {}  # recipient → when their failed one retries
        gone: set[tuple[str, str]] = set()  # recipients who have left (their rows have failed)
        for index, row in enumerate(rows):
            assert row.id is not None
            who = (row.team_id, row.recipient)
            if who in gone:
                continue
            if who in held_back:  # keep each person's messages in order behind the failed one
                with transaction(self.engine) as session:
                    outbox.defer(session=session, message_ids=[row.id], until=held_back[who])
                continue
            if index and index % RENEW_EVERY == 0:
                with transaction(self.engine) as session:
                    outbox.renew_lease(session=session, owner=owner, now=self.clock())
            outcome = self._send(row)
            report.add(outcome)
            if outcome.retry_at is not None:
                held_back[who] = outcome.retry_at
            if set(outcome.errors) & GONE:
                gone.add(who)
        return report

    def _send(self, row: OutboxMessage) -> Report:
        assert row.id is not None
        try:
            response = self._call(row)
        except SlackApiError as failure:
            error = str(failure.response.get("error") or "slack_error")
            return self._failed(row, error, permanent=error in PERMANENT)
        except Exception as failure:  # a dropped connection, a timeout: worth trying again
            logger.warning("could not deliver outbox message %s: %r", row.id, failure)
            return self._failed(row, type(failure).__name__, permanent=False)
        with transaction(self.engine) as session:
            outbox.mark_sent(
                session=session,
                message_id=row.id,
                ts=_field(response, "ts"),
                channel=_field(response, "channel"),
                now=self.clock(),
            )
        return Report(sent=1)

    def _call(self, row: OutboxMessage) -> Any:
        payload = dict(row.payload)
        if row.method == "chat.postMessage":
            # channel=<user id> posts to the person's DM: no conversations.open per person.
            return self.client.chat_postMessage(channel=row.recipient, **payload)
        if row.method == outbox.RETIRING:
            return self._retire(row)
        if row.method == UPLOAD:  # the summary's chart: Slack's three-step upload, in one call
            return self.client.files_upload_v2(**ChartUpload.from_payload(payload).upload_kwargs())
        return self.client.api_call(row.method, json={"channel": row.recipient, **payload})

    def _retire(self, row: OutboxMessage) -> dict[str, Any]:
        """Take the buttons off the messages sent before this row about its subject (a barrier
        that moved on), with its note as their last line. Done again on a retry: the same words."""
        assert row.id is not None and row.subject is not None
        with transaction(self.engine) as session:
            earlier = outbox.sent_about(
                session=session,
                team_id=row.team_id,
                subject=row.subject,
                before=row.id,
                but_to=row.payload.get("keep"),
            )
        keep_ts = row.payload.get("keep_ts")  # a clicked message: its click rewrote it already
        for old in earlier:
            if old.ts == keep_ts:
                continue
            message = blocks.without_buttons(old.payload, str(row.payload.get("note") or ""))
            try:
                self.client.chat_update(channel=old.channel or "", ts=old.ts or "", **message)
            except SlackApiError as failure:  # deleted (retention, an admin): nothing to retire
                if failure.response.get("error") not in UNEDITABLE:
                    raise
                logger.info("outbox message %s: could not retire %s", row.id, old.id)
        with transaction(self.engine) as session:
            outbox.let_go(session=session, message_ids=[o.id for o in earlier if o.id is not None])
        return {}

    def _failed(self, row: OutboxMessage, error: str, *, permanent: bool) -> Report:
        assert row.id is not None
        now = self.clock()
        logger.warning(
            "outbox message %s (%s to %s) failed: %s", row.id, row.kind, row.recipient, error
        )
        retry_at = None if permanent else now + backoff(row.attempts + 1)
        with transaction(self.engine) as session:
            outbox.mark_failed(
                session=session, message_id=row.id, error=error, now=now, retry_at=retry_at
            )
            if error in GONE:  # they have left Slack: stop owing them anything
                people.mark_gone(session=session, team_id=row.team_id, user_id=row.recipient)
                outbox.fail_pending_to(
                    session=session,
                    team_id=row.team_id,
                    recipient=row.recipient,
                    error=error,
                    now=now,
                )
        if permanent:
            return Report(failed=1, errors=[error], unreached={row.recipient})
        return Report(retrying=1, errors=[error], retry_at=retry_at, unreached={row.recipient})


def _field(response: Any, name: str) -> str | None:
    """`ts` or `channel` of Slack's answer, if it has one."""
    try:
        value = response.get(name)
    except AttributeError:
        return None
    return None if value is None else str(value)
