"""Customer health: the built-in measures from 5 million orders and 20 million activity events.

The data (tests/benchmarks/health_data.py: 500,000 customers over 400 days) is generated once
by DuckDB and cached, as monthly Parquet files under `.bench-cache/` and as tables in the
PostgreSQL database `goalpulse_bench_health_<customers>`, kept between runs (a marker table says
the load finished). The tiny size writes a few thousand rows to a temporary folder and database.

Measured, on each engine (DuckDB on the Parquet files; PostgreSQL on the tables):
- the floor: one full scan of each dataset by that engine, touching the columns the measures
  read (the median of three);
- a lower bound: the two distinct counts over the activity that any exact pull needs
  (HISTORY_USERS, WINDOW_PAIRS), for the daily pull's days and for the backfill's;
- `compute_measures` for every built-in measure, for the last day (the daily pull, the median of
  three) and for its 90 days (the backfill), in a fresh child process that reports its peak RSS;
- on the Parquet files, the plain pandas baseline (tests/benchmarks/health_baseline.py) computing
  the same 90 days in its own child process. Its numbers must agree with compute_measures', and
  PostgreSQL's with the files', or the benchmark fails;
- the bot process running backfills while `/goal list` is acked (tests/benchmarks/health_bot.py).

`GOALPULSE_BENCH_HEALTH_SCALE=0.1` runs the full size scaled down (customers, orders, events).

    python -m tests.benchmarks.health [--size full|tiny] [--postgres-url URL]
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import duckdb
import numpy as np
import pandas as pd

from jobs.customers.daily import LOOKBACK_DAYS
from jobs.customers.datasets import Datasets
from jobs.customers.measures import DAY_MEASURES
from tests.benchmarks import health_bot
from tests.benchmarks.health_child import run_baseline, run_compute
from tests.benchmarks.health_data import (
    TIMEZONE,
    Shape,
    file_datasets,
    load_postgres,
    sql_datasets,
    write_parquet,
)
from tests.benchmarks.report import Figure, Size, run_alone

SHAPES = {
    Size.FULL: Shape(customers=500_000, orders=5_000_000, events=20_000_000),
    Size.TINY: Shape(customers=300, orders=2_000, events=6_000),
}
SCALE = "GOALPULSE_BENCH_HEALTH_SCALE"
BACKFILL_DAYS = 90
FLOOR_RUNS = 3
DAILY_RUNS = 3
MEASURED = tuple(DAY_MEASURES)
ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench-cache"
# The same scans on both engines: every column the measures read, each one aggregated.
ORDERS_SCAN = (
    "SELECT count(*), max(order_id), max(customer_id), max(ordered_at), sum(amount), "
    "max(status) FROM {table}"
)
ACTIVITY_SCAN = "SELECT count(*), max(user_id), max(occurred_at) FROM {table}"
# The least any exact pull does, on the activity alone, whatever its plan: everyone ever seen
# (the user base; who is new) and the distinct (user, day) pairs of the days it aggregates
# (daily and 30-day active users), with a plain UTC day, cheaper than a local one. Neither is a
# sum of per-day rows an earlier pull could have kept.
HISTORY_USERS = "SELECT count(*) FROM (SELECT DISTINCT user_id FROM {table}) AS everyone"
WINDOW_PAIRS = (
    "SELECT count(*) FROM (SELECT DISTINCT user_id, "
    "CAST(floor(date_part('epoch', occurred_at) / 86400) AS INTEGER) FROM {table} "
    "WHERE occurred_at >= TIMESTAMP '{start} 00:00:00') AS pairs"
)


def shape_for(size: Size) -> Shape:
    """The size's shape; the full one scaled by GOALPULSE_BENCH_HEALTH_SCALE when set."""
    shape = SHAPES[size]
    scale = float(os.environ.get(SCALE, "1"))
    if size is not Size.FULL or scale == 1:
        return shape
    return replace(
        shape,
        customers=round(shape.customers * scale),
        orders=round(shape.orders * scale),
        events=round(shape.events * scale),
    )


# --------------------------------------------------------------------------------------------
# Floors: one full scan of each dataset.


def scan_parquet(folder: Path) -> tuple[float, float]:
    """Seconds DuckDB takes to scan the orders files, then the activity files."""
    with duckdb.connect() as connection:
        return (
            median_of(
                lambda: connection.execute(on_files(ORDERS_SCAN, folder, "orders")).fetchall()
            ),
            median_of(
                lambda: connection.execute(on_files(ACTIVITY_SCAN, folder, "activity")).fetchall()
            ),
        )


def bound_parquet(folder: Path, starts: tuple[date, date]) -> tuple[float, float]:
    """DuckDB's lower bound for the daily pull and for the backfill (see HISTORY_USERS)."""
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        users = median_of(
            lambda: connection.execute(on_files(HISTORY_USERS, folder, "activity")).fetchall()
        )
        pairs = [
            median_of(
                lambda start=start: connection.execute(
                    on_files(WINDOW_PAIRS.replace("{start}", str(start)), folder, "activity")
                ).fetchall()
            )
            for start in starts
        ]
        return users + pairs[0], users + pairs[1]


def _bound_starts(last: date) -> tuple[date, date]:
    """The first day (less the two days' margin) the daily pull and the backfill read."""
    lookback = timedelta(days=LOOKBACK_DAYS + 2)
    return last - lookback, last - timedelta(days=BACKFILL_DAYS - 1) - lookback


def on_files(query: str, folder: Path, table: str) -> str:
    return query.format(table=f"read_parquet('{folder / table}/*.parquet')")


def median_of(scan: Callable[[], object]) -> float:
    runs = []
    for _ in range(FLOOR_RUNS):
        started = time.perf_counter()
        scan()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


async def bound_postgres(dsn: str, starts: tuple[date, date]) -> tuple[float, float]:
    """PostgreSQL's lower bound for the daily pull and for the backfill (see HISTORY_USERS)."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("SET TimeZone = 'UTC'")

        async def median(query: str) -> float:
            runs = []
            for _ in range(FLOOR_RUNS):
                started = time.perf_counter()
                await connection.fetch(query)
                runs.append(time.perf_counter() - started)
            return statistics.median(runs)

        users = await median(HISTORY_USERS.format(table="activity"))
        pairs = [
            await median(WINDOW_PAIRS.format(table="activity", start=start)) for start in starts
        ]
        return users + pairs[0], users + pairs[1]
    finally:
        await connection.close()


async def scan_postgres(dsn: str) -> tuple[float, float]:
    """Seconds PostgreSQL takes to scan the orders table, then the activity table."""
    connection = await asyncpg.connect(dsn)
    try:
        floors = []
        for query in (ORDERS_SCAN.format(table="orders"), ACTIVITY_SCAN.format(table="activity")):
            runs = []
            for _ in range(FLOOR_RUNS):
                started = time.perf_counter()
                await connection.fetch(query)
                runs.append(time.perf_counter() - started)
            floors.append(statistics.median(runs))
        return floors[0], floors[1]
    finally:
        await connection.close()


# --------------------------------------------------------------------------------------------
# Children: each measured in a fresh process.


async def in_child(function: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
    """`function` run in a freshly spawned process (its own imports, its own peak RSS)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        future = pool.submit(function, *args, **kwargs)
        return await asyncio.wrap_future(future)


async def measure_compute(datasets: Datasets, base_dir: Path, last: date) -> dict[str, Any]:
    return dict(
        await in_child(
            run_compute,
            datasets,
            base_dir=base_dir,
            measures=MEASURED,
            daily=last,
            backfill_since=last - timedelta(days=BACKFILL_DAYS - 1),
            timezone=TIMEZONE,
            daily_runs=DAILY_RUNS,
        )
    )


def disagreements(ours: pd.DataFrame, theirs: pd.DataFrame) -> list[str]:
    """Where two frames of measures differ (values close within 1e-6, NaN equal to NaN)."""
    ours, theirs = _by_date(ours), _by_date(theirs)
    if list(ours.index) != list(theirs.index):
        return [f"days differ: {list(ours.index)[:3]}… vs {list(theirs.index)[:3]}…"]
    found = []
    for measure in MEASURED:
        if measure not in ours or measure not in theirs:
            found.append(f"{measure}: missing")
            continue
        left, right = ours[measure].to_numpy(float), theirs[measure].to_numpy(float)
        close = np.isclose(left, right, rtol=1e-6, atol=1e-9, equal_nan=True)
        found += [
            f"{measure} on {day}: {float(a)} vs {float(b)}"
            for day, a, b in zip(ours.index[~close], left[~close], right[~close], strict=True)
        ][:3]
    return found


def _by_date(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.index = pd.Index([pd.Timestamp(day).date() for day in frame.index])
    return frame


def _agree(name: str, ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    wrong = disagreements(ours, theirs)
    if wrong:
        raise AssertionError(f"{name} disagree on {len(wrong)} values or more: {wrong[:10]}")


# --------------------------------------------------------------------------------------------
# The run.


async def run(size: Size, *, postgres_url: str | None) -> list[Figure]:
    """Figures for the daily pull and the backfill on both engines, the baseline and the bot."""
    shape = shape_for(size)
    judged = size is Size.FULL
    last = shape.last_day
    since = last - timedelta(days=BACKFILL_DAYS - 1)
    with tempfile.TemporaryDirectory() as scratch:
        folder = CACHE / f"health-{shape.customers}" if judged else Path(scratch) / "health"
        started = time.perf_counter()
        if await asyncio.to_thread(write_parquet, folder, shape):
            _note(f"Parquet files written in {time.perf_counter() - started:.0f} s to {folder}")
        floors = await asyncio.to_thread(scan_parquet, folder)
        bounds = await asyncio.to_thread(bound_parquet, folder, _bound_starts(last))
        files = await measure_compute(file_datasets(), folder, last)
        baseline = await in_child(
            run_baseline, folder, measures=MEASURED, since=since, until=last, timezone=TIMEZONE
        )
        _agree("compute_measures and the pandas baseline", files["frame"], baseline["frame"])
        _note(
            f"the pandas baseline agrees on all {files['frame'].size:,} values "
            f"({len(MEASURED)} measures × {BACKFILL_DAYS} days)"
        )
        figures = _engine_figures("DuckDB on Parquet", floors, bounds, files, judged=judged)
        figures += _baseline_figures(files, baseline, judged=judged)
        figures += await _postgres_figures(postgres_url, folder, shape, files, judged=judged)
        figures += await health_bot.acks_during_backfill(size, folder, since=since, until=last)
    return figures


async def _postgres_figures(
    admin_url: str | None, folder: Path, shape: Shape, files: dict[str, Any], *, judged: bool
) -> list[Figure]:
    """The same on PostgreSQL; nothing (with a note) without a server."""
    name = f"goalpulse_bench_health_{shape.customers}" if judged else temporary_name()
    if admin_url is None or not await ensure_database(admin_url, name):
        return []
    dsn = f"{plain_url(admin_url).rsplit('/', 1)[0]}/{name}"
    try:
        started = time.perf_counter()
        if await load_postgres(dsn, folder, shape):
            _note(f"PostgreSQL tables loaded in {time.perf_counter() - started:.0f} s ({name})")
        floors = await scan_postgres(dsn)
        bounds = await bound_postgres(dsn, _bound_starts(shape.last_day))
        report = await measure_compute(sql_datasets(dsn), folder, shape.last_day)
        _agree("PostgreSQL and the Parquet files", report["frame"], files["frame"])
        return _engine_figures("PostgreSQL", floors, bounds, report, judged=judged)
    finally:
        if not judged:
            await drop_database(admin_url, name)


def _engine_figures(
    engine: str,
    floors: tuple[float, float],
    bounds: tuple[float, float],
    report: dict[str, Any],
    *,
    judged: bool,
) -> list[Figure]:
    floor = sum(floors)
    pulls = ", ".join(f"{s:.2f}" for s in report["daily_runs_s"])
    _note(
        f"{engine}: scans orders {floors[0]:.2f} s, activity {floors[1]:.2f} s; "
        f"daily pulls {pulls} s; backfill {report['backfill_s']:.2f} s; "
        f"child peak RSS {report['peak_mb']:.0f} MB"
    )
    return [
        Figure(
            "health",
            f"floor: full scan of orders + activity — {engine}",
            floor,
            "s",
            judged=False,
        ),
        Figure(
            "health",
            f"lower bound of an exact daily pull (activity's distinct users and pairs) — {engine}",
            bounds[0],
            "s",
            "full scan",
            floor,
            judged=False,
        ),
        Figure(
            "health",
            f"daily pull, {len(MEASURED)} measures, 1 day — {engine}",
            report["daily_s"],
            "s",
            "full scan",
            floor,
            target=f"≤ 3× floor ({3 * floor:.2f} s)",
            limit=3 * floor,
            judged=judged,
        ),
        Figure(
            "health",
            f"lower bound of an exact {BACKFILL_DAYS}-day backfill (the same) — {engine}",
            bounds[1],
            "s",
            "full scan",
            floor,
            judged=False,
        ),
        Figure(
            "health",
            f"backfill, {len(MEASURED)} measures, {BACKFILL_DAYS} days — {engine}",
            report["backfill_s"],
            "s",
            "full scan",
            floor,
            target=f"≤ 15× floor ({15 * floor:.2f} s)",
            limit=15 * floor,
            judged=judged,
        ),
    ]


def _baseline_figures(
    files: dict[str, Any], baseline: dict[str, Any], *, judged: bool
) -> list[Figure]:
    _note(
        f"pandas baseline: {baseline['seconds']:.2f} s, child peak RSS {baseline['peak_mb']:.0f} MB"
    )
    return [
        Figure(
            "health",
            f"pandas baseline, {BACKFILL_DAYS}-day backfill from Parquet (the same numbers)",
            baseline["seconds"],
            "s",
            judged=False,
        ),
        Figure(
            "health",
            f"speed-up over pandas, {BACKFILL_DAYS}-day backfill from Parquet",
            baseline["seconds"] / files["backfill_s"],
            "×",
            target="≥ 5×",
            limit=5,
            higher_is_better=True,
            judged=judged,
        ),
        Figure(
            "health",
            f"peak RSS, {BACKFILL_DAYS}-day backfill from Parquet (own process)",
            files["peak_mb"],
            "MB",
            "pandas",
            baseline["peak_mb"],
            target=f"≤ pandas ÷ 10 ({baseline['peak_mb'] / 10:.0f} MB)",
            limit=baseline["peak_mb"] / 10,
            judged=judged,
        ),
    ]


def temporary_name() -> str:
    return f"goalpulse_bench_{uuid.uuid4().hex[:12]}"


def plain_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def ensure_database(admin_url: str, name: str) -> bool:
    """The database exists (created when missing); False, with a note, without a server."""
    try:
        admin = await asyncpg.connect(plain_url(admin_url), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("GOALPULSE_REQUIRE_POSTGRES") == "1":
            raise
        _note(f"PostgreSQL skipped, unreachable: {exc}")
        return False
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return True


async def drop_database(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(plain_url(admin_url), timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _note(text: str) -> None:
    print(f"  health: {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    run_alone(run, __doc__)
