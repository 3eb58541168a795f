"""Small Block Kit builders: rendered mrkdwn in, valid blocks out."""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
HEADER_TEXT_LIMIT = 150


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


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": text[:HEADER_TEXT_LIMIT], "emoji": True},
    }


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_TEXT_LIMIT]}]}


def message(text: str) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage / respond: blocks plus the notification text."""
    return {"text": text[:SECTION_TEXT_LIMIT], "blocks": sections(text)}


def home_view(text: str) -> dict[str, Any]:
    return {"type": "home", "blocks": sections(text)[:100]}


def modal(title: str, text: str) -> dict[str, Any]:
    """A modal with only text (titles are at most 24 characters)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title[:24]},
        "blocks": sections(text)[:100],
    }
