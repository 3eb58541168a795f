"""manifest.yml creates the app Cascade needs, with the least scopes that work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MANIFEST = Path(__file__).parents[1] / "manifest.yml"


def manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text())
    assert isinstance(data, dict)
    return data


def test_manifest_has_what_slack_requires() -> None:
    m = manifest()
    assert m["_metadata"]["major_version"] == 1
    info = m["display_information"]
    assert 1 <= len(info["name"]) <= 35 and len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    assert m["features"]["bot_user"]["display_name"]


def test_goals_command_escapes_mentions() -> None:
    [command] = manifest()["features"]["slash_commands"]
    assert command["command"] == "/goals"
    assert command["should_escape"] is True
    assert len(command["description"]) <= 100 and len(command["usage_hint"]) <= 100


def test_app_home_events_interactivity_and_socket_mode() -> None:
    m = manifest()
    home = m["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"]
    assert not home["messages_tab_read_only_enabled"]
    settings = m["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "message.im",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True


def test_least_scopes() -> None:
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == {"commands", "chat:write", "im:history", "users:read", "users:read.email"}
    assert "im:write" not in scopes  # DMs go to channel=<user id>; no conversations.open
