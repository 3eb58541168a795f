"""The sandbox page: a Slack-like client, its small JSON API, and the fake Web API beside it."""

from __future__ import annotations

import contextlib
import json
import mimetypes
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from bot.sandbox.clock import SandboxClock, hours_passed, next_monday_at
from bot.sandbox.fake_slack import FakeSlack, Message
from bot.sandbox.slack_side import SlackSide
from prompts import render_plain

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

STATIC = Path(__file__).parent / "static"
LONG_POLL_SECONDS = 15.0
MAX_HOURS = 24 * 366
PROGRESS_SECONDS = 0.5  # while the clock moves, the page is shown where it is this often


class BadRequest(Exception):
    """A request the page should not have sent; its words are in prompts/sandbox/."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(render_plain(f"sandbox/{code}", **params))


@dataclass
class SandboxPage:
    """Everything the page shows comes from the fake Slack; everything it does goes to the app,
    signed, through Slack's side."""

    fake: FakeSlack
    clock: SandboxClock
    admins: list[str]
    summary_channel: str
    slack: SlackSide | None = None  # set once the app is up
    tick: Callable[[datetime], Any] | None = None  # the scheduler's tick, once there is one
    closing: bool = False  # set when the sandbox stops: long polls answer at once
    _advancing: threading.Lock = field(default_factory=threading.Lock)

    def close_polls(self) -> None:
        """Answer every waiting long poll now, so stopping never waits out a poll."""
        self.closing = True
        self.fake.changed()

    # -- what the page shows ---------------------------------------------------------------

    def _message(self, message: Message) -> dict[str, Any]:
        sender = self.fake.users.get(message.user)
        return {
            "ts": message.ts,
            "user": message.user,
            "name": "Cascade"
            if message.user == self.fake.bot_user_id
            else (sender or {}).get("real_name", message.user),
            "bot": message.user == self.fake.bot_user_id,
            "text": message.text,
            "blocks": message.blocks,
            "ephemeral": message.ephemeral_to is not None,
            "files": [
                {
                    "id": f,
                    "title": self.fake.files[f].title,
                    "alt": self.fake.files[f].alt,
                    "url": f"/files/{f}",
                    "image": (
                        mimetypes.guess_type(self.fake.files[f].filename)[0] or ""
                    ).startswith("image/"),
                }
                for f in message.files
                if f in self.fake.files
            ],
        }

    def state(self, user: str, since: int) -> dict[str, Any]:
        with contextlib.suppress(TimeoutError):  # nothing new: answer with the same state
            self.fake.wait_for(
                lambda f: f.version > since or self.closing, timeout=LONG_POLL_SECONDS
            )
        with self.fake.lock:
            people = [
                {
                    "id": u["id"],
                    "name": u["real_name"],
                    "handle": u["name"],
                    "tz": u["tz"],
                    "admin": u["id"] in self.admins or u["is_admin"] or u["is_owner"],
                }
                for u in self.fake.users.values()
                if not u["is_bot"] and not u["deleted"]
            ]
            channel = [m for m in self.fake.messages if m.channel == self.summary_channel]
            channels = {channel_id: name for name, channel_id in self.fake.channels.items()}
            return {
                "version": self.fake.version,
                "now": self.clock.now().isoformat(),
                "scheduler": self.tick is not None,
                "people": people,
                "me": user,
                "dm": [self._message(m) for m in self.fake.messages_for(user)] if user else [],
                "channels": channels,  # id → name: Slack shows a channel token as its name
                "channel": {
                    "id": self.summary_channel,
                    "name": channels.get(self.summary_channel, self.summary_channel),
                    "messages": [self._message(m) for m in channel],
                },
                "home": self.fake.home_views.get(user),
                "modal": self.fake.top_modal(user) if user else None,
            }

    # -- what the page does ----------------------------------------------------------------

    def _side(self) -> SlackSide:
        if self.slack is None:
            raise BadRequest("starting")
        return self.slack

    def _user(self, body: dict[str, Any]) -> str:
        user = str(body.get("user") or "")
        if user not in self.fake.users:
            raise BadRequest("pick_a_person")
        return user

    def send(self, body: dict[str, Any]) -> dict[str, Any]:
        user, text = self._user(body), str(body.get("text") or "").strip()
        if not text:
            raise BadRequest("empty_message")
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            if command != "/goals":
                raise BadRequest("unknown_command", command=command)
            reply = self._side().command(user, rest)
        else:
            reply = self._side().dm(user, text)
        return {"status": reply.status}

    def action(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self._user(body)
        element = body.get("action") or {}
        if not isinstance(element, dict) or not element.get("action_id"):
            raise BadRequest("bad_action")
        reply = self._side().action(
            user,
            str(element["action_id"]),
            element=element,
            message_ts=body.get("message_ts"),
            view_id=body.get("view_id"),
        )
        return {"status": reply.status}

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self._user(body)
        values = body.get("values") or {}
        if not isinstance(values, dict):
            raise BadRequest("bad_values")
        try:
            reply = self._side().submit(user, values, raw_state=True)
        except LookupError as error:
            raise BadRequest("no_modal") from error
        return {"status": reply.status, **reply.json()}

    def close(self, body: dict[str, Any]) -> dict[str, Any]:
        self.fake.close_modals(self._user(body))
        return {}

    def home(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"status": self._side().home_opened(self._user(body)).status}

    def advance(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._advancing:  # one move at a time: a second starts where the first ended
            target = self._target(body)
            ticks = self._run_to(target)
        self.fake.changed()
        return {"now": self.clock.now().isoformat(), "ticked": ticks > 0, "ticks": ticks}

    def _target(self, body: dict[str, Any]) -> datetime:
        if body.get("next_monday"):
            user = self._user(body)
            return next_monday_at(self.clock.now(), self.fake.users[user]["tz"])
        try:
            hours = float(body.get("hours") or 0)
        except (TypeError, ValueError):
            raise BadRequest("bad_hours", most=MAX_HOURS) from None
        if not 0 < hours <= MAX_HOURS:
            raise BadRequest("bad_hours", most=MAX_HOURS)
        return self.clock.now() + timedelta(hours=hours)

    def _run_to(self, target: datetime) -> int:
        """Move the clock to `target`, running the tick at every hour passed and at `target`;
        the page sees the clock move (and what each tick sent) as it goes."""
        if self.tick is None:
            self.clock.move_to(target)
            return 0
        ticks, shown = 0, time.monotonic()
        for instant in hours_passed(self.clock.now(), target):
            if self.closing:  # the sandbox is stopping: the rest of the way is not wanted
                break
            self.clock.move_to(instant)
            self.tick(instant)
            ticks += 1
            if time.monotonic() - shown > PROGRESS_SECONDS:
                self.fake.changed()
                shown = time.monotonic()
        return ticks

    def add_person(self, body: dict[str, Any]) -> dict[str, Any]:
        name = " ".join(str(body.get("name") or "").split())[:80]
        tz = str(body.get("tz") or "UTC")
        if not name:
            raise BadRequest("no_name")
        user_id = (
            "U"
            + "".join(ch for ch in name.upper() if ch.isalnum())[:10]
            + f"{len(self.fake.users):03d}"
        )
        self.fake.add_user(user_id, name, tz=tz)
        self.fake.changed()
        return {"id": user_id}

    # -- HTTP ------------------------------------------------------------------------------

    def wsgi_app(self) -> Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]:
        slack_api = self.fake.wsgi_app()
        posts: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "/sandbox/send": self.send,
            "/sandbox/action": self.action,
            "/sandbox/submit": self.submit,
            "/sandbox/close": self.close,
            "/sandbox/home": self.home,
            "/sandbox/clock": self.advance,
            "/sandbox/people": self.add_person,
        }

        def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            path = str(environ.get("PATH_INFO") or "/")
            method = environ.get("REQUEST_METHOD")
            if method == "GET" and path in ("/", "/index.html"):
                return _static(start_response, "index.html")
            if method == "GET" and path == "/favicon.ico":  # asked for by browsers all the same
                return _static(start_response, "favicon.svg")
            if method == "GET" and path.startswith("/static/"):
                return _static(start_response, path.removeprefix("/static/"))
            if method == "GET" and path.startswith("/files/"):
                return self._file(start_response, path.removeprefix("/files/"))
            if method == "GET" and path == "/sandbox/state":
                query = parse_qs(str(environ.get("QUERY_STRING") or ""))
                since = int((query.get("since") or ["-1"])[0] or -1)
                return _json(start_response, 200, self.state((query.get("user") or [""])[0], since))
            if method == "POST" and path in posts:
                try:
                    return _json(start_response, 200, posts[path](_body(environ)))
                except BadRequest as error:
                    return _json(start_response, 400, {"error": str(error)})
            return slack_api(environ, start_response)

        return application

    def _file(self, start_response: StartResponse, file_id: str) -> list[bytes]:
        uploaded = self.fake.files.get(file_id)
        if uploaded is None or not uploaded.complete:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not Found"]
        kind = mimetypes.guess_type(uploaded.filename)[0] or "application/octet-stream"
        headers = [
            ("Content-Type", kind),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", "sandbox; default-src 'none'"),
        ]
        if not kind.startswith("image/") or kind == "image/svg+xml":  # never run as a page here
            headers.append(("Content-Disposition", "attachment"))
        start_response("200 OK", headers)
        return [uploaded.content]


def _body(environ: WSGIEnvironment) -> dict[str, Any]:
    try:
        body = json.loads(
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}"
        )
    except ValueError:
        raise BadRequest("not_json") from None
    if not isinstance(body, dict):
        raise BadRequest("not_json")
    return body


SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'"),
    ("Cache-Control", "no-store"),
]


def _static(start_response: StartResponse, name: str) -> list[bytes]:
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file():
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not Found"]
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    start_response("200 OK", [("Content-Type", f"{kind}; charset=utf-8"), *SECURITY_HEADERS])
    return [path.read_bytes()]


def _json(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    reason = {200: "OK", 400: "Bad Request"}[status]
    start_response(
        f"{status} {reason}",
        [("Content-Type", "application/json; charset=utf-8"), *SECURITY_HEADERS],
    )
    return [json.dumps(body).encode()]
