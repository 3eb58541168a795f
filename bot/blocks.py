"""Small Block Kit builders: rendered mrkdwn in, valid blocks out.

Every text object goes through this module, and user text reaches Slack one way: mrkdwn is rendered
by prompts/ (which escapes every value), and every `plain_text` object — button labels, option
texts, headers, labels, modal titles — is escaped here by `plain`. Slack treats `&`, `<` and `>` as
control characters in every text object and shows the entities as the characters, so a title like
`<!channel> pipeline` is shown as typed and pings nobody, in a section or on a button alike.
"""

from __future__ import annotations

import re
from typing import Any

from prompts import cut_label, mrkdwn_escape

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
BUTTON_TEXT_LIMIT = 75
LABEL_LIMIT = 2000
MODAL_TITLE_LIMIT = 24


# An entity (`&amp;`) or a token (`<@U123>`) cut in two would show as garbage: never cut inside one.
_OPEN_AT_END = re.compile(r"(&[#\w]{0,8}|<[^<>\n]{0,200})$")


def fit(text: str, limit: int) -> str:
    """At most `limit` characters of text already in Slack's format, never ending mid-entity."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    partial = _OPEN_AT_END.search(cut)
    return cut[: partial.start()] if partial and partial.start() > 0 else cut


def _chunks(text: str, size: int) -> list[str]:
    """Split text into pieces of at most `size`, preferring line breaks."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        if cut <= 0:
            cut = len(fit(text, size))
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text:
        pieces.append(text)
    return pieces


def sections(text: str) -> list[Block]:
    """Mrkdwn text as one or more section blocks (each within Slack's 3,000 characters)."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
        for piece in _chunks(text, SECTION_TEXT_LIMIT)
    ][:MESSAGE_BLOCK_LIMIT]


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object: the one place text that is not mrkdwn is escaped for Slack."""
    return {"type": "plain_text", "text": fit(mrkdwn_escape(text), limit) or " ", "emoji": True}


def context(text: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": fit(text, SECTION_TEXT_LIMIT)}],
    }


def button(text: str, action_id: str, value: str = "", *, primary: bool = False) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(cut_label(text, BUTTON_TEXT_LIMIT), BUTTON_TEXT_LIMIT),
        "action_id": action_id,
    }
    if value:
        element["value"] = value
    if primary:
        element["style"] = "primary"
    return element


def actions(*elements: Block) -> Block:
    return {"type": "actions", "elements": list(elements)}


def message(text: str, *extra: Block) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage / respond: blocks plus the notification text."""
    blocks = sections(text)[: MESSAGE_BLOCK_LIMIT - len(extra)] + list(extra)
    return {"text": fit(text, SECTION_TEXT_LIMIT), "blocks": blocks}


def without_buttons(message: dict[str, Any], note: str) -> dict[str, Any]:
    """A message as it was sent, its rows of buttons gone and `note` as its last line."""
    kept = [b for b in message.get("blocks") or [] if b.get("type") != "actions"]
    return {"text": str(message.get("text") or ""), "blocks": [*kept, context(note)]}


def text_input(
    block_id: str,
    label: str,
    *,
    initial: str = "",
    max_length: int = 80,
    multiline: bool = False,
    optional: bool = False,
    hint: str = "",
) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": block_id, "max_length": max_length}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial
    return _input(block_id, label, element, optional=optional, hint=hint)


def select_input(
    block_id: str,
    label: str,
    options: list[tuple[str, str]],
    *,
    initial: str | None = None,
    optional: bool = False,
) -> Block:
    """A static select of (text, value) options."""
    choices = [{"text": _plain(text[:75]), "value": value} for text, value in options]
    element: Block = {"type": "static_select", "action_id": block_id, "options": choices}
    chosen = next((c for c in choices if c["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return _input(block_id, label, element, optional=optional)


def _input(block_id: str, label: str, element: Block, *, optional: bool, hint: str = "") -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": element,
    }
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = _plain(hint)
    return block


def date_input(block_id: str, label: str, *, initial: str | None = None) -> Block:
    element: Block = {"type": "datepicker", "action_id": block_id}
    if initial:
        element["initial_date"] = initial
    return _input(block_id, label, element, optional=False)


def _plain(text: str, limit: int = LABEL_LIMIT) -> dict[str, Any]:
    return plain(text, limit)


def form(
    callback_id: str, title: str, submit: str, inputs: list[Block], *, intro: str = ""
) -> dict[str, Any]:
    """A modal that asks for input."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _plain(title, MODAL_TITLE_LIMIT),
        "submit": _plain(submit, MODAL_TITLE_LIMIT),
        "close": _plain("Cancel", MODAL_TITLE_LIMIT),
        "blocks": (sections(intro) if intro else []) + inputs,
    }


def modal(title: str, text: str) -> dict[str, Any]:
    """A modal with only text (titles are at most 24 characters)."""
    return {
        "type": "modal",
        "title": _plain(title, MODAL_TITLE_LIMIT),
        "blocks": sections(text)[:100],
    }
