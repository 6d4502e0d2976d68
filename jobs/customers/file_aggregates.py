"""Statements over CSV or Parquet files run by DuckDB, in-process, in a worker thread, within
FILES_TIMEOUT_SECONDS. The statements are the same ones SQL datasets run, compiled with the
PostgreSQL dialect, which DuckDB speaks.

`file_rows` is the one place that opens DuckDB, times out and turns failures into SourceErrors;
it returns the statement's rows as they come (dataset_rows.py picks it for files).

DuckDB runs with a memory limit (beyond it, it spills to a temporary folder of its own) and as
many threads as the process may use, so a backfill stays small inside the bot's process.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
from sqlalchemy.dialects import postgresql

from jobs.customers.aggregates import Window, source_table
from jobs.customers.datasets import Files
from jobs.customers.local_day import Stored, day_of, local_days
from jobs.customers.sql_aggregates import DAY_ROWS, Build, RowCap, Statement
from jobs.metrics.sources.errors import SourceError

FILES_TIMEOUT_SECONDS = 120.0
MEMORY_LIMIT = "256MB"
MAX_THREADS = 4
_DIALECT = postgresql.dialect(paramstyle="qmark")  # type: ignore[no-untyped-call]


def compiled(statement: Statement) -> tuple[str, list[Any]]:
    """The statement as DuckDB runs it: PostgreSQL SQL with `?` parameters, in order."""
    done = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    return str(done), [done.params[name] for name in done.positiontup or ()]


def _connect(session_zone: str, spill: str) -> duckdb.DuckDBPyConnection:
    threads = max(1, min(len(os.sched_getaffinity(0)), MAX_THREADS))
    connection = duckdb.connect(
        config={
            "memory_limit": MEMORY_LIMIT,
            "threads": threads,
            "preserve_insertion_order": False,
            "temp_directory": spill,
        }
    )
    connection.execute("SET enable_progress_bar = false")
    # Values without a zone are UTC or local as the dataset says; see local_days.
    connection.execute("SET TimeZone = ?", [session_zone])
    return connection


def _stored(type_name: str) -> Stored:
    if type_name.startswith("TIMESTAMP WITH TIME ZONE"):
        return "aware"
    if type_name in ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"):
        return "naive"
    return "any"


async def file_rows(
    label: str,
    files: Files,
    build: Build,
    columns: list[str],
    *,
    at: str,
    view: str,
    timestamps: Literal["utc", "local"],
    zone: ZoneInfo,
    window: Window,
    base_dir: Path,
    timeout_seconds: float = FILES_TIMEOUT_SECONDS,
    cap: RowCap = DAY_ROWS,
) -> pd.DataFrame:
    """The statement's rows, columns as it names them; local days are exact in `window`.

    A failure, or more rows than `cap`, is a SourceError naming `label`.
    """
    pattern = str(base_dir / files.path)
    paths = sorted(glob.glob(pattern, recursive=True))
    if not paths:
        raise SourceError(f"{label}: no {files.file_format} files match {pattern}")
    spill = tempfile.mkdtemp(prefix="goalpulse-duckdb-")
    connection = _connect("UTC" if timestamps == "utc" else zone.key, spill)

    def work() -> pd.DataFrame:
        # The worker closes the connection and removes its spill folder, even after a timeout.
        with contextlib.ExitStack() as done:
            done.callback(shutil.rmtree, spill, ignore_errors=True)
            done.enter_context(connection)
            read = connection.read_csv if files.file_format == "csv" else connection.read_parquet
            rows = read(paths, union_by_name=True)
            types = {
                name.lower(): str(kind) for name, kind in zip(rows.columns, rows.types, strict=True)
            }
            _check_columns(label, list(types), columns, files.path)
            rows.create_view(view)
            days = local_days(
                zone,
                day_of(window.lo),
                day_of(window.hi),
                timestamps=timestamps,
                engine="duckdb",
                stored=_stored(types[at.lower()]),
            )
            statement = build(source_table(view, columns), days)
            return connection.execute(*compiled(statement)).df()

    try:
        async with asyncio.timeout(timeout_seconds):
            rows = await asyncio.to_thread(work)
    except TimeoutError:
        _interrupt(connection)
        raise SourceError(f"{label}: query timed out after {timeout_seconds:g} s") from None
    except asyncio.CancelledError:
        _interrupt(connection)
        raise
    except duckdb.Error as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{label}: cannot read {files.path}: {problem}") from None
    cap.check(label, len(rows))
    return rows


def _interrupt(connection: duckdb.DuckDBPyConnection) -> None:
    # The worker thread goes on until DuckDB stops; it closes the connection itself.
    with contextlib.suppress(duckdb.Error):
        connection.interrupt()


def _check_columns(label: str, found: list[str], columns: list[str], path: str) -> None:
    """Every mapped column is in the files (DuckDB matches names regardless of case)."""
    known = {name.lower() for name in found}
    for name in columns:
        if name.lower() not in known:
            raise SourceError(f"{label}: column {name!r} is missing from {path}")
