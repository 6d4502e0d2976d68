"""The digest chart looks as it did: each case is drawn and compared, pixel by pixel, with its
reference PNG in tests/data/charts/ (drawn by the figure-per-chart renderer it replaced).

    python -m tests.jobs.test_chart_pixels   # redraw the references after a deliberate change
"""

from __future__ import annotations

import io
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from matplotlib.image import imread

from jobs.digest.chart import chart_figure, render_chart
from jobs.digest.model import BenchmarkGap, ChannelDigest
from tests.jobs.test_chart import BASE, days, digest, goals

REFERENCES = Path(__file__).parents[1] / "data" / "charts"
WAVE = [150_000.0 * (1 + ((d * 7) % 11 - 5) / 60) for d in range(30)]


def cases() -> dict[str, tuple[ChannelDigest, int]]:
    """Each case's digest and max_panels, by the reference's file name."""
    benchmark = BenchmarkGap(benchmark=170_000.0, gap=-0.1, breached=False)
    return {
        "one-goal": (digest((BASE,), {"dau": days(WAVE)}), 12),
        "twelve-goals": (digest(*goals(12)), 12),
        "four-goals-two-rows": (digest(*goals(4)), 12),
        "capped-80-to-3": (digest(*goals(80)), 3),
        "sparse-gaps": (digest((BASE,), {"dau": days([100.0, None, None, 120.0, None, 90.0])}), 12),
        "single-point": (digest((BASE,), {"dau": days([100.0])}), 12),
        "flat-on-target": (digest((BASE,), {"dau": days([150_000.0] * 30)}), 12),
        "negative-values": (
            digest((replace(BASE, direction="either"),), {"dau": days([-5.0, 0.0, 5.0])}),
            12,
        ),
        "zero-target": (
            digest(
                (replace(BASE, band="invalid", target=0.0, unit="ratio"),),
                {"dau": days([1.0, 2.0, 3.0])},
            ),
            12,
        ),
        "negative-target-lower": (
            digest(
                (replace(BASE, band="red", target=-20.0, unit="ratio", direction="lower"),),
                {"dau": days([-25.0, -18.0, -12.0, None, -30.0])},
            ),
            12,
        ),
        "benchmark-failing-source": (
            digest(
                (replace(BASE, benchmark=benchmark, source_error="timeout", title="DAU $ (web)"),),
                {"dau": days(WAVE)},
            ),
            12,
        ),
        "narrow-currency-yuan": (
            digest(
                (replace(BASE, unit="currency", currency="¥", target=2_500_000.0, band="yellow"),),
                {"dau": days([2_510_000.0 + (d % 5) * 20_000 for d in range(30)])},
            ),
            12,
        ),
    }


# A pixel "differs" when a channel moves by more than a quarter of its range: antialiasing and
# sub-pixel text placement move edges by less. At most 0.1% of pixels may differ and the mean
# difference stays under 0.2% of the range. The renderer draws exactly the reference's pixels
# today (both are 0); the slack is for a freetype or zlib update, not for a changed look: a
# title drawn centred instead of left-aligned already moved 0.65-1.8% of the pixels.
CHANNEL_STEP = 0.25
MAX_DIFFERING = 0.001
MAX_MEAN = 0.002


def pixels(png: bytes) -> npt.NDArray[np.float32]:
    """RGBA values in [0, 1], one row per pixel row."""
    return np.asarray(imread(io.BytesIO(png), format="png"), dtype=np.float32)


@pytest.mark.parametrize("name", list(cases()), ids=list(cases()))
def test_chart_looks_as_its_reference(name: str) -> None:
    """Each case draws the picture its reference shows, within the pixel tolerance above."""
    report, max_panels = cases()[name]
    png = render_chart(report, max_panels=max_panels)
    assert png is not None
    drawn, reference = pixels(png), pixels((REFERENCES / f"{name}.png").read_bytes())
    assert drawn.shape == reference.shape
    difference = np.abs(drawn - reference)
    differing = float((difference.max(axis=2) > CHANNEL_STEP).mean())
    assert differing <= MAX_DIFFERING, f"{differing:.2%} of pixels differ"
    assert float(difference.mean()) <= MAX_MEAN


def test_drawing_order_does_not_matter() -> None:
    """Figures are kept between charts: a chart's bytes do not depend on what came before."""
    drawn = {name: render_chart(r, max_panels=m) for name, (r, m) in cases().items()}
    again = {name: render_chart(r, max_panels=m) for name, (r, m) in reversed(cases().items())}
    assert drawn == again


def test_new_figure_draws_the_same_pixels() -> None:
    """`chart_figure` (a new figure each time) draws what `render_chart` draws."""
    report, _ = cases()["twelve-goals"]
    figure = chart_figure(report)
    assert figure is not None
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    png = render_chart(report)
    assert png is not None
    assert np.array_equal(pixels(buffer.getvalue()), pixels(png))


def write_references() -> None:
    """Draw every case with the renderer in force and save it as the reference."""
    REFERENCES.mkdir(parents=True, exist_ok=True)
    for name, (report, max_panels) in cases().items():
        png = render_chart(report, max_panels=max_panels)
        assert png is not None, name
        (REFERENCES / f"{name}.png").write_bytes(png)
        print(f"{name}.png: {len(png):,} bytes")


if __name__ == "__main__":
    write_references()
    sys.exit(0)
