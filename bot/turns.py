"""Sending what a flow said: the person's messages (with answer buttons) and notices to others."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.payloads import Click
from conversations.flow import Action, ButtonsFor, Notice, Say, Turn
from prompts import render

logger = logging.getLogger("cascade")
FLOW_ANSWER = "flow_answer_"  # + index: action ids must be unique within a block


def answer_value(target: ButtonsFor, value: str) -> str:
    return json.dumps({"f": target.flow, "s": target.step, "v": target.version, "x": value})


def parse_answer(value: str) -> tuple[ButtonsFor, str] | None:
    """The flow, step and version a button was made for, and the answer it stands for."""
    try:
        data = json.loads(value)
        return ButtonsFor(str(data["f"]), str(data["s"]), int(data["v"])), str(data["x"])
    except (ValueError, KeyError, TypeError):
        return None


def _message(say: Say, target: ButtonsFor | None) -> dict[str, Any]:
    text = render(say.template, **say.context)
    if not say.buttons or target is None:
        return blocks.message(text)
    buttons = [
        blocks.button(
            b.label, f"{FLOW_ANSWER}{i}", answer_value(target, b.value), primary=b.primary
        )
        for i, b in enumerate(say.buttons)
    ]
    return blocks.message(text, blocks.actions(*buttons))


def _actions(actions: tuple[Action, ...]) -> list[blocks.Block]:
    if not actions:
        return []
    return [
        blocks.actions(
            *(blocks.button(a.label, a.action_id, a.value, primary=a.primary) for a in actions)
        )
    ]


def notice_message(notice: Notice) -> dict[str, Any]:
    return blocks.message(render(notice.template, **notice.context), *_actions(notice.actions))


def send_turn(*, client: WebClient, user_id: str, turn: Turn) -> None:
    """DM the person what the flow said, then tell everyone else their part."""
    for say, target in turn.say:
        client.chat_postMessage(channel=user_id, **_message(say, target))
    send_notices(client=client, notices=turn.notices)


def send_notices(*, client: WebClient, notices: list[Notice]) -> None:
    """Each notice on its own: one that Slack refuses (after retries) never stops the others."""
    for notice in notices:
        try:
            client.chat_postMessage(channel=notice.user_id, **notice_message(notice))
        except (SlackApiError, OSError):
            logger.exception("could not deliver a notice to %s", notice.user_id)


def answered(click: Click) -> dict[str, Any]:
    """The question a button answered: its words kept, its buttons replaced by the answer."""
    kept = [b for b in click.message_blocks if b.get("type") != "actions"]
    note = blocks.context(render("flow/answered", label=click.label))
    return {"text": click.message_text, "blocks": [*kept, note]}
