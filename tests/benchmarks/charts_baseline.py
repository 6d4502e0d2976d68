"""The digest chart as it was drawn before jobs/digest/chart_draw.py: a new matplotlib figure
per chart, saved with `savefig`. Kept only as the charts benchmark's baseline
(tests/benchmarks/charts.py); it draws the same pixels (tests/jobs/test_chart_pixels.py).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from jobs.digest.chart import (
    COLOURS,
    COLUMNS,
    DEFAULT_BANDS,
    TITLE_CHARS,
    chart_goals,
    display_state,
)
from jobs.digest.chart_draw import (
    BENCHMARK_COLOUR,
    BOTTOM_INCHES,
    CHART_DAYS,
    DPI,
    PANEL_INCHES,
    TOP_INCHES,
)
from jobs.digest.model import ChannelDigest, GoalLine
from jobs.metrics.quantities import format_value, tick_labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ticker import Formatter


def render_chart(digest: ChannelDigest, *, max_panels: int = 12) -> bytes | None:
    """A PNG of small multiples, one per goal with history; None when there is nothing to draw."""
    figure = chart_figure(digest, max_panels=max_panels)
    if figure is None:
        return None
    buffer = io.BytesIO()
    # No Software entry: the same digest always gives the same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def chart_figure(digest: ChannelDigest, *, max_panels: int = 12) -> Figure | None:
    """The figure `render_chart` saves, one panel per goal in `chart_goals` order."""
    goals = chart_goals(digest, max_panels)
    if not goals:
        return None
    # Imported here: matplotlib takes about a second to import, and the renderer in bot/
    # imports this module for `worst_first` without ever drawing.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    end = max(day for line in goals for day, _ in digest.history[line.metric_key])
    columns = min(COLUMNS, len(goals))
    rows = math.ceil(len(goals) / columns)
    width, height = PANEL_INCHES
    total = height * rows + TOP_INCHES + BOTTOM_INCHES
    figure = Figure(figsize=(width * columns, total), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False)
    for ax, line in zip(axes.flat, goals, strict=False):
        _panel(ax, line, digest.history[line.metric_key], end)
    for ax in axes.flat[len(goals) :]:
        ax.set_axis_off()
    shown = "" if len(goals) == len(digest.lines) else f" · {len(goals)} of {len(digest.lines)}"
    figure.suptitle(
        f"Goal health, last {CHART_DAYS} days to {_day(end)}{shown} (worst first)",
        fontsize=10,
        x=0.01,
        y=1 - 0.1 / total,
        ha="left",
        va="top",
    )
    figure.subplots_adjust(
        left=0.25 / columns,
        right=0.98,
        bottom=BOTTOM_INCHES / total,
        top=1 - TOP_INCHES / total,
        wspace=0.3,
        hspace=0.6,
    )
    return figure


def _panel(ax: Axes, line: GoalLine, points: Sequence[tuple[date, float]], end: date) -> None:
    from matplotlib.ticker import MaxNLocator

    start = end - timedelta(days=CHART_DAYS - 1)
    values = [math.nan] * CHART_DAYS
    for day, value in points:
        if start <= day <= end and math.isfinite(value):
            values[(day - start).days] = value
    # Markers keep lone points visible between missing days, where the line breaks.
    ax.plot(range(CHART_DAYS), values, color="#333333", linewidth=1.2, marker="o", markersize=2)
    ax.axhline(line.target, color="#555555", linestyle="--", linewidth=0.8)
    levels = [line.target, *_benchmark_line(ax, line)]
    present = [v for v in values if math.isfinite(v)]
    low, high = min([*present, *levels]), max([*present, *levels])
    pad = (high - low) * 0.15 or abs(line.target) * 0.05 or 1.0
    limits = (low - pad, high + pad)
    _shade(ax, line, limits)
    ax.set_ylim(limits)
    ax.set_xlim(-0.5, CHART_DAYS - 0.5)
    ax.set_xticks([0, CHART_DAYS // 2, CHART_DAYS - 1])
    ax.set_xticklabels([_day(start + timedelta(days=n)) for n in (0, CHART_DAYS // 2, 29)])
    ax.yaxis.set_major_locator(MaxNLocator(nbins=3))
    ax.yaxis.set_major_formatter(_tick_formatter(line))
    ax.tick_params(labelsize=7, length=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    title = " ".join(line.title.split())
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1] + "…"
    # parse_math=False: a `$` in a metric title is text, not the start of a formula. A fixed
    # `y` skips matplotlib's title placement, which measures every tick label (slow).
    ax.set_title(
        title,
        loc="left",
        y=1.02,
        fontsize=9,
        fontweight="bold",
        color=COLOURS[display_state(line)],
        parse_math=False,
    )


def _benchmark_line(ax: Axes, line: GoalLine) -> list[float]:
    """The metric's benchmark as a dotted, labelled line; the levels drawn (none without one)."""
    if line.benchmark is None or not math.isfinite(line.benchmark.benchmark):
        return []
    level = line.benchmark.benchmark
    ax.axhline(level, color=BENCHMARK_COLOUR, linestyle=":", linewidth=1.0, label="benchmark")
    ax.text(
        CHART_DAYS - 0.5,
        level,
        "benchmark",
        fontsize=6,
        color=BENCHMARK_COLOUR,
        ha="right",
        va="bottom",
        parse_math=False,
    )
    return [level]


def _tick_formatter(line: GoalLine) -> Formatter:
    """Y tick labels in the goal's unit, with the digits it takes to tell the ticks apart."""
    from matplotlib.ticker import Formatter

    class TickFormatter(Formatter):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return format_value(line.unit, x, scale=line.scale, currency=line.currency)

        def format_ticks(self, values: list[float]) -> list[str]:
            return tick_labels(values, line.unit, scale=line.scale, currency=line.currency)

    return TickFormatter()


def _shade(ax: Axes, line: GoalLine, limits: tuple[float, float]) -> None:
    """The default yellow/orange/red bands on the adverse side(s) of the target."""
    target, size = line.target, abs(line.target)
    if size == 0 or not math.isfinite(target):
        return
    sides = {"higher": (-1,), "lower": (1,), "either": (-1, 1)}.get(line.direction, (-1, 1))
    for sign in sides:
        for band, near, far in DEFAULT_BANDS:
            edge = limits[0] if sign < 0 else limits[1]
            inner = target + sign * near * size
            outer = target + sign * far * size if math.isfinite(far) else edge
            ax.axhspan(
                min(inner, outer), max(inner, outer), color=COLOURS[band], alpha=0.2, linewidth=0
            )


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"
