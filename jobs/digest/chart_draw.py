"""Drawing the digest chart from plain data (`ChartSpec`), with figures kept between charts.

jobs/digest/chart.py turns a digest into a `ChartSpec`; this module only draws it. It imports
no digest model, storage or pandas, so the process that draws charts (bot/messenger.py) holds
matplotlib and little else. Building a matplotlib figure and its axes costs more than drawing
them, so one figure per grid shape is built once per process and its artists are updated for
each chart: the same spec always gives the same bytes, whatever was drawn before.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jobs.digest.chart_text import caching_canvas
from jobs.metrics.quantities import format_value, tick_labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text
    from matplotlib.ticker import Formatter

CHART_DAYS = 30
PANEL_INCHES = (3.3, 2.1)
DPI = 80
TOP_INCHES, BOTTOM_INCHES = 0.5, 0.3
BENCHMARK_COLOUR = "#1f5fa8"  # the benchmark's dotted line, apart from every band colour
# A panel shades at most the three default bands on each side of its target.
MAX_SPANS = 6


@dataclass(frozen=True)
class PanelSpec:
    """One goal's panel: its values by day (NaN where missing) and what is drawn around them."""

    title: str
    colour: str
    values: tuple[float, ...]  # CHART_DAYS values, oldest first
    target: float
    benchmark: float | None
    limits: tuple[float, float]
    spans: tuple[tuple[float, float, str], ...]  # (low, high, colour), drawn in this order
    unit: str
    scale: str
    currency: str


@dataclass(frozen=True)
class ChartSpec:
    """A whole chart: panels in reading order on a grid of `columns`, under `heading`."""

    heading: str
    columns: int
    day_labels: tuple[str, str, str]  # under the first, middle and last day
    panels: tuple[PanelSpec, ...]

    @property
    def rows(self) -> int:
        return math.ceil(len(self.panels) / self.columns)


def yield_cpu() -> None:
    """For a process that only draws charts (background work): yield the CPU to the bot."""
    with contextlib.suppress(AttributeError, OSError):
        os.nice(10)


def draw_png(spec: ChartSpec) -> bytes:
    """The chart as PNG bytes, drawn on this process's figure for the spec's grid shape."""
    with _LOCK:  # callers draw from worker threads too; a kept figure draws one chart at a time
        grid = _GRIDS.get((spec.rows, spec.columns))
        if grid is None:
            grid = _GRIDS[(spec.rows, spec.columns)] = _Grid(spec.rows, spec.columns)
        grid.fill(spec)
        buffer = io.BytesIO()
        canvas: Any = grid.figure.canvas
        # No Software entry: the same digest always gives the same bytes.
        canvas.print_png(buffer, metadata={"Software": None}, pil_kwargs={"compress_level": 3})
        return buffer.getvalue()


def draw_figure(spec: ChartSpec) -> Figure:
    """A new figure of the chart, drawn exactly as `draw_png` draws it (kept by no one)."""
    grid = _Grid(spec.rows, spec.columns)
    grid.fill(spec)
    return grid.figure


class _Panel:
    """One axes and the artists a panel updates: built once, shown or hidden per chart."""

    def __init__(self, ax: Axes) -> None:
        from matplotlib.ticker import MaxNLocator

        self.ax = ax
        days = range(CHART_DAYS)
        # Added in the order they draw (same z-order draws in insertion order).
        # Markers keep lone points visible between missing days, where the line breaks.
        [self.line] = ax.plot(
            days, [0.0] * CHART_DAYS, color="#333333", linewidth=1.2, marker="o", markersize=2
        )
        self.target: Line2D = ax.axhline(0.0, color="#555555", linestyle="--", linewidth=0.8)
        self.benchmark: Line2D = ax.axhline(
            0.0, color=BENCHMARK_COLOUR, linestyle=":", linewidth=1.0, label="benchmark"
        )
        self.benchmark_label: Text = ax.text(
            CHART_DAYS - 0.5,
            0.0,
            "benchmark",
            fontsize=6,
            color=BENCHMARK_COLOUR,
            ha="right",
            va="bottom",
            parse_math=False,
        )
        self.spans: list[Rectangle] = [
            ax.axhspan(0.0, 1.0, alpha=0.2, linewidth=0) for _ in range(MAX_SPANS)
        ]
        ax.set_autoscale_on(False)
        ax.set_xlim(-0.5, CHART_DAYS - 0.5)
        ax.set_xticks([0, CHART_DAYS // 2, CHART_DAYS - 1])
        ax.yaxis.set_major_locator(MaxNLocator(nbins=3))
        self.unit = ["count", "fraction", "$"]
        ax.yaxis.set_major_formatter(_formatter_class()(self.unit))
        ax.tick_params(labelsize=7, length=2)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        axis: Any
        for axis in (ax.xaxis, ax.yaxis):
            # Both place only the axis label and the offset text from the tick labels' extents;
            # a panel shows neither (no label, and its formatter never gives an offset).
            axis._update_label_position = _nothing
            axis._get_ticklabel_bboxes = _no_bboxes
        # parse_math=False: a `$` in a metric title is text, not the start of a formula. A
        # fixed `y` skips matplotlib's title placement, which measures every tick label (slow).
        self.title = ax.set_title(
            "", loc="left", y=1.02, fontsize=9, fontweight="bold", parse_math=False
        )

    def fill(self, panel: PanelSpec, day_labels: tuple[str, str, str]) -> None:
        from matplotlib.ticker import FixedFormatter

        ax = self.ax
        ax.set_visible(True)
        self.line.set_ydata(panel.values)
        self.target.set_ydata([panel.target, panel.target])
        shown = panel.benchmark is not None
        self.benchmark.set_visible(shown)
        # Only a drawn benchmark line goes by the name (a legend or a reader finds that one).
        self.benchmark.set_label("benchmark" if shown else "_hidden")
        self.benchmark_label.set_visible(shown)
        if panel.benchmark is not None:
            self.benchmark.set_ydata([panel.benchmark, panel.benchmark])
            self.benchmark_label.set_y(panel.benchmark)
        for n, rectangle in enumerate(self.spans):
            rectangle.set_visible(n < len(panel.spans))
            if n < len(panel.spans):
                low, high, colour = panel.spans[n]
                rectangle.set_y(low)
                rectangle.set_height(high - low)
                rectangle.set_color(colour)
        ax.set_ylim(panel.limits)
        ax.xaxis.set_major_formatter(FixedFormatter(day_labels))
        self.unit[:] = [panel.unit, panel.scale, panel.currency]
        self.title.set_text(panel.title)
        self.title.set_color(panel.colour)


class _Grid:
    """A figure of `rows` × `columns` panels, its layout fixed by its shape."""

    def __init__(self, rows: int, columns: int) -> None:
        from matplotlib.figure import Figure

        width, height = PANEL_INCHES
        self.total = height * rows + TOP_INCHES + BOTTOM_INCHES
        self.figure = Figure(figsize=(width * columns, self.total), dpi=DPI)
        caching_canvas(self.figure)
        axes = self.figure.subplots(rows, columns, squeeze=False)
        self.panels = [_Panel(ax) for ax in axes.flat]
        self.figure.subplots_adjust(
            left=0.25 / columns,
            right=0.98,
            bottom=BOTTOM_INCHES / self.total,
            top=1 - TOP_INCHES / self.total,
            wspace=0.3,
            hspace=0.6,
        )

    def fill(self, spec: ChartSpec) -> None:
        for panel, drawn in zip(self.panels, spec.panels, strict=False):
            panel.fill(drawn, spec.day_labels)
        # An empty cell shows nothing: the figure's white shows through.
        for panel in self.panels[len(spec.panels) :]:
            panel.ax.set_visible(False)
        self.figure.suptitle(
            spec.heading,
            fontsize=10,
            x=0.01,
            y=1 - 0.1 / self.total,
            ha="left",
            va="top",
        )


def _nothing(*args: object) -> None:
    return None


def _no_bboxes(*args: object) -> tuple[list[object], list[object]]:
    return [], []


@functools.cache
def _formatter_class() -> Callable[[list[str]], Formatter]:
    """The formatter class, made on first use: matplotlib is imported only to draw."""
    from matplotlib.ticker import Formatter

    class TickFormatter(Formatter):
        """Y tick labels in the goal's unit, with the digits it takes to tell ticks apart."""

        def __init__(self, unit: list[str]) -> None:
            self.unit = unit  # [unit, scale, currency], changed in place by its panel

        def __call__(self, x: float, pos: int | None = None) -> str:
            unit, scale, currency = self.unit
            return format_value(unit, x, scale=scale, currency=currency)

        def format_ticks(self, values: list[float]) -> list[str]:
            unit, scale, currency = self.unit
            return tick_labels(values, unit, scale=scale, currency=currency)

    return TickFormatter


_LOCK = threading.Lock()
_GRIDS: dict[tuple[int, int], _Grid] = {}
