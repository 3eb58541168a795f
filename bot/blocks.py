"""Small Block Kit builders: rendered mrkdwn in, valid blocks out."""

from __future__ import annotations

from typing import Any

from prompts import cut_label

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
BUTTON_TEXT_LIMIT = 75
LABEL_LIMIT = 2000
MODAL_TITLE_LIMIT = 24


def _chunks(text: str, size: int) -> list[str]:
    """Split text into pieces of at most `size`, preferring line breaks."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        if cut <= 0:
            cut = size
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


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_TEXT_LIMIT]}]}


def button(text: str, action_id: str, value: str = "", *, primary: bool = False) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": cut_label(text, BUTTON_TEXT_LIMIT), "emoji": True},
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
    return {"text": text[:SECTION_TEXT_LIMIT], "blocks": blocks}


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
    block_id: str, label: str, options: list[tuple[str, str]], *, initial: str | None = None
) -> Block:
    """A static select of (text, value) options."""
    choices = [{"text": _plain(text[:75]), "value": value} for text, value in options]
    element: Block = {"type": "static_select", "action_id": block_id, "options": choices}
    chosen = next((c for c in choices if c["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return _input(block_id, label, element, optional=False)


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


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:LABEL_LIMIT], "emoji": True}


def form(
    callback_id: str, title: str, submit: str, inputs: list[Block], *, intro: str = ""
) -> dict[str, Any]:
    """A modal that asks for input."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _plain(title[:MODAL_TITLE_LIMIT]),
        "submit": _plain(submit[:MODAL_TITLE_LIMIT]),
        "close": _plain("Cancel"),
        "blocks": (sections(intro) if intro else []) + inputs,
    }


def modal(title: str, text: str) -> dict[str, Any]:
    """A modal with only text (titles are at most 24 characters)."""
    return {
        "type": "modal",
        "title": _plain(title[:MODAL_TITLE_LIMIT]),
        "blocks": sections(text)[:100],
    }
