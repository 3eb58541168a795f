"""The one clock: an APScheduler interval job that runs the tick every minute.

Everything scheduled is data in the database (bot/tick.py, conversations/schedule/); this is
only the heartbeat, never one job per person. `--no-scheduler` leaves it to cron and `cascade tick`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.services import Services
from bot.tick import run_tick

logger = logging.getLogger("cascade")
EVERY = timedelta(minutes=1)


def _tick(services: Services) -> None:
    try:
        run_tick(services, services.clock())
    except Exception:  # the next minute tries again; the log has why
        logger.exception("the tick failed")


def start_scheduler(services: Services) -> BackgroundScheduler:
    """Run the tick every minute in a background thread; a late or overlapping run is skipped
    (`coalesce`, `max_instances=1`), and the tick itself is idempotent anyway."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        _tick,
        IntervalTrigger(seconds=EVERY.total_seconds()),
        args=[services],
        id="cascade-tick",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(EVERY.total_seconds()),
    )
    scheduler.start()
    return scheduler
