"""No log line holds a token, the signing secret, or what people wrote (issue 22, item 7).

Every test is checked (tests/conftest.py: `log_scan`); this one shows the check is not empty:
it saw Slack's libraries log request bodies at DEBUG, redacted, and knew the barrier's text."""

from __future__ import annotations

import logging

from bot import redaction
from tests.bot.conftest import Walk
from tests.bot.test_keeping_alive import agreed_goal
from tests.conftest import BOB, PRIVATE, SECRETS, LogScan

BARRIER = "Legal still holds the Zephyr contract"


def test_a_barrier_reported_through_slack_is_in_no_log_line(walk: Walk, log_scan: LogScan) -> None:
    agreed_goal(walk, progress=30, confidence="at_risk")
    walk.command(BOB, f"barrier {BARRIER}")
    walk.expect(BOB, "Reported")
    assert BARRIER in PRIVATE
    sdk = [t for name, level, t in log_scan.records if name.startswith("slack_sdk")]
    assert any(redaction.REDACTED in t for t in sdk) and len(sdk) > 10
    bolt = [t for name, level, t in log_scan.records if name.startswith("slack_bolt")]
    assert any(level == logging.DEBUG for name, level, _ in log_scan.records)
    assert bolt and log_scan.leaks() == []


def test_redact_takes_out_tokens_and_secrets() -> None:
    redaction.install(SECRETS)
    logging.getLogger("cascade.test").warning("token xoxb-123-abc and %s", "test-signing-secret")
    text = "token xoxb-1-2 xapp-1-A-3 xoxe.xoxp-1 and test-signing-secret"
    assert redaction.redact(text).count(redaction.REDACTED) == 4
