"""At most one Home refresh a minute per person, later requests merged: jobs/home/debounce.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobs.home.debounce import Debounce

T0 = datetime(2026, 11, 25, 9, tzinfo=UTC)
ANA, LI = ("T0001", "U0ANA"), ("T0001", "U0LI")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("requests", "sent_at_once", "pending_until"),
    [
        pytest.param([(ANA, 0)], [ANA], None, id="first-goes-at-once"),
        pytest.param([(ANA, 0), (LI, 1)], [ANA, LI], None, id="people-apart"),
        pytest.param([(ANA, 0), (ANA, 10)], [ANA], at(60), id="within-the-minute-waits"),
        pytest.param([(ANA, 0), (ANA, 10), (ANA, 50)], [ANA], at(60), id="merged"),
        pytest.param([(ANA, 0), (ANA, 60)], [ANA, ANA], None, id="a-minute-later-goes"),
    ],
)
def test_requests(
    requests: list[tuple[tuple[str, str], float]],
    sent_at_once: list[tuple[str, str]],
    pending_until: datetime | None,
) -> None:
    """What goes at once, and when the one waiting send is due."""
    debounce: Debounce[tuple[str, str]] = Debounce()
    sent = [key for key, seconds in requests if debounce.request(key, at(seconds)) is None]
    assert sent == sent_at_once
    assert debounce.next_due() == pending_until


def test_a_merged_send_goes_once_when_due_and_counts_as_the_last() -> None:
    debounce: Debounce[tuple[str, str]] = Debounce()
    debounce.request(ANA, at(0))
    debounce.request(ANA, at(10))
    debounce.request(ANA, at(20))
    assert debounce.due(at(59)) == []
    assert debounce.due(at(61)) == [ANA]
    assert debounce.due(at(62)) == []
    assert debounce.request(ANA, at(100)) == at(121)  # a minute after the merged send


def test_forgetting_old_sends_keeps_what_is_pending() -> None:
    debounce: Debounce[tuple[str, str]] = Debounce()
    debounce.request(ANA, at(0))
    debounce.request(LI, at(0))
    debounce.request(LI, at(5))
    debounce.forget_before(at(30))
    assert debounce.request(ANA, at(31)) is None  # forgotten: goes at once
    assert debounce.next_due() == at(60)
