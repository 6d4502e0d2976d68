"""The shared check every source's rows pass through: dates and numbers of any usual type."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from jobs.metrics.sources import SourceError
from jobs.metrics.sources.points import MAX_DAYS, to_points

SINCE = date(2026, 1, 1)
DAY = date(2026, 11, 20)


def points(days: list[object], values: list[object], *, since: date = SINCE) -> pd.DataFrame:
    return to_points(
        "dau",
        days,
        values,
        since=since,
        date_label="column 'day'",
        value_label="column 'value'",
    )


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-20",
        " 2026-11-20 ",
        "2026-11-20T09:30:00",
        "2026-11-20 23:59:59+05:00",
        "2026-11-20T00:00:00Z",
        date(2026, 11, 20),
        datetime(2026, 11, 20, 18, 0, tzinfo=UTC),
        datetime(2026, 11, 20, 1, 0, tzinfo=timezone(timedelta(hours=-8))),
        pd.Timestamp("2026-11-20 12:00"),
        np.datetime64("2026-11-20T12:00"),
    ],
    ids=[
        "iso-text",
        "padded-text",
        "iso-datetime-text",
        "offset-datetime-text",
        "zulu-text",
        "date",
        "aware-datetime",
        "negative-offset-datetime",
        "pandas-timestamp",
        "numpy-datetime64",
    ],
)
def test_dates_of_every_usual_type_become_dates(raw: object) -> None:
    """Text, dates, datetimes and timestamps all become that calendar date (as written)."""
    frame = points([raw], [1])
    assert list(frame["day"]) == [DAY]
    assert type(frame["day"][0]) is date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (3, 3.0),
        (2.5, 2.5),
        (Decimal("0.241"), 0.241),
        (np.int64(7), 7.0),
        (np.float32(0.5), 0.5),
        ("  42 ", 42.0),
        ("1e3", 1000.0),
        ("-0.25", -0.25),
    ],
    ids=["int", "float", "decimal", "numpy-int", "numpy-float", "text", "exponent", "negative"],
)
def test_numbers_of_every_usual_type_become_floats(raw: object, expected: float) -> None:
    """Ints, floats, Decimals, numpy numbers and numeric text all become floats."""
    frame = points([DAY], [raw])
    assert list(frame["value"]) == [expected]
    assert str(frame["value"].dtype) == "float64"


BAD = [
    # (id, days, values, the message after "dau: ")
    ("bool-value", [DAY], [True], "column 'value' has non-numeric values on 2026-11-20 (True)"),
    ("list-value", [DAY], [[1]], "has non-numeric values on 2026-11-20 ([1])"),
    ("percent-text", [DAY], ["24%"], "has non-numeric values on 2026-11-20 ('24%')"),
    ("none-value", [DAY], [None], "column 'value' is empty on 2026-11-20"),
    ("nan-float", [DAY], [float("nan")], "column 'value' is NaN on 2026-11-20"),
    ("nan-decimal", [DAY], [Decimal("NaN")], "column 'value' is NaN on 2026-11-20"),
    ("snan-decimal", [DAY], [Decimal("sNaN")], "column 'value' is NaN on 2026-11-20"),
    ("inf-float", [DAY], [float("-inf")], "column 'value' is infinite on 2026-11-20"),
    ("huge-int", [DAY], [10**400], "column 'value' is infinite on 2026-11-20"),
    ("epoch-number-date", [1795132800], [1], "not dates (YYYY-MM-DD): 1795132800 (row 1)"),
    ("none-date", [None], [1], "column 'day' is empty in rows 1"),
    ("nat-date", [pd.NaT], [1], "column 'day' is empty in rows 1"),
    (
        "long-value-is-cut",
        [DAY],
        ["x" * 100],
        "has non-numeric values on 2026-11-20 ('" + "x" * 22 + "…)",
    ),
    (
        "many-days-listed-first-three",
        [date(2026, 11, d) for d in range(20, 26)],
        ["?"] * 6,
        "on 2026-11-20 ('?'), 2026-11-21 ('?'), 2026-11-22 ('?') and 3 more",
    ),
]


@pytest.mark.parametrize(
    ("days", "values", "fault"), [case[1:] for case in BAD], ids=[case[0] for case in BAD]
)
def test_bad_rows_are_one_line_naming_the_metric(
    days: list[object], values: list[object], fault: str
) -> None:
    """Each kind of bad row is a SourceError: one line, the metric key, then what is wrong."""
    with pytest.raises(SourceError) as caught:
        points(days, values)
    message = str(caught.value)
    assert message.startswith("dau: ")
    assert fault in message
    assert "\n" not in message


def test_five_years_of_days_is_the_limit() -> None:
    """Exactly MAX_DAYS days pass; one more is a SourceError."""
    start = SINCE.toordinal()
    days: list[object] = [date.fromordinal(start + n) for n in range(MAX_DAYS + 1)]
    assert len(points(days[:-1], [1] * MAX_DAYS)) == MAX_DAYS
    with pytest.raises(SourceError, match=r"^dau: 1831 rows since 2026-01-01 is more than five"):
        points(days, [1] * (MAX_DAYS + 1))


def test_no_rows_is_an_empty_frame_with_the_columns() -> None:
    """No rows at all is allowed: an empty frame with `day` and `value`."""
    frame = points([], [])
    assert list(frame.columns) == ["day", "value"]
    assert len(frame) == 0
    assert str(frame["value"].dtype) == "float64"
