"""The one clock: one interval job for the whole app, never one per person; off on request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.cli import parser
from bot.sandbox.fake_slack import FakeSlack
from bot.scheduler import EVERY, start_scheduler
from bot.services import Services
from tests.conftest import settings_for


def test_one_job_ticks_every_minute_and_never_overlaps(
    engine: Engine, fake_slack: tuple[FakeSlack, str]
) -> None:
    fake, url = fake_slack
    ticks: list[datetime] = []

    def clock() -> datetime:
        ticks.append(datetime.now(UTC))
        return datetime.now(UTC)

    services = Services(settings=settings_for(fake, url), engine=engine, clock=clock)
    scheduler = start_scheduler(services)
    try:
        [job] = scheduler.get_jobs()
        assert job.trigger.interval == EVERY == timedelta(minutes=1)
        assert job.coalesce is True and job.max_instances == 1
        job.modify(next_run_time=datetime.now(UTC))  # run it now rather than in a minute
        fake.wait_for(lambda f: ticks, timeout=10)
    finally:
        scheduler.shutdown(wait=True)
    services.background.shutdown(wait=True)


@pytest.mark.parametrize("command", ["run", "serve", "sandbox"])
def test_every_long_running_command_can_leave_the_clock_to_cron(command: str) -> None:
    assert parser().parse_args([command, "--no-scheduler"]).no_scheduler is True
    assert parser().parse_args([command]).no_scheduler is False
