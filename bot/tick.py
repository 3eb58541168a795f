"""The tick: everything scheduled that is due as of `now`, owed in the outbox, then sent.

One clock calls it (APScheduler inside `cascade run/serve/sandbox`, or cron through `cascade tick`);
it is idempotent: run twice, late, or in two processes at once, it sends each item once. What is
due is decided in conversations/schedule/; `owe` here words it and writes it, in one place.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlmodel import Session

from bot import blocks
from bot.outbox import UPLOAD, Report, new_owner
from bot.services import Services
from bot.summary_post import KIND, channel_for, weekly_messages
from bot.turns import notice_message, owed_notices
from conversations import clock
from conversations.flows.spec import Notice
from conversations.schedule import budget
from conversations.schedule.due import due as due_now
from conversations.schedule.world import WINDOW
from conversations.services import planning
from conversations.views import retrospective as retro
from conversations.views import summary
from prompts import render
from storage import outbox
from storage.db import rehearsal, transaction

logger = logging.getLogger("cascade")
RETRO = "retrospective_org"  # the outbox kind of the organisation's look back, in the channel
# Nudges worded and written at a time: a busy hour's 50,000 messages (blocks and all, and the
# one JSON document each write sends) are never in memory at once.
WORDED_AT_ONCE = 5_000


@dataclass(frozen=True)
class Due:
    """One message the tick found due: what, to whom, about what."""

    team_id: str
    kind: str
    recipient: str


@dataclass
class TickReport:
    at: datetime
    due: list[Due] = field(default_factory=list)  # what this tick owed
    pending: list[outbox.Listed] = field(default_factory=list)  # earlier messages still owed
    delivery: Report = field(default_factory=Report)


def run_tick(services: Services, now: datetime, *, dry_run: bool = False) -> TickReport:
    """Owe what is due as of `now`, then deliver everything owed; with `dry_run`, only list it."""
    report = TickReport(at=now)
    owner = new_owner()
    unit: AbstractContextManager[Session] = (
        rehearsal(services.engine) if dry_run else transaction(services.engine)
    )
    with unit as session:
        if dry_run:  # what earlier ticks owe and have not sent: listed, never read otherwise
            report.pending = outbox.due_listing(session=session, now=now)
        found = due_now(session=session, now=now, admin_ids=services.settings.admin_ids)
        for team_id, due in found.items():
            report.due.extend(owe(session, team_id, due, now, owner))
            report.due.extend(_weekly_summary(session, services, team_id, now, owner))
            report.due.extend(_retrospective(session, services, team_id, now, owner))
    if dry_run:
        return report
    if len(report.due) >= outbox.MANY:  # the sender's plans must know the outbox has grown
        with transaction(services.engine) as session:
            outbox.refresh_statistics(session=session)
    sender = services.sender.at(now)
    sender.resume_reinstalled()
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


def owe(session: Session, team_id: str, due: budget.Due, now: datetime, owner: str) -> list[Due]:
    """Word and write what one workspace is owed: each escalation's messages, each nudge once
    (its key is unique: a nudge another tick owed first is skipped, and the held-back nudges it
    tells of stay held for the next one), and the nudges held back this week."""
    outbox.enqueue(
        session=session, messages=owed_notices(team_id, due.escalated).new, now=now, owner=owner
    )
    written: set[outbox.Key] = set()
    for start in range(0, len(due.nudges), WORDED_AT_ONCE):
        nudges = [
            outbox.Owed(
                team_id,
                n.candidate.kind,
                n.candidate.person.user_id,
                notice_message(_worded(n)),
                subject=n.candidate.subject,
                period_key=n.candidate.period_key,
            )
            for n in due.nudges[start : start + WORDED_AT_ONCE]
        ]
        written |= outbox.enqueue(session=session, messages=nudges, now=now, owner=owner)
    folded = [row for n in due.nudges if n.candidate.key in written for row in n.folds]
    outbox.mark_folded(session=session, message_ids=folded, now=now)
    outbox.hold(
        session=session,
        team_id=team_id,
        items=[(c.key, c.person.user_id, c.held) for c in due.held],
        now=now,
    )
    return [Due(team_id, n.kind, n.user_id) for n in due.escalated] + [
        Due(team_id, n.candidate.kind, n.candidate.person.user_id)
        for n in due.nudges
        if n.candidate.key in written
    ]


def _worded(nudge: budget.Nudge) -> Notice:
    c = nudge.candidate
    also = list(nudge.also)
    context = {**c.context, "also": also}
    return Notice(c.person.user_id, c.template, context, c.choices, c.kind, rows=c.rows)


def _weekly_summary(
    session: Session, services: Services, team_id: str, now: datetime, owner: str
) -> list[Due]:
    """The leadership summary and its chart, owed once a week to the summary channel at the
    workspace's Monday 08:00 (late by less than the tick's window; a stale one is skipped)."""
    channel = channel_for(session=session, team_id=team_id, settings=services.settings)
    if channel is None:
        return []
    slot = summary.slot(session=session, team_id=team_id, now=now)
    if not slot.at <= now < slot.at + WINDOW:
        return []
    if outbox.owed(
        session=session, team_id=team_id, kind=KIND, subject=channel, period_key=slot.period
    ):
        return []
    posts = weekly_messages(session=session, team_id=team_id, now=now, channel=channel)
    if not posts:
        return []
    [post] = posts  # one message: the chart, and the summary as its initial comment
    row = outbox.Owed(
        team_id,
        KIND,
        channel,
        post.chart.as_payload(),
        method=UPLOAD,
        subject=channel,
        period_key=slot.period,
    )
    written = outbox.enqueue(session=session, messages=[row], now=now, owner=owner)
    return [Due(team_id, KIND, channel)] if (KIND, channel, slot.period) in written else []


def _retrospective(
    session: Session, services: Services, team_id: str, now: datetime, owner: str
) -> list[Due]:
    """The organisation's look back on the cycle that ended, to the summary channel, the first
    working day after it at 09:00 (workspace time), once; counts only, no lessons."""
    channel = channel_for(session=session, team_id=team_id, settings=services.settings)
    ended = planning.ended(session=session, team_id=team_id, now=now)
    if channel is None or ended is None:
        return []
    workspace, slot = summary.schedule(session=session, team_id=team_id, now=now)
    due = retro.due_at(ended, slot.tz, clock.parse_working_days(workspace.working_days))
    if not due <= now < due + WINDOW:
        return []
    period = f"cycle:{ended.id}"
    if outbox.owed(
        session=session, team_id=team_id, kind=RETRO, subject=channel, period_key=period
    ):
        return []
    later = planning.after(session=session, team_id=team_id, cycle=ended)
    whole = retro.retrospective(
        session=session, team_id=team_id, cycle=ended, next_cycle=later, tz=slot.tz
    )
    counted = retro.Retrospective(ended, [replace(u, lessons=()) for u in whole.units], later)
    payload = blocks.message(render("retrospective/channel", retro=counted))
    row = outbox.Owed(team_id, RETRO, channel, payload, subject=channel, period_key=period)
    written = outbox.enqueue(session=session, messages=[row], now=now, owner=owner)
    return [Due(team_id, RETRO, channel)] if (RETRO, channel, period) in written else []
