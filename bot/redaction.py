"""What no log line holds, at any level: Slack tokens, the signing secret, and what people wrote.

Cascade's own lines name ids and reasons, never text. Slack's libraries log whole request and
response bodies at DEBUG (a barrier as typed, a message quoting it) and a payload in some
warnings ("Unhandled request ({...})"): their lines keep what comes before the first body.

It is done as each record is made (a log record factory), so it holds for every handler, also
one added later (a deployment's own, pytest's), and for every logger."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

REDACTED = "[redacted]"  # not slack_sdk's own "(redacted)", so a test can tell them apart
# Bot, user, app-level and configuration tokens: xoxb-…, xoxp-…, xapp-…, xoxe-…
TOKEN = re.compile(r"x(?:ox[a-z]|app)-[A-Za-z0-9-]+")
LIBRARIES = ("slack_sdk", "slack_bolt")
BODY = re.compile(r"[{\[\"].*", re.DOTALL)

_secrets: set[str] = set()
_installed: list[Callable[..., logging.LogRecord]] = []


def redact(text: str) -> str:
    """The text without tokens or secrets."""
    text = TOKEN.sub(REDACTED, text)
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return text


def _clean(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a malformed call: left for logging to report as usual
        return
    if record.name.startswith(LIBRARIES):
        message = BODY.sub(REDACTED, message)
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))


def install(secrets: Iterable[str | None] = ()) -> None:
    """Redact every log record from now on; `secrets` (the signing secret, tokens) too."""
    _secrets.update(s for s in secrets if s and len(s) >= 8)
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made = make(*args, **kwargs)
        _clean(made)
        return made

    _installed.append(make)
    logging.setLogRecordFactory(record)
