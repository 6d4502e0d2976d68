"""A row's day as a number: the local date of its timestamp, in days since 1970-01-01.

Days are integers in every query so that windows (`day + 29`, the next active day) are plain
integer arithmetic on every database. No engine converts time zones row by row: a day is
`floor((epoch seconds + offset) / 86400)`, the offset a CASE over the zone's UTC-offset periods
in the window (a few integer comparisons a row, where a zone conversion costs a lookup).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from itertools import pairwise
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import TIMESTAMP, Double, Integer, case, cast, func, literal_column
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


Engine = Literal["postgresql", "duckdb", "sqlite"]
Stored = Literal["naive", "aware", "any"]
"""How the engine stores the timestamp column: `timestamp`, `timestamptz`, or anything else
(text, or a type not known when the query is built), which is cast to a timestamp with zone."""


@dataclass(frozen=True)
class LocalDays:
    """How a query reads local days off a timestamp column, exact from two days before `first`
    to two days after `last` (rows further out keep to their side of the window)."""

    day: DayOf
    """A row's local day."""
    first_day: DayOf
    """The aggregate: the earliest local day of a group's rows."""


def local_days(
    zone: ZoneInfo,
    first: date,
    last: date,
    *,
    timestamps: Literal["utc", "local"],
    engine: Engine,
    stored: Stored = "any",
) -> LocalDays:
    """Local days on `engine`. PostgreSQL and DuckDB read a value without a zone in the
    session's TimeZone, which must be UTC for `timestamps: utc` and the zone for `local`.

    SQLite reads ISO-8601 text (`2024-03-31 01:30:00`, with an optional `T`, fraction and
    `+02:00`/`Z`, which SQLite turns into UTC).
    """
    periods = offset_periods(zone, first, last)
    if engine == "sqlite":
        by_row = _day_from(_sqlite_seconds, periods if timestamps == "utc" else None, exact=True)
        return LocalDays(by_row, lambda at: func.min(by_row(at)))
    # A naive value is already local with `local`: its own date, no offset.
    wall = stored == "naive" and timestamps == "local"
    day = _day_from(partial(_epoch, stored), None if wall else periods, exact=False)
    if not _days_follow_instants(periods):
        return LocalDays(day, lambda at: func.min(day(at)))
    # The first day is the day of the earliest moment: one conversion per group, not per row.
    instant = partial(_instant, stored)
    return LocalDays(day, lambda at: day(func.min(instant(at))))


def _sqlite_seconds(at: ColumnElement[object]) -> ColumnElement[int]:
    return cast(func.strftime("%s", at), Integer)


def _instant(stored: Stored, at: ColumnElement[object]) -> ColumnElement[object]:
    """`at` as a value whose order is the order of moments (naive ones read as the session's)."""
    return at if stored != "any" else cast(at, TIMESTAMP(timezone=True))


def _epoch(stored: Stored, at: ColumnElement[object]) -> ColumnElement[float]:
    """Seconds since the epoch, UTC; a naive timestamp's own seconds, as if it were UTC."""
    return func.date_part(literal_column("'epoch'"), _instant(stored, at), type_=Double)


def _day_from(
    seconds_of: Callable[[ColumnElement[object]], ColumnElement[Any]],
    periods: list[OffsetPeriod] | None,
    *,
    exact: bool,
) -> DayOf:
    """day = (seconds + offset) ÷ 86400 rounded down; no offset without periods.

    `exact`: the seconds are integers and `//` truncates (SQLite); else they are fractional
    and the quotient is floored and cast.
    """

    def day(at: ColumnElement[object]) -> ColumnElement[int]:
        seconds = seconds_of(at)
        shifted = seconds if periods is None else seconds + _offset_case(seconds, periods)
        if exact:
            return shifted // _SECONDS_A_DAY
        return cast(func.floor(shifted / literal_column("86400.0", Double)), Integer)

    return day


def _offset_case(seconds: ColumnElement[Any], periods: list[OffsetPeriod]) -> ColumnElement[Any]:
    if len(periods) == 1:
        return _number(periods[0].offset)
    # The WHENs are in time order: the first whose next period starts later applies.
    return case(
        *(
            (seconds < _number(following.starts), _number(period.offset))
            for period, following in pairwise(periods)
        ),
        else_=_number(periods[-1].offset),
    )


def _number(value: int) -> ColumnElement[int]:
    """A literal integer in the SQL text (ours, never user input): constants, not parameters."""
    return literal_column(str(value), Integer)


def _days_follow_instants(periods: list[OffsetPeriod]) -> bool:
    """Whether a later moment never has an earlier local day: no change of offset turns the
    clocks back across a midnight (then the earliest moment has the earliest day)."""
    return all(
        (following.starts + following.offset) // _SECONDS_A_DAY
        >= (following.starts - 1 + period.offset) // _SECONDS_A_DAY
        for period, following in pairwise(periods)
    )
