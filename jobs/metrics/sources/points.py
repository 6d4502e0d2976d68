"""Every source's rows pass through here: one check, one shape, one style of error message.

The result is always a frame with a `day` column of `datetime.date` and a `value` column of
float, one row per day, sorted, only days on or after `since`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from jobs.metrics.sources.errors import SourceError

MAX_DAYS = 5 * 366
"""More rows than five years of days means the query or file is not what it should be."""
SHOWN = 3
"""How many offending days or rows a message lists before saying `and N more`."""
_MISSING = object()
_NOT_A_DATE = object()
_NOT_A_NUMBER = object()


def empty_points() -> pd.DataFrame:
    """No days: the right columns and dtypes, zero rows."""
    return pd.DataFrame(
        {"day": pd.Series([], dtype=object), "value": pd.Series([], dtype="float64")}
    )


def listing(items: Sequence[str], *, limit: int = SHOWN) -> str:
    """`a, b, c and 4 more`."""
    shown = ", ".join(items[:limit])
    rest = len(items) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


def shown(raw: object, *, limit: int = 24) -> str:
    """A value from the data, quoted and short, on one line."""
    text = repr(raw)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def frame_points(
    metric_key: str,
    frame: pd.DataFrame,
    *,
    date_column: str,
    value_column: str,
    since: date,
    origin: str,
) -> pd.DataFrame:
    """Check a table with named columns; `origin` (e.g. the CSV path) names it in messages."""
    columns = [str(column) for column in frame.columns]
    for name in (date_column, value_column):
        count = columns.count(name)
        if count == 0:
            available = listing([repr(column) for column in columns], limit=8) or "none"
            raise SourceError(
                f"{metric_key}: column {name!r} is missing from {origin} (columns: {available})"
            )
        if count > 1:
            raise SourceError(f"{metric_key}: column {name!r} appears {count} times in {origin}")
    position = {name: columns.index(name) for name in (date_column, value_column)}
    return to_points(
        metric_key,
        frame.iloc[:, position[date_column]].tolist(),
        frame.iloc[:, position[value_column]].tolist(),
        since=since,
        date_label=f"column {date_column!r}",
        value_label=f"column {value_column!r}",
    )


def to_points(
    metric_key: str,
    days: Sequence[object],
    values: Sequence[object],
    *,
    since: date,
    date_label: str,
    value_label: str,
    row_label: str = "row",
) -> pd.DataFrame:
    """Check raw (day, value) pairs and return the frame; any fault is one SourceError line.

    Dates may be `YYYY-MM-DD` text (or ISO date-times), dates, datetimes or timestamps; values
    may be numbers or numeric text. Rows before `since` are dropped before their values are
    judged, so an old bad value does not break today's pull.
    """
    if len(days) != len(values):  # pragma: no cover - callers pass columns of one table
        raise ValueError("days and values differ in length")
    parsed = [_parse_day(raw) for raw in days]
    empty_days = [n for n, day in enumerate(parsed, start=1) if day is _MISSING]
    if empty_days:
        rows = listing([str(n) for n in empty_days])
        raise SourceError(f"{metric_key}: {date_label} is empty in {row_label}s {rows}")
    bad_days = [n for n, day in enumerate(parsed, start=1) if day is _NOT_A_DATE]
    if bad_days:
        examples = listing([f"{shown(days[n - 1])} ({row_label} {n})" for n in bad_days])
        raise SourceError(
            f"{metric_key}: {date_label} has values that are not dates (YYYY-MM-DD): {examples}"
        )
    kept = [
        (day, raw)
        for day, raw in zip(parsed, values, strict=True)
        if isinstance(day, date) and day >= since
    ]
    if len(kept) > MAX_DAYS:
        raise SourceError(
            f"{metric_key}: {len(kept)} rows since {since.isoformat()} is more than five years"
            f" of days (at most {MAX_DAYS}); is the date filter right?"
        )
    _check_duplicates(metric_key, (day for day, _ in kept))
    numbers = [(day, raw, _parse_value(raw)) for day, raw in kept]
    _check_values(metric_key, value_label, numbers)
    good = sorted((day, number) for day, _, number in numbers if isinstance(number, float))
    if not good:
        return empty_points()
    return pd.DataFrame(
        {
            "day": pd.Series([day for day, _ in good], dtype=object),
            "value": pd.Series([number for _, number in good], dtype="float64"),
        }
    )


def as_day(raw: object) -> date | None:
    """The calendar date `raw` stands for, or None when it is empty or not a date."""
    day = _parse_day(raw)
    return day if isinstance(day, date) else None


def _parse_day(raw: object) -> object:
    if raw is None or raw is pd.NaT or raw is pd.NA:
        return _MISSING
    if isinstance(raw, float) and math.isnan(raw):
        return _MISSING
    if isinstance(raw, datetime):  # also pandas Timestamp
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, np.datetime64):
        if np.isnat(raw):
            return _MISSING
        return pd.Timestamp(raw).date()
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return _MISSING
        try:
            return date.fromisoformat(text) if len(text) == 10 else _parse_datetime(text)
        except ValueError:
            return _NOT_A_DATE
    return _NOT_A_DATE


def _parse_datetime(text: str) -> date:
    # `2026-11-20T08:00:00+01:00` is the 20th as written; the offset does not move the day.
    return datetime.fromisoformat(text).date()


def _parse_value(raw: object) -> object:
    """A float (possibly NaN or ±inf), `_MISSING`, or `_NOT_A_NUMBER`."""
    if raw is None or raw is pd.NA:
        return _MISSING
    if isinstance(raw, bool | np.bool_):
        return _NOT_A_NUMBER
    if isinstance(raw, int | float | Decimal | np.integer | np.floating):
        try:
            return float(raw)
        except OverflowError:  # an int too big for a float
            return math.inf if raw > 0 else -math.inf
        except ValueError:  # Decimal("sNaN")
            return math.nan
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return _MISSING
        try:
            return float(text)
        except ValueError:
            return _NOT_A_NUMBER
    return _NOT_A_NUMBER


def _check_duplicates(metric_key: str, days: Iterable[date]) -> None:
    counts: dict[date, int] = {}
    for day in days:
        counts[day] = counts.get(day, 0) + 1
    repeated = sorted(day for day, count in counts.items() if count > 1)
    if repeated:
        raise SourceError(
            f"{metric_key}: {len(repeated)} {'days appear' if len(repeated) > 1 else 'day appears'}"
            f" more than once: {listing([day.isoformat() for day in repeated])}"
            " (one row per day, please)"
        )


def _check_values(
    metric_key: str, value_label: str, numbers: Sequence[tuple[date, object, object]]
) -> None:
    def on(condition: str, days: list[str]) -> None:
        if days:
            raise SourceError(f"{metric_key}: {value_label} {condition} on {listing(days)}")

    ordered = sorted(numbers, key=lambda item: item[0])
    on("is empty", [day.isoformat() for day, _, number in ordered if number is _MISSING])
    on(
        "has non-numeric values",
        [
            f"{day.isoformat()} ({shown(raw)})"
            for day, raw, number in ordered
            if number is _NOT_A_NUMBER
        ],
    )
    on(
        "is NaN",
        [
            day.isoformat()
            for day, _, number in ordered
            if isinstance(number, float) and math.isnan(number)
        ],
    )
    on(
        "is infinite",
        [
            day.isoformat()
            for day, _, number in ordered
            if isinstance(number, float) and math.isinf(number)
        ],
    )
