"""A row's day as a number: the local date of its timestamp, in days since 1970-01-01.

Days are integers in every query so that windows (`day + 29`, the next active day) are plain
integer arithmetic on every database. PostgreSQL and DuckDB convert time zones themselves;
SQLite cannot, so there the UTC offset comes from a CASE over the zone's offset periods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import TIMESTAMP, Date, Integer, String, bindparam, case, cast, func, literal_column
from sqlalchemy.sql.elements import ColumnElement

from jobs.metrics.sources.errors import SourceError

EPOCH = date(1970, 1, 1)
_SECONDS_A_DAY = 86_400

DayOf = Callable[[ColumnElement[object]], ColumnElement[int]]
"""Turns a timestamp column into its local day number."""


def day_number(day: date) -> int:
    """`day` as days since 1970-01-01."""
    return (day - EPOCH).days


def day_of(number: int) -> date:
    """The date `number` days after 1970-01-01."""
    return EPOCH + timedelta(days=number)


def zone_of(name: str) -> ZoneInfo:
    """The deployment's time zone; an unknown name is a SourceError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SourceError(f"datasets: time zone {name!r} is not known") from None


def native_day(zone: str) -> DayOf:
    """The local day on PostgreSQL and DuckDB (both compiled with the PostgreSQL dialect).

    The session's TimeZone must be UTC for `timestamps: utc` and the zone for `local`: a value
    without a zone is read in the session's zone, one with a zone (timestamptz, `…+02:00` text)
    keeps it, and both are then shown in `zone`.
    """
    zone_param = bindparam("zone", zone, type_=String)

    def day(at: ColumnElement[object]) -> ColumnElement[int]:
        local = func.timezone(zone_param, cast(at, TIMESTAMP(timezone=True)))
        return cast(local, Date) - literal_column("DATE '1970-01-01'", Date)  # type: ignore[return-value]

    return day


@dataclass(frozen=True)
class OffsetPeriod:
    """From `starts` (seconds since the epoch, UTC) the zone is `offset` seconds ahead of UTC."""

    starts: int
    offset: int


def offset_periods(zone: ZoneInfo, first: date, last: date) -> list[OffsetPeriod]:
    """The zone's UTC offsets from two days before `first` to two days after `last`.

    The first period also covers everything earlier and the last everything later: rows far
    outside the window may get a wrong offset, which cannot move them into it.
    """
    start = datetime.combine(first - timedelta(days=2), datetime.min.time(), UTC)
    end = datetime.combine(last + timedelta(days=3), datetime.min.time(), UTC)
    periods = [OffsetPeriod(int(start.timestamp()), _offset(zone, start))]
    moment = start
    while moment < end:
        following = moment + timedelta(hours=1)
        if _offset(zone, following) != periods[-1].offset:
            periods.append(_change_between(zone, moment, following))
        moment = following
    return periods


def _offset(zone: ZoneInfo, moment: datetime) -> int:
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _change_between(zone: ZoneInfo, before: datetime, after: datetime) -> OffsetPeriod:
    # Invariant: the offset at `low` is the old one and at `high` the new one.
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(zone, datetime.fromtimestamp(middle, UTC)) == _offset(zone, before):
            low = middle
        else:
            high = middle
    return OffsetPeriod(high, _offset(zone, after))


def sqlite_day(
    zone: ZoneInfo, first: date, last: date, timestamps: Literal["utc", "local"]
) -> DayOf:
    """The local day on SQLite, for ISO-8601 text timestamps (`2024-03-31 01:30:00`, with
    an optional `T`, fraction and `+02:00`/`Z`, which SQLite turns into UTC).

    Exact for rows from two days before `first` to two days after `last`.
    """
    periods = offset_periods(zone, first, last)

    def day(at: ColumnElement[object]) -> ColumnElement[int]:
        seconds = cast(func.strftime("%s", at), Integer)
        if timestamps == "local":
            return seconds // _SECONDS_A_DAY
        if len(periods) == 1:
            return (seconds + periods[0].offset) // _SECONDS_A_DAY
        # The WHENs are in time order: the first whose next period starts later applies.
        offset = case(
            *(
                (seconds < following.starts, period.offset)
                for period, following in pairwise(periods)
            ),
            else_=periods[-1].offset,
        )
        return (seconds + offset) // _SECONDS_A_DAY

    return day
