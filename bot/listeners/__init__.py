"""Every Slack listener, registered in one place. Fallbacks (stale buttons) come last."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events, messages, views
from bot.services import Services


def register_listeners(app: App, services: Services) -> None:
    commands.register(app, services)
    events.register(app, services)
    messages.register(app, services)
    views.register(app, services)
    actions.register(app, services)
