"""The chart beside the weekly summary: per unit, the share of people aligned and the average
progress of agreed goals, as horizontal bars, drawn to a PNG with matplotlib's Agg renderer (no
display, no pyplot state: safe in any thread)."""

from __future__ import annotations

import io
from typing import Any

from bot.summary_blocks import shown_units
from conversations.views.summary import Summary
from prompts import render_plain

CHART_UNITS = 40  # bars beyond this are unreadable; the message lists the same top of the tree
NAME_LIMIT = 38  # characters of a unit's name on the axis; longer ones end with "…"
INCH_PER_UNIT = 0.36  # two bars and a gap: the figure grows with the units, names stay readable
FRAME_INCHES = 1.9  # title, axis and legend
WIDTH_INCHES = 10.0
DPI = 100
COVERAGE_COLOUR = "#2e86ab"
PROGRESS_COLOUR = "#f18f01"


def _label(name: str, depth: int) -> str:
    short = name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1].rstrip() + "…"
    return "· " * depth + short


def chart_png(summary: Summary) -> bytes:
    """The summary's chart as PNG bytes."""
    # Imported here: matplotlib takes a moment to load, and only the weekly post draws.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    units, hidden = shown_units(summary, CHART_UNITS)
    height = FRAME_INCHES + INCH_PER_UNIT * len(units)
    # Constrained layout keeps the title, the legend and the names inside the image.
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    rows = list(range(len(units)))
    bar = 0.38
    series = (
        ("summary/chart_coverage", [u.numbers.coverage for u in units], -bar / 2, COVERAGE_COLOUR),
        ("summary/chart_progress", [u.numbers.progress for u in units], bar / 2, PROGRESS_COLOUR),
    )
    for words, values, offset, colour in series:
        bars = axes.barh(
            [r + offset for r in rows],
            [v or 0 for v in values],
            height=bar,
            color=colour,
            label=render_plain(words),
        )
        axes.bar_label(
            bars,
            labels=["–" if v is None else f"{v}%" for v in values],
            fontsize=7,
            padding=2,
            color="#444444",
        )
    # Unit names are people's text: never read as mathtext ("$x$").
    axes.set_yticks(
        rows, labels=[_label(u.name, u.depth) for u in units], fontsize=9, parse_math=False
    )
    axes.set_ylim(len(units) - 0.5, -0.5)  # the top of the tree at the top
    _percent_axis(axes)
    figure.suptitle(
        render_plain(
            "summary/chart_title",
            name=_label(summary.top.name, 0),
            cycle=summary.cycle_name,
            shown=len(units),
            hidden=hidden,
        ),
        x=0.01,
        horizontalalignment="left",
        fontsize=11,
        parse_math=False,
    )
    figure.legend(loc="outside lower left", ncols=2, fontsize=8, frameon=False)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _percent_axis(axes: Any) -> None:
    """0–100 % along the bottom, light grid lines, no frame on the top and right."""
    axes.set_xlim(0, 110)
    axes.set_xticks(range(0, 101, 20))
    axes.set_xlabel(render_plain("summary/chart_axis"))
    axes.xaxis.grid(True, color="#dddddd")
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
