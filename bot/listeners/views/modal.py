"""A form's modal, its words from prompts/: `<words>title`, `<words>submit` and `<words>intro`."""

from __future__ import annotations

from typing import Any

from bot import blocks
from prompts import render, render_plain


def modal(
    callback_id: str, words: str, inputs: list[blocks.Block], **context: Any
) -> dict[str, Any]:
    """`words` is the templates' common start: "barrier/form_" for barrier/form_title…"""
    return blocks.form(
        callback_id,
        render_plain(f"{words}title"),
        render_plain(f"{words}submit"),
        inputs,
        intro=render(f"{words}intro", **context),
    )
