"""Check-in cadences: slots in the owner's timezone, across DST, quiet hours, stored form."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from jobs.checkins.cadence import (
    WEEKDAYS,
    Cadence,
    QuietHours,
    ask_at,
    latest_slot,
    parse_clock,
    slots_between,
)

BERLIN, NEW_YORK, SHANGHAI = "Europe/Berlin", "America/New_York", "Asia/Shanghai"
DAILY_0930 = Cadence("day", time(9, 30))
DAILY_1000 = Cadence("day", time(10, 0))
MONDAY_1000 = Cadence("week", time(10, 0), weekday=0)
# 2024-01-03 is a Wednesday in the ISO week starting Monday 2024-01-01: that week is on.
FORTNIGHTLY = Cadence("week", time(10, 0), weekday=0, weeks=2, anchor=date(2024, 1, 3))


def _utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2024) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


SLOT_CASES = [
    pytest.param(
        DAILY_0930,
        BERLIN,
        _utc(1, 15, 0),
        _utc(1, 18, 0),
        [_utc(1, 15, 8, 30), _utc(1, 16, 8, 30), _utc(1, 17, 8, 30)],
        id="daily-berlin-winter",
    ),
    pytest.param(
        MONDAY_1000,
        BERLIN,
        _utc(1, 1, 9),  # exactly the Jan 1 slot: `after` is exclusive
        _utc(1, 22, 9),  # exactly the Jan 22 slot: `until` is inclusive
        [_utc(1, 8, 9), _utc(1, 15, 9), _utc(1, 22, 9)],
        id="weekly-monday-bounds",
    ),
    pytest.param(
        FORTNIGHTLY,
        BERLIN,
        _utc(1, 1, 0),
        _utc(2, 1, 0),
        [_utc(1, 1, 9), _utc(1, 15, 9), _utc(1, 29, 9)],
        id="every-2-weeks-anchor-week-on-next-off",
    ),
    pytest.param(
        Cadence("week", time(10, 0), weekday=6, weeks=2, anchor=date(2023, 12, 28)),
        BERLIN,
        _utc(12, 30, 0, year=2023),
        _utc(1, 22, 0),
        [_utc(12, 31, 9, year=2023), _utc(1, 14, 9)],
        id="every-2-weeks-across-new-year",
    ),
    pytest.param(
        Cadence("week", time(10, 0), weekday=4, weeks=3, anchor=date(2024, 1, 1)),
        BERLIN,
        _utc(1, 1, 0),
        _utc(2, 28, 0),
        [_utc(1, 5, 9), _utc(1, 26, 9), _utc(2, 16, 9)],
        id="every-3-weeks-friday",
    ),
    pytest.param(
        MONDAY_1000,
        BERLIN,
        _utc(3, 20, 0),
        _utc(4, 2, 0),
        [_utc(3, 25, 9), _utc(4, 1, 8)],  # 10:00 CET, then 10:00 CEST
        id="berlin-spring-forward-stays-10-local",
    ),
    pytest.param(
        MONDAY_1000,
        BERLIN,
        _utc(10, 20, 0),
        _utc(10, 29, 0),
        [_utc(10, 21, 8), _utc(10, 28, 9)],  # 10:00 CEST, then 10:00 CET
        id="berlin-fall-back-stays-10-local",
    ),
    pytest.param(
        DAILY_1000,
        NEW_YORK,
        _utc(3, 9, 0),
        _utc(3, 11, 0),
        [_utc(3, 9, 15), _utc(3, 10, 14)],  # 10:00 EST, then 10:00 EDT on the change day
        id="new-york-spring-forward-stays-10-local",
    ),
    pytest.param(
        DAILY_1000,
        NEW_YORK,
        _utc(11, 2, 0),
        _utc(11, 4, 0),
        [_utc(11, 2, 14), _utc(11, 3, 15)],  # 10:00 EDT, then 10:00 EST on the change day
        id="new-york-fall-back-stays-10-local",
    ),
    pytest.param(
        Cadence("day", time(2, 30)),
        BERLIN,
        _utc(3, 30, 0),
        _utc(4, 1, 12),
        # 02:30 CET; 02:30 does not exist on Mar 31 → 03:30 CEST (01:30Z); 02:30 CEST
        [_utc(3, 30, 1, 30), _utc(3, 31, 1, 30), _utc(4, 1, 0, 30)],
        id="berlin-0230-in-the-gap-moves-forward",
    ),
    pytest.param(
        Cadence("day", time(2, 30)),
        NEW_YORK,
        _utc(3, 10, 0),
        _utc(3, 11, 0),
        [_utc(3, 10, 7, 30)],  # 02:30 skipped → 03:30 EDT
        id="new-york-0230-in-the-gap-moves-forward",
    ),
    pytest.param(
        Cadence("day", time(2, 30)),
        BERLIN,
        _utc(10, 26, 12),
        _utc(10, 27, 12),
        [_utc(10, 27, 0, 30)],  # 02:30 happens twice: the first (CEST) is the slot
        id="berlin-0230-repeated-takes-first",
    ),
    pytest.param(
        Cadence("day", time(1, 30)),
        NEW_YORK,
        _utc(11, 2, 12),
        _utc(11, 3, 12),
        [_utc(11, 3, 5, 30)],  # 01:30 EDT, not 01:30 EST
        id="new-york-0130-repeated-takes-first",
    ),
    pytest.param(
        Cadence("day", time(9, 0)),
        SHANGHAI,
        _utc(3, 30, 0),
        _utc(4, 1, 0),
        [_utc(3, 30, 1), _utc(3, 31, 1)],  # no DST: 01:00Z even on Europe's change day
        id="shanghai-no-dst",
    ),
    pytest.param(
        Cadence("day", time(0, 0)),
        SHANGHAI,
        _utc(1, 14, 16),
        _utc(1, 15, 16),
        [_utc(1, 15, 16)],  # local midnight Jan 16 is the previous UTC day
        id="shanghai-midnight-on-previous-utc-day",
    ),
    pytest.param(DAILY_0930, BERLIN, _utc(1, 16, 0), _utc(1, 15, 0), [], id="empty-window"),
]


@pytest.mark.parametrize(("cadence", "tz", "after", "until", "expected"), SLOT_CASES)
def test_slots_between(
    cadence: Cadence, tz: str, after: datetime, until: datetime, expected: list[datetime]
) -> None:
    """Slots are the local wall time in the owner's zone, oldest first, after < slot <= until."""
    slots = slots_between(cadence, tz, after, until)
    assert slots == expected
    assert all(slot.tzinfo is UTC for slot in slots)


def test_gap_slot_is_0330_local() -> None:
    """A 02:30 slot on the spring-forward day is asked at 03:30 local, in both zones."""
    for tz, day in [(BERLIN, date(2024, 3, 31)), (NEW_YORK, date(2024, 3, 10))]:
        start = datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(tz))
        (slot,) = slots_between(Cadence("day", time(2, 30)), tz, start, start + timedelta(hours=6))
        assert slot.astimezone(ZoneInfo(tz)).time() == time(3, 30)


LATEST_CASES = [
    pytest.param(
        DAILY_0930,
        _utc(1, 15, 12),
        _utc(1, 8, 8, 30),
        _utc(1, 15, 8, 30),
        id="a-week-down-asks-only-the-newest",
    ),
    pytest.param(
        DAILY_0930, _utc(1, 15, 8), _utc(1, 8, 8, 30), _utc(1, 14, 8, 30), id="before-todays-slot"
    ),
    pytest.param(
        DAILY_0930, _utc(1, 15, 8, 30), _utc(1, 14, 8, 30), _utc(1, 15, 8, 30), id="exactly-at-slot"
    ),
    pytest.param(DAILY_0930, _utc(1, 15, 12), _utc(1, 15, 8, 30), None, id="newest-already-asked"),
    pytest.param(DAILY_0930, _utc(1, 15, 12), _utc(1, 15, 10), None, id="not-before-after-newest"),
    pytest.param(
        FORTNIGHTLY, _utc(1, 24, 12), _utc(1, 1, 0), _utc(1, 15, 9), id="every-2-weeks-off-week"
    ),
    pytest.param(
        FORTNIGHTLY, _utc(6, 1, 0), _utc(1, 1, 0), _utc(5, 20, 8), id="every-2-weeks-months-down"
    ),
    pytest.param(
        MONDAY_1000, _utc(1, 14, 0), _utc(1, 10, 0), None, id="weekly-no-slot-since-not-before"
    ),
]


@pytest.mark.parametrize(("cadence", "now", "not_before", "expected"), LATEST_CASES)
def test_latest_slot(
    cadence: Cadence, now: datetime, not_before: datetime, expected: datetime | None
) -> None:
    """Only the newest unasked slot is asked; older missed slots are dropped."""
    assert latest_slot(cadence, BERLIN, now, not_before=not_before) == expected


@pytest.mark.parametrize(
    "cadence",
    [
        pytest.param(DAILY_1000, id="daily"),
        pytest.param(Cadence("day", time(2, 30)), id="daily-0230"),
        pytest.param(MONDAY_1000, id="weekly"),
        pytest.param(FORTNIGHTLY, id="every-2-weeks"),
    ],
)
@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK, SHANGHAI])
def test_latest_slot_is_the_last_of_slots_between(cadence: Cadence, tz: str) -> None:
    """Every 5 hours through both DST changes, latest_slot is slots_between's last slot."""
    now = _utc(2, 20, 0)
    while now < _utc(11, 20, 0):
        not_before = now - timedelta(days=10)  # some hold no every-2-weeks slot
        slots = slots_between(cadence, tz, not_before, now)
        expected = slots[-1] if slots else None
        assert latest_slot(cadence, tz, now, not_before=not_before) == expected, now
        now += timedelta(hours=5)


ASK_CASES = [
    pytest.param(BERLIN, _utc(1, 15, 21), QuietHours(), _utc(1, 16, 7), id="22-pushed-to-08"),
    pytest.param(BERLIN, _utc(1, 15, 9), QuietHours(), _utc(1, 15, 9), id="10-asked-at-once"),
    pytest.param(BERLIN, _utc(1, 15, 20), QuietHours(), _utc(1, 16, 7), id="quiet-start-included"),
    pytest.param(BERLIN, _utc(1, 15, 7), QuietHours(), _utc(1, 15, 7), id="quiet-end-excluded"),
    pytest.param(NEW_YORK, _utc(1, 15, 12), QuietHours(), _utc(1, 15, 13), id="07-waits-for-08"),
    pytest.param(SHANGHAI, _utc(1, 15, 14), QuietHours(), _utc(1, 16, 0), id="shanghai-22-to-08"),
    pytest.param(
        BERLIN,
        _utc(1, 15, 12),
        QuietHours(time(12, 0), time(14, 0)),
        _utc(1, 15, 13),
        id="window-not-crossing-midnight",
    ),
    pytest.param(
        BERLIN,
        _utc(1, 15, 21),
        QuietHours(time(21, 0), time(21, 0)),
        _utc(1, 15, 21),
        id="start-equals-end-no-quiet-hours",
    ),
    pytest.param(
        BERLIN,
        _utc(3, 30, 22),
        QuietHours(time(21, 0), time(2, 30)),
        _utc(3, 31, 1, 30),  # 02:30 does not exist that night → 03:30 CEST
        id="quiet-end-in-the-gap",
    ),
    pytest.param(
        BERLIN, _utc(3, 30, 21), QuietHours(), _utc(3, 31, 6), id="08-local-after-spring-forward"
    ),
]


@pytest.mark.parametrize(("tz", "slot", "quiet", "expected"), ASK_CASES)
def test_ask_at(tz: str, slot: datetime, quiet: QuietHours, expected: datetime) -> None:
    """A slot in the owner's quiet hours is asked when they end, in local time."""
    assert ask_at(slot, tz, quiet) == expected


@pytest.mark.parametrize(
    ("cadence", "text"),
    [
        pytest.param(DAILY_0930, "every day at 09:30", id="daily"),
        pytest.param(MONDAY_1000, "every Monday at 10:00", id="weekly-monday"),
        pytest.param(FORTNIGHTLY, "every 2 weeks on Monday at 10:00", id="every-2-weeks"),
        pytest.param(Cadence("week", time(7, 5), weekday=6), "every Sunday at 07:05", id="sunday"),
        pytest.param(
            Cadence("week", time(18, 0), weekday=4, weeks=12, anchor=date(2024, 1, 1)),
            "every 12 weeks on Friday at 18:00",
            id="every-12-weeks",
        ),
        pytest.param(Cadence("day", time(8, 0), weekday=3), "every day at 08:00", id="day-no-wday"),
    ],
)
def test_describe(cadence: Cadence, text: str) -> None:
    """The cadence in plain words, as the owner is told it."""
    assert cadence.describe() == text


@pytest.mark.parametrize(
    "cadence",
    [
        pytest.param(DAILY_0930, id="daily"),
        pytest.param(MONDAY_1000, id="weekly"),
        pytest.param(FORTNIGHTLY, id="every-2-weeks"),
        pytest.param(Cadence("week", time(0, 0), weekday=6), id="sunday-midnight"),
    ],
)
def test_round_trip(cadence: Cadence) -> None:
    """What is stored on the goal row (as JSON) reads back as the same cadence."""
    stored = json.loads(json.dumps(cadence.to_dict()))
    assert Cadence.from_dict(stored) == cadence


def test_to_dict_shape() -> None:
    """The stored form is plain JSON values: clock as HH:MM, anchor as an ISO date."""
    assert FORTNIGHTLY.to_dict() == {
        "every": "week",
        "at": "10:00",
        "weekday": 0,
        "weeks": 2,
        "anchor": "2024-01-03",
    }


def test_from_dict_defaults() -> None:
    """weekday, weeks and anchor may be left out."""
    assert Cadence.from_dict({"every": "week", "at": "10:00"}) == MONDAY_1000


GOOD: dict[str, Any] = {"every": "week", "at": "10:00", "weekday": 0, "weeks": 1, "anchor": None}


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"at": "10:00"}, id="missing-every"),
        pytest.param({"every": "day"}, id="missing-at"),
        pytest.param({**GOOD, "every": "month"}, id="unknown-every"),
        pytest.param({**GOOD, "every": None}, id="every-none"),
        pytest.param({**GOOD, "at": "25:00"}, id="bad-clock"),
        pytest.param({**GOOD, "at": 930}, id="clock-not-text"),
        pytest.param({**GOOD, "weekday": 7}, id="weekday-too-big"),
        pytest.param({**GOOD, "weekday": -1}, id="weekday-negative"),
        pytest.param({**GOOD, "weekday": "1"}, id="weekday-text"),
        pytest.param({**GOOD, "weekday": True}, id="weekday-bool"),
        pytest.param({**GOOD, "weeks": 0}, id="weeks-zero"),
        pytest.param({**GOOD, "weeks": 13, "anchor": "2024-01-01"}, id="weeks-over-12"),
        pytest.param({**GOOD, "weeks": 2.0, "anchor": "2024-01-01"}, id="weeks-float"),
        pytest.param({**GOOD, "weeks": 2}, id="every-n-weeks-without-anchor"),
        pytest.param({**GOOD, "weeks": 2, "anchor": "2024-13-01"}, id="bad-anchor"),
        pytest.param({**GOOD, "weeks": 2, "anchor": 20240101}, id="anchor-not-text"),
        pytest.param({**GOOD, "anchor": "2024-01-01"}, id="anchor-on-weekly"),
        pytest.param({**GOOD, "every": "day", "weeks": 2, "anchor": "2024-01-01"}, id="day-weeks"),
        pytest.param({**GOOD, "time": "10:00"}, id="unknown-key"),
    ],
)
def test_from_dict_rejects(data: dict[str, Any]) -> None:
    """Bad stored data is a ValueError, never a wrong cadence."""
    with pytest.raises(ValueError):  # noqa: PT011 - each case fails for its own reason
        Cadence.from_dict(data)


@pytest.mark.parametrize(
    "at",
    [
        pytest.param(time(9, 30, 15), id="seconds"),
        pytest.param(time(9, 30, tzinfo=UTC), id="aware"),
    ],
)
def test_cadence_needs_a_naive_whole_minute(at: time) -> None:
    """The stored HH:MM form could not hold seconds or a zone, so they are refused."""
    with pytest.raises(ValueError, match="at must be"):
        Cadence("day", at)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("10:00", time(10, 0), id="10:00"),
        pytest.param("9:30", time(9, 30), id="9:30"),
        pytest.param("09:30", time(9, 30), id="09:30"),
        pytest.param("21:05", time(21, 5), id="21:05"),
        pytest.param("0:00", time(0, 0), id="midnight"),
        pytest.param("23:59", time(23, 59), id="last-minute"),
        pytest.param(" 7:15 ", time(7, 15), id="spaces-around"),
    ],
)
def test_parse_clock(text: str, expected: time) -> None:
    """H:MM and HH:MM on a 24-hour clock."""
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(text, id=name)
        for name, text in [
            ("24:00", "24:00"),
            ("minute-60", "9:60"),
            ("hour-only", "9"),
            ("no-colon", "930"),
            ("one-digit-minute", "9:5"),
            ("dot", "9.30"),
            ("am", "9:30am"),
            ("empty", ""),
            ("seconds", "09:30:00"),
            ("negative", "-1:00"),
            ("plus", "+9:30"),
            ("three-digit-hour", "009:30"),
            ("non-ascii-digits", "٩:٣٠"),
        ]
    ],
)
def test_parse_clock_rejects(text: str) -> None:
    """Anything but H:MM or HH:MM is a ValueError."""
    with pytest.raises(ValueError, match="not a clock time"):
        parse_clock(text)


def test_weekdays() -> None:
    """Short and long lower-case day names map to Monday = 0 … Sunday = 6."""
    assert len(WEEKDAYS) == 14
    assert (WEEKDAYS["mon"], WEEKDAYS["monday"], WEEKDAYS["wed"]) == (0, 0, 2)
    assert (WEEKDAYS["sun"], WEEKDAYS["sunday"], WEEKDAYS["thursday"]) == (6, 6, 3)


NAIVE = datetime(2024, 1, 15, 12, 0)  # noqa: DTZ001 - the naive input under test


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: slots_between(DAILY_0930, BERLIN, NAIVE, _utc(1, 16, 0)), id="after"),
        pytest.param(lambda: slots_between(DAILY_0930, BERLIN, _utc(1, 1, 0), NAIVE), id="until"),
        pytest.param(
            lambda: latest_slot(DAILY_0930, BERLIN, NAIVE, not_before=_utc(1, 1, 0)), id="now"
        ),
        pytest.param(
            lambda: latest_slot(DAILY_0930, BERLIN, _utc(1, 16, 0), not_before=NAIVE),
            id="not-before",
        ),
        pytest.param(lambda: ask_at(NAIVE, BERLIN, QuietHours()), id="slot"),
    ],
)
def test_naive_datetimes_rejected(call: Any) -> None:
    """A naive datetime is a bug, not local time."""
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_unknown_timezone_rejected() -> None:
    """An unknown zone is a ValueError like any other bad input."""
    with pytest.raises(ValueError, match="unknown timezone"):
        slots_between(DAILY_0930, "Mars/Olympus", _utc(1, 1, 0), _utc(1, 2, 0))
