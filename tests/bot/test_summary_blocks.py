"""The summary as Block Kit at every size, and its chart: valid for Slack from one unit to a
thousand (cut with counts and a pointer), names escaped, and a PNG that grows with the units."""

from __future__ import annotations

import json
import struct
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import blocks
from bot.chart import CHART_UNITS, SHOWN_AT, chart_png, draw
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
        open_goals=12,
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


def smallest_text_at_slacks_width(figure: Any) -> float:
    """The smallest text on the chart, in pixels, when the PNG is shown 480 px wide: each text's
    size in points, at the figure's resolution, scaled from its width to Slack's."""
    from matplotlib.text import Text

    width_px = figure.get_size_inches()[0] * figure.dpi
    sizes = [t.get_fontsize() for t in figure.findobj(Text) if t.get_text().strip()]
    return min(sizes) * figure.dpi / 72 * SHOWN_AT / width_px


def test_the_chart_reads_at_the_size_slack_shows_it(tmp_path: Path) -> None:
    week = tree(30, name="$\\frac{1}{2}$ " + LONG)  # mathtext is not read
    two_weeks = [("2027-W08", week.totals), ("2027-W09", week.totals)]
    figure = draw(week, two_weeks)
    png = chart_png(week, two_weeks)
    (tmp_path / "chart.png").write_bytes(png)
    width, height = _png_size(png)
    assert width == 960 and height < 2000
    assert smallest_text_at_slacks_width(figure) >= 9
    # Three measures per unit, a row each for the largest units and the others, and the trend.
    titles = [a.get_title(loc="left") for a in figure.axes]
    assert titles == ["Aligned", "Checked in", "Confidence", "The organisation, week by week"]
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(labels) == CHART_UNITS and labels[-1] == f"Others ({30 - CHART_UNITS + 1} units)"
    assert all("·" not in label and not label.startswith(" ") for label in labels)
    assert len(draw(week, two_weeks[:1]).axes) == 3  # one week of data: no trend yet


def test_a_unit_not_planned_is_marked_not_drawn_empty() -> None:
    summary = tree(3)
    quiet = replace(summary.units[2], numbers=replace(summary.units[2].numbers, not_planned=1))
    summary = replace(summary, units=[*summary.units[:2], quiet])
    figure = draw(summary)
    words = [t.get_text() for axes in figure.axes[:3] for t in axes.texts]
    assert words.count("not planned") == 3  # in each of the three measures


def test_a_thousand_units_draw_the_largest_and_others_in_under_a_second() -> None:
    summary = tree(1000)
    took = []
    for _ in range(3):  # the best of three: the suite runs on every core at once
        started = time.perf_counter()
        png = chart_png(summary)
        took.append(time.perf_counter() - started)
    assert min(took) < 1.0, took
    assert _png_size(png)[1] < 1000
