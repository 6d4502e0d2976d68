"""The remediation thread's recency × frequency heatmap: `jobs.customers.heatmap_chart`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.text import Text

from jobs.customers.heatmap_chart import (
    cell_counts,
    cell_shares,
    heatmap_figure,
    heatmap_title,
    render_heatmap,
)
from jobs.customers.scored import GridCell

DAY = date(2026, 11, 25)
PNG = b"\x89PNG\r\n\x1a\n"
# Recency-major as rf_grid gives them: (r, f) → customers; the best cell holds most revenue.
COUNTS = {(1, 1): 7, (2, 3): 4, (5, 5): 2, (5, 1): 1, (3, 4): 12}
SHARES = {(1, 1): 0.05, (2, 3): 0.15, (5, 5): 0.6, (5, 1): 0.0, (3, 4): 0.2}


def grid(counts: dict[tuple[int, int], int] = COUNTS) -> tuple[GridCell, ...]:
    return tuple(
        GridCell(r, f, counts.get((r, f), 0), SHARES.get((r, f), 0.0))
        for r in range(1, 6)
        for f in range(1, 6)
    )


def by_cell(ax: Axes, value: Callable[[Text], str]) -> dict[tuple[int, int], str]:
    """`value` of each text the axes hold, by the cell it is in: (recency, frequency)."""
    return {(round(t.get_position()[1]), round(t.get_position()[0])): value(t) for t in ax.texts}


def written(cells: tuple[GridCell, ...]) -> dict[tuple[int, int], str]:
    """What the drawn figure writes in each cell."""
    [ax, _colour_bar] = heatmap_figure(cells, DAY).axes
    return by_cell(ax, Text.get_text)


def test_render_heatmap_is_a_png_and_the_same_grid_gives_the_same_bytes() -> None:
    png = render_heatmap(grid(), DAY)
    assert png.startswith(PNG)
    assert render_heatmap(grid(), DAY) == png
    assert render_heatmap(grid({(1, 1): 8}), DAY) != png


@pytest.mark.parametrize(
    "counts",
    [
        pytest.param(COUNTS, id="some-cells"),
        pytest.param({}, id="nobody"),
        pytest.param({(r, f): r * 10 + f for r in range(1, 6) for f in range(1, 6)}, id="full"),
    ],
)
def test_every_cell_is_annotated_with_its_customer_count(
    counts: dict[tuple[int, int], int],
) -> None:
    """25 annotations, at x = frequency and y = recency, each its cell's count (0 when empty)."""
    cells = grid(counts)
    expected = {(r, f): str(counts.get((r, f), 0)) for r in range(1, 6) for f in range(1, 6)}
    assert written(cells) == expected
    assert cell_counts(cells)[4][0] == counts.get((5, 1), 0)  # rows are recency, columns frequency


def test_axes_title_and_colour_bar_say_what_they_show() -> None:
    [ax, bar] = heatmap_figure(grid(), DAY).axes
    assert ax.get_title() == heatmap_title(DAY) == "Customers by recency × frequency, 2026-11-25"
    assert ax.get_xlabel().startswith("frequency score")
    assert ax.get_ylabel().startswith("recency score")
    assert [int(tick) for tick in ax.get_xticks()] == [1, 2, 3, 4, 5]
    assert bar.get_ylabel() == "share of revenue"


def test_colour_follows_the_share_of_revenue() -> None:
    """The richest cell is the darkest, an empty one the palest; counts on dark cells are
    white so they stay readable."""
    [ax, _] = heatmap_figure(grid(), DAY).axes
    [image] = ax.get_images()
    colours = image.to_rgba(np.asarray(image.get_array()))
    richest, empty = colours[4][4], colours[3][0]  # (r 5, f 5) and (r 4, f 1)
    assert sum(richest[:3]) < sum(empty[:3])
    text_colour = by_cell(ax, lambda text: to_hex(text.get_color()))
    assert text_colour[5, 5] == "#ffffff"
    assert text_colour[1, 1] != "#ffffff"
    assert cell_shares(grid())[4][4] == 0.6
