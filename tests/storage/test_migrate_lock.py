"""Processes starting together on one PostgreSQL database take turns migrating it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.runtime import open_database
from jobs.errors import ConfigError
from storage import migrate
from storage.db import Database

# A fresh, empty PostgreSQL database for each test; SQLite needs no migration lock.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]
REPLICAS = 4
HEAD = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


@pytest.fixture
def postgres_url(database_url: str) -> str:
    return database_url


async def test_replicas_starting_together_all_succeed(postgres_url: str) -> None:
    """Four upgrades at once on a fresh database: all succeed, one applies it all, once."""
    databases = [Database(postgres_url) for _ in range(REPLICAS)]
    try:
        async with asyncio.timeout(30):
            outcomes = await asyncio.gather(*(migrate.upgrade(db) for db in databases))
        applied = [revisions for revisions in outcomes if revisions]
        assert len(applied) == 1, outcomes
        assert applied[0][-1] == HEAD
        async with databases[0].engine.connect() as connection:
            versions = (await connection.execute(text("select * from alembic_version"))).all()
        assert versions == [(HEAD,)]
    finally:
        for db in databases:
            await db.dispose()


@pytest.fixture
async def lock_held(postgres_url: str) -> AsyncIterator[None]:
    """Another session holding the migration lock, as a process stuck mid-migration would."""
    other = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
    await other.execute("select pg_advisory_lock($1)", migrate.MIGRATION_LOCK)
    yield
    await other.close()


async def test_waiting_for_the_lock_is_bounded(postgres_url: str, lock_held: None) -> None:
    """A process that cannot get the lock in time gives up, and has changed nothing."""
    database = Database(postgres_url)
    try:
        started = time.monotonic()
        with pytest.raises(migrate.MigrationLockTimeout, match=r"waited 0\.3 s for another"):
            await migrate.upgrade(database, lock_wait=0.3)
        assert time.monotonic() - started < 5
        assert await migrate.current_revision(database) is None
    finally:
        await database.dispose()


async def test_a_lock_timeout_stops_startup_with_one_line(
    postgres_url: str, lock_held: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`goalpulse run` and `migrate` open the database this way: a ConfigError naming the wait."""
    monkeypatch.setattr(migrate, "LOCK_WAIT_SECONDS", 0.3)
    with pytest.raises(ConfigError) as raised:
        await open_database(postgres_url)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("DATABASE_URL postgresql+asyncpg://")
    assert "waited 0.3 s for another process to finish migrating" in message


async def test_the_lock_is_released_after_upgrading(postgres_url: str) -> None:
    """Once an upgrade is done, the next one takes the lock at once."""
    first, second = Database(postgres_url), Database(postgres_url)
    try:
        assert await migrate.upgrade(first)
        assert await migrate.upgrade(second, lock_wait=0.3) == []
    finally:
        await first.dispose()
        await second.dispose()
