"""What the health benchmark runs in fresh child processes (spawned, so each starts empty and
its peak resident set is its own): compute_measures, or the pandas baseline.

Each import happens inside the function, so a child holds only what its side needs.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

from jobs.customers.datasets import Datasets


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MB.

    Not getrusage's ru_maxrss: Linux carries that across exec, so a child of a big parent
    could report the parent's size.
    """
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_compute(
    datasets: Datasets,
    *,
    base_dir: Path,
    measures: tuple[str, ...],
    daily: date,
    backfill_since: date,
    timezone: str,
    daily_runs: int,
) -> dict[str, Any]:
    """The daily pull (`daily_runs` times), then the backfill to `daily`: seconds and peak RSS."""
    from jobs.customers.compute import compute_measures

    async def once(since: date) -> Any:
        return await compute_measures(
            datasets,
            measures=measures,
            since=since,
            until=daily,
            timezone=timezone,
            base_dir=base_dir,
            env=dict(os.environ),
        )

    async def measure() -> dict[str, Any]:
        pulls = []
        for _ in range(daily_runs):
            started = time.perf_counter()
            await once(daily)
            pulls.append(time.perf_counter() - started)
        started = time.perf_counter()
        frame = await once(backfill_since)
        backfill = time.perf_counter() - started
        return {
            "daily_s": statistics.median(pulls),
            "daily_runs_s": pulls,
            "backfill_s": backfill,
            "frame": frame,
        }

    report = asyncio.run(measure())
    return report | {"peak_mb": peak_rss_mb()}


def run_baseline(
    folder: Path, *, measures: tuple[str, ...], since: date, until: date, timezone: str
) -> dict[str, Any]:
    """The pandas baseline's frame for the backfill's days, its seconds and peak RSS."""
    from tests.benchmarks.health_baseline import compute

    started = time.perf_counter()
    frame = compute(folder, measures=measures, since=since, until=until, timezone=timezone)
    return {"seconds": time.perf_counter() - started, "peak_mb": peak_rss_mb(), "frame": frame}
