"""The chart posted with the weekly summary, drawn to be read where Slack shows it: inline, about
480 px wide. Per unit (the largest first, the rest as "others"): the share of people aligned,
the share checked in, and the confidence mix of open goals; a unit that has not planned says so
instead of drawing empty bars; once two weeks are counted, the organisation's trend. Numbers
only: no goal or barrier text. Drawn with matplotlib's Agg renderer (no display, no pyplot state:
safe in any thread)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conversations.views.summary import Numbers, Summary
from prompts import render_plain

SHOWN_AT = 480  # px: the width Slack shows an image inline at
WIDTH_INCHES = 6.4
DPI = 150
TEXT_PT = 10  # every text on it: 10.4 px when shown 480 px wide
TITLE_PT = 11
CHART_UNITS = 10  # rows: the largest units, then one for the others
NAME_LIMIT = 20  # characters of a unit's name; longer ones end with "…"
ROW_INCHES = 0.34
FRAME_INCHES = 1.15
TREND_INCHES = 1.7
ALIGNED, CHECKED_IN = "#2e86ab", "#6c4f9e"
MIX = ("#3c9d5d", "#f2a541", "#d64545")  # on track, at risk, off track
MUTED = "#666666"


@dataclass(frozen=True)
class Row:
    name: str
    numbers: Numbers
    planned: bool


def rows(summary: Summary, limit: int = CHART_UNITS) -> list[Row]:
    """The largest units by people, then the rest added up as one row."""
    by_size = sorted(summary.units, key=lambda u: (-u.numbers.members, u.depth, u.name))
    shown = [Row(_name(u.name), u.numbers, u.planned) for u in by_size[: limit - 1]]
    rest = by_size[limit - 1 :]
    if len(rest) == 1:
        shown.append(Row(_name(rest[0].name), rest[0].numbers, rest[0].planned))
    elif rest:
        added = sum((u.numbers for u in rest), Numbers())
        words = render_plain("summary/chart_others", count=len(rest))
        shown.append(Row(words, added, any(u.planned for u in rest)))
    return shown


def _name(name: str, limit: int = NAME_LIMIT) -> str:
    clean = " ".join(name.split())
    return clean if len(clean) <= limit else clean[: limit - 1].rstrip() + "…"


def chart_png(summary: Summary, trend: Sequence[tuple[str, Numbers]] = ()) -> bytes:
    """The summary's chart as PNG bytes; `trend` is the organisation's totals by week, oldest
    first (drawn once there are two)."""
    figure = draw(summary, trend)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def draw(summary: Summary, trend: Sequence[tuple[str, Numbers]] = ()) -> Any:
    """The chart as a matplotlib Figure (the tests measure its text)."""
    # Imported here: matplotlib takes a moment to load, and only the weekly post draws.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    shown = rows(summary)
    with_trend = len(trend) >= 2
    height = FRAME_INCHES + ROW_INCHES * len(shown) + (TREND_INCHES if with_trend else 0)
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    ratios = [ROW_INCHES * len(shown) + 0.5, *([TREND_INCHES] if with_trend else [])]
    grid = figure.add_gridspec(len(ratios), 3, height_ratios=ratios, width_ratios=[1, 1, 1.1])
    panels = [figure.add_subplot(grid[0, i]) for i in range(3)]
    _bars(panels[0], shown, "coverage", ALIGNED, render_plain("summary/chart_aligned"))
    _bars(panels[1], shown, "participation", CHECKED_IN, render_plain("summary/chart_checked_in"))
    _mix(panels[2], shown)
    panels[0].set_yticks(range(len(shown)), labels=[r.name for r in shown], fontsize=TEXT_PT)
    for panel in panels[1:]:
        panel.set_yticks([])
    if with_trend:
        _trend(figure.add_subplot(grid[1, :]), trend)
    figure.suptitle(
        render_plain(
            "summary/chart_title", name=_name(summary.top.name, 40), cycle=summary.cycle_name
        ),
        x=0.01,
        horizontalalignment="left",
        fontsize=TITLE_PT,
        parse_math=False,
    )
    for text in figure.findobj(Text):
        text.set_parse_math(False)  # unit names are people's text: never read as mathtext
    return figure


def _frame(axes: Any, rows_: int, title: str) -> None:
    axes.set_title(title, fontsize=TEXT_PT, loc="left")
    axes.set_xlim(0, 100)
    axes.set_ylim(rows_ - 0.5, -0.5)  # the largest unit at the top
    axes.set_xticks([0, 50, 100], labels=["0", "50", "100%"], fontsize=TEXT_PT)
    axes.xaxis.grid(True, color="#dddddd")
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _bars(axes: Any, shown: list[Row], measure: str, colour: str, title: str) -> None:
    _frame(axes, len(shown), title)
    for y, row in enumerate(shown):
        value = getattr(row.numbers, measure)
        if not row.planned:
            axes.text(2, y, render_plain("summary/chart_not_planned"), va="center",
                      fontsize=TEXT_PT, color=MUTED, style="italic")  # fmt: skip
            continue
        axes.barh(y, value or 0, height=0.6, color=colour)
        label = "–" if value is None else f"{value}%"
        inside = value is not None and value > 62
        axes.text((value or 0) + (-2 if inside else 2), y, label, va="center",
                  ha="right" if inside else "left", fontsize=TEXT_PT,
                  color="white" if inside else MUTED)  # fmt: skip


def _mix(axes: Any, shown: list[Row]) -> None:
    """The confidence of open goals, as shares of one bar: on track, at risk, off track."""
    _frame(axes, len(shown), render_plain("summary/chart_confidence"))
    for y, row in enumerate(shown):
        n = row.numbers
        if not row.planned or not n.open_goals:
            words = "summary/chart_not_planned" if not row.planned else "summary/chart_no_goals"
            axes.text(2, y, render_plain(words), va="center", fontsize=TEXT_PT, color=MUTED,
                      style="italic")  # fmt: skip
            continue
        on_track = max(n.open_goals - n.at_risk - n.off_track, 0)
        left = 0.0
        for count, colour in zip((on_track, n.at_risk, n.off_track), MIX, strict=True):
            share = 100 * count / n.open_goals
            axes.barh(y, share, left=left, height=0.6, color=colour)
            left += share
    from matplotlib.patches import Patch

    keys = ("summary/chart_on_track", "summary/chart_at_risk", "summary/chart_off_track")
    handles = [Patch(color=c, label=render_plain(k)) for c, k in zip(MIX, keys, strict=True)]
    axes.legend(handles=handles, fontsize=TEXT_PT, frameon=False, loc="upper center",
                bbox_to_anchor=(0.5, -0.12), ncols=1, handlelength=1)  # fmt: skip


def _trend(axes: Any, trend: Sequence[tuple[str, Numbers]]) -> None:
    """The organisation's alignment and check-ins, week by week."""
    weeks = [period.split("-")[-1] for period, _ in trend]
    for measure, colour, words in (
        ("coverage", ALIGNED, "summary/chart_aligned"),
        ("participation", CHECKED_IN, "summary/chart_checked_in"),
    ):
        values = [getattr(n, measure) for _, n in trend]
        axes.plot(weeks, [v if v is not None else float("nan") for v in values], marker="o",
                  color=colour, label=render_plain(words))  # fmt: skip
    axes.set_title(render_plain("summary/chart_trend"), fontsize=TEXT_PT, loc="left")
    axes.set_ylim(0, 100)
    axes.set_yticks([0, 50, 100], labels=["0", "50", "100%"], fontsize=TEXT_PT)
    axes.tick_params(axis="x", labelsize=TEXT_PT)
    axes.legend(fontsize=TEXT_PT, frameon=False, loc="lower left", ncols=2)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
