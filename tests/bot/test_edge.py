"""The Slack edge: signatures, retries, acknowledgements, health, errors."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from bot.sandbox.fake_slack import FakeSlack
from tests.conftest import ADMIN, BOB, Running
from tests.fakes.slack_requests import SlackClient, sign
from tests.helpers import last_reply, snapshot


def test_healthz(running: Running) -> None:
    with urllib.request.urlopen(running.slack.app_url + "/healthz", timeout=5) as response:
        assert response.status == 200 and response.read() == b"ok\n"


@pytest.mark.parametrize(
    "tamper", ["bad_signature", "stale_timestamp", "future_timestamp", "no_headers"]
)
def test_unsigned_or_stale_requests_are_refused_and_write_nothing(
    running: Running, tamper: str
) -> None:
    body = running.slack.command_body(ADMIN, 'cycle add "H1" 2027-01-01 2027-06-30')
    now = int(time.time())
    if tamper == "bad_signature":
        reply = running.slack.post(
            body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64
        )
    elif tamper == "no_headers":
        reply = running.slack.post(body, "application/x-www-form-urlencoded", signature="")
    else:
        ts = now - 6 * 60 if tamper == "stale_timestamp" else now + 6 * 60
        # Correctly signed, but replayed (or from a skewed clock): still refused.
        reply = running.slack.post(
            body, "application/x-www-form-urlencoded", timestamp=ts, signature=sign(body, ts)
        )
    assert reply.status == 401
    time.sleep(0.3)
    assert all(rows == [] for rows in snapshot(running.engine).values())
    assert running.fake.calls_to("users.list") == []
    assert running.fake.messages == []


def test_a_retried_event_acts_once(running: Running) -> None:
    body = running.slack.event_body(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "DBOB",
            "user": BOB,
            "text": "hi",
            "ts": "1.000001",
        },
        event_id="EvRETRIED1",
    )
    for retry in (None, "1", "2"):
        headers = (
            {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        )
        assert running.slack.post(body, "application/json", headers=headers).status == 200
    after_everything_bob_sent(running.slack, running.fake)
    assert len(running.fake.replies_for(BOB)) == 1 + 1  # "hi" once, and the marker's answer


def after_everything_bob_sent(slack: SlackClient, fake: FakeSlack) -> None:
    """Wait until every delivery Bob's work was given has been handled: a last, different request
    from him is answered only after them (each person's work runs in arrival order), so any
    duplicate that got through would have been answered before it."""
    before = len(fake.replies_for(BOB))
    slack.command(BOB, "mine")
    fake.wait_for(
        lambda f: any(m.ephemeral_to == BOB for m in f.replies_for(BOB)[before:]), timeout=10
    )


def test_a_retried_event_acts_once_even_after_a_restart(running: Running) -> None:
    """The ledger is in the database: a second app on the same database ignores the retry."""
    from bot.app import build_app
    from bot.sandbox.serving import BackgroundServer
    from bot.server import wsgi_app

    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "DBOB",
        "user": BOB,
        "text": "hi",
        "ts": "1.000002",
    }
    assert running.slack.event(event, event_id="EvRESTART1").status == 200
    last_reply(running.fake, BOB)
    second = BackgroundServer(wsgi_app(build_app(running.services)))
    try:
        other = SlackClient(second.url, running.fake, running.slack.fake_url)
        assert (
            other.event(event, event_id="EvRESTART1", headers={"X-Slack-Retry-Num": "1"}).status
            == 200
        )
        after_everything_bob_sent(other, running.fake)
        assert len(running.fake.replies_for(BOB)) == 1 + 1  # "hi" once, and the marker's answer
    finally:
        second.stop()


@pytest.mark.parametrize(
    "event",
    [
        {
            "type": "message",
            "subtype": "message_changed",
            "channel_type": "im",
            "channel": "DBOB",
            "message": {"text": "edited", "user": BOB},
            "ts": "2.0",
        },
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel_type": "im",
            "channel": "DBOB",
            "ts": "2.1",
        },
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "BOTHER",
            "channel_type": "im",
            "channel": "DBOB",
            "text": "beep",
            "ts": "2.2",
        },
        {
            "type": "message",
            "bot_id": "BCASCADE",
            "user": "UCASCADEBOT",
            "channel_type": "im",
            "channel": "DBOB",
            "text": "my own",
            "ts": "2.3",
        },
        {
            "type": "message",
            "channel_type": "channel",
            "channel": "CGENERAL",
            "user": BOB,
            "text": "hi",
            "ts": "2.4",
        },
        {"type": "app_home_opened", "user": BOB, "channel": "DBOB", "tab": "messages"},
    ],
)
def test_ignored_events_are_still_acknowledged(running: Running, event: dict[str, object]) -> None:
    reply = running.slack.event(event)
    assert reply.status == 200
    time.sleep(0.3)
    assert running.fake.messages == [] and running.fake.home_views == {}


def test_url_verification(running: Running) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"}).encode()
    reply = running.slack.post(body, "application/json")
    assert reply.status == 200 and b"abc123" in reply.body


def test_app_home_shows_next_steps(running: Running) -> None:
    running.slack.event(
        {"type": "app_home_opened", "user": ADMIN, "channel": "DADMIN", "tab": "home"}
    )
    view = running.fake.wait_for(lambda f: f.home_views.get(ADMIN))
    assert view["type"] == "home"
    assert "cycle add" in json.dumps(view)


def test_a_dm_gets_a_helpful_answer(running: Running) -> None:
    running.slack.dm(BOB, "hello?")
    assert "What you can do next" in last_reply(running.fake, BOB).text


def test_a_stale_button_gets_a_polite_answer(running: Running) -> None:
    reply = running.slack.action(BOB, "some_button_from_an_old_version", "42")
    assert reply.status == 200
    message = last_reply(running.fake, BOB)
    assert "older message" in message.text and message.ephemeral_to == BOB


def test_every_request_is_acknowledged_fast_even_when_slack_is_slow(running: Running) -> None:
    running.fake.latency = 1.0  # every Web API call now takes a second
    timings = [
        running.slack.command(ADMIN, 'cycle add "Slow" 2027-01-01 2027-06-30').seconds,
        running.slack.command(BOB, "help").seconds,
        running.slack.dm(BOB, "hello").seconds,
        running.slack.event(
            {"type": "app_home_opened", "user": BOB, "channel": "DBOB", "tab": "home"}
        ).seconds,
        running.slack.action(BOB, "stale", "1").seconds,
    ]
    assert max(timings) < 3.0, timings
    assert max(timings) < 1.0, timings  # nothing on the ack path waits on the Web API
    # ...and the slow work still completes after the ack.
    running.fake.wait_for(lambda f: f.home_views.get(BOB), timeout=15)
    assert any(
        "Slow" in m.text
        for m in running.fake.wait_for(
            lambda f: [m for m in f.replies_for(ADMIN) if "Slow" in m.text], timeout=15
        )
    )


def test_a_failure_is_logged_and_the_user_is_told(
    running: Running, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.listeners.commands import goals

    def explode(*args: object, **kwargs: object) -> str:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(goals, "next_steps", explode)
    running.slack.command(BOB, "help")
    message = last_reply(running.fake, BOB)
    assert "something went wrong" in message.text
    assert "database on fire" not in message.text
    assert any(r.exc_info and "database on fire" in str(r.exc_info[1]) for r in caplog.records)


def test_web_api_rate_limits_and_server_errors_are_retried(running: Running) -> None:
    fake: FakeSlack = running.fake
    fake.fail_next("users.list", 429, retry_after=1)
    fake.fail_next("users.list", 503)
    started = time.monotonic()
    running.slack.command(BOB, "help")
    assert "What you can do next" in last_reply(fake, BOB, 1).text
    calls = fake.calls_to("users.list")
    assert len(calls) == 3
    assert calls[1].at - calls[0].at >= 1.0  # waited for Retry-After
    assert time.monotonic() - started < 10


def test_a_burst_of_slow_work_never_delays_an_ack(running: Running) -> None:
    """Work after the ack runs in its own pool, so acks never queue behind it."""
    from concurrent.futures import ThreadPoolExecutor

    running.slack.command(BOB, "help")  # the directory is synced before the burst
    last_reply(running.fake, BOB)
    running.fake.latency = 1.0
    requests = [lambda: running.slack.command(BOB, "help")] * 12
    requests += [lambda: running.slack.action(BOB, "stale", "1")] * 12
    requests += [lambda: running.slack.dm(BOB, "hello")] * 12
    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(lambda send: send(), requests))
    assert all(r.status == 200 for r in replies)
    slowest = max(r.seconds for r in replies)
    print(f"slowest of {len(replies)} concurrent acks: {slowest:.3f} s")
    assert slowest < 1.0, slowest
    running.fake.latency = 0.0
