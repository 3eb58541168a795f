"""The one send path: delivers what the outbox holds, in a request or from the tick alike.

Built from settings (its own Web API client) and the database; it never calls Slack inside a
transaction. The delivery semantics are in storage/outbox.py.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot import blocks
from bot.pacing import Pacer
from bot.summary_post import ChartUpload
from storage import outbox, people, workspaces
from storage.db import patiently, transaction
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
        "not_authed",
        "account_inactive",
        "missing_scope",
    }
)
# Slack's answers that the app's token no longer works (uninstalled, revoked): the workspace is
# suspended and what it is owed waits, until auth.test accepts a token again.
SUSPENDING = frozenset({"invalid_auth", "token_revoked", "token_expired"})
# Slack's answers to chat.update of a message that is no longer there to change.
UNEDITABLE = frozenset(
    {"message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found"}
)
UPLOAD = "files.upload_v2"
BATCH = 200  # rows one sender leases at a time
# Messages Slack accepted are marked sent a batch at a time: after this many, or once the oldest
# unmarked one is this many seconds old (the at-least-once window: storage/outbox.py).
MARK_EVERY = 50
MARK_WITHIN = 1.0
RENEW_AFTER = 20.0  # seconds: a long batch keeps its lease (storage/outbox.py's LEASE) this often


def backoff(attempts: int) -> timedelta:
    """How long after its `attempts`-th failure a message is tried again: 30 s, 1 min, 2 min…"""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


AWAY_BASE = timedelta(seconds=30)  # Slack unreachable: the first wait before trying again…
AWAY_CAP = timedelta(minutes=5)  # …doubling, with jitter, up to this
AWAY_AFTER = 3  # failures in a row (each after the client's own retries) that mean "away"
AWAY_LOG_EVERY = timedelta(minutes=1)


def away_backoff(failures: int, rng: random.Random) -> timedelta:
    """How long to wait after the `failures`-th failure in a row to reach Slack: "full jitter"
    (uniform up to a doubling ceiling, capped), with a floor so that it never hammers."""
    ceiling = min(AWAY_BASE * 2 ** max(failures - 1, 0), AWAY_CAP)
    jitter: timedelta = (ceiling - AWAY_BASE) * rng.random()
    return AWAY_BASE + jitter


@dataclass
class Reachability:
    """Whether Slack answers at all, as every sender of this process has found: after
    AWAY_AFTER failures in a row (5xx or no connection) nobody calls it until `next_try`."""

    failures: int = 0
    since: datetime | None = None
    next_try: datetime | None = None
    logged_at: datetime | None = None
    rng: random.Random = field(default_factory=random.Random)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def waiting_until(self, now: datetime) -> datetime | None:
        """When Slack is worth trying again, if not yet."""
        with self.lock:
            return self.next_try if self.next_try is not None and now < self.next_try else None

    def failed(self, now: datetime) -> datetime:
        """One more failure to reach Slack: when to try the message again."""
        with self.lock:
            self.failures += 1
            self.since = self.since or now
            retry_at = now + away_backoff(self.failures, self.rng)
            if self.failures >= AWAY_AFTER:
                self.next_try = retry_at
            return retry_at

    def reached(self) -> datetime | None:
        """Slack answered: since when it had been away, if it had."""
        with self.lock:
            since = self.since if self.next_try is not None else None
            self.failures, self.since, self.next_try, self.logged_at = 0, None, None, None
            return since

    def time_to_log(self, now: datetime) -> bool:
        """Whether the one line a minute about it is due."""
        with self.lock:
            if self.logged_at is not None and now < self.logged_at + AWAY_LOG_EVERY:
                return False
            self.logged_at = now
            return True


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
    held: int = 0  # messages to a suspended workspace, left owed
    retry_at: datetime | None = None  # of the one message this report is about, if it failed
    unreached: set[str] = field(default_factory=set)  # recipients a message could not reach
    suspended: set[str] = field(default_factory=set)  # workspaces whose token Slack refused

    def add(self, other: Report) -> None:
        """Fold another report into this one."""
        self.unreached |= other.unreached
        self.suspended |= other.suspended
        self.held += other.held
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.errors.extend(other.errors)


class Sender:
    """Delivers outbox rows through one Web API client."""

    def __init__(
        self,
        *,
        engine: Engine,
        client: WebClient,
        clock: Callable[[], datetime],
        pacer: Pacer | None = None,
        reachability: Reachability | None = None,
    ) -> None:
        self.engine = engine
        self.client = client
        self.clock = clock
        self.pacer = pacer or Pacer()
        self.reachability = reachability or Reachability()

    def at(self, now: datetime) -> Sender:
        """This sender, with its clock starting at `now` (a tick runs as of one instant) and
        moving on as real time does: a fan-out at Slack's pace lasts hours, and its leases
        (renewed as it goes) must stay ahead of the clocks of other senders, such as the next
        `cascade tick` from cron. Its pace and what it knows of Slack's reachability are
        shared with this one."""
        started = time.monotonic()
        return Sender(
            engine=self.engine,
            client=self.client,
            clock=lambda: now + timedelta(seconds=time.monotonic() - started),
            pacer=self.pacer,
            reachability=self.reachability,
        )

    def resume_reinstalled(self) -> list[str]:
        """Suspended workspaces whose token Slack accepts again (auth.test): sending resumes."""
        with transaction(self.engine) as session:
            suspended = workspaces.suspended(session=session)
        if not suspended:
            return []
        try:
            team_id = str(self.client.auth_test().get("team_id") or "")
        except Exception as refused:  # still refused, or Slack away: asked again next tick
            logger.info("workspace still suspended: auth.test answered %r", refused)
            return []
        if team_id not in suspended:
            return []
        with transaction(self.engine) as session:
            workspaces.resume(session=session, team_id=team_id)
        logger.warning("Slack accepts the token for workspace %s again: sending resumes", team_id)
        return [team_id]

    def deliver_owned(self, owner: str, *, reply_to: str | None = None) -> Report:
        """Deliver the rows a request (or a tick) wrote, leased to it at once (storage/outbox.py),
        a batch at a time. Those to `reply_to` (the person who just typed or clicked: they wait
        for them) go before the messages nobody waits for, which keep the overall pace."""
        report, after = Report(), 0
        while True:
            with transaction(self.engine) as session:
                rows = outbox.ready(
                    session=session, owner=owner, now=self.clock(), after=after, limit=BATCH
                )
            report.add(self._deliver(rows, owner, reply_to=reply_to))
            if len(rows) < BATCH:
                return report
            after = rows[-1].row.id or after

    def deliver_due(self, *, limit: int | None = None) -> Report:
        """Deliver everything pending that is due and leased to nobody (the tick's part), a
        batch at a time; senders in other processes share the work."""
        report = Report()
        while limit is None or report.sent + report.failed + report.retrying < limit:
            owner = new_owner()
            with transaction(self.engine) as session:
                if not outbox.lease_due(
                    session=session, owner=owner, now=self.clock(), limit=BATCH
                ):
                    break
                rows = outbox.ready(session=session, owner=owner, now=self.clock())
            report.add(self._deliver(rows, owner, reply_to=None))
        return report

    def _deliver(self, rows: list[outbox.Ready], owner: str, *, reply_to: str | None) -> Report:
        """Send the rows in order; each person's in order behind any earlier one still owed;
        nothing to a suspended workspace, nothing while Slack is away; at Slack's pace."""
        report = Report()
        marks = Marks(self, owner)
        held_back: dict[tuple[str, str], datetime] = {}  # who → when their failed one retries
        suspended: set[str] = set()  # workspaces whose token Slack refused during this batch
        gone: set[tuple[str, str]] = set()  # recipients who have left (their rows have failed)
        release: list[int] = []
        defer: dict[datetime, list[int]] = {}
        for ready in rows:
            row = ready.row
            assert row.id is not None
            who = (row.team_id, row.recipient)
            later = (
                held_back.get(who) or ready.behind or self.reachability.waiting_until(self.clock())
            )
            if ready.suspended or row.team_id in suspended:
                release.append(row.id)
                report.held += 1
            elif later is not None:
                defer.setdefault(later, []).append(row.id)
            elif who not in gone:
                if marks.due() or row.method == outbox.RETIRING:  # it reads where those went
                    marks.flush()
                self.pacer.wait(who, reply=row.recipient == reply_to)
                outcome = self._send(row, marks)
                report.add(outcome)
                suspended |= outcome.suspended
                if outcome.retry_at is not None:
                    held_back[who] = outcome.retry_at
                if set(outcome.errors) & GONE:
                    gone.add(who)
        marks.flush()
        self._give_back(release, defer)
        return report

    def _give_back(self, release: list[int], defer: dict[datetime, list[int]]) -> None:
        """Rows left unsent: a suspended workspace's as they were, the rest until `defer`'s."""
        if not release and not defer:
            return
        with transaction(self.engine) as session:
            outbox.release(session=session, message_ids=release)
            for until, ids in defer.items():
                outbox.defer(session=session, message_ids=ids, until=until)
        if defer and self.reachability.waiting_until(self.clock()) is not None:
            self._log_away()

    def _send(self, row: OutboxMessage, marks: Marks) -> Report:
        assert row.id is not None
        try:
            response = self._call(row)
        except SlackApiError as failure:
            marks.flush()  # what was sent is marked before anything about its rows is written
            error = str(failure.response.get("error") or "slack_error")
            if error in SUSPENDING:
                return self._suspend(row, error)
            if failure.response.status_code >= 500:  # after the client's own retries
                return self._unreachable(row, error)
            return self._failed(row, error, permanent=error in PERMANENT)
        except Exception as failure:  # a dropped connection, a timeout: worth trying again
            marks.flush()
            return self._unreachable(row, type(failure).__name__)
        since = self.reachability.reached()
        if since is not None:
            logger.warning("Slack answers again (away since %s): delivering", since.isoformat())
        marks.add(outbox.Sent(row.id, _field(response, "ts"), _field(response, "channel")))
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

    def _unreachable(self, row: OutboxMessage, error: str) -> Report:
        """Slack did not answer (5xx, no connection): the message waits, its attempts untouched
        (an outage of hours must not fail what it owes), and it is said once a minute."""
        assert row.id is not None
        retry_at = self.reachability.failed(self.clock())
        logger.debug("outbox message %s: Slack unreachable (%s)", row.id, error)
        with transaction(self.engine) as session:
            outbox.defer(session=session, message_ids=[row.id], until=retry_at)
        self._log_away()
        return Report(retrying=1, errors=[error], retry_at=retry_at, unreached={row.recipient})

    def _log_away(self) -> None:
        """One line a minute while Slack is away, however many messages wait."""
        r = self.reachability
        if r.since is None or r.next_try is None or not r.time_to_log(self.clock()):
            return
        with transaction(self.engine) as session:
            waiting = outbox.pending_count(session=session)
        logger.warning(
            "Slack unreachable since %s: %d messages waiting, next try at %s",
            r.since.isoformat(timespec="seconds"),
            waiting,
            r.next_try.isoformat(timespec="seconds"),
        )

    def _suspend(self, row: OutboxMessage, error: str) -> Report:
        """Slack refuses the app's token: the workspace is suspended, the message left owed."""
        assert row.id is not None
        with transaction(self.engine) as session:
            newly = workspaces.suspend(
                session=session, team_id=row.team_id, reason=error, at=self.clock()
            )
            outbox.release(session=session, message_ids=[row.id])
        if newly:
            logger.warning(
                "Slack refuses the token for workspace %s (%s): nothing is sent until it "
                "accepts one again; what is owed waits",
                row.team_id,
                error,
            )
        return Report(held=1, errors=[error], suspended={row.team_id})

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


@dataclass
class Marks:
    """Messages Slack accepted, not yet marked sent: marked a batch at a time, in one statement
    (see storage/outbox.py for the window this leaves), with the lease renewed as it goes."""

    sender: Sender
    owner: str
    sent: list[outbox.Sent] = field(default_factory=list)
    oldest: float = 0.0  # monotonic: when the first unmarked one was accepted
    renewed: float = field(default_factory=time.monotonic)

    def add(self, sent: outbox.Sent) -> None:
        if not self.sent:
            self.oldest = time.monotonic()
        self.sent.append(sent)

    def due(self) -> bool:
        """Whether the next message waits for these to be marked (the window's bounds), or for
        the lease to be renewed."""
        if not self.sent:
            return time.monotonic() - self.renewed >= RENEW_AFTER
        return len(self.sent) >= MARK_EVERY or time.monotonic() - self.oldest >= MARK_WITHIN

    def flush(self) -> None:
        """Mark them sent, and renew the lease if it is time. Slack has them: the database
        restarting now must not leave them owed (sent twice)."""
        renew = time.monotonic() - self.renewed >= RENEW_AFTER
        if not self.sent and not renew:
            return
        patiently(lambda: self._write(renew))
        self.sent = []
        if renew:
            self.renewed = time.monotonic()

    def _write(self, renew: bool) -> None:
        now = self.sender.clock()
        with transaction(self.sender.engine) as session:
            outbox.mark_all_sent(session=session, sent=self.sent, now=now)
            if renew:
                outbox.renew_lease(session=session, owner=self.owner, now=now)


def _field(response: Any, name: str) -> str | None:
    """`ts` or `channel` of Slack's answer, if it has one."""
    try:
        value = response.get(name)
    except AttributeError:
        return None
    return None if value is None else str(value)
