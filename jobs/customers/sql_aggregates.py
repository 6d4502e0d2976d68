"""Statements over a dataset run where a SQL dataset lives: PostgreSQL or a SQLite file, read-only,
within the dataset's time limit (jobs/metrics/sources/sql.py runs them).

`sql_rows` is the one place that connects, times out and turns failures into SourceErrors; it
returns the statement's rows as they come (dataset_rows.py picks it for a SQL dataset). The
types and row caps both engines share (Build, RowCap) live here too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import CompoundSelect, Select, TableClause

from jobs.customers.aggregates import Window, source_table
from jobs.customers.datasets import SqlTable
from jobs.customers.local_day import Engine, LocalDays, day_of, local_days
from jobs.customers.parts import PARTS
from jobs.metrics.sources.errors import SourceError
from jobs.metrics.sources.points import MAX_DAYS
from jobs.metrics.sources.sql import SqlRunner, async_url, query_report
from jobs.metrics.sources.sql_failures import QUERY_FAILURES, describe_failure

Statement = Select[tuple[object, ...]] | CompoundSelect[tuple[object, ...]]
Build = Callable[[TableClause, LocalDays], Statement]
"""The statement over a dataset's rows, given how to read local days."""


@dataclass(frozen=True)
class RowCap:
    """At most `rows` rows of a statement are read; more is a SourceError naming them `what`."""

    rows: int
    what: str

    def check(self, label: str, count: int) -> None:
        """A SourceError naming `label` when `count` rows is more than the cap."""
        if count > self.rows:
            raise SourceError(
                f"{label}: more than {self.rows:,} {self.what}, the most goalpulse reads at once"
            )


# Each part returns at most one row a day (and one before the window).
MAX_ROWS = len(PARTS) * (MAX_DAYS + 1)
DAY_ROWS = RowCap(MAX_ROWS, "aggregate rows")


async def sql_rows(
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
    cap: RowCap = DAY_ROWS,
) -> pd.DataFrame:
    """The statement's rows, columns as it names them; local days are exact in `window`.

    A failure, or more rows than `cap`, is a SourceError naming `label`.
    """
    url = async_url(label, place.url, env, base_dir=base_dir)
    report = query_report(label, url, place.timeout_seconds)
    engine: Engine = "postgresql" if url.get_backend_name() == "postgresql" else "sqlite"
    # Off the event loop: a long window has many UTC-offset periods to find.
    days = await asyncio.to_thread(
        local_days,
        zone,
        day_of(window.lo),
        day_of(window.hi),
        timestamps=timestamps,
        engine=engine,
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
                max_rows=cap.rows + 1,
            )
    except QUERY_FAILURES as exc:
        error = describe_failure(report, exc)
        if error is None:
            raise
        raise error from None
    cap.check(label, len(rows))
    return await asyncio.to_thread(_frame, keys, rows)


def _frame(keys: list[str], rows: list[Sequence[Any]]) -> pd.DataFrame:
    return pd.DataFrame([tuple(row) for row in rows], columns=keys)
