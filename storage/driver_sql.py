"""Bulk reads and writes straight through the driver (aiosqlite or asyncpg), on the session's
own connection and transaction: no result objects, for the few statements that move hundreds
of thousands of rows (evaluation's points and results).

Statements are still built with SQLAlchemy Core and compiled for the connection's dialect, so
their parameters stay bound parameters; only the execution skips SQLAlchemy's result layer.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


def compiled(connection: AsyncConnection, statement: ClauseElement) -> tuple[str, list[Any]]:
    """The statement's SQL in the driver's own parameter style, and its parameters in order.

    SQLite gets dates and times as SQLAlchemy stores them there (ISO text, UTC without zone).
    """
    query = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    assert isinstance(query, SQLCompiler)
    values = query.construct_params() or {}
    params = [values[name] for name in query.positiontup or []]
    if connection.dialect.name == "sqlite":
        params = [sqlite_value(value) for value in params]
    return str(query), params


def sqlite_value(value: Any) -> Any:
    """A date or time as SQLAlchemy's SQLite types store it; anything else as it is."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


async def raw_connection(connection: AsyncConnection) -> Any:
    """The driver's connection (aiosqlite.Connection or asyncpg.Connection) under this one,
    inside the session's transaction.

    SQLAlchemy begins a PostgreSQL transaction on its first statement: one is sent first, so
    the driver's statements never run outside it (autocommitted). It also turns JIT off for
    the transaction: these statements' high cost estimates (100,000 goals) would make
    PostgreSQL spend seconds compiling plans that run in a fraction of that.
    """
    if connection.dialect.name == "postgresql":
        await connection.exec_driver_sql("SET LOCAL jit = off")
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def fetch_rows(connection: AsyncConnection, statement: ClauseElement) -> list[Sequence[Any]]:
    """Every row of a query as the driver returns it (tuples or asyncpg Records)."""
    sql, params = compiled(connection, statement)
    driver = await raw_connection(connection)
    if connection.dialect.name == "postgresql":
        return list(await driver.fetch(sql, *params))
    cursor = await driver.execute(sql, params)
    try:
        return list(await cursor.fetchall())
    finally:
        await cursor.close()


async def copy_binary(connection: AsyncConnection, statement: ClauseElement) -> bytes:
    """PostgreSQL: the query's rows as a binary COPY (header and trailer included)."""
    sql, params = compiled(connection, statement)
    driver = await raw_connection(connection)
    out = io.BytesIO()

    async def write(chunk: bytes) -> None:
        out.write(chunk)

    await driver.copy_from_query(sql, *params, output=write, format="binary")
    return out.getvalue()
