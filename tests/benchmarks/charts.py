"""Digest charts: how many a core draws per second, and 500 on two processes.

The digests are the fan-out's (tests/benchmarks/fanout.py): 500 channels with 10 goals each,
on 50 metrics with 30 days of history. The rate is charts per CPU-second of the drawing process
(the spec is built and the PNG encoded in the same process), beside the baseline: the
renderer it replaced, kept in tests/benchmarks/charts_baseline.py, timed the same way on the
first 50 digests. Both draw the same pixels (checked here on the first digest). The baseline
is a better yardstick than a floor such as saving an empty figure: it is what a reader of the
old figures knows, and the pixel test holds the two to the same picture.

Then the 500 are drawn by two spawned processes, as the bot's chart process does with one
(bot/messenger.py); their start-up (imports, about a second) is left out.

    python -m tests.benchmarks.charts [--size full|tiny]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta

import numpy as np
from matplotlib.image import imread

from jobs.digest.chart import chart_spec, render_chart
from jobs.digest.chart_draw import ChartSpec, draw_png
from jobs.digest.model import ChannelDigest, GoalLine
from tests.benchmarks import charts_baseline
from tests.benchmarks.report import Figure, Size, table

SIZES = {Size.FULL: (500, 50), Size.TINY: (20, 4)}  # (digests, of which the baseline draws)
GOALS, METRICS, DAYS = 10, 50, 30
PROCESSES = 2
DAY = date(2026, 11, 25)
BANDS = ("green", "yellow", "orange", "red", "no_data", "green", "green")
UNITS = ("count", "percent", "currency", "ratio")
TARGETS = {"count": 150_000.0, "percent": 0.35, "currency": 520.0, "ratio": 1.5}


def digests(count: int) -> list[ChannelDigest]:
    """The fan-out's channels: each with goals on GOALS of the METRICS, a month of history."""
    history: dict[str, tuple[tuple[date, float], ...]] = {}
    lines: dict[int, GoalLine] = {}
    for m in range(METRICS):
        unit = UNITS[m % len(UNITS)]
        target = TARGETS[unit] * (1 + m / 100)
        history[f"m{m:02d}"] = tuple(
            (DAY - timedelta(days=n), target * (1 + ((n * 7 + m) % 13 - 6) / 40))
            for n in range(DAYS)
            if (n + m) % 17  # a missing day now and then
        )
        lines[m] = GoalLine(
            goal_id=m,
            metric_key=f"m{m:02d}",
            title=f"Metric {m:02d}: weekly {unit} of the store",
            unit=unit,
            scale="fraction",
            currency="$",
            direction=("higher", "lower", "either")[m % 3],
            band=BANDS[m % len(BANDS)],
            value=history[f"m{m:02d}"][0][1],
            value_day=DAY,
            target=target,
            deviation=(m % 9 - 4) / 20,
            sparkline=(),
            consecutive_adverse=0,
            trend_alert=False,
            red_in_days=None,
            owner_id=None,
        )
    return [
        ChannelDigest(
            "T0001",
            f"C{c:06d}",
            DAY,
            "UTC",
            tuple(lines[(c * 3 + k) % METRICS] for k in range(GOALS)),
            history=history,
        )
        for c in range(count)
    ]


def cpu_rate(draw: Callable[[ChannelDigest], bytes | None], reports: list[ChannelDigest]) -> float:
    """Charts per CPU-second of this process."""
    started = time.process_time()
    for report in reports:
        assert draw(report) is not None
    return len(reports) / (time.process_time() - started)


def same_pixels(first: bytes | None, second: bytes | None) -> bool:
    assert first is not None
    assert second is not None
    one, other = (imread(io.BytesIO(png), format="png") for png in (first, second))
    return bool(np.array_equal(one, other))


def on_processes(specs: list[ChartSpec]) -> float:
    """Seconds for PROCESSES spawned processes to draw every spec (after their start-up)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=PROCESSES, mp_context=context) as pool:
        list(pool.map(draw_png, specs[:PROCESSES]))  # imports and first figures: not timed
        started = time.monotonic()
        pngs = list(pool.map(draw_png, specs, chunksize=8))
        elapsed = time.monotonic() - started
    assert all(pngs)
    return elapsed


async def run(size: Size, *, postgres_url: str | None = None) -> list[Figure]:
    """Charts per second per core beside the old renderer's, and 500 on two processes."""
    count, sample = SIZES[size]
    judged = size is Size.FULL
    reports = digests(count)
    if not same_pixels(render_chart(reports[0]), charts_baseline.render_chart(reports[0])):
        raise AssertionError("the chart and its baseline draw different pixels")
    render_chart(reports[-1])  # this process's figures are built once, as in the bot's
    baseline = cpu_rate(charts_baseline.render_chart, reports[:sample])
    rate = cpu_rate(render_chart, reports)
    specs = [spec for spec in map(chart_spec, reports) if spec is not None]
    elapsed = await asyncio.to_thread(on_processes, specs)
    return [
        Figure(
            "charts",
            f"charts drawn per second per core ({count} digests × {GOALS} goals)",
            rate,
            "/s",
            "figure per chart",
            baseline,
            target="≥ 20/s",
            limit=20.0,
            higher_is_better=True,
            judged=judged,
        ),
        Figure(
            "charts",
            "speed-up over the figure-per-chart renderer (same pixels)",
            rate / baseline,
            "×",
            target="≥ 6×",
            limit=6.0,
            higher_is_better=True,
            judged=judged,
        ),
        Figure(
            "charts",
            f"{count} charts drawn on {PROCESSES} processes",
            elapsed,
            "s",
            f"old renderer on {PROCESSES} (from its rate per core)",
            count / (PROCESSES * baseline),
            target="< 15 s",
            limit=15.0,
            judged=judged,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=[s.value for s in Size], default=Size.FULL.value)
    args = parser.parse_args()
    print(table(asyncio.run(run(Size(args.size)))))


if __name__ == "__main__":
    main()
