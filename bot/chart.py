"""The chart beside the weekly summary: per unit, the share of people aligned and the average
progress of agreed goals, as horizontal bars, drawn to a PNG with matplotlib's Agg renderer (no
display, no pyplot state: safe in any thread)."""

from __future__ import annotations

import io

from bot.summary_blocks import shown_units
from conversations.summary import Summary
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
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    rows = list(range(len(units)))
    bar = 0.38
    coverage = [u.numbers.coverage or 0 for u in units]
    progress = [u.numbers.progress or 0 for u in units]
    axes.barh(
        [r - bar / 2 for r in rows],
        coverage,
        height=bar,
        color=COVERAGE_COLOUR,
        label=render_plain("summary/chart_coverage"),
    )
    axes.barh(
        [r + bar / 2 for r in rows],
        progress,
        height=bar,
        color=PROGRESS_COLOUR,
        label=render_plain("summary/chart_progress"),
    )
    # Unit names are people's text: never read as mathtext ("$x$"), never cut by the frame.
    axes.set_yticks(
        rows, labels=[_label(u.name, u.depth) for u in units], fontsize=9, parse_math=False
    )
    axes.invert_yaxis()  # the top of the tree at the top
    axes.set_xlim(0, 100)
    axes.set_ylim(len(units) - 0.5, -0.5)
    axes.set_xlabel(render_plain("summary/chart_axis"))
    axes.xaxis.grid(True, color="#dddddd")
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_title(
        render_plain(
            "summary/chart_title",
            name=summary.top.name,
            cycle=summary.cycle_name,
            shown=len(units),
            hidden=hidden,
        ),
        loc="left",
        fontsize=11,
        parse_math=False,
    )
    axes.legend(loc="lower right", fontsize=8, frameon=False, bbox_to_anchor=(1.0, 1.0), ncols=2)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
