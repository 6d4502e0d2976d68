"""A digest fan-out: which workspaces are evaluated whole, and each process's order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from jobs.digest.build import ChannelSchedule, DueDigest
from jobs.digest.fan_out import everyone, fanning_out, own_order


def schedule(team: str, channel: str) -> ChannelSchedule:
    return ChannelSchedule(team, channel, "09:30", "UTC")


def due(team: str, channel: str) -> DueDigest:
    return DueDigest(
        team, channel, date(2026, 3, 2), "UTC", datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    )


SCHEDULES = [schedule(t, f"C{t}{n}") for t in ("T1", "T2") for n in range(8)]


@pytest.mark.parametrize(
    ("pending", "fanning", "all_of_them"),
    [
        pytest.param([due("T1", "CT10")], set(), False, id="one-channel-due"),
        pytest.param([due("T1", f"CT1{n}") for n in range(2)], {"T1"}, False, id="a-quarter"),
        pytest.param(
            [due(t, f"C{t}{n}") for t in ("T1", "T2") for n in range(8)],
            {"T1", "T2"},
            True,
            id="every-workspace",
        ),
    ],
)
def test_fanning_workspaces(pending: list[DueDigest], fanning: set[str], all_of_them: bool) -> None:
    assert fanning_out(pending, SCHEDULES) == fanning
    assert everyone(fanning, SCHEDULES) is all_of_them


@pytest.mark.parametrize("count", [pytest.param(n, id=f"{n}-due") for n in (0, 1, 7, 200)])
def test_each_worker_tries_every_digest_once_from_its_own_start(count: int) -> None:
    pending = [due("T1", f"C{n:04d}") for n in range(count)]
    orders = [own_order(pending, worker) for worker in ("host:1:aaaaaa", "host:2:bbbbbb")]
    for order in orders:
        assert sorted(order, key=lambda d: d.channel_id) == pending
    if count == 200:
        assert orders[0][0] != orders[1][0]
