"""Local days: the zone's UTC offset periods the SQLite query uses, and day numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from jobs.customers.aggregates import Window
from jobs.customers.daily import order_measures
from jobs.customers.local_day import OffsetPeriod, day_number, day_of, offset_periods


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("zone", "first", "last", "changes"),
    [
        pytest.param(
            "Europe/Berlin",
            date(2024, 3, 25),
            date(2024, 4, 5),
            [OffsetPeriod(epoch("2024-03-31 01:00:00"), 7200)],
            id="berlin-spring-forward",
        ),
        pytest.param(
            "America/New_York",
            date(2024, 10, 20),
            date(2024, 11, 10),
            [OffsetPeriod(epoch("2024-11-03 06:00:00"), -18000)],
            id="new-york-fall-back",
        ),
        pytest.param("Asia/Kolkata", date(2024, 1, 1), date(2024, 12, 31), [], id="no-dst"),
        pytest.param(
            "Europe/Berlin",
            date(2024, 4, 3),
            date(2024, 4, 10),
            [],
            id="the-change-is-more-than-two-days-before",
        ),
    ],
)
def test_offset_periods_change_at_the_exact_second(
    zone: str, first: date, last: date, changes: list[OffsetPeriod]
) -> None:
    periods = offset_periods(ZoneInfo(zone), first, last)
    assert periods[1:] == changes
    opening = datetime.combine(first, datetime.min.time(), UTC)
    assert periods[0].offset == opening.astimezone(ZoneInfo(zone)).utcoffset().total_seconds()


@pytest.mark.parametrize(
    ("day", "number"),
    [
        pytest.param(date(1970, 1, 1), 0, id="epoch"),
        pytest.param(date(2024, 3, 31), 19813, id="dst-day"),
    ],
)
def test_day_numbers_round_trip(day: date, number: int) -> None:
    assert day_number(day) == number
    assert day_of(number) == day


def test_equal_daily_order_values_have_no_volatility_at_all() -> None:
    """Days with the same aov give exactly 0, however the sums round."""
    window = Window(0, 39)
    orders = pd.DataFrame({"day": range(0, 40, 3), "orders": 3, "gmv": 0.3, "buyers": 1})
    nothing = pd.DataFrame({"day": [], "starts": [], "stops": []})
    got = order_measures({"orders": orders, "buyers_30d": nothing, "repeat_30d": nothing}, window)
    assert got.loc[29:, "aov_volatility"].tolist() == [0.0] * 11
    assert got["aov_volatility"].iloc[:29].isna().all()
