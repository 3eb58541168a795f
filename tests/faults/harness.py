"""The whole app in this process, driven by signed requests, fast enough for thousands of cases.

`Harness` builds the real Bolt app (build_app) on a test database, with three changes that keep
everything else as in production: its Web API client and the sender's call the fake Slack in this
process (no sockets; the retry handlers still run); Bolt's listener pool and the background pool
run work inline, so a request's work (after the ack) is done when `dispatch` returns; and the log
is watched for anything unhandled. Payloads are Slack's own shapes (bot/sandbox/slack_side.py),
signed and dispatched through Bolt as an HTTP request would be.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message as Headers
from io import BytesIO
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, urlencode, urlparse
from urllib.request import Request

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy import Engine
from sqlmodel import Session

from bot.app import build_app
from bot.outbox import Sender, new_owner
from bot.pacing import Pacer
from bot.people import actor
from bot.sandbox.fake_slack import (
    MESSAGE_BLOCK_LIMIT,
    TEXT_LIMIT,
    FakeSlack,
    SlackError,
    formatting_problems,
    validate_blocks,
)
from bot.sandbox.slack_side import SlackPayloads, sign
from bot.services import Services
from bot.slack import retry_handlers
from bot.turns import Owing
from bot.work import Acting
from conversations import clock
from tests.conftest import settings_for
from tests.fakes.slack_requests import SIGNING_SECRET

FORM = "application/x-www-form-urlencoded"


class _NoWait(RetryHandler):
    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        state.increment_current_attempt()


def quick(handler: RetryHandler) -> RetryHandler:
    """The same retry policy (which answers, how many times), without the waiting between."""
    quicker = type(f"Quick{type(handler).__name__}", (_NoWait, type(handler)), {})
    copy: RetryHandler = quicker.__new__(quicker)
    copy.__dict__.update(handler.__dict__)
    return copy


class InProcessClient(WebClient):
    """A WebClient whose HTTP requests are answered by a FakeSlack in this process, with the
    app's retry policy minus the waiting (a storm of 429s would otherwise take minutes)."""

    def __init__(self, fake: FakeSlack, base_url: str = "http://fake.invalid/api/") -> None:
        super().__init__(
            token=fake.bot_token,
            base_url=base_url,
            retry_handlers=[quick(h) for h in retry_handlers()],
        )
        self.fake = fake

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        parsed = urlparse(url)
        method = parsed.path.rsplit("/", 1)[-1]
        args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        raw = req.data if isinstance(req.data, bytes) else b""
        if raw and "json" in str(req.get_header("Content-type") or ""):
            args.update(json.loads(raw))
        elif raw:
            args.update({k: v[-1] for k, v in parse_qs(raw.decode()).items()})
        auth = str(req.get_header("Authorization") or "")
        token = (
            auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.pop("token", None)
        )
        try:
            status, headers, body = self.fake.call(method, args, token)
        except ConnectionRefusedError as refused:  # urllib's own wrapping of a refused socket
            raise URLError(refused) from None
        text = json.dumps(body)
        if status != 200:
            message = Headers()
            message["Content-Type"] = "application/json; charset=utf-8"
            for key, value in headers.items():
                message[key] = value
            raise HTTPError(url, status, "fault", message, BytesIO(text.encode()))
        return {"status": 200, "headers": {"content-type": "application/json"}, "body": text}


class VirtualTime:
    """A monotonic clock that only moves when someone sleeps on it: Slack's pace kept, no wait."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


class Inline(Executor):
    """Runs what it is given at once, in the caller's thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # noqa: B036 - handed back, as a pool would
            future.set_exception(error)
        return future


class Watch(logging.Handler):
    """Every record at ERROR or above, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Harness:
    fake: FakeSlack
    fake_url: str  # where response_urls go (the fake served on loopback)
    engine: Engine
    clock: Callable[[], Any] | None = None
    services: Services = field(init=False)
    app: App = field(init=False)
    payloads: SlackPayloads = field(init=False)
    watch: Watch = field(default_factory=Watch)
    time: VirtualTime = field(default_factory=VirtualTime)  # the sender's pace, kept virtually
    background: Executor | None = None  # work after the ack: inline, unless a pool is given

    def __post_init__(self) -> None:
        settings = settings_for(self.fake, self.fake_url)
        kwargs: dict[str, Any] = {"clock": self.clock} if self.clock else {}
        self.services = Services(
            settings=settings, engine=self.engine, background=self.background or Inline(), **kwargs
        )
        # Bolt makes a plain WebClient per request from the app's base URL and retry handlers:
        # those go to the fake over loopback HTTP; the sender's delivery stays in-process.
        client = InProcessClient(self.fake, base_url=self.fake_url + "/api/")
        # The one send path, on the in-process client (Services builds it from settings).
        self.services.__dict__["sender"] = Sender(
            engine=self.engine,
            client=InProcessClient(self.fake),
            clock=self.services.clock,
            pacer=Pacer(monotonic=self.time, sleep=self.time.sleep),
        )
        self.app = build_app(self.services, client=client)
        self.app.listener_runner.listener_executor = Inline()
        self.payloads = SlackPayloads(self.fake, self.fake_url)
        logging.getLogger().addHandler(self.watch)

    def close(self) -> None:
        logging.getLogger().removeHandler(self.watch)

    # -- requests ----------------------------------------------------------------------------

    def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> BoltResponse:
        ts = int(time.time())
        signed = {
            "content-type": content_type,
            "x-slack-request-timestamp": str(ts),
            "x-slack-signature": sign(body.encode(), ts, SIGNING_SECRET),
            **(headers or {}),
        }
        return self.app.dispatch(BoltRequest(body=body, headers=signed))

    def command(self, user: str, text: str, *, raw: bool = False) -> BoltResponse:
        """`/goals text`; with `raw`, the text as Slack would send it (not escaped again)."""
        fields = self.payloads.command(user, "")
        fields["text"] = text if raw else self.fake.as_sent_by_slack(text)
        return self.post(urlencode(fields), FORM)

    def dm(self, user: str, text: str, *, raw: bool = False) -> BoltResponse:
        if raw:
            event = self.payloads.dm_event(user, "")
            event["text"] = text
        else:
            event = self.payloads.dm_event(user, text)
        return self.post(json.dumps(self.payloads.event(event)), "application/json")

    def home(self, user: str) -> BoltResponse:
        event = self.payloads.event(self.payloads.home_opened_event(user))
        return self.post(json.dumps(event), "application/json")

    def click(
        self, user: str, action_id: str, value: str = "", message_ts: str | None = None
    ) -> BoltResponse:
        payload = self.payloads.action(user, action_id, value, message_ts=message_ts)
        return self.post(urlencode({"payload": json.dumps(payload)}), FORM)

    def submit(self, user: str, values: dict[str, dict[str, Any]]) -> BoltResponse:
        view_id, payload = self.payloads.submission(user, values)
        response = self.post(urlencode({"payload": json.dumps(payload)}), FORM)
        body = json.loads(response.body) if response.body.strip().startswith("{") else {}
        self.fake.apply_view_response(user, view_id, body)
        return response

    # -- what went wrong ---------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Anything unhandled in the log, anything Slack refused or would show wrongly."""
        refused = [e for e in self.fake.errors if e != ("users.info", "user_not_found")]
        return (
            [
                f"log: {r.getMessage()} {r.exc_info[1]!r}"
                if r.exc_info
                else f"log: {r.getMessage()}"
                for r in self.watch.records
            ]  # fmt: skip
            + [f"refused: {e}" for e in refused]
            + [f"misformatted: {m}" for m in self.fake.misformatted]
        )

    def forget(self) -> None:
        """Start counting problems afresh (and let the fake drop what it has recorded, but the
        messages with buttons: Slack keeps those, and the app may yet take their buttons off)."""
        self.watch.records.clear()
        with self.fake.lock:
            self.fake.errors.clear()
            self.fake.misformatted.clear()
            self.fake.calls.clear()
            old, recent = self.fake.messages[:-50], self.fake.messages[-50:]
            self.fake.messages[:] = [m for m in old if _has_buttons(m.blocks)] + recent


def _has_buttons(blocks: list[dict[str, Any]] | None) -> bool:
    return any(b.get("type") == "actions" for b in blocks or [])


@contextmanager
def harness(fake: FakeSlack, fake_url: str, engine: Engine, **kwargs: Any) -> Iterator[Harness]:
    h = Harness(fake, fake_url, engine, **kwargs)
    try:
        yield h
    finally:
        h.close()


# -- the bulk tier: one case, one transaction, rolled back -------------------------------------


def slack_problems(payload: dict[str, Any], where: str) -> list[str]:
    """What Slack would refuse in a chat.postMessage / chat.update payload, or show wrongly."""
    text, blocks = str(payload.get("text") or ""), payload.get("blocks") or []
    try:
        validate_blocks(blocks, MESSAGE_BLOCK_LIMIT)
    except SlackError as error:
        return [f"{where}: {error.error} {error.extra}"]
    problems = [] if text or blocks else [f"{where}: no_text"]
    problems += [f"{where}: msg_too_long"] if len(text) > TEXT_LIMIT else []
    everything = [{"type": "mrkdwn", "text": text}, *blocks]
    return problems + [f"{where}: {p}" for p in formatting_problems(everything)]


class Bulk:
    """Cases in one long transaction, each in a savepoint rolled back after it: every case starts
    from the same state, and none pays for a connection or a commit (the bulk tier's speed)."""

    def __init__(self, services: Services, team_id: str) -> None:
        self.services = services
        self.team_id = team_id
        self.session = Session(services.engine, expire_on_commit=False)
        self.session.begin()

    def close(self) -> None:
        self.session.rollback()
        self.session.close()

    @contextmanager
    def case(self, user_id: str) -> Iterator[Acting]:
        """One unit of work as `bot.work.acting` opens it (the same actor, clock and outbox
        lease), whose writes are thrown away."""
        savepoint = self.session.begin_nested()
        try:
            who = actor(
                services=self.services, session=self.session, team_id=self.team_id, user_id=user_id
            )
            now = self.services.clock()
            yield Acting(
                session=self.session,
                actor=who,
                now=now,
                today=clock.local_date(now, who.person.tz),
                owner=new_owner(),
                settings=self.services.settings,
            )
        finally:
            savepoint.rollback()


def owing_problems(owing: Owing) -> list[str]:
    """Every message a change owes, rendered as it would be written to the outbox, checked."""
    payloads = [(f"{m.kind} to {m.recipient}", m.payload) for m in owing.new]
    return [problem for where, payload in payloads for problem in slack_problems(payload, where)]
