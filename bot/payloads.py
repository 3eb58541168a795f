"""Slack payloads parsed once, at the edge, into small typed objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ID_LIMIT = 2**63 - 1  # the largest id a database row can have


def parse_id(value: str) -> int | None:
    """A row id from a button's value, or None for anything a Cascade button never carries."""
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= ID_LIMIT else None


@dataclass(frozen=True)
class SlashCommand:
    team_id: str
    user_id: str
    channel_id: str
    text: str
    trigger_id: str = ""  # lets the command open a modal

    @classmethod
    def parse(cls, command: dict[str, Any]) -> SlashCommand:
        return cls(
            team_id=str(command.get("team_id") or ""),
            user_id=str(command.get("user_id") or ""),
            channel_id=str(command.get("channel_id") or ""),
            text=str(command.get("text") or ""),
            trigger_id=str(command.get("trigger_id") or ""),
        )


@dataclass(frozen=True)
class DirectMessage:
    """A person's own message in their DM with Cascade (not an edit, not a bot)."""

    team_id: str
    user_id: str
    text: str

    @classmethod
    def parse(cls, event: dict[str, Any], body: dict[str, Any]) -> DirectMessage | None:
        """None for anything that is not a person writing to Cascade in a DM."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return None
        if not event.get("user"):
            return None
        team_id = event.get("team") or body.get("team_id") or ""
        return cls(
            team_id=str(team_id), user_id=str(event["user"]), text=str(event.get("text") or "")
        )


@dataclass(frozen=True)
class HomeOpened:
    team_id: str
    user_id: str
    tab: str

    @classmethod
    def parse(cls, event: dict[str, Any], body: dict[str, Any]) -> HomeOpened:
        return cls(
            team_id=str(body.get("team_id") or ""),
            user_id=str(event.get("user") or ""),
            tab=str(event.get("tab") or "home"),
        )


@dataclass(frozen=True)
class Click:
    """One block action: a button press or a selection."""

    team_id: str
    user_id: str
    action_id: str
    value: str
    trigger_id: str
    label: str = ""  # the button's text, or the chosen option's
    message_text: str = ""  # the message the button was in (not sent for ephemeral messages)
    message_blocks: tuple[dict[str, Any], ...] = ()

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Click:
        action = (body.get("actions") or [{}])[0]
        option = action.get("selected_option") or {}
        value = action.get("value") or option.get("value") or ""
        message = body.get("message") or {}
        return cls(
            label=str((action.get("text") or option.get("text") or {}).get("text") or ""),
            message_text=str(message.get("text") or ""),
            message_blocks=tuple(b for b in message.get("blocks") or [] if isinstance(b, dict)),
            team_id=str((body.get("team") or {}).get("id") or body.get("team_id") or ""),
            user_id=str((body.get("user") or {}).get("id") or ""),
            action_id=str(action.get("action_id") or ""),
            value=str(value),
            trigger_id=str(body.get("trigger_id") or ""),
        )


@dataclass(frozen=True)
class ViewSubmission:
    """A modal's submitted values, keyed by block id (Cascade's inputs use one element each)."""

    team_id: str
    user_id: str
    callback_id: str
    private_metadata: str
    values: dict[str, str]

    @classmethod
    def parse(cls, body: dict[str, Any]) -> ViewSubmission:
        view = body.get("view") or {}
        values: dict[str, str] = {}
        for block_id, elements in ((view.get("state") or {}).get("values") or {}).items():
            for element in (elements or {}).values():
                values[block_id] = _element_value(element or {})
        return cls(
            team_id=str((body.get("team") or {}).get("id") or view.get("team_id") or ""),
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
