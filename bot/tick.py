"""The tick: everything scheduled that is due as of `now`, claimed in the outbox, then sent.

One clock calls it (APScheduler inside `cascade run/serve/sandbox`, or cron through `cascade tick`);
it is idempotent: run twice, late, or in two processes at once, it sends each item once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from bot.outbox import Report
from bot.services import Services
from storage import outbox
from storage.db import transaction
from storage.models import OutboxMessage, OutboxStatus

logger = logging.getLogger("cascade")


@dataclass
class TickReport:
    at: datetime
    pending: list[OutboxMessage] = field(default_factory=list)  # what is (or was) to be sent
    delivery: Report = field(default_factory=Report)


def run_tick(services: Services, now: datetime, *, dry_run: bool = False) -> TickReport:
    """Deliver what is owed and due as of `now`; with `dry_run`, only list it."""
    report = TickReport(at=now)
    with transaction(services.engine) as session:
        report.pending = [
            m
            for m in outbox.list_messages(session=session, status=OutboxStatus.PENDING)
            if m.next_attempt_at <= now and (m.lease_until is None or m.lease_until < now)
        ]
    if not dry_run:
        report.delivery = services.sender.deliver_due()
    return report
