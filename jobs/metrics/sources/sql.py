"""SQL queries, run read-only with a timeout, on SQLite files and PostgreSQL.

The URL in metrics.yml may name environment variables (`${WAREHOUSE_URL}`); the filled-in URL
can hold a password, so messages only ever show it with the password hidden.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pandas as pd
from sqlalchemy import Date, bindparam, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.base import Executable

from jobs.metrics.catalog import SqlSource
from jobs.metrics.sources.errors import SourceError
from jobs.metrics.sources.points import MAX_DAYS, listing, to_points
from jobs.metrics.sources.sql_failures import (
    QUERY_FAILURES,
    QueryInterrupted,
    QueryReport,
    describe_failure,
)

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def fill_in(metric_key: str, template: str, env: Mapping[str, str]) -> str:
    """Replace each `${NAME}` with the environment's value; a missing one is a SourceError."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        found = env.get(name)
        if not found:
            raise SourceError(
                f"{metric_key}: environment variable {name} is not set (the source url uses it)"
            )
        return found

    return _VARIABLE.sub(value, template)


def async_url(metric_key: str, template: str, env: Mapping[str, str], *, base_dir: Path) -> URL:
    """The URL to connect with: async driver, and for SQLite the file opened read-only.

    A relative SQLite path is relative to `base_dir` (the folder of metrics.yml).
    """
    filled = fill_in(metric_key, template, env)
    try:
        url = make_url(filled)
    except (ArgumentError, ValueError):
        # The text may hold a password and cannot be parsed to hide it: say nothing of it.
        raise SourceError(
            f"{metric_key}: the source url is not a database URL"
            " (expected sqlite:///path/to/file.db or postgresql://user@host/db)"
        ) from None
    driver = _ASYNC_DRIVERS.get(url.drivername)
    if driver is None:
        raise SourceError(
            f"{metric_key}: database driver {url.drivername!r} is not supported"
            " (use sqlite:// or postgresql://)"
        )
    if driver == "postgresql+asyncpg":
        query = dict(url.query)
        if "sslmode" in query and "ssl" not in query:
            # libpq spells it sslmode; asyncpg takes the same values as `ssl`.
            query["ssl"] = query.pop("sslmode")
        return url.set(drivername=driver, query=query)
    database = (url.database or "").removeprefix("file:")
    if database in ("", ":memory:") or url.host or url.username or url.password or url.port:
        raise SourceError(
            f"{metric_key}: a SQLite source needs a database file (sqlite:///path/to/file.db)"
        )
    path = Path(database)
    if not path.is_absolute():
        path = (base_dir / path).absolute()
    if not path.is_file():
        raise SourceError(f"{metric_key}: SQLite database {path} not found")
    # `mode=ro` opens the file read-only: writes fail, and a missing file is never created.
    return URL.create(
        drivername=driver,
        database=f"file:{quote(str(path), safe='/')}",
        query={"mode": "ro", "uri": "true"},
    )


def redacted(url: URL) -> str:
    """The database for messages: the SQLite file, or the URL with its password hidden."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {unquote((url.database or '').removeprefix('file:'))}"
    return url.render_as_string(hide_password=True)


def query_report(metric_key: str, url: URL, timeout_seconds: float) -> QueryReport:
    """How failures of queries on `url` name it, with its secrets to mask."""
    shown = redacted(url)
    # Belt and braces: should a driver ever echo the URL or password, it is masked.
    secrets = [(url.render_as_string(hide_password=False), shown)]
    if url.password:
        secrets.append((str(url.password), "***"))
    return QueryReport(metric_key, shown, tuple(secrets), f"{timeout_seconds:g}")


class SqlRunner:
    """Runs source queries; keeps one engine per URL until `close()`."""

    def __init__(self) -> None:
        self._engines: dict[str, AsyncEngine] = {}

    async def fetch(
        self,
        metric_key: str,
        source: SqlSource,
        *,
        env: Mapping[str, str],
        base_dir: Path,
        since: date,
    ) -> pd.DataFrame:
        """The query's days since `since`, checked."""
        url = async_url(metric_key, source.url, env, base_dir=base_dir)
        report = query_report(metric_key, url, source.timeout_seconds)
        try:
            statement = text(source.query).bindparams(bindparam("since", type_=Date))
        except ArgumentError as exc:
            raise SourceError(f"{metric_key}: the query cannot be used ({exc})") from None
        try:
            async with asyncio.timeout(source.timeout_seconds):
                [(keys, rows)] = await self.read(
                    url, [statement], {"since": since}, source.timeout_seconds
                )
        except QUERY_FAILURES as exc:
            error = describe_failure(report, exc)
            if error is None:
                raise
            raise error from None
        if len(rows) > MAX_DAYS:
            raise SourceError(
                f"{metric_key}: the query returned more than {MAX_DAYS} rows (five years of"
                " days); is the date filter right?"
            )
        day_at, value_at = _pick_columns(metric_key, keys)
        return await asyncio.to_thread(
            to_points,
            metric_key,
            [row[day_at] for row in rows],
            [row[value_at] for row in rows],
            since=since,
            date_label=f"column {keys[day_at]!r}",
            value_label=f"column {keys[value_at]!r}",
        )

    async def close(self) -> None:
        """Dispose every cached engine."""
        engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            await engine.dispose()

    def _engine(self, url: URL) -> AsyncEngine:
        key = url.render_as_string(hide_password=False)
        engine = self._engines.get(key)
        if engine is None:
            if url.get_backend_name() == "postgresql":
                # Every transaction on these connections is read-only unless it says otherwise;
                # the query's own transaction also says READ ONLY explicitly.
                engine = create_async_engine(
                    url,
                    poolclass=NullPool,
                    connect_args={
                        "server_settings": {
                            "default_transaction_read_only": "on",
                            "application_name": "goalpulse-source",
                        }
                    },
                )
            else:
                engine = create_async_engine(url, poolclass=NullPool)
                event.listen(engine.sync_engine, "connect", _sqlite_query_only)
            self._engines[key] = engine
        return engine

    async def read(
        self,
        url: URL,
        statements: Sequence[Executable],
        params: Mapping[str, Any],
        limit_seconds: float,
        *,
        time_zone: str | None = None,
        max_rows: int = MAX_DAYS + 1,
    ) -> list[tuple[list[str], list[Sequence[Any]]]]:
        """Run `statements` read-only in one transaction, each within `limit_seconds`: the
        column names and first `max_rows` rows of each. `time_zone` is PostgreSQL's TimeZone
        for the transaction (how it reads timestamps without a zone)."""
        engine = self._engine(url)
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(text("SET TRANSACTION READ ONLY"))
                milliseconds = max(1, int(limit_seconds * 1000))
                await connection.execute(text(f"SET LOCAL statement_timeout = {milliseconds}"))
                if time_zone is not None:
                    await connection.execute(
                        text("SELECT set_config('TimeZone', :zone, true)"), {"zone": time_zone}
                    )
                return await _all_rows(connection, statements, params, max_rows)
            return await _sqlite_rows(connection, statements, params, limit_seconds, max_rows)


async def _all_rows(
    connection: AsyncConnection,
    statements: Sequence[Executable],
    params: Mapping[str, Any],
    max_rows: int,
) -> list[tuple[list[str], list[Sequence[Any]]]]:
    results = [await _rows(connection, statement, params, max_rows) for statement in statements]
    await connection.rollback()
    return results


async def _rows(
    connection: AsyncConnection, statement: Executable, params: Mapping[str, Any], max_rows: int
) -> tuple[list[str], list[Sequence[Any]]]:
    result = await connection.stream(statement, dict(params))
    names = result.keys()
    keys = [str(name) for name in names]
    rows: list[Sequence[Any]] = list(await result.fetchmany(max_rows))
    await result.close()
    return keys, rows


async def _sqlite_rows(
    connection: AsyncConnection,
    statements: Sequence[Executable],
    params: Mapping[str, Any],
    limit_seconds: float,
    max_rows: int,
) -> list[tuple[list[str], list[Sequence[Any]]]]:
    # Cancelling the await does not stop SQLite working in aiosqlite's thread (and closing the
    # connection would wait for it), so a watchdog interrupts the query at the deadline.
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection  # the aiosqlite.Connection
    if driver is None:  # pragma: no cover - a checked-out connection always has one
        raise RuntimeError("no SQLite driver connection")
    fired = asyncio.Event()

    async def watchdog() -> None:
        await asyncio.sleep(limit_seconds)
        fired.set()
        await driver.interrupt()

    task = asyncio.create_task(watchdog())
    try:
        return await _all_rows(connection, statements, params, max_rows)
    except DBAPIError:
        if fired.is_set():
            raise QueryInterrupted from None
        raise
    finally:
        task.cancel()


def _sqlite_query_only(dbapi_connection: Any, _record: Any) -> None:
    # Belt and braces on top of mode=ro: refuse every write on this connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _pick_columns(metric_key: str, keys: list[str]) -> tuple[int, int]:
    lowered = [key.lower() for key in keys]
    if "day" in lowered and "value" in lowered:
        return lowered.index("day"), lowered.index("value")
    if len(keys) >= 2:
        return 0, 1
    named = listing([repr(key) for key in keys]) or "none"
    raise SourceError(
        f"{metric_key}: the query returns {len(keys)} column{'s' if len(keys) != 1 else ''}"
        f" ({named}); it needs a day and a value"
    )
