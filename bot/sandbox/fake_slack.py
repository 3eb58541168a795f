"""A Slack Web API that lives in this process: the sandbox's Slack, and the tests' fake.

It answers the methods Cascade calls with Slack's own shapes, records every call, validates every
`blocks` and `view` with slack_sdk.models (answering `invalid_blocks` as Slack does), and on
demand answers 429 with `Retry-After`, a 5xx, or slowly — or, seeded, a share of all calls.

What Slack accepts but a person would see wrongly is recorded too, apart from refusals
(`misformatted`): a broadcast (`<!channel>`, `<!here>`, `<!everyone>`, a user group) in text
Slack parses, which pings everyone; and a raw `<` or `>` in a plain_text object, which Slack's
formatting rules say must be escaped whenever it is not meant as a token (plain_text never
parses tokens, so there it is always text that skipped escaping). With a Socket Mode server attached
(bot/sandbox/socket_mode.py), `apps.connections.open` hands out its WebSocket URLs.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import random
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.sandbox import mrkdwn

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

BROADCAST = re.compile(r"<!(channel|here|everyone|subteam\^)")
PICKED_MENTION = re.compile(r"<(?:@[UW]|#[CG])[A-Z0-9]+(?:\|[^<>]*)?>")
CHANNEL_NAME = re.compile(r"(?<![\w.&;])#([a-z0-9][a-z0-9_-]*)")
SPECIAL_MENTION = re.compile(r"(?<![\w.])@(channel|here|everyone)\b")
HANDLE = re.compile(r"(?<![\w.])@([a-z0-9](?:[a-z0-9._-]*[a-z0-9])?)")
# "@Lena Vogel": a person's name after @, as picking them from Slack's list shows it (up to four
# words; the longest that names someone wins). The sandbox has no list to pick from.
NAMED = re.compile(r"(?<![\w.])@(\w[\w'.-]*(?: \w[\w'.-]*){0,3})")
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
TEXT_LIMIT = 40_000
TEXT_ADVISED = 4_000  # chat.postMessage: "best practice is to limit text to 4,000 characters"
# users.list pages as Slack's reference says: "specify a limit value under 1000" (its errors list
# none for a larger one: it is served a page of at most this many, as Slack may always serve
# "fewer than the requested number of items"); no limit at all asks for everyone at once, which
# a workspace bigger than a page answers `limit_required`; the cursor is opaque
# (base64 of "user:<the next user's id>", as Slack's own look) and a bad one is `invalid_cursor`.
USERS_LIST_MAX = 999
ALT_TXT_MAX = 1000  # files.getUploadURLExternal: alt_txt, "up to 1000 characters"
# Methods that take the app-level token (`xapp-`); every other method takes the bot token.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


class SlackError(Exception):
    """An `{"ok": false, "error": ...}` answer."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class Fault:
    status: int
    retry_after: int | None = None
    error: str | None = None  # with status 200: Slack's `{"ok": false, "error": ...}`


@dataclass
class Storm:
    """A seeded share of faults (see `FakeSlack.storm`)."""

    seed: int
    rate_limited: float
    server_errors: float
    attempts: dict[str, int] = field(default_factory=dict)

    def fault(self, method: str, args: dict[str, Any]) -> Fault | None:
        call = f"{method}:{json.dumps(args, sort_keys=True, default=str)}"
        attempt = self.attempts.get(call, 0)
        self.attempts[call] = attempt + 1
        draw = random.Random(f"{self.seed}:{call}:{attempt}").random()
        if draw < self.rate_limited:
            return Fault(429, retry_after=0)
        if draw < self.rate_limited + self.server_errors:
            return Fault(500)
        return None


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)  # the fake's `monotonic` when it came


@dataclass
class UploadedFile:
    id: str
    filename: str
    title: str
    content: bytes = b""
    complete: bool = False
    alt: str = ""  # `alt_txt`: what a screen reader says for an image


@dataclass
class Message:
    """A message as a person sees it: in a DM, a channel, or only to them (ephemeral)."""

    channel: str
    user: str  # who sent it: the bot's user id, or a person's
    text: str
    blocks: list[dict[str, Any]]
    ts: str
    ephemeral_to: str | None = None
    files: list[str] = field(default_factory=list)  # ids of uploaded files shown with it
    thread_ts: str | None = None  # a reply in the thread of the message with this ts
    edited: bool = False  # its author changed its text after sending it


def validate_blocks(blocks: Any, limit: int) -> list[dict[str, Any]]:
    """Slack's checks on a `blocks` array: known types, within slack_sdk.models' limits."""
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            raise SlackError("invalid_blocks_format") from None
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    if len(blocks) > limit:
        raise SlackError("invalid_blocks", errors=[f"no more than {limit} items allowed"])
    block_ids: set[str] = set()
    for index, raw in enumerate(blocks):
        if not isinstance(raw, dict):
            raise SlackError("invalid_blocks", errors=[f"block {index} is not an object"])
        try:
            block = Block.parse(raw)
            if block is None or type(block) is Block:
                raise SlackObjectFormationError(f"unknown block type {raw.get('type')!r}")
            block.to_dict()
        except (SlackObjectFormationError, TypeError, KeyError, AttributeError) as error:
            raise SlackError("invalid_blocks", errors=[f"block {index}: {error}"]) from None
        block_id = raw.get("block_id")
        if block_id:
            if block_id in block_ids:
                raise SlackError("invalid_blocks", errors=[f"duplicate block_id {block_id}"])
            block_ids.add(block_id)
    return blocks


def formatting_problems(value: Any, where: str = "") -> list[str]:
    """Text objects in `value` (blocks, a view) that Slack would accept but show wrongly."""
    problems: list[str] = []
    if isinstance(value, list):
        for index, item in enumerate(value):
            problems += formatting_problems(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        kind, text = value.get("type"), value.get("text")
        if kind == "plain_text" and isinstance(text, str) and ("<" in text or ">" in text):
            problems.append(f"{where}: unescaped plain_text {text[:80]!r}")
        elif kind == "mrkdwn" and isinstance(text, str) and BROADCAST.search(text):
            problems.append(f"{where}: broadcast in {text[:80]!r}")
        elif kind == "mrkdwn" and isinstance(text, str):
            problems += mrkdwn.problems(text, where)
        for key, item in value.items():
            if isinstance(item, dict | list):
                problems += formatting_problems(item, f"{where}.{key}")
    return problems


def validate_view(view: Any) -> dict[str, Any]:
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            raise SlackError("invalid_arguments") from None
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        raise SlackError("invalid_arguments", errors=["view.type must be modal or home"])
    validate_blocks(view.get("blocks", []), VIEW_BLOCK_LIMIT)
    try:
        View(**view).to_dict()
    except (SlackObjectFormationError, TypeError) as error:
        raise SlackError("invalid_arguments", errors=[str(error)]) from None
    return view


class FakeSlack:
    """One fake workspace. Thread-safe; serve it with `wsgi_app()` on any WSGI server."""

    def __init__(
        self,
        *,
        team_id: str = "T0CASCADE",
        team_name: str = "Cascade Sandbox",
        bot_token: str = "xoxb-sandbox",
        bot_user_id: str = "UCASCADEBOT",
        app_token: str = "xapp-sandbox",
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.bot_token = bot_token
        self.bot_user_id = bot_user_id
        self.app_token = app_token
        # Issues a Socket Mode WebSocket URL; set by SocketModeServer.attach.
        self.socket_mode_url: Callable[[], str] | None = None
        self.latency = 0.0
        self.calls: list[Call] = []
        self.errors: list[tuple[str, str]] = []  # (method, error) for every refused call
        self.misformatted: list[tuple[str, str]] = []  # (method, problem): see the module's doc
        self._storm: Storm | None = None
        self.messages: list[Message] = []
        self.home_views: dict[str, dict[str, Any]] = {}
        self.modals: dict[str, list[dict[str, Any]]] = {}  # user → their stack of open modals
        self._triggers: dict[str, str] = {}  # trigger_id → the user whose click made it
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, str] = {}  # name → id: channels a person can link with `#name`
        self.files: dict[str, UploadedFile] = {}
        self.base_url = ""  # where this fake is served; set by whoever serves it (upload URLs)
        self._faults: dict[str, list[Fault]] = {}
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self._ts = itertools.count(1)
        # Seconds since the epoch, as messages are stamped (`ts`): the sandbox's clock there.
        self.now: Callable[[], float] = time.time
        # When each call came (`Call.at`): a test that runs hours of sending may move it itself.
        self.monotonic: Callable[[], float] = time.monotonic
        self.installed = True  # False once uninstalled: every bot token call is refused
        self.outage: int | None = None  # an HTTP status every call answers; 0: no connection
        self.version = 0  # bumped on every change anyone could see; the page long-polls on it

    # -- the workspace -------------------------------------------------------------------

    def add_channel(self, channel_id: str, name: str) -> None:
        """A channel people can link by typing `#name`."""
        with self.lock:
            self.channels[name] = channel_id

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        email: str | None = None,
        tz: str = "UTC",
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> dict[str, Any]:
        handle = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        handle = re.sub(r"[^a-z0-9._-]", "", ".".join(handle.lower().split())) or user_id.lower()
        member = {
            "id": user_id,
            "team_id": self.team_id,
            "name": handle,
            "real_name": name,
            "deleted": deleted,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_bot": is_bot,
            "tz": tz,
            "profile": {
                "real_name": name,
                "display_name": name,
                "email": email or f"{handle}@example.com",
            },
        }
        with self.lock:
            self.users[user_id] = member
        return member

    # -- test and sandbox controls -----------------------------------------------------

    def changed(self) -> None:
        with self._changed:
            self.version += 1
            self._changed.notify_all()

    def post_as_person(
        self,
        user_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        filename: str | None = None,
    ) -> Message:
        """A person's own message in their DM with Cascade: in the thread of `thread_ts` if
        given (refused as Slack does if no such message is there), with a file they shared if
        `filename` is given (`text` is then its caption)."""
        with self.lock:
            channel = self.dm_channel(user_id)
            thread = self._thread(channel, thread_ts) if thread_ts else None
            files = []
            if filename is not None:
                file_id = f"F{next(self._ts):08d}"
                self.files[file_id] = UploadedFile(
                    file_id, filename, filename, content=b"shared", complete=True
                )
                files.append(file_id)
            message = Message(
                channel, user_id, text, [], self._next_ts(), files=files, thread_ts=thread
            )
            self.messages.append(message)
            self.changed()
            return message

    def edit_as_person(self, user_id: str, ts: str, text: str) -> tuple[Message, str]:
        """The person changes the text of a message of theirs (Slack lets no one edit another's):
        the message, and the text it had before."""
        with self.lock:
            message = self.find_message(ts)
            if message is None or message.user != user_id:
                raise LookupError(f"{user_id} has no message {ts} to edit")
            previous, message.text, message.edited = message.text, text, True
            self.changed()
            return message, previous

    def find_message(self, ts: str) -> Message | None:
        with self.lock:
            return next((m for m in self.messages if m.ts == ts), None)

    def find_view(self, user_id: str, view_id: str) -> dict[str, Any] | None:
        """An open modal or the Home tab of this person, by view id."""
        with self.lock:
            for view in self.modals.get(user_id, []):
                if view["id"] == view_id:
                    return view
            home = self.home_views.get(user_id)
            return home if home is not None and home.get("id") == view_id else None

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        times: int = 1,
        error: str | None = None,
    ) -> None:
        """The next `times` calls of `method` answer `status` (429 with Retry-After if given), or
        with status 200, Slack's error answer `error` (e.g. `account_inactive`)."""
        with self.lock:
            fault = Fault(status, retry_after, error)
            self._faults.setdefault(method, []).extend([fault] * times)

    def storm(self, *, seed: int, rate_limited: float, server_errors: float) -> None:
        """From now on, answer a seeded share of Web API calls with 429 (Retry-After: 0) and of
        the rest with 500. Whether an attempt fails depends only on the seed, the call and how
        many times that same call was made before, never on which thread asked first."""
        with self.lock:
            self._storm = Storm(seed, rate_limited, server_errors)

    def go_away(self, status: int = 503) -> None:
        """From now on, Slack is down: every method answers `status` (a 5xx), or with 0 the
        connection is refused, until `come_back`."""
        with self.lock:
            self.outage = status

    def come_back(self) -> None:
        with self.lock:
            self.outage = None

    def uninstall(self) -> None:
        """The app is removed from the workspace: its bot token is revoked, so every call made
        with it answers `token_revoked`, auth.test included (the events Slack sends about it are
        SlackPayloads.app_uninstalled_event and tokens_revoked_event)."""
        with self.lock:
            self.installed = False

    def reinstall(self, bot_token: str | None = None) -> None:
        """Installed again: a token works (a new one, if given, as Slack's OAuth would issue)."""
        with self.lock:
            self.installed = True
            self.bot_token = bot_token or self.bot_token

    def calm(self) -> None:
        with self.lock:
            self._storm = None

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Callable[[FakeSlack], Any], timeout: float = 5.0) -> Any:
        """Block until `predicate(self)` is truthy; returns its value (raises on timeout)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate(self)
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("fake Slack never saw what was expected")
                self._changed.wait(remaining)

    def messages_for(self, user_id: str) -> list[Message]:
        """What this person sees: their DM with Cascade and the ephemerals shown to them."""
        with self.lock:
            return [
                m
                for m in self.messages
                if m.channel == self.dm_channel(user_id) or m.ephemeral_to == user_id
            ]

    def new_trigger(self, user_id: str) -> str:
        """A trigger_id for an interaction by this person (views.open needs one)."""
        with self.lock:
            trigger_id = f"{next(self._ts)}.{user_id}.trigger"
            self._triggers[trigger_id] = user_id
            return trigger_id

    def top_modal(self, user_id: str) -> dict[str, Any] | None:
        with self.lock:
            stack = self.modals.get(user_id) or []
            return stack[-1] if stack else None

    def close_modals(self, user_id: str) -> None:
        with self._changed:
            self.modals.pop(user_id, None)
            self.changed()

    def apply_view_response(self, user_id: str, view_id: str, response: dict[str, Any]) -> None:
        """What Slack does with a view_submission's ack: update, push, clear, or close."""
        with self._changed:
            stack = self.modals.get(user_id) or []
            action = response.get("response_action")
            if action == "errors":
                return
            if action == "update":
                for index, open_view in enumerate(stack):
                    if open_view["id"] == view_id:
                        stack[index] = {"id": view_id, **validate_view(response["view"])}
                        self._check_formatting("view_submission", response["view"])
            elif action == "push":
                stack.append({"id": f"VMODAL{next(self._ts)}", **validate_view(response["view"])})
                self._check_formatting("view_submission", response["view"])
            elif action == "clear":
                stack.clear()
            else:
                self.modals[user_id] = [v for v in stack if v["id"] != view_id]
            self.changed()

    def as_sent_by_slack(self, typed: str) -> str:
        """What Slack sends for text a person typed into a `should_escape` command or a message:
        `&`, `<`, `>` escaped, `@handle`, `@channel` and `#channel` turned into tokens. Tokens
        already formed (`<@U123|name>`, `<#C123|name>`, as picked ones are) pass through."""
        handles: dict[str, str] = {}
        names: dict[str, str] = {}  # a name, lower-cased → its handle
        with self.lock:
            # Only text with an @handle needs the directory of them (100,000 people in a bench).
            if HANDLE.search(typed) or NAMED.search(typed):
                live = [u for u in self.users.values() if not u["deleted"]]
                handles = {u["name"]: u["id"] for u in live}
                names = {u["real_name"].lower(): u["name"] for u in live if u.get("real_name")}
            channels = dict(self.channels)

        def named(found: re.Match[str]) -> str:
            words = found.group(1).split(" ")
            for n in range(len(words), 0, -1):
                handle = names.get(" ".join(words[:n]).lower())
                if handle is not None:
                    return " ".join([f"@{handle}", *words[n:]])
            return found.group(0)

        def escaped(text: str) -> str:
            text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            text = SPECIAL_MENTION.sub(lambda m: f"<!{m.group(1)}>", text)
            text = NAMED.sub(named, text) if names else text
            text = HANDLE.sub(
                lambda m: (
                    f"<@{handles[m.group(1)]}|{m.group(1)}>"
                    if m.group(1) in handles
                    else m.group(0)
                ),
                text,
            )
            return CHANNEL_NAME.sub(
                lambda m: (
                    f"<#{channels[m.group(1)]}|{m.group(1)}>"
                    if m.group(1) in channels
                    else m.group(0)
                ),
                text,
            )

        # Picked mentions (odd pieces) pass through; everything between them is escaped.
        pieces = re.split(f"({PICKED_MENTION.pattern})", typed)
        return "".join(p if i % 2 else escaped(p) for i, p in enumerate(pieces))

    def replies_for(self, user_id: str) -> list[Message]:
        """What Cascade has said to this person (in their DM, or only to them)."""
        return [m for m in self.messages_for(user_id) if m.user == self.bot_user_id]

    def dm_channel(self, user_id: str) -> str:
        return "D" + user_id[1:] if user_id.startswith(("U", "W")) else user_id

    # -- the Web API ---------------------------------------------------------------------

    def call(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Answer one Web API call: (HTTP status, headers, JSON body)."""
        if self.latency:
            time.sleep(self.latency)
        with self._changed:
            self.calls.append(Call(method, args, token, self.monotonic()))
            self.changed()
            if self.outage == 0:
                raise ConnectionRefusedError(f"{method}: Slack is away (the fake's outage)")
            if self.outage is not None:
                return self.outage, {}, {"ok": False, "error": "service_unavailable"}
            faults = self._faults.get(method)
            fault = faults.pop(0) if faults else None
            if fault is None and self._storm is not None and method != "response_url":
                fault = self._storm.fault(method, args)
            if fault is not None:
                headers = (
                    {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                )
                error = fault.error or ("ratelimited" if fault.status == 429 else "fatal_error")
                return fault.status, headers, {"ok": False, "error": error}
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                return 200, {}, {"ok": False, "error": "unknown_method"}
            refused = self._token_refusal(method, token)
            if refused:
                return 200, {}, {"ok": False, "error": refused}
            try:
                body = handler(args)
            except SlackError as error:
                self.errors.append((method, error.error))
                return 200, {}, {"ok": False, "error": error.error, **error.extra}
            self.changed()
            return 200, {}, {"ok": True, **body}

    def _token_refusal(self, method: str, token: str | None) -> str | None:
        """Slack's error for a call made without the token this method takes, or None."""
        if method == "response_url":  # the URL itself is the credential
            return None
        if not token:
            return "not_authed"
        wanted = self.app_token if method in APP_TOKEN_METHODS else self.bot_token
        if token == self.bot_token and not self.installed:
            return "token_revoked"
        if token == wanted:
            return None
        # A real token of the wrong kind (the bot token for apps.connections.open, the app token
        # for chat.postMessage) is told so; anything else is not a token at all.
        known = (self.app_token, self.bot_token)
        return "not_allowed_token_type" if token in known else "invalid_auth"

    def _check_formatting(self, method: str, value: Any) -> None:
        self.misformatted += [(method, problem) for problem in formatting_problems(value)]

    def _next_ts(self) -> str:
        return f"{int(self.now())}.{next(self._ts):06d}"

    def _channel(self, args: dict[str, Any]) -> str:
        channel = str(args.get("channel") or "")
        if not channel:
            raise SlackError("channel_not_found")
        if channel.startswith(("U", "W")):
            if channel not in self.users:
                raise SlackError("channel_not_found")
            return self.dm_channel(channel)
        return channel

    def _message_parts(self, args: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text = str(args.get("text") or "")
        blocks = validate_blocks(args["blocks"], MESSAGE_BLOCK_LIMIT) if args.get("blocks") else []
        self._check_formatting("message", [{"type": "mrkdwn", "text": text}, *blocks])
        if len(text) > TEXT_ADVISED:  # Slack accepts it, but advises against it
            self.misformatted.append(("message", f"text of {len(text)} characters"))
        if not text and not blocks:
            raise SlackError("no_text")
        if len(text) > TEXT_LIMIT:
            raise SlackError("msg_too_long")
        return text, blocks

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://sandbox.slack.invalid/",
            "team": self.team_name,
            "team_id": self.team_id,
            "user": "cascade",
            "user_id": self.bot_user_id,
            "bot_id": "BCASCADE",
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.socket_mode_url is None:  # a set-up mistake in a test, not something Slack says
            raise SlackError("fake_has_no_socket_mode_server")
        return {"url": self.socket_mode_url()}

    def _thread(self, channel: str, thread_ts: str) -> str:
        """The thread a reply to `thread_ts` joins: that message's own, if it is itself a reply
        (Slack has one level of threads); refused if no such message is in the channel."""
        parent = next((m for m in self.messages if m.ts == thread_ts), None)
        if parent is None or parent.channel != channel or parent.ephemeral_to:
            raise SlackError("invalid_thread_ts")
        return parent.thread_ts or parent.ts

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        text, blocks = self._message_parts(args)
        thread_ts = str(args.get("thread_ts") or "")
        thread = self._thread(channel, thread_ts) if thread_ts else None
        message = Message(
            channel, self.bot_user_id, text, blocks, self._next_ts(), thread_ts=thread
        )
        self.messages.append(message)
        answer: dict[str, Any] = {"text": text, "blocks": blocks}
        if thread is not None:
            answer["thread_ts"] = thread
        return {"channel": channel, "ts": message.ts, "message": answer}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        user = str(args.get("user") or "")
        if user not in self.users:
            raise SlackError("user_not_found")
        text, blocks = self._message_parts(args)
        message = Message(
            channel, self.bot_user_id, text, blocks, self._next_ts(), ephemeral_to=user
        )
        self.messages.append(message)
        return {"message_ts": message.ts}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel") or ""), str(args.get("ts") or "")
        text, blocks = self._message_parts(args)
        for message in self.messages:
            if message.ts == ts and message.channel == channel:
                message.text, message.blocks = text, blocks
                return {"channel": channel, "ts": ts}
        raise SlackError("message_not_found")

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user_id") or "")
        if user not in self.users:
            raise SlackError("user_not_found")
        view = validate_view(args.get("view"))
        self._check_formatting("views.publish", view)
        if view.get("type") != "home":
            raise SlackError("invalid_arguments", errors=["views.publish takes a home view"])
        self.home_views[user] = {"id": f"VHOME{user}", **view}
        return {"view": self.home_views[user]}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._triggers.pop(str(args.get("trigger_id") or ""), None)
        if user is None:
            raise SlackError("invalid_trigger_id")
        view = {"id": f"VMODAL{next(self._ts)}", **validate_view(args.get("view"))}
        self._check_formatting("views.open", view)
        if view["type"] != "modal":
            raise SlackError("invalid_arguments", errors=["views.open takes a modal"])
        self.modals.setdefault(user, []).append(view)
        return {"view": view}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._views_open(args)

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = str(args.get("view_id") or "")
        for stack in self.modals.values():
            for index, open_view in enumerate(stack):
                if open_view["id"] == view_id:
                    stack[index] = {"id": view_id, **validate_view(args.get("view"))}
                    self._check_formatting("views.update", stack[index])
                    return {"view": stack[index]}
        raise SlackError("not_found")

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        filename = str(args.get("filename") or "")
        if not filename or not str(args.get("length") or "").isdigit():
            raise SlackError("invalid_arguments")
        alt = str(args.get("alt_txt") or "")
        if len(alt) > ALT_TXT_MAX:  # Slack's limit on an image's description
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._ts):08d}"
        self.files[file_id] = UploadedFile(file_id, filename, filename, alt=alt)
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def upload(self, file_id: str, content: bytes) -> bool:
        """The bytes POSTed to an upload URL."""
        with self.lock:
            if file_id not in self.files:
                return False
            self.files[file_id].content = content
            return True

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        files = args.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments")
        ids = []
        for entry in files:
            uploaded = self.files.get(str(entry.get("id")))
            if uploaded is None or not uploaded.content:
                raise SlackError("file_not_found")
            uploaded.title = str(entry.get("title") or uploaded.filename)
            uploaded.complete = True
            ids.append(uploaded.id)
        channel = str(args.get("channel_id") or args.get("channels") or "")
        if channel:
            comment = str(args.get("initial_comment") or "")
            message = Message(channel, self.bot_user_id, comment, [], self._next_ts(), files=ids)
            self.messages.append(message)
        return {"files": [{"id": i, "title": self.files[i].title} for i in ids]}

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        members = list(self.users.values())
        limit = int(args.get("limit") or 0)
        if limit <= 0 and len(members) > USERS_LIST_MAX:
            raise SlackError("limit_required")
        limit = min(limit, USERS_LIST_MAX) if limit > 0 else len(members)
        start = 0
        if args.get("cursor"):
            start = self._user_at(str(args["cursor"]))
        page = members[start : start + limit]
        more = start + limit < len(members)
        return {
            "members": page,
            "cache_ts": int(time.time()),
            "response_metadata": {
                "next_cursor": _user_cursor(members[start + limit]) if more else ""
            },
        }

    def _user_at(self, cursor: str) -> int:
        """Where a users.list cursor points: the index of the user it names."""
        try:
            user_id = base64.b64decode(cursor, validate=True).decode().removeprefix("user:")
            return list(self.users).index(user_id)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise SlackError("invalid_cursor") from None

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def _response_url(self, args: dict[str, Any]) -> dict[str, Any]:
        """A POST to a slash command's or a click's response_url (see `response_url_for`).

        With `replace_original` or `delete_original`, a click's response_url changes the message
        the button was in, as Slack's does."""
        user, channel = str(args.pop("_user")), str(args.pop("_channel"))
        original = self.find_message(str(args.pop("_ts", "")))
        if original is not None and _truthy(args.get("delete_original")):
            self.messages.remove(original)
            return {}
        text, blocks = self._message_parts(args)
        if original is not None and _truthy(args.get("replace_original")):
            original.text, original.blocks = text, blocks
            return {}
        ephemeral = args.get("response_type", "ephemeral") == "ephemeral"
        message = Message(
            self.dm_channel(user) if channel.startswith("D") or not channel else channel,
            self.bot_user_id,
            text,
            blocks,
            self._next_ts(),
            ephemeral_to=user if ephemeral else None,
        )
        self.messages.append(message)
        return {}

    # -- HTTP ----------------------------------------------------------------------------

    def response_url_for(
        self, base_url: str, *, user_id: str, channel_id: str, message_ts: str = ""
    ) -> str:
        """A response_url for a request this person makes (about the message `message_ts`, for a
        click); `respond()` posts back here."""
        return (
            f"{base_url.rstrip('/')}/response_url/{user_id}/{channel_id or '-'}/{message_ts or '-'}"
        )

    def wsgi_app(self) -> Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]:
        def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            path = str(environ.get("PATH_INFO") or "")
            if path.startswith("/upload/"):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                stored = self.upload(
                    path.removeprefix("/upload/"), environ["wsgi.input"].read(length)
                )
                self.changed()
                return _answer(start_response, 200 if stored else 404, {}, b"OK" if stored else b"")
            args = _request_args(environ)
            if path.startswith("/response_url/"):
                _, _, user, channel, ts = (path.rstrip("/") + "/-").split("/")[:5]
                args.update(
                    _user=user,
                    _channel="" if channel == "-" else channel,
                    _ts="" if ts == "-" else ts,
                )
                status, headers, body = self.call("response_url", args, None)
                if body.get("ok"):
                    return _answer(start_response, 200, {}, b"ok")
                return _answer(start_response, 400, {}, body["error"].encode())
            if not path.startswith("/api/"):
                return _answer(start_response, 404, {}, b"Not Found")
            token = _token(environ, args)
            status, headers, body = self.call(path.removeprefix("/api/"), args, token)
            return _answer(start_response, status, headers, json.dumps(body).encode())

        return application


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _token(environ: WSGIEnvironment, args: dict[str, Any]) -> str | None:
    auth = str(environ.get("HTTP_AUTHORIZATION") or "")
    if auth.startswith("Bearer "):
        return auth.removeprefix("Bearer ")
    token = args.pop("token", None)
    return str(token) if token else None


def _request_args(environ: WSGIEnvironment) -> dict[str, Any]:
    args: dict[str, Any] = {
        k: v[-1] for k, v in parse_qs(str(environ.get("QUERY_STRING") or "")).items()
    }
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    content_type = str(environ.get("CONTENT_TYPE") or "")
    if raw and "json" in content_type:
        body = json.loads(raw)
        if isinstance(body, dict):
            args.update(body)
    elif raw:
        args.update({k: v[-1] for k, v in parse_qs(raw.decode()).items()})
    return args


def _answer(
    start_response: StartResponse, status: int, headers: dict[str, str], body: bytes
) -> list[bytes]:
    reasons = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}
    content_type = "application/json; charset=utf-8" if body.startswith(b"{") else "text/plain"
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", content_type), *headers.items()],
    )
    return [body]


def _user_cursor(member: dict[str, Any]) -> str:
    """The opaque users.list cursor that starts a page at this user."""
    return base64.b64encode(f"user:{member['id']}".encode()).decode()
