"""Slack payloads parsed once, at the edge, into small typed objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SlashCommand:
    team_id: str
    user_id: str
    channel_id: str
    text: str

    @classmethod
    def parse(cls, command: dict[str, Any]) -> SlashCommand:
        return cls(
            team_id=str(command.get("team_id") or ""),
            user_id=str(command.get("user_id") or ""),
            channel_id=str(command.get("channel_id") or ""),
            text=str(command.get("text") or ""),
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
