"""The evaluation benchmark's floor: one read of the evaluated window's points with the driver
alone (no SQLAlchemy, no conversion to arrays): the sqlite3 module's `fetchall` on SQLite,
asyncpg's `fetch` and a binary `COPY` on PostgreSQL (the faster of the two is the floor).
"""

from __future__ import annotations

import io
import sqlite3
import statistics
import time
from datetime import date
from typing import Any

FLOOR_RUNS = 3  # the floor is the median of this many reads
POINTS_SQL = (
    "SELECT team_id, metric_key, day, value FROM metric_point WHERE day >= {0} AND day <= {1}"
)


async def driver_floor(url: str, since: date, until: date) -> dict[str, Any]:
    """Seconds (median of FLOOR_RUNS) to read the points in [since, until], and how many."""
    if url.startswith("sqlite"):
        return _sqlite_floor(url.split(":///", 1)[1], since, until)
    return await _postgres_floor(url, since, until)


def _sqlite_floor(path: str, since: date, until: date) -> dict[str, Any]:
    connection = sqlite3.connect(path)
    sql = POINTS_SQL.format("?", "?")
    try:
        runs, rows = [], 0
        for _ in range(FLOOR_RUNS):
            started = time.perf_counter()
            rows = len(connection.execute(sql, (since.isoformat(), until.isoformat())).fetchall())
            runs.append(time.perf_counter() - started)
    finally:
        connection.close()
    return {"seconds": statistics.median(runs), "rows": rows, "how": "sqlite3 fetchall"}


async def _postgres_floor(url: str, since: date, until: date) -> dict[str, Any]:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    sql = POINTS_SQL.format("$1", "$2")
    try:
        fetched, copied, rows = [], [], 0
        for _ in range(FLOOR_RUNS):
            started = time.perf_counter()
            rows = len(await connection.fetch(sql, since, until))
            fetched.append(time.perf_counter() - started)
            out = io.BytesIO()
            started = time.perf_counter()
            await connection.copy_from_query(
                sql, since, until, output=_writer(out), format="binary"
            )
            copied.append(time.perf_counter() - started)
    finally:
        await connection.close()
    fetch_s, copy_s = statistics.median(fetched), statistics.median(copied)
    how = "asyncpg fetch" if fetch_s <= copy_s else "asyncpg binary COPY"
    return {
        "seconds": min(fetch_s, copy_s),
        "rows": rows,
        "how": how,
        "fetch_s": fetch_s,
        "copy_s": copy_s,
    }


def _writer(out: io.BytesIO) -> Any:
    async def write(chunk: bytes) -> None:
        out.write(chunk)

    return write
