"""The digest's chart: small multiples of each goal's last 30 days, as a PNG. No Slack here.

Also the digest's worst-first order, which the chart and the Block Kit renderer share.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from jobs.digest.chart_draw import (
    BENCHMARK_COLOUR as BENCHMARK_COLOUR,
)
from jobs.digest.chart_draw import (
    CHART_DAYS as CHART_DAYS,
)
from jobs.digest.chart_draw import (
    ChartSpec,
    PanelSpec,
    draw_figure,
    draw_png,
)
from jobs.digest.model import ChannelDigest, GoalLine

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Display states, worst first. `failing` is a green goal whose source is failing: it must
# never look green, since its numbers may be stale.
STATES = ("red", "orange", "yellow", "no_data", "invalid", "failing", "green")
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
COLUMNS = 3
TITLE_CHARS = 34


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
    spec = chart_spec(digest, max_panels=max_panels)
    return None if spec is None else draw_png(spec)


def chart_figure(digest: ChannelDigest, *, max_panels: int = 12) -> Figure | None:
    """A new figure of what `render_chart` draws, one panel per goal in `chart_goals` order."""
    spec = chart_spec(digest, max_panels=max_panels)
    return None if spec is None else draw_figure(spec)


def chart_spec(digest: ChannelDigest, *, max_panels: int = 12) -> ChartSpec | None:
    """What the chart shows, as plain data (jobs/digest/chart_draw.py draws it); None when no
    goal has history. Cheap: no matplotlib, so it is built where the digest is."""
    goals = chart_goals(digest, max_panels)
    if not goals:
        return None
    end = max(day for line in goals for day, _ in digest.history[line.metric_key])
    start = end - timedelta(days=CHART_DAYS - 1)
    shown = "" if len(goals) == len(digest.lines) else f" · {len(goals)} of {len(digest.lines)}"
    return ChartSpec(
        heading=f"Goal health, last {CHART_DAYS} days to {_day(end)}{shown} (worst first)",
        columns=min(COLUMNS, len(goals)),
        day_labels=(_day(start), _day(start + timedelta(days=CHART_DAYS // 2)), _day(end)),
        panels=tuple(_panel(line, digest.history[line.metric_key], start, end) for line in goals),
    )


def _panel(
    line: GoalLine, points: Sequence[tuple[date, float]], start: date, end: date
) -> PanelSpec:
    values = [math.nan] * CHART_DAYS
    for day, value in points:
        if start <= day <= end and math.isfinite(value):
            values[(day - start).days] = value
    benchmark = _benchmark(line)
    levels = [line.target] if benchmark is None else [line.target, benchmark]
    present = [v for v in values if math.isfinite(v)]
    low, high = min([*present, *levels]), max([*present, *levels])
    pad = (high - low) * 0.15 or abs(line.target) * 0.05 or 1.0
    limits = (low - pad, high + pad)
    title = " ".join(line.title.split())
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1] + "…"
    return PanelSpec(
        title=title,
        colour=COLOURS[display_state(line)],
        values=tuple(values),
        target=line.target,
        benchmark=benchmark,
        limits=limits,
        spans=_spans(line, limits),
        unit=line.unit,
        scale=line.scale,
        currency=line.currency,
    )


def _benchmark(line: GoalLine) -> float | None:
    """The level of the metric's benchmark line; None without one."""
    if line.benchmark is None or not math.isfinite(line.benchmark.benchmark):
        return None
    return line.benchmark.benchmark


def _spans(line: GoalLine, limits: tuple[float, float]) -> tuple[tuple[float, float, str], ...]:
    """The default yellow/orange/red bands on the adverse side(s) of the target."""
    target, size = line.target, abs(line.target)
    if size == 0 or not math.isfinite(target):
        return ()
    sides = {"higher": (-1,), "lower": (1,), "either": (-1, 1)}.get(line.direction, (-1, 1))
    spans = []
    for sign in sides:
        for band, near, far in DEFAULT_BANDS:
            edge = limits[0] if sign < 0 else limits[1]
            inner = target + sign * near * size
            outer = target + sign * far * size if math.isfinite(far) else edge
            spans.append((min(inner, outer), max(inner, outer), COLOURS[band]))
    return tuple(spans)


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"
