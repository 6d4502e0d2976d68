"""The aggregate statement run where a SQL dataset lives: PostgreSQL or a SQLite file, read-only,
within the dataset's time limit (jobs/metrics/sources/sql.py runs it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import CompoundSelect, TableClause

from jobs.customers.aggregates import Window, source_table
from jobs.customers.datasets import SqlTable
from jobs.customers.local_day import Engine, LocalDays, day_of, local_days
from jobs.customers.parts import PARTS, split
from jobs.metrics.sources.points import MAX_DAYS
from jobs.metrics.sources.sql import SqlRunner, async_url, query_report
from jobs.metrics.sources.sql_failures import QUERY_FAILURES, describe_failure

Build = Callable[[TableClause, LocalDays], CompoundSelect[tuple[object, ...]]]
"""The statement over a dataset's rows, given how to read local days."""

# Each part returns at most one row a day (and one before the window).
MAX_ROWS = len(PARTS) * (MAX_DAYS + 1)


async def sql_aggregates(
    label: str,
    place: SqlTable,
    build: Build,
    columns: list[str],
    *,
    timestamps: Literal["utc", "local"],
    zone: ZoneInfo,
    window: Window,
    runner: SqlRunner,
    env: Mapping[str, str],
    base_dir: Path,
) -> dict[str, pd.DataFrame]:
    """Each part's rows as a frame, by name; a failure is a SourceError naming `label`."""
    url = async_url(label, place.url, env, base_dir=base_dir)
    report = query_report(label, url, place.timeout_seconds)
    engine: Engine = "postgresql" if url.get_backend_name() == "postgresql" else "sqlite"
    days = local_days(
        zone, day_of(window.lo), day_of(window.hi), timestamps=timestamps, engine=engine
    )
    # PostgreSQL reads values without a zone in the session's TimeZone; see local_days.
    session_zone = ("UTC" if timestamps == "utc" else zone.key) if engine == "postgresql" else None
    statement = build(source_table(place.table, columns), days)
    try:
        async with asyncio.timeout(place.timeout_seconds):
            [(keys, rows)] = await runner.read(
                url,
                [statement],
                {},
                place.timeout_seconds,
                time_zone=session_zone,
                max_rows=MAX_ROWS,
            )
    except QUERY_FAILURES as exc:
        error = describe_failure(report, exc)
        if error is None:
            raise
        raise error from None
    return split(pd.DataFrame([tuple(row) for row in rows], columns=keys))
