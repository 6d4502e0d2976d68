"""A metric series' points read for evaluation: through the driver alone, into numpy arrays.

Apart from storage/points.py so that what imports points (the bot's commands, at start-up)
does not load numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Float, Integer, func, literal_column
from sqlalchemy import cast as sa_cast
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.driver_sql import copy_binary, fetch_rows
from storage.models import Goal, MetricPoint
from storage.points import Changed, narrowed

# A PostgreSQL binary COPY: 11-byte signature, 4 bytes of flags, 4 of header extension length.
_COPY_HEADER = 19
_COPY_TRAILER = 2  # int16 -1


@dataclass(frozen=True)
class SeriesPoints:
    """Points of metric series as arrays. A series (one workspace's metric) is keyed by the
    smallest id among the active goals on it, as read with the points."""

    series: npt.NDArray[np.int64]
    day: npt.NDArray[np.int64]  # days since 1970-01-01
    value: npt.NDArray[np.float64]


async def series_points(
    *,
    session: AsyncSession,
    since: date,
    until: date,
    team_id: str | None = None,
    channel_id: str | None = None,
    metric_keys: Sequence[str] | None = None,
    changed: Changed | None = None,
) -> SeriesPoints:
    """The points in [since, until] of every series the active goals (narrowed as
    `active_filter` narrows) are on, each series read once however many goals share it.

    Read through the driver alone (a binary COPY on PostgreSQL): no row objects.
    """
    goals = (
        sa_select(col(Goal.team_id), col(Goal.metric_key), func.min(col(Goal.id)).label("series"))
        .where(
            *narrowed(
                team_id=team_id,
                channel_id=channel_id,
                metric_keys=metric_keys,
                changed=changed,
                dialect=session.get_bind().dialect.name,
            )
        )
        .group_by(col(Goal.team_id), col(Goal.metric_key))
        .subquery()
    )
    connection = await session.connection()
    sqlite = connection.dialect.name == "sqlite"
    epoch_day = (
        func.julianday(col(MetricPoint.day)) - literal_column("2440587.5")
        if sqlite
        else col(MetricPoint.day) - literal_column("DATE '1970-01-01'")
    )
    statement = sa_select(
        sa_cast(goals.c.series, Integer),
        sa_cast(epoch_day, Integer),
        sa_cast(col(MetricPoint.value), Float),
    ).where(
        col(MetricPoint.team_id) == goals.c.team_id,
        col(MetricPoint.metric_key) == goals.c.metric_key,
        col(MetricPoint.day) >= since,
        col(MetricPoint.day) <= until,
    )
    if not sqlite:
        columns = binary_columns(await copy_binary(connection, statement), (">i4", ">i4", ">f8"))
        if columns is not None:
            series, day, value = columns
            return SeriesPoints(series.astype(np.int64), day.astype(np.int64), value)
    rows = await fetch_rows(connection, statement)
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=3 * len(rows))
    table = flat.reshape(len(rows), 3)
    return SeriesPoints(
        table[:, 0].astype(np.int64), table[:, 1].astype(np.int64), table[:, 2].copy()
    )


def binary_columns(data: bytes, types: Sequence[str]) -> list[npt.NDArray[Any]] | None:
    """Fixed-width columns of a binary COPY as arrays (native byte order), or None when the
    rows are not all of that layout (a NULL, another width): then read them another way.

    `types`: numpy big-endian types of the columns, e.g. ">i4", ">f8".
    """
    extension = int.from_bytes(data[_COPY_HEADER - 4 : _COPY_HEADER], "big")
    body = memoryview(data)[_COPY_HEADER + extension : len(data) - _COPY_TRAILER]
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for number, kind in enumerate(types):
        fields += [(f"length{number}", ">i4"), (f"value{number}", kind)]
    layout = np.dtype(fields)
    if len(body) % layout.itemsize:
        return None
    rows = np.frombuffer(body, dtype=layout)
    if len(rows) and bool((rows["count"] != len(types)).any()):
        return None
    for number, kind in enumerate(types):
        if len(rows) and bool((rows[f"length{number}"] != np.dtype(kind).itemsize).any()):
            return None
    return [
        rows[f"value{number}"].astype(np.dtype(kind).newbyteorder("="))
        for number, kind in enumerate(types)
    ]
