"""Evaluation: 100,000 goals on 20,000 metric series with 90 days of points, on SQLite and on
PostgreSQL.

Each database is seeded with goals across several workspaces and channels, five goals (in five
channels) on each workspace's metric series (so 1.8 million points), a mix of every band,
declining streaks, missing days, stale series, both directions, and a week of earlier
evaluations (the history the hysteresis query reads). Seeding is bulk (raw executemany on
SQLite, COPY on PostgreSQL) and not measured.

The measuring runs in a child process that plays the bot process: it imports the bot's
modules, evaluates yesterday (as the bot did, which also gives today's previous bands), then
times the whole `jobs.evaluation.service.evaluate` step for today (read, classify, store) and the
classification inside it, and reports its peak resident memory (VmHWM). Just before the step
it measures the floor: one read of the same window's points with the driver alone
(tests/benchmarks/evaluation_floor.py). A last pass captures what the step classifies; it is
classified six more times (the figure is the median of the seven runs).

The baseline is the per-goal Python reference (`tests/jobs/reference_evaluation.py`) run here
on those same points: gathering each series' points, then the rules goal by goal (the median
of three runs). It must agree with `classify` on every goal, or the benchmark fails. Both are
single-threaded; their CPU times are printed beside the wall times the figures use.

    python -m tests.benchmarks.evaluation [--size full|tiny] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlmodel import col, select

from storage.db import Database
from storage.models import Goal, MetricPoint
from storage.points import Changed, DailyValue, upsert_series
from tests.benchmarks.evaluation_baseline import baseline
from tests.benchmarks.evaluation_data import (
    DAY,
    GOALS_PER_SERIES,
    NOW,
    create_postgres,
    drop_postgres,
    make_world,
    seed,
)
from tests.benchmarks.evaluation_floor import driver_floor
from tests.benchmarks.report import Figure, Size

SIZES = {Size.FULL: 100_000, Size.TINY: 200}  # goals
CLASSIFY_RUNS = 7  # the classification figure is the median of this many runs
ROOT = Path(__file__).resolve().parents[2]
CHANGED_SHARE = 100  # the incremental figure: a pull changes every 100th series (1%)
STEP_TARGETS = {"sqlite": 8, "postgresql": 5}  # seconds, at full size

Floats = npt.NDArray[np.float64]


# --------------------------------------------------------------------------------------------
# The child: the bot process, measured.


async def child(url: str, frames_path: Path) -> dict[str, Any]:
    """Evaluate yesterday, then today (measured, beside the driver's floor read of the same
    points), then capture what the step classifies."""
    import bot.runtime  # noqa: F401 - the bot's modules, so the memory baseline is the bot's
    from jobs.evaluation import service as step

    blocks = step._classify_blocks
    timings: list[tuple[float, float]] = []  # (wall, CPU) seconds of each classification
    captured: dict[str, Any] = {}
    capturing = False

    def observed(goals: pd.DataFrame, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """The classification as the step calls it, timed; its inputs and result kept when
        asked."""
        started, cpu = time.perf_counter(), time.thread_time()
        result = blocks(goals, *args, **kwargs)
        timings.append((time.perf_counter() - started, time.thread_time() - cpu))
        if capturing:
            captured.update(goals=goals, args=args, kwargs=kwargs, result=result)
        return result

    database = Database(url)
    try:
        with _replaced(step, "_classify_blocks", observed):
            started = time.perf_counter()
            await step.evaluate(database=database, day=DAY - timedelta(days=1), now=NOW)
            yesterday = time.perf_counter() - started
            floor = await driver_floor(url, DAY - timedelta(days=step.HISTORY_DAYS), DAY)
            started = time.perf_counter()
            rows = await step.evaluate(database=database, day=DAY, now=NOW)
            elapsed = time.perf_counter() - started
            peak_mb = peak_rss_mb()
            runs = [timings[-1]]
            capturing = True
            await step.evaluate(database=database, day=DAY, now=NOW)
            capturing = False
            changed = await _pull_changing_some(database)
            started = time.perf_counter()
            again = await step.evaluate(
                database=database, day=DAY, now=NOW + timedelta(hours=1), changed=changed
            )
            incremental = time.perf_counter() - started
    finally:
        await database.dispose()
    for _ in range(CLASSIFY_RUNS - 1):
        started, cpu = time.perf_counter(), time.thread_time()
        blocks(captured["goals"], *captured["args"], **captured["kwargs"])
        runs.append((time.perf_counter() - started, time.thread_time() - cpu))
    with frames_path.open("wb") as out:
        pickle.dump(captured, out, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "rows": len(rows),
        "yesterday_s": yesterday,
        "step_s": elapsed,
        "floor": floor,
        "incremental_s": incremental,
        "incremental_series": len(changed.series),
        "incremental_goals": len(again),
        "classify_s": [wall for wall, _ in runs],
        "classify_cpu_s": [cpu for _, cpu in runs],
        "peak_rss_mb": peak_mb,
        "bands": dict(Counter(row["band"] for row in rows)),
    }


async def _pull_changing_some(database: Database) -> Changed:
    """What a pull does that changes today's value of every CHANGED_SHARE-th series (stored as
    a pull stores them); the series it changed."""
    async with database.transaction() as session:
        series = (
            await session.exec(
                select(col(Goal.team_id), col(Goal.metric_key))
                .distinct()
                .order_by(col(Goal.team_id), col(Goal.metric_key))
            )
        ).all()
        changed = []
        for team, key in series[::CHANGED_SHARE]:
            value = (
                await session.exec(
                    select(col(MetricPoint.value)).where(
                        MetricPoint.team_id == team,
                        MetricPoint.metric_key == key,
                        MetricPoint.day == DAY,
                    )
                )
            ).first()
            moved = [DailyValue(DAY, (value or 1.0) * 1.05)]
            if await upsert_series(
                session=session, team_id=team, metric_key=key, values=moved, origin="bench", now=NOW
            ):
                changed.append((team, key))
    return Changed(day=DAY, series=tuple(changed))


@contextmanager
def _replaced(module: Any, name: str, value: Any) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MB.

    Not getrusage's ru_maxrss: Linux carries that across exec, so a child forked from a big
    harness would report the harness's size.
    """
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str, folder: Path) -> dict[str, Any]:
    """Run the child on the seeded database; its JSON report plus the captured frames."""
    frames = folder / f"frames-{uuid.uuid4().hex[:8]}.pickle"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.benchmarks.evaluation",
        "--child",
        url,
        "--frames",
        str(frames),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the measuring process failed (exit {process.returncode})")
    report: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    with frames.open("rb") as saved:
        report["frames"] = pickle.load(saved)  # noqa: S301 - written by our own child
    frames.unlink()
    return report


# --------------------------------------------------------------------------------------------
# The run.


async def run(size: Size, *, postgres_url: str | None) -> list[Figure]:
    """Figures for the evaluate step, classification alone (beside the reference) and memory."""
    goals = SIZES[size]
    judged = size is Size.FULL
    world = make_world(goals)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        targets = [("sqlite", f"sqlite+aiosqlite:///{root / 'evaluation.db'}")]
        database_name = None
        if postgres_url:
            database_name = await create_postgres(postgres_url)
            if database_name is not None:
                base = postgres_url.rsplit("/", 1)[0]
                targets.append(("postgresql", f"{base}/{database_name}"))
        try:
            for dialect, url in targets:
                started = time.perf_counter()
                await seed(url, world)
                seeded = time.perf_counter() - started
                report = await measure(url, root)
                _note(f"{dialect}: seeded in {seeded:.0f} s; {_describe(report)}")
                figures += _figures(dialect, goals, report, judged=judged)
        finally:
            if database_name is not None and postgres_url:
                await drop_postgres(postgres_url, database_name)
    return figures


def _figures(dialect: str, goals: int, report: dict[str, Any], *, judged: bool) -> list[Figure]:
    classify_s = statistics.median(report["classify_s"])
    classify_cpu = statistics.median(report["classify_cpu_s"])
    reference = baseline(report.pop("frames"))
    _note(
        f"{dialect}: classify {_ms(report['classify_s'])}; per-goal Python "
        f"{reference.total:.3f} s (grouping {reference.grouping:.3f} s, "
        f"rules {reference.rules:.3f} s), agrees on all {report['rows']:,} goals; "
        f"in CPU time: classify {classify_cpu * 1000:.0f} ms, per-goal {reference.cpu:.3f} s, "
        f"{reference.cpu / classify_cpu:.1f}×"
    )
    floor = report["floor"]
    _note(
        f"{dialect}: floor {floor['seconds']:.3f} s ({floor['how']}, {floor['rows']:,} points"
        + (
            f"; fetch {floor['fetch_s']:.3f} s, binary COPY {floor['copy_s']:.3f} s)"
            if "fetch_s" in floor
            else ")"
        )
    )
    label = f"{goals / 1000:g}k" if goals >= 1000 else str(goals)
    seconds = STEP_TARGETS[dialect]
    return [
        Figure(
            "evaluation",
            f"evaluate step (read, classify, store), {label} goals on "
            f"{goals // GOALS_PER_SERIES:,} series — {dialect}",
            report["step_s"],
            "s",
            "driver read of the points",
            floor["seconds"],
            target=f"< {seconds} s",
            limit=seconds,
            judged=judged,
        ),
        Figure(
            "evaluation",
            f"re-evaluation after a pull changing 1% of series ({report['incremental_series']:,}"
            f" series, {report['incremental_goals']:,} goals) — {dialect}",
            report["incremental_s"],
            "s",
            "full step",
            report["step_s"],
            judged=False,
        ),
        Figure(
            "evaluation",
            f"evaluate step ÷ driver floor — {dialect}",
            report["step_s"] / floor["seconds"],
            "×",
            target="≤ 2×",
            limit=2,
            judged=judged,
        ),
        Figure(
            "evaluation",
            f"classification alone — {dialect}",
            classify_s,
            "s",
            "per-goal Python",
            reference.total,
            target="< 1 s",
            limit=1,
            judged=judged,
        ),
        Figure(
            "evaluation",
            f"classification speed-up over per-goal Python — {dialect}",
            reference.total / classify_s,
            "×",
            target="≥ 20×",
            limit=20,
            higher_is_better=True,
            judged=judged,
        ),
        Figure(
            "memory",
            f"peak RSS, evaluation of {label} goals ({dialect})",
            report["peak_rss_mb"],
            "MB",
            target="< 300 MB",
            limit=300,
            judged=judged,
        ),
    ]


def _ms(seconds: list[float]) -> str:
    return "runs " + ", ".join(f"{s * 1000:.0f}" for s in seconds) + " ms"


def _describe(report: dict[str, Any]) -> str:
    bands = ", ".join(f"{band} {count:,}" for band, count in sorted(report["bands"].items()))
    return f"yesterday's evaluation {report['yesterday_s']:.1f} s; bands today: {bands}"


def _note(text: str) -> None:
    print(f"  evaluation: {text}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=[s.value for s in Size], default=Size.FULL.value)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "GOALPULSE_BENCH_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
        help="an admin URL; a database is created and dropped on it ('' to skip)",
    )
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--frames", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.frames))))
        return
    from tests.benchmarks.report import table

    print(table(asyncio.run(run(Size(args.size), postgres_url=args.postgres_url or None))))


if __name__ == "__main__":
    main()
