"""The tick: everything scheduled that is due as of `now`, claimed in the outbox, then sent.

One clock calls it (APScheduler inside `cascade run/serve/sandbox`, or cron through `cascade tick`);
it is idempotent: run twice, late, or in two processes at once, it sends each item once. What is
due is decided in conversations/nudges.py; here it is worded and delivered.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.outbox import Report, new_owner
from bot.services import Services
from bot.turns import owed_notices
from conversations import nudges
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
