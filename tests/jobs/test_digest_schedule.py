"""Which digests are due: the channel's local time has come, within the grace window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from jobs.digest.build import ChannelSchedule, due_digests

GRACE = timedelta(hours=6)


def berlin(digest_time: str = "09:30") -> ChannelSchedule:
    return ChannelSchedule("T1", "C1", digest_time, "Europe/Berlin")


CASES = [
    # (schedule, now in UTC, local date due or None)
    (berlin(), datetime(2026, 11, 25, 8, 29, tzinfo=UTC), None),
    (berlin(), datetime(2026, 11, 25, 8, 30, tzinfo=UTC), date(2026, 11, 25)),
    (berlin(), datetime(2026, 11, 25, 14, 29, tzinfo=UTC), date(2026, 11, 25)),
    (berlin(), datetime(2026, 11, 25, 14, 30, tzinfo=UTC), None),
    # Summer time: 09:30 in Berlin is 07:30 UTC.
    (berlin(), datetime(2026, 7, 1, 7, 30, tzinfo=UTC), date(2026, 7, 1)),
    # A late slot whose grace window crosses local midnight still belongs to its own date.
    (berlin("23:00"), datetime(2026, 11, 25, 23, 30, tzinfo=UTC), date(2026, 11, 25)),
    (
        ChannelSchedule("T1", "C1", "09:00", "Asia/Tokyo"),
        datetime(2026, 11, 25, 0, 0, tzinfo=UTC),
        date(2026, 11, 25),
    ),
    (
        ChannelSchedule("T1", "C1", "09:00", "America/New_York"),
        datetime(2026, 11, 25, 13, 59, tzinfo=UTC),
        None,
    ),
]


@pytest.mark.parametrize(
    ("schedule", "now", "expected"),
    CASES,
    ids=[
        "berlin-a-minute-early",
        "berlin-on-time",
        "berlin-end-of-grace",
        "berlin-grace-over",
        "berlin-summer-time",
        "late-slot-past-midnight",
        "tokyo-on-time",
        "new-york-a-minute-early",
    ],
)
def test_due_digests(schedule: ChannelSchedule, now: datetime, expected: date | None) -> None:
    """A digest is due from its local time until the grace window ends, for its local date."""
    due = due_digests([schedule], now=now, grace=GRACE)
    assert [d.local_date for d in due] == ([expected] if expected else [])
    if due:
        assert due[0].run_key == f"digest:T1:C1:{expected}"
