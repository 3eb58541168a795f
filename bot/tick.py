"""The tick: everything scheduled that is due as of `now`, claimed in the outbox, then sent.

One clock calls it (APScheduler inside `cascade run/serve/sandbox`, or cron through `cascade tick`);
it is idempotent: run twice, late, or in two processes at once, it sends each item once. What is
due is decided in conversations/schedule/nudges.py; here it is worded and delivered.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.outbox import UPLOAD, Report, new_owner
from bot.services import Services
from bot.summary_post import KIND, channel_for, weekly_messages
from bot.turns import owed_notices
from conversations.schedule import nudges
from conversations.views import summary
from storage import outbox
from storage.db import rehearsal, transaction
from storage.models import OutboxMessage, OutboxStatus

logger = logging.getLogger("cascade")


@dataclass(frozen=True)
class Due:
    """One message the tick found due: what, to whom, about what."""

    team_id: str
    kind: str
    recipient: str


@dataclass
class TickReport:
    at: datetime
    due: list[Due] = field(default_factory=list)  # nudges this tick owed
    pending: list[OutboxMessage] = field(default_factory=list)  # earlier messages still owed
    delivery: Report = field(default_factory=Report)


def run_tick(services: Services, now: datetime, *, dry_run: bool = False) -> TickReport:
    """Owe what is due as of `now`, then deliver everything owed; with `dry_run`, only list it."""
    report = TickReport(at=now)
    owner = new_owner()
    unit: AbstractContextManager[Session] = (
        rehearsal(services.engine) if dry_run else transaction(services.engine)
    )
    with unit as session:
        report.pending = [
            m
            for m in outbox.list_messages(session=session, status=OutboxStatus.PENDING)
            if m.next_attempt_at <= now and (m.lease_until is None or m.lease_until < now)
        ]
        due = nudges.due(session=session, now=now, admin_ids=services.settings.admin_ids)
        for team_id, notices in due.items():
            owing = owed_notices(team_id, notices)
            outbox.enqueue(session=session, messages=owing.new, now=now, owner=owner)
            outbox.fill(session=session, payloads=owing.claimed, now=now, owner=owner)
            report.due.extend(Due(team_id, n.kind, n.user_id) for n in notices)
            report.due.extend(_weekly_summary(session, services, team_id, now, owner))
    if dry_run:
        return report
    sender = services.sender.at(now)
    report.delivery = sender.deliver_owned(owner)
    report.delivery.add(sender.deliver_due())
    if report.due or report.delivery.sent or report.delivery.failed:
        logger.info(
            "tick at %s: %d due, %d sent, %d to retry, %d failed",
            now.isoformat(),
            len(report.due),
            report.delivery.sent,
            report.delivery.retrying,
            report.delivery.failed,
        )
    return report


def _weekly_summary(
    session: Session, services: Services, team_id: str, now: datetime, owner: str
) -> list[Due]:
    """The leadership summary and its chart, owed once a week to the summary channel at the
    workspace's Monday 08:00 (late by less than the tick's window; a stale one is skipped)."""
    channel = channel_for(session=session, team_id=team_id, settings=services.settings)
    if channel is None:
        return []
    slot = summary.slot(session=session, team_id=team_id, now=now)
    if not slot.at <= now < slot.at + nudges.WINDOW:
        return []
    post_key = (KIND, channel, slot.period)
    chart_key = (f"{KIND}_chart", channel, slot.period)
    if outbox.owed(
        session=session, team_id=team_id, kind=KIND, subject=channel, period_key=slot.period
    ):
        return []
    posts = weekly_messages(session=session, team_id=team_id, now=now, channel=channel)
    if not posts:
        return []
    claimed = outbox.claim(
        session=session,
        team_id=team_id,
        claims=[(post_key, channel), (chart_key, channel)],
        now=now,
    )
    if post_key not in claimed:  # another tick claimed it first
        return []
    [post] = posts
    message = {k: v for k, v in post.message.items() if k != "channel"}
    payloads = {claimed[post_key]: message}
    methods = {}
    if chart_key in claimed:
        payloads[claimed[chart_key]] = post.chart.as_payload()
        methods[claimed[chart_key]] = UPLOAD
    outbox.fill(session=session, payloads=payloads, now=now, owner=owner, methods=methods)
    return [Due(team_id, KIND, channel)]
