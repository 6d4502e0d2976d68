"""The aggregate statements run over CSV or Parquet files by DuckDB, in-process, in a worker
thread, within FILES_TIMEOUT_SECONDS. The statements are the same ones SQL datasets run,
compiled with the PostgreSQL dialect, which DuckDB speaks."""

from __future__ import annotations

import asyncio
import contextlib
import glob
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
from sqlalchemy import Select
from sqlalchemy.dialects import postgresql

from jobs.customers.aggregates import source_table
from jobs.customers.datasets import Files
from jobs.customers.local_day import native_day
from jobs.customers.sql_aggregates import Build
from jobs.metrics.sources.errors import SourceError

FILES_TIMEOUT_SECONDS = 120.0
_DIALECT = postgresql.dialect(paramstyle="qmark")  # type: ignore[no-untyped-call]


def compiled(statement: Select[tuple[object, ...]]) -> tuple[str, list[Any]]:
    """The statement as DuckDB runs it: PostgreSQL SQL with `?` parameters, in order."""
    done = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    return str(done), [done.params[name] for name in done.positiontup or ()]


async def file_aggregates(
    label: str,
    files: Files,
    build: Build,
    columns: list[str],
    *,
    view: str,
    timestamps: Literal["utc", "local"],
    zone: ZoneInfo,
    base_dir: Path,
    timeout_seconds: float = FILES_TIMEOUT_SECONDS,
) -> dict[str, pd.DataFrame]:
    """Each statement's rows as a frame, by name; a failure is a SourceError naming `label`."""
    pattern = str(base_dir / files.path)
    paths = sorted(glob.glob(pattern, recursive=True))
    if not paths:
        raise SourceError(f"{label}: no {files.file_format} files match {pattern}")
    statements = build(source_table(view, columns), native_day(zone.key))
    # Values without a zone are UTC or local as the dataset says; see native_day.
    session_zone = "UTC" if timestamps == "utc" else zone.key
    connection = duckdb.connect()

    def work() -> dict[str, pd.DataFrame]:
        with connection:
            connection.execute("SET TimeZone = ?", [session_zone])
            read = connection.read_csv if files.file_format == "csv" else connection.read_parquet
            rows = read(paths, union_by_name=True)
            _check_columns(label, rows.columns, columns, files.path)
            rows.create_view(view)
            return {
                name: connection.execute(*compiled(statement)).df()
                for name, statement in statements.items()
            }

    try:
        async with asyncio.timeout(timeout_seconds):
            return await asyncio.to_thread(work)
    except TimeoutError:
        _interrupt(connection)
        raise SourceError(f"{label}: query timed out after {timeout_seconds:g} s") from None
    except asyncio.CancelledError:
        _interrupt(connection)
        raise
    except duckdb.Error as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{label}: cannot read {files.path}: {problem}") from None


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
