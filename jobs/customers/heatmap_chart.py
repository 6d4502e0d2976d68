"""The recency × frequency heatmap of a remediation's thread, as a PNG: pure, no I/O.

x is the frequency score and y the recency score (1–5, 5 the best: most orders, most recent);
each cell says how many customers have both scores and is coloured by their share of revenue
(jobs/customers/scored.py `rf_grid` gives the cells).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from jobs.customers.tier_rules import BEST_SCORE

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from jobs.customers.scored import GridCell

SCORES = tuple(range(1, BEST_SCORE + 1))
COLOUR_MAP = "Blues"
DPI = 100
FIGURE_INCHES = (6.4, 5.2)
# A cell this far up the colour scale is dark: its count is written in white.
DARK_FROM = 0.55


def heatmap_title(day: date) -> str:
    """The chart's title, also the uploaded file's."""
    return f"Customers by recency × frequency, {day.isoformat()}"


def heatmap_filename(day: date) -> str:
    return f"customer-heatmap-{day.isoformat()}.png"


def cell_counts(grid: Sequence[GridCell]) -> list[list[int]]:
    """Customers per cell as rows of recency scores 1…5, each a row of frequency scores 1…5;
    a cell missing from `grid` counts 0. What each cell of the chart is annotated with."""
    counts = [[0] * BEST_SCORE for _ in SCORES]
    for cell in grid:
        counts[cell.r_score - 1][cell.f_score - 1] += cell.customers
    return counts


def cell_shares(grid: Sequence[GridCell]) -> list[list[float]]:
    """Each cell's share of revenue (0–1), laid out as `cell_counts`: the cells' colours."""
    shares = [[0.0] * BEST_SCORE for _ in SCORES]
    for cell in grid:
        shares[cell.r_score - 1][cell.f_score - 1] += cell.revenue_share
    return shares


def render_heatmap(grid: Sequence[GridCell], day: date) -> bytes:
    """The heatmap of `grid` as of `day`, as PNG bytes; the same grid gives the same bytes."""
    buffer = io.BytesIO()
    # No Software entry: the same grid always gives the same bytes.
    heatmap_figure(grid, day).savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def heatmap_figure(grid: Sequence[GridCell], day: date) -> Figure:
    """The figure `render_heatmap` saves. Uses no global matplotlib state (no pyplot), so it
    may be drawn in a worker thread."""
    # Imported here: matplotlib takes about a second to import (see jobs/digest/chart.py).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    counts, shares = cell_counts(grid), cell_shares(grid)
    top = max(max(row) for row in shares) or 1.0
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    image = ax.imshow(
        shares, cmap=COLOUR_MAP, vmin=0.0, vmax=top, origin="lower", extent=(0.5, 5.5, 0.5, 5.5)
    )
    _annotate(ax, counts, shares, top)
    ax.set_xticks(SCORES)
    ax.set_yticks(SCORES)
    ax.set_xlabel("frequency score (5 = most orders)")
    ax.set_ylabel("recency score (5 = ordered most recently)")
    ax.set_title(heatmap_title(day), fontsize=11, parse_math=False)
    bar = figure.colorbar(image, ax=ax, format=PercentFormatter(xmax=1.0, decimals=0))
    bar.set_label("share of revenue")
    return figure


def _annotate(ax: Axes, counts: list[list[int]], shares: list[list[float]], top: float) -> None:
    for r in SCORES:
        for f in SCORES:
            dark = shares[r - 1][f - 1] / top >= DARK_FROM
            ax.text(
                f,
                r,
                str(counts[r - 1][f - 1]),
                ha="center",
                va="center",
                fontsize=10,
                color="white" if dark else "#222222",
            )
