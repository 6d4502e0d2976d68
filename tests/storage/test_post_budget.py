"""The shared posting budget: slots an interval apart, a burst after a pause, and no slot
handed out twice, however many processes reserve at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from storage import migrate
from storage.db import Database
from storage.post_budget import reserve_slot

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
INTERVAL = timedelta(milliseconds=20)  # 50 posts a second
BURST = timedelta(milliseconds=100)  # 5 posts at once besides the one due now


async def reserve(
    database: Database, now: datetime, *, team_id: str = "T1", burst: timedelta = BURST
) -> datetime:
    async with database.transaction() as session:
        return await reserve_slot(
            session=session, team_id=team_id, now=now, interval=INTERVAL, burst=burst
        )


async def test_slots_are_an_interval_apart_once_the_burst_is_spent(database: Database) -> None:
    """Asked all at the same moment, the first posts go at once and the rest queue up one
    interval apart."""
    slots = [await reserve(database, T0) for _ in range(10)]
    assert [slot - T0 for slot in slots] == [
        -BURST + n * INTERVAL for n in range(10)
    ]  # the first six are due by T0, the rest every 20 ms after it
    assert sum(slot <= T0 for slot in slots) == 6


async def test_without_burst_posts_go_one_interval_apart(database: Database) -> None:
    slots = [await reserve(database, T0, burst=timedelta(0)) for _ in range(4)]
    assert slots == [T0 + n * INTERVAL for n in range(4)]


async def test_a_pause_refills_the_burst(database: Database) -> None:
    """After a pause longer than the burst, a burst goes at once again; after a short pause
    only the time that passed is made up."""
    for _ in range(10):
        await reserve(database, T0)  # booked up to T0 + 80 ms
    later = T0 + timedelta(seconds=5)
    after_pause = [await reserve(database, later) for _ in range(7)]
    assert sum(slot <= later for slot in after_pause) == 6
    assert after_pause[-1] == later + INTERVAL
    # 40 ms after the last slot: two slots' worth of time passed, not a whole burst.
    soon = after_pause[-1] + timedelta(milliseconds=40)
    assert await reserve(database, soon) == after_pause[-1] + INTERVAL


async def test_workspaces_have_budgets_of_their_own(database: Database) -> None:
    for _ in range(10):
        await reserve(database, T0, team_id="T1")
    assert await reserve(database, T0, team_id="T2") == T0 - BURST


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_concurrent_reservers_never_share_a_slot(database_url: str) -> None:
    """Two processes' connections (several processes share only PostgreSQL) reserving at the
    same moment: every slot is handed out once, spaced exactly as one process's would be."""
    first, second = Database(database_url), Database(database_url)
    try:
        await migrate.upgrade(first)

        async def many(database: Database) -> list[datetime]:
            return [await reserve(database, T0) for _ in range(25)]

        a, b = await asyncio.gather(many(first), many(second))
    finally:
        await first.dispose()
        await second.dispose()
    assert not set(a) & set(b)
    assert sorted(a + b) == [T0 - BURST + n * INTERVAL for n in range(50)]
