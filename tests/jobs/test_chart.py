"""The digest's chart, a PNG of small multiples: `jobs.digest.chart`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from jobs.digest.chart import chart_figure, chart_goals, render_chart
from jobs.digest.model import ChannelDigest, GoalLine
from jobs.metrics.quantities import format_value

DAY = date(2026, 11, 25)
PNG = b"\x89PNG\r\n\x1a\n"
BANDS = ("green", "yellow", "orange", "red", "no_data")
BASE = GoalLine(
    goal_id=1,
    metric_key="dau",
    title="Daily active users",
    unit="count",
    scale="fraction",
    currency="$",
    direction="higher",
    band="green",
    value=150_000.0,
    value_day=DAY,
    target=150_000.0,
    deviation=0.0,
    sparkline=(),
    consecutive_adverse=0,
    trend_alert=False,
    red_in_days=None,
    owner_id=None,
)
History = dict[str, tuple[tuple[date, float], ...]]


def days(values: Sequence[float | None], end: date = DAY) -> tuple[tuple[date, float], ...]:
    """(day, value) pairs ending on `end`, skipping None (a missing day)."""
    start = end - timedelta(days=len(values) - 1)
    return tuple(
        (start + timedelta(days=n), value) for n, value in enumerate(values) if value is not None
    )


def goals(count: int) -> tuple[tuple[GoalLine, ...], History]:
    """`count` goals across the bands, with 30 days of history each."""
    lines, history = [], {}
    for n in range(count):
        key = f"metric_{n:03d}"
        band = BANDS[n % len(BANDS)]
        unit = ("count", "percent", "currency", "ratio")[n % 4]
        target = {"count": 150_000.0, "percent": 0.35, "currency": 520.0, "ratio": 1.5}[unit]
        lines.append(
            replace(
                BASE,
                goal_id=n,
                metric_key=key,
                title=f"Metric {n} $revenue$ & a title long enough to be cut",
                unit=unit,
                band=band,
                target=target,
                deviation=-n / 200,
                direction=("higher", "lower", "either")[n % 3],
            )
        )
        history[key] = days([target * (1 - (d % 9) / 30 - n / 400) for d in range(30)])
    return tuple(lines), history


def digest(lines: tuple[GoalLine, ...], history: History) -> ChannelDigest:
    return ChannelDigest("T0001", "C0001", DAY, "UTC", lines, history=history)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_twelve_panels_are_a_small_png() -> None:
    """Twelve goals give one PNG well under 300 KB."""
    png = render_chart(digest(*goals(12)))
    assert png is not None
    assert png.startswith(PNG)
    assert len(png) < 300_000


def test_same_digest_same_bytes() -> None:
    """Rendering is deterministic: no timestamps or software versions in the file."""
    report = digest(*goals(5))
    first, second = render_chart(report), render_chart(report)
    assert first is not None
    assert first == second
    assert b"Software" not in first


@pytest.mark.parametrize(
    "values",
    [
        [100.0, None, None, 120.0, None, 90.0],
        [100.0],
        [None, None, 130.0, None, None],
        [150_000.0] * 30,
        [-5.0, 0.0, 5.0],
    ],
    ids=["missing-days", "single-point", "lone-point-between-gaps", "flat-on-target", "negative"],
)
def test_sparse_history_still_draws(values: list[float | None]) -> None:
    """Gaps, a single point, a flat series and negatives all render."""
    report = digest((BASE,), {"dau": days(values)})
    png = render_chart(report)
    assert png is not None
    assert png.startswith(PNG)


@pytest.mark.parametrize(
    "target",
    [0.0, -20.0],
    ids=["zero-target", "negative-target"],
)
def test_odd_targets_still_draw(target: float) -> None:
    """A zero target (no bands to shade) or a negative one does not break the chart."""
    line = replace(BASE, band="invalid" if target == 0 else "red", target=target, unit="ratio")
    assert render_chart(digest((line,), {"dau": days([1.0, 2.0, 3.0])})) is not None


@pytest.mark.parametrize(
    ("lines", "history"),
    [
        ((BASE,), {}),
        ((BASE,), {"dau": ()}),
        ((), {"dau": days([1.0, 2.0])}),
        ((BASE,), {"gmv": days([1.0, 2.0])}),
    ],
    ids=["no-history", "empty-series", "no-goals", "history-of-other-metrics"],
)
def test_nothing_to_draw(lines: tuple[GoalLine, ...], history: History) -> None:
    """Without history for any goal there is no chart."""
    assert render_chart(digest(lines, history)) is None


@pytest.mark.parametrize(
    ("line", "values", "unit_mark"),
    [
        pytest.param(
            replace(BASE, metric_key="gmv", unit="currency", currency="¥", target=2_500_000.0),
            [2_510_000.0 + (d % 5) * 20_000 for d in range(30)],
            "¥",
            id="currency-2.5M-to-2.6M",
        ),
        pytest.param(
            replace(BASE, metric_key="complaint_rate", unit="percent", target=0.022),
            [0.0222 + (d % 4) * 0.0002 for d in range(30)],
            "%",
            id="percent-2.2-to-2.3",
        ),
        pytest.param(
            BASE, [149_950.0 + (d % 3) * 25 for d in range(30)], "k", id="count-around-150k"
        ),
    ],
)
def test_narrow_range_tick_labels_differ(
    line: GoalLine, values: list[float], unit_mark: str
) -> None:
    """On a narrow range the drawn y labels still differ, each in the metric's unit."""
    figure = chart_figure(digest((line,), {line.metric_key: days(values)}))
    assert figure is not None
    figure.canvas.draw()
    ax = figure.axes[0]
    low, high = ax.get_ylim()
    ticks = ax.yaxis.get_majorticklocs()
    drawn = [
        (tick, label.get_text())
        for tick, label in zip(ticks, ax.get_yticklabels(), strict=True)
        if low <= tick <= high
    ]
    labels = [label for _, label in drawn]
    assert len(labels) >= 3, labels
    assert len(set(labels)) == len(labels), labels
    assert all(unit_mark in label for label in labels), labels
    # Shown one at a time at the usual precision, these ticks would collide.
    plain = {format_value(line.unit, tick, currency=line.currency) for tick, _ in drawn}
    assert len(plain) < len(labels), plain


def test_panels_are_capped_worst_first() -> None:
    """80 goals give `max_panels` panels, the worst goals first."""
    report = digest(*goals(80))
    chosen = chart_goals(report, 12)
    assert len(chosen) == 12
    assert {line.band for line in chosen} == {"red"}
    capped, twelve = render_chart(report), render_chart(digest(*goals(12)))
    assert capped is not None
    assert twelve is not None
    assert png_size(capped) == png_size(twelve)
    assert png_size(render_chart(report, max_panels=3) or b"") < png_size(capped)


def test_no_slack_or_pyplot() -> None:
    """The engine's chart needs neither slack_sdk nor bot/, and never touches pyplot's state."""
    code = (
        "import sys\n"
        "from tests.jobs.test_chart import digest, goals\n"
        "from jobs.digest.chart import render_chart\n"
        "assert render_chart(digest(*goals(2)))\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('slack_sdk', 'bot')"
        " or m == 'matplotlib.pyplot']\n"
        "assert not bad, bad\n"
    )
    root = Path(__file__).parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)  # noqa: S603
