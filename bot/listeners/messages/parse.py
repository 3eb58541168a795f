"""A person's words in their DM with Cascade, in every form Slack delivers them: a message, a reply
in a thread (also sent to the DM, or not), a `/me`, a file shared with a caption, and an edit of
any of these. Everything else (deletions, bots, Cascade's own messages, channels) is not words
to answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.payloads import DirectMessage
from bot.text import typed

EDITED = "message_changed"
FILE = "file_share"
# Subtypes that carry the person's own words in `text`: taken as that text.
WORDS = frozenset({FILE, "thread_broadcast", "me_message"})


@dataclass(frozen=True)
class Written:
    """Words a person wrote to Cascade: a new message, or (with `previous`) an edited one."""

    message: DirectMessage
    ts: str  # the message's own, which an edit of it names
    thread_ts: str | None = None  # in a thread: answered in it
    file_only: bool = False  # a file shared without a caption: no words
    previous: str | None = None  # an edit: what the message said before

    @classmethod
    def parse(cls, event: dict[str, Any], body: dict[str, Any], bot_user_id: str) -> Written | None:
        """None for anything that is not a person writing or changing words to Cascade."""
        if event.get("subtype") == EDITED:
            return _edited(event, body, bot_user_id)
        return _written(event, body, bot_user_id)


def _as_words(message: dict[str, Any]) -> dict[str, Any]:
    """A message whose subtype only says how its words came (a file's caption, a `/me`, a
    thread reply also sent to the DM), as a plain message of those words."""
    return {**message, "subtype": None} if message.get("subtype") in WORDS else message


def _thread(message: dict[str, Any]) -> str | None:
    """The thread a message is a reply in (a thread's first message is no reply)."""
    thread_ts = message.get("thread_ts")
    return str(thread_ts) if thread_ts and thread_ts != message.get("ts") else None


def _written(event: dict[str, Any], body: dict[str, Any], bot_user_id: str) -> Written | None:
    ts = event.get("ts")
    if not ts or event.get("user") == bot_user_id:
        return None
    message = DirectMessage.parse(_as_words(event), body)
    if message is None:
        return None
    file_only = event.get("subtype") == FILE and not message.text.strip()
    return Written(message, str(ts), _thread(event), file_only)


def _edited(event: dict[str, Any], body: dict[str, Any], bot_user_id: str) -> Written | None:
    changed, before = event.get("message"), event.get("previous_message")
    if not isinstance(changed, dict) or not isinstance(before, dict):
        return None
    written = _written({**changed, "channel_type": event.get("channel_type")}, body, bot_user_id)
    previous = typed(str(before.get("text") or ""))
    # Slack says a message changed when only what is around its words did (a link's preview, a
    # thread's reply count): nothing to answer.
    if written is None or written.file_only or previous == written.message.text:
        return None
    return Written(written.message, written.ts, written.thread_ts, previous=previous)
