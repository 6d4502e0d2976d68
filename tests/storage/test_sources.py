"""Recording a pull's outcome: two processes recording the same metric take turns, so exactly
one of them sees a failure start or end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage import sources as source_store
from storage.db import Database

NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


async def fail(database: Database, now: datetime) -> bool:
    async with database.transaction() as session:
        return await source_store.record_failure(
            session=session, metric_key="dau", error="dau: broken", now=now
        )


async def succeed(database: Database, now: datetime) -> datetime | None:
    async with database.transaction() as session:
        return await source_store.record_success(
            session=session, metric_key="dau", points=3, now=now
        )


async def test_a_failure_starts_once_and_ends_once(database: Database) -> None:
    """The first failure starts it, the next ones continue it; a success ends it, once."""
    assert await succeed(database, NOW) is None
    assert await fail(database, NOW + timedelta(hours=1)) is True
    assert await fail(database, NOW + timedelta(hours=2)) is False
    assert await succeed(database, NOW + timedelta(hours=3)) == NOW + timedelta(hours=1)
    assert await succeed(database, NOW + timedelta(hours=4)) is None


async def test_a_second_process_waits_for_the_first_and_sees_its_failure(
    database: Database,
) -> None:
    """While one transaction records a failure, another on the same metric waits for it to
    commit, then finds the failure already started: for a new metric and for a known one."""
    other = Database(database.url)
    try:
        for start, now in ((True, NOW), (False, NOW + timedelta(hours=2))):
            if not start:
                await succeed(database, now - timedelta(hours=1))
            async with database.transaction() as session:
                assert await source_store.record_failure(
                    session=session, metric_key="dau", error="dau: broken", now=now
                )
                second = asyncio.create_task(fail(other, now + timedelta(seconds=1)))
                await asyncio.sleep(0.3)
                assert not second.done(), "the second process did not wait"
            assert await second is False
            async with database.transaction() as session:
                status = await source_store.status_of(session=session, metric_key="dau")
            assert status is not None
            assert status.failing_since == now
    finally:
        await other.dispose()
