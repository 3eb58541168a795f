"""The leadership summary as Block Kit: the channel's weekly post and the ephemeral one alike.

Whatever the size of the organisation the message stays within Slack's limits (50 blocks, 3,000
characters a section): the top levels of the tree are listed whole, as deep as `SHOWN_UNITS`
allows, and the rest is cut with a count and a pointer to `/goals summary "Unit"`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from bot import blocks
from conversations import clock
from conversations.views.summary import Summary, UnitSummary
from prompts import render

Audience = Literal["channel", "ephemeral"]
SHOWN_UNITS = 60  # unit lines in one message at most: beyond this it is a list nobody reads


def shown_units(summary: Summary, limit: int) -> tuple[list[UnitSummary], int]:
    """The units to list (at most `limit`, in tree order) and how many are left out: every level
    of the tree that fits whole, from the top, then as many of the next as fit."""
    units = summary.units
    if len(units) <= limit:
        return list(units), 0
    per_depth = Counter(u.depth for u in units)
    whole, count = -1, 0
    for depth in sorted(per_depth):
        if count + per_depth[depth] > limit:
            break
        whole, count = depth, count + per_depth[depth]
    room = limit - count
    shown: list[UnitSummary] = []
    for unit in units:
        if unit.depth <= whole:
            shown.append(unit)
        elif unit.depth == whole + 1 and room > 0:
            shown.append(unit)
            room -= 1
    return shown, len(units) - len(shown)


def _example(summary: Summary, shown: list[UnitSummary]) -> str:
    """A unit worth asking about: the first listed one with units below it left out."""
    listed = {u.unit_id for u in shown}
    parents = {u.parent_id for u in summary.units if u.unit_id not in listed}
    return next((u.name for u in shown if u.unit_id in parents), shown[-1].name)


def summary_message(summary: Summary, *, audience: Audience, tz: str | None) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage / respond: the summary's blocks and its text.
    Dates are local to `tz` (the workspace's for the channel, the reader's otherwise)."""
    since_day = clock.local_date(summary.since.taken_at, tz) if summary.since is not None else None
    fixed = [
        *blocks.sections(render("summary/heading", summary=summary, audience=audience)),
        *blocks.sections(render("summary/totals", summary=summary)),
        *blocks.sections(
            render("summary/changes", summary=summary, since_day=since_day, audience=audience)
        ),
        *(blocks.sections(render("summary/managers", summary=summary)) if summary.managers else []),
        {"type": "divider"},
        *blocks.sections(
            render("summary/units_heading", changes=summary.since is not None, week=summary.week),
        ),
    ]
    shown, hidden = shown_units(summary, SHOWN_UNITS)
    lines = [render("summary/unit", unit=unit)[: blocks.SECTION_TEXT_LIMIT] for unit in shown]
    room = blocks.MESSAGE_BLOCK_LIMIT - len(fixed) - 1  # one for the cut, if there is one
    listed, kept = _packed(lines, room)
    if kept < len(shown):
        hidden += len(shown) - kept
        shown = shown[:kept]
    cut = []
    if hidden:
        example = _example(summary, shown)
        cut = [blocks.context(render("summary/cut", hidden=hidden, example=example))]
    return {
        "text": render("summary/notification", summary=summary, audience=audience),
        "blocks": fixed + listed + cut,
    }


COMMENT_LIMIT = 3900  # a file's initial comment: Slack advises messages under 4,000 characters


def summary_text(summary: Summary, *, tz: str | None) -> str:
    """The weekly summary as one mrkdwn text, to go with its chart as one message (the upload's
    initial comment): the same parts as the blocks, unit lines as many as fit, then the cut."""
    message = summary_message(summary, audience="channel", tz=tz)
    parts = [
        b["text"]["text"] if b["type"] == "section" else b["elements"][0]["text"]
        for b in message["blocks"]
        if b["type"] in ("section", "context")
    ]
    text = ""
    for i, part in enumerate(parts):
        if len(text) + len(part) + 1 > COMMENT_LIMIT:
            left = len(parts) - i
            text += "\n" + render("summary/comment_cut", left=left, example=summary.top.name)
            break
        text += ("\n" if text else "") + part
    return text


def _packed(lines: list[str], room: int) -> tuple[list[blocks.Block], int]:
    """Lines packed into at most `room` sections of at most 3,000 characters each, whole lines
    only: the sections, and how many lines they hold."""
    sections: list[str] = []
    kept = 0
    for line in lines:
        if sections and len(sections[-1]) + 1 + len(line) <= blocks.SECTION_TEXT_LIMIT:
            sections[-1] += "\n" + line
        elif len(sections) < room:
            sections.append(line)
        else:
            break
        kept += 1
    return [{"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in sections], kept
