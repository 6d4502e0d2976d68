"""The digest's chart: small multiples of each goal's last 30 days, as a PNG. No Slack here.

Also the digest's worst-first order, which the chart and the Block Kit renderer share.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from jobs.digest.model import ChannelDigest, GoalLine
from jobs.metrics.quantities import format_value, tick_labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ticker import Formatter

# Display states, worst first. `failing` is a green goal whose source is failing: it must
# never look green, since its numbers may be stale.
STATES = ("red", "orange", "yellow", "no_data", "invalid", "failing", "green")
CHART_DAYS = 30
# GoalLine carries no per-goal thresholds, so the chart shades the default bands.
DEFAULT_BANDS = (("yellow", 0.1, 0.2), ("orange", 0.2, 0.3), ("red", 0.3, math.inf))
COLOURS = {
    "red": "#d62728",
    "orange": "#f28e1c",
    "yellow": "#e3b505",
    "no_data": "#7f7f7f",
    "invalid": "#7f7f7f",
    "failing": "#7f7f7f",
    "green": "#2ca02c",
}
BENCHMARK_COLOUR = "#1f5fa8"  # the benchmark's dotted line, apart from every band colour
COLUMNS = 3
PANEL_INCHES = (3.3, 2.1)
DPI = 80
TITLE_CHARS = 34
TOP_INCHES, BOTTOM_INCHES = 0.5, 0.3


def display_state(line: GoalLine) -> str:
    """The goal's band as shown; unknown bands read as `invalid`, failing greens as `failing`."""
    band = line.band if line.band in STATES and line.band != "failing" else "invalid"
    return "failing" if band == "green" and line.source_error else band


def adverse_deviation(line: GoalLine) -> float | None:
    """How far the goal is off in the bad direction (negative when it beats its target)."""
    if line.deviation is None or not math.isfinite(line.deviation):
        return None
    if line.direction == "higher":
        return -line.deviation
    if line.direction == "lower":
        return line.deviation
    return abs(line.deviation)


def worst_first(lines: Iterable[GoalLine]) -> list[GoalLine]:
    """Red, orange, yellow, no data, invalid, failing, green; then by adverse deviation."""

    def key(line: GoalLine) -> tuple[int, bool, float, str, int]:
        adverse = adverse_deviation(line)
        return (
            STATES.index(display_state(line)),
            adverse is None,
            -(adverse or 0.0),
            line.metric_key,
            line.goal_id,
        )

    return sorted(lines, key=key)


def chart_goals(digest: ChannelDigest, max_panels: int = 12) -> list[GoalLine]:
    """The goals that get a panel: those with history, worst first, at most `max_panels`."""
    return [line for line in worst_first(digest.lines) if digest.history.get(line.metric_key)][
        : max(max_panels, 0)
    ]


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
