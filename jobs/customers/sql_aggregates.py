"""The aggregate statements run where a SQL dataset lives: PostgreSQL or a SQLite file, read-only,
within the dataset's time limit (jobs/metrics/sources/sql.py runs them)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Select, TableClause

from jobs.customers.aggregates import Window, source_table
from jobs.customers.datasets import SqlTable
from jobs.customers.local_day import DayOf, day_of, native_day, sqlite_day
from jobs.metrics.sources.sql import SqlRunner, async_url, query_report
from jobs.metrics.sources.sql_failures import QUERY_FAILURES, describe_failure

Build = Callable[[TableClause, DayOf], dict[str, Select[tuple[object, ...]]]]
"""The statements over a dataset's rows, given how to read a row's local day."""


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
    """Each statement's rows as a frame, by name; a failure is a SourceError naming `label`."""
    url = async_url(label, place.url, env, base_dir=base_dir)
    report = query_report(label, url, place.timeout_seconds)
    first, last = day_of(window.lo), day_of(window.hi)
    if url.get_backend_name() == "postgresql":
        day: DayOf = native_day(zone.key)
        session_zone: str | None = "UTC" if timestamps == "utc" else zone.key
    else:
        day, session_zone = sqlite_day(zone, first, last, timestamps), None
    statements = build(source_table(place.table, columns), day)
    try:
        async with asyncio.timeout(place.timeout_seconds):
            results = await runner.read(
                url,
                list(statements.values()),
                {},
                place.timeout_seconds,
                time_zone=session_zone,
            )
    except QUERY_FAILURES as exc:
        error = describe_failure(report, exc)
        if error is None:
            raise
        raise error from None
    return {
        name: pd.DataFrame([tuple(row) for row in rows], columns=keys)
        for name, (keys, rows) in zip(statements, results, strict=True)
    }
