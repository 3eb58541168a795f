"""The summary as Block Kit at every size, and its chart: valid for Slack from one unit to a
thousand (cut with counts and a pointer), names escaped, and a PNG that grows with the units."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import blocks
from bot.chart import CHART_UNITS, chart_png
from bot.sandbox.fake_slack import MESSAGE_BLOCK_LIMIT, validate_blocks
from bot.summary_blocks import SHOWN_UNITS, shown_units, summary_message
from conversations.views.summary import Change, Numbers, Snapshot, Summary, UnitSummary

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
LONG = "Customer Success and Renewals Operations, Europe, Middle East & Africa — Tier 2"  # 80


def numbers(i: int) -> Numbers:
    return Numbers(
        members=10 + i % 7,
        covered=i % 11,
        objectives=3,
        orphans=i % 3,
        goals=20,
        progress_total=(i * 37) % 2000,
        at_risk=i % 4,
        off_track=i % 2,
        expected=9,
        checked_in=i % 10,
        barriers_under_a_week=i % 5,
        barriers_one_to_two_weeks=i % 3,
        barriers_older=i % 2,
    )


def tree(count: int, *, name: str = LONG, fan_out: int = 8, since: bool = True) -> Summary:
    """`count` units in a tree `fan_out` wide (breadth first), long names, every number set."""
    units: list[UnitSummary] = []
    parents: dict[int, int | None] = {0: None}
    depth: dict[int, int] = {0: 0}
    for i in range(1, count):
        parents[i] = (i - 1) // fan_out
        depth[i] = depth[parents[i] or 0] + 1
    children: dict[int | None, list[int]] = {}
    for i in range(count):
        children.setdefault(parents[i], []).append(i)
    order: list[int] = []
    stack = [0]
    while stack:
        i = stack.pop()
        order.append(i)
        stack.extend(reversed(children.get(i, [])))
    before = {i + 1: numbers(i + 3) for i in range(count)}
    for i in order:
        now = numbers(i)
        units.append(
            UnitSummary(
                unit_id=i + 1,
                name=f"{name[:70]} {i}",
                depth=depth[i],
                parent_id=None if parents[i] is None else (parents[i] or 0) + 1,
                numbers=now,
                change=Change(before[i + 1], now) if since else None,
                has_children=bool(children.get(i)),
            )
        )
    totals = sum((u.numbers for u in units), Numbers())
    return Summary(
        team_id="T1",
        cycle_name="FY27 H1",
        now=NOW,
        units=units,
        totals=totals,
        since=Snapshot("2027-W08", NOW.replace(day=22, month=2), before) if since else None,
        total_change=Change(sum(before.values(), Numbers()), totals) if since else None,
        whole_org=True,
    )


@pytest.mark.parametrize("count", [1, 2, 30, SHOWN_UNITS, SHOWN_UNITS + 1, 200, 1000])
@pytest.mark.parametrize("audience", ["channel", "ephemeral"])
def test_every_size_is_valid_block_kit_and_cut_with_a_count(count: int, audience: str) -> None:
    summary = tree(count)
    message = summary_message(summary, audience=audience, tz="Europe/London")  # type: ignore[arg-type]
    validate_blocks(message["blocks"], MESSAGE_BLOCK_LIMIT)
    assert len(message["blocks"]) <= MESSAGE_BLOCK_LIMIT
    assert 0 < len(message["text"]) <= blocks.SECTION_TEXT_LIMIT
    texts = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert all(len(t) <= blocks.SECTION_TEXT_LIMIT for t in texts)
    listed = sum(t.count(f"*{LONG[:40]}") for t in texts)
    shown, hidden = shown_units(summary, SHOWN_UNITS)
    assert listed == len(shown) == min(count, SHOWN_UNITS) and hidden == count - len(shown)
    context = [b for b in message["blocks"] if b["type"] == "context"]
    if hidden:
        [cut] = context
        words = cut["elements"][0]["text"]
        assert f"{hidden} more unit" in words and '`/goals summary "' in words
    else:
        assert context == []


def test_the_top_levels_are_listed_whole_before_any_deeper_one() -> None:
    summary = tree(1000)  # 1 + 8 + 64 + 512 + 415: the first two levels, and 51 of the third
    shown, hidden = shown_units(summary, SHOWN_UNITS)
    depths = [u.depth for u in shown]
    assert depths.count(0) == 1 and depths.count(1) == 8 and depths.count(2) == SHOWN_UNITS - 9
    assert max(depths) == 2 and hidden == 1000 - SHOWN_UNITS
    # The pointer names a listed unit that has units left out below it.
    message = summary_message(summary, audience="channel", tz=None)
    pointer = message["blocks"][-1]["elements"][0]["text"]
    named = pointer.split('`/goals summary "')[1].split('"`')[0]
    assert named.replace("&amp;", "&") in {u.name for u in shown if u.has_children}


def test_names_are_escaped_and_the_first_summary_says_so() -> None:
    summary = tree(3, name="<!channel> & <@U123> <https://evil.example|click>", since=False)
    message = summary_message(summary, audience="channel", tz="UTC")
    text = json.dumps(message)
    assert "<!channel>" not in text and "<@U123>" not in text and "<https://" not in text
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in text
    assert "next one will say what changed" in text


def test_what_changed_is_in_the_words() -> None:
    message = summary_message(tree(3), audience="channel", tz="Europe/London")
    text = "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
    assert "Since the summary of Mon 22 Feb 2027" in text
    assert "Aligned: " in text and " → " in text


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_chart_grows_with_the_units_and_keeps_names_readable(tmp_path: Path) -> None:
    small = chart_png(tree(5))
    thirty = chart_png(tree(30, name="$\\frac{1}{2}$ " + LONG))  # mathtext is not read
    many = chart_png(tree(500))
    (tmp_path / "thirty.png").write_bytes(thirty)
    small_w, small_h = _png_size(small)
    w, h = _png_size(thirty)
    assert w == small_w == 1000
    # Each unit gets its own band, at least 30 pixels high: 9-point names never overlap.
    assert h - small_h >= 25 * 30
    # A huge organisation is drawn only as deep as CHART_UNITS bars allow.
    assert _png_size(many)[1] <= small_h + (CHART_UNITS - 5) * 40
