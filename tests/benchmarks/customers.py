"""Customers: RFM tiers and the churn model on the health benchmark's 500,000 customers and
5 million orders (tests/benchmarks/health_data.py, cached between runs).

Measured in a fresh child process per engine (DuckDB on the Parquet files; PostgreSQL):
- the floor: one full scan of the orders by that engine (the median of three);
- the per-customer summary as of the last day, computed where the orders live, and the rows
  that come back (one per customer, never the orders);
- RFM scores and tiers for that day (summary included);
- the BG/NBD fit on every customer, and the scoring (probability of being alive, expected
  orders in 45 days), beside one evaluation of the log-likelihood over the same customers;
- the child's peak RSS.

    python -m tests.benchmarks.customers [--size full|tiny] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.health import (
    CACHE,
    ORDERS_SCAN,
    drop_database,
    ensure_database,
    in_child,
    median_of,
    on_files,
    plain_url,
    shape_for,
    temporary_name,
)
from tests.benchmarks.health_child import peak_rss_mb
from tests.benchmarks.health_data import (
    TIMEZONE,
    file_datasets,
    load_postgres,
    sql_datasets,
    write_parquet,
)
from tests.benchmarks.report import Figure, Size


def run_tiers(datasets: Any, *, base_dir: Path, last: Any, timezone: str) -> dict[str, Any]:
    """In the child: the summary, the tiers, the fit and the scoring, each timed."""
    import numpy as np

    from jobs.customers.bgnbd import expected_purchases, fit, log_likelihood, p_alive
    from jobs.customers.local_day import day_number
    from jobs.customers.rfm import scores, tiers
    from jobs.customers.scored import model_inputs
    from jobs.customers.summary import customer_summary

    async def summary() -> Any:
        return await customer_summary(
            datasets.orders,
            as_of=last,
            window_days=datasets.tiers.window_days,
            timezone=timezone,
            base_dir=base_dir,
            env=dict(os.environ),
        )

    started = time.perf_counter()
    frame = asyncio.run(summary())
    summary_s = time.perf_counter() - started
    scored = scores(frame, last, datasets.tiers)
    tiered = tiers(scored, datasets.tiers)
    tiers_s = time.perf_counter() - started
    x, t_x, age = model_inputs(frame, day_number(last))
    started = time.perf_counter()
    model = fit(x, t_x, age)
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    alive = p_alive(model.params, x, t_x, age)
    expected = expected_purchases(model.params, 45, x, t_x, age)
    score_s = time.perf_counter() - started
    started = time.perf_counter()
    log_likelihood(model.params, x, t_x, age)
    likelihood_s = time.perf_counter() - started
    return {
        "summary_s": summary_s,
        "tiers_s": tiers_s,
        "fit_s": fit_s,
        "score_s": score_s,
        "likelihood_s": likelihood_s,
        "rows": len(frame),
        "high_value": float((tiered == "high_value").mean()),
        "mean_alive": float(np.mean(alive)),
        "expected": float(np.sum(expected)),
        "peak_mb": peak_rss_mb(),
    }


async def _scan_postgres_orders(dsn: str) -> float:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            await connection.fetch(ORDERS_SCAN.format(table="orders"))
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)
    finally:
        await connection.close()


def _scan_parquet_orders(folder: Path) -> float:
    import duckdb

    with duckdb.connect() as connection:
        return median_of(
            lambda: connection.execute(on_files(ORDERS_SCAN, folder, "orders")).fetchall()
        )


def _figures(
    engine: str, floor: float, report: dict[str, Any], customers: int, *, judged: bool
) -> list[Figure]:
    _note(
        f"{engine}: orders scan {floor:.2f} s; summary {report['summary_s']:.2f} s "
        f"({report['rows']:,} rows); tiers {report['tiers_s']:.2f} s "
        f"(high-value {report['high_value']:.1%}); fit {report['fit_s']:.2f} s; "
        f"scoring {report['score_s']:.2f} s; peak RSS {report['peak_mb']:.0f} MB"
    )
    return [
        Figure("customers", f"floor: full scan of orders — {engine}", floor, "s", judged=False),
        Figure(
            "customers",
            f"per-customer summary: rows returned ({customers:,} customers) — {engine}",
            report["rows"],
            "rows",
            judged=False,
        ),
        Figure(
            "customers",
            f"RFM scores and tiers for one day, summary included — {engine}",
            report["tiers_s"],
            "s",
            "orders scan",
            floor,
            target="< 5 s",
            limit=5,
            judged=judged,
        ),
        Figure(
            "customers",
            f"BG/NBD fit on every customer — {engine}",
            report["fit_s"],
            "s",
            "one likelihood",
            report["likelihood_s"],
            target="< 20 s",
            limit=20,
            judged=judged,
        ),
        Figure(
            "customers",
            f"churn scoring (alive, 45-day orders) of every customer — {engine}",
            report["score_s"],
            "s",
            "one likelihood",
            report["likelihood_s"],
            target="< 3 s",
            limit=3,
            judged=judged,
        ),
        Figure(
            "customers",
            f"peak RSS, summary to scores (own process) — {engine}",
            report["peak_mb"],
            "MB",
            target="< 1 GB",
            limit=1024,
            judged=judged,
        ),
    ]


async def run(size: Size, *, postgres_url: str | None) -> list[Figure]:
    """Figures for DuckDB on the Parquet files and for PostgreSQL."""
    shape = shape_for(size)
    judged = size is Size.FULL
    last = shape.last_day
    with tempfile.TemporaryDirectory() as scratch:
        folder = CACHE / f"health-{shape.customers}" if judged else Path(scratch) / "health"
        await asyncio.to_thread(write_parquet, folder, shape)
        floor = await asyncio.to_thread(_scan_parquet_orders, folder)
        report = await in_child(
            run_tiers, file_datasets(), base_dir=folder, last=last, timezone=TIMEZONE
        )
        figures = _figures("DuckDB on Parquet", floor, report, shape.customers, judged=judged)
        name = f"goalpulse_bench_health_{shape.customers}" if judged else temporary_name()
        if postgres_url is None or not await ensure_database(postgres_url, name):
            return figures
        dsn = f"{plain_url(postgres_url).rsplit('/', 1)[0]}/{name}"
        try:
            await load_postgres(dsn, folder, shape)
            floor = await _scan_postgres_orders(dsn)
            report = await in_child(
                run_tiers, sql_datasets(dsn), base_dir=folder, last=last, timezone=TIMEZONE
            )
            figures += _figures("PostgreSQL", floor, report, shape.customers, judged=judged)
        finally:
            if not judged:
                await drop_database(postgres_url, name)
    return figures


def _note(text: str) -> None:
    print(f"  customers: {text}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=[s.value for s in Size], default=Size.FULL.value)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "GOALPULSE_BENCH_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    from tests.benchmarks.report import table

    print(table(asyncio.run(run(Size(args.size), postgres_url=args.postgres_url or None))))


if __name__ == "__main__":
    main()
