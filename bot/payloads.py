"""Slack payloads parsed once, at the edge, into small typed objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.text import clean, typed

VALUE_LIMIT = 2000  # Slack's limit on a button's value


class Malformed(ValueError):
    """A signed payload holding what Slack never sends: refused (400) with this reason."""


P = TypeVar("P")


def strictly(parse: Callable[[dict[str, Any]], P], body: dict[str, Any], what: str) -> P:
    """`parse(body)`, or Malformed for a payload of a shape Slack never sends."""
    try:
        return parse(body)
    except (AttributeError, TypeError, IndexError, KeyError) as error:
        raise Malformed(f"{what} Slack never sends ({error!r})") from error


def team_of(body: dict[str, Any]) -> str:
    """The workspace a request comes from: the one place every payload's team is read from, so
    the installed-workspace check and the payloads can never disagree."""
    team = body.get("team")
    view = body.get("view")
    found = (
        body.get("team_id")
        or (team.get("id") if isinstance(team, dict) else None)
        or (view.get("team_id") if isinstance(view, dict) else None)
    )
    return found if isinstance(found, str) else ""


def event_id_of(body: dict[str, Any]) -> str | None:
    """The Events API delivery's id (the same on every retry of it), for an event callback."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    return event_id if isinstance(event_id, str) and event_id else None


@dataclass(frozen=True)
class Sent:
    """Who sent a payload: their workspace and their Slack user id."""

    team_id: str
    user_id: str


@dataclass(frozen=True)
class SlashCommand(Sent):
    channel_id: str
    text: str
    trigger_id: str = ""  # lets the command open a modal

    @classmethod
    def parse(cls, command: dict[str, Any]) -> SlashCommand:
        return cls(
            team_id=team_of(command),
            user_id=str(command.get("user_id") or ""),
            channel_id=str(command.get("channel_id") or ""),
            text=clean(str(command.get("text") or "")),
            trigger_id=str(command.get("trigger_id") or ""),
        )


@dataclass(frozen=True)
class DirectMessage(Sent):
    """A person's own message in their DM with Cascade (not an edit, not a bot)."""

    text: str

    @classmethod
    def parse(cls, event: dict[str, Any], body: dict[str, Any]) -> DirectMessage | None:
        """None for anything that is not a person writing to Cascade in a DM."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return None
        if not event.get("user"):
            return None
        return cls(team_of(body), str(event["user"]), typed(str(event.get("text") or "")))


@dataclass(frozen=True)
class HomeOpened(Sent):
    tab: str

    @classmethod
    def parse(cls, event: dict[str, Any], body: dict[str, Any]) -> HomeOpened:
        user = str(event.get("user") or "")
        return cls(team_of(body), user, str(event.get("tab") or "home"))


@dataclass(frozen=True)
class Revoked:
    """Slack took the app's bot token away: `app_uninstalled`, or `tokens_revoked` naming a bot
    token (`tokens.bot`: bot user ids). Cascade holds no user tokens, so `tokens.oauth` alone
    is nothing to it."""

    team_id: str
    reason: str

    @classmethod
    def parse(cls, event: dict[str, Any], body: dict[str, Any]) -> Revoked | None:
        kind = str(event.get("type") or "")
        tokens = event.get("tokens")
        if kind == "tokens_revoked" and not (isinstance(tokens, dict) and tokens.get("bot")):
            return None
        return cls(team_of(body), kind)


@dataclass(frozen=True)
class Click(Sent):
    """One block action: a button press or a selection."""

    action_id: str
    value: str
    trigger_id: str
    label: str = ""  # the button's text, or the chosen option's
    message_text: str = ""  # the message the button was in (not sent for ephemeral messages)
    message_blocks: tuple[dict[str, Any], ...] = ()
    message_at: tuple[str, str] | None = None  # (channel, ts) of that message; none on the Home

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Click:
        return strictly(cls._parse, body, "a block action")

    @classmethod
    def _parse(cls, body: dict[str, Any]) -> Click:
        action = (body.get("actions") or [{}])[0]
        option = action.get("selected_option") or {}
        value = action.get("value") or option.get("value") or ""
        message = body.get("message") or {}
        container = body.get("container") or {}
        channel, ts = container.get("channel_id"), container.get("message_ts")
        if not isinstance(value, str) or len(value) > VALUE_LIMIT:
            raise Malformed("a button's value is a string of at most 2,000 characters")
        return cls(
            label=typed(str((action.get("text") or option.get("text") or {}).get("text") or "")),
            message_text=str(message.get("text") or ""),
            message_blocks=tuple(b for b in message.get("blocks") or [] if isinstance(b, dict)),
            message_at=(str(channel), str(ts)) if channel and ts else None,
            team_id=team_of(body),
            user_id=str((body.get("user") or {}).get("id") or ""),
            action_id=str(action.get("action_id") or ""),
            value=clean(value),
            trigger_id=str(body.get("trigger_id") or ""),
        )


@dataclass(frozen=True)
class ViewSubmission(Sent):
    """A modal's submitted values, keyed by block id (Cascade's inputs use one element each)."""

    callback_id: str
    private_metadata: str
    values: dict[str, str]

    @classmethod
    def parse(cls, body: dict[str, Any]) -> ViewSubmission:
        return strictly(cls._parse, body, "a view submission")

    @classmethod
    def _parse(cls, body: dict[str, Any]) -> ViewSubmission:
        view = body.get("view") or {}
        values: dict[str, str] = {}
        for block_id, elements in ((view.get("state") or {}).get("values") or {}).items():
            for element in (elements or {}).values():
                values[block_id] = clean(_element_value(element or {}))
        return cls(
            team_id=team_of(body),
            user_id=str((body.get("user") or {}).get("id") or ""),
            callback_id=str(view.get("callback_id") or ""),
            private_metadata=str(view.get("private_metadata") or ""),
            values=values,
        )


def _element_value(element: dict[str, Any]) -> str:
    for key in ("value", "selected_date", "selected_time", "selected_user"):
        if element.get(key):
            return str(element[key])
    option = element.get("selected_option") or {}
    return str(option.get("value") or "")
