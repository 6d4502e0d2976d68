"""Apply the Alembic migrations shipped in this package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import NullPool

from storage.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x676F616C70756C73
"""The advisory lock key every goalpulse migrates under ("goalpuls" in ASCII)."""
LOCK_WAIT_SECONDS = 60.0
"""The longest a process waits for another to finish migrating: below any health check's grace."""
LOCK_NOT_AVAILABLE = "55P03"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


class MigrationLockTimeout(TimeoutError):
    """Another process held the migration lock for longer than we were willing to wait."""


async def upgrade(database: Database, *, lock_wait: float | None = None) -> list[str]:
    """Bring the schema to the newest revision; returns the revisions applied (empty if none).

    On PostgreSQL the upgrade runs under an advisory lock, so processes starting together take
    turns: the first migrates and the others find the schema current. Waiting longer than
    `lock_wait` seconds (LOCK_WAIT_SECONDS by default) raises MigrationLockTimeout.
    SQLite needs no lock: a writer there holds the whole file.
    """
    if database.dialect != "postgresql":
        async with database.engine.begin() as connection:
            return await connection.run_sync(_upgrade)
    wait = LOCK_WAIT_SECONDS if lock_wait is None else lock_wait
    # An engine of its own, without the app's statement timeout: a migration may rewrite a big
    # table. One connection, so the lock is held on the connection Alembic runs on.
    migrator = Database(database.url, statement_timeout=None, poolclass=NullPool)
    try:
        async with migrator.engine.connect() as connection:
            await _lock(connection, wait)
            try:
                async with connection.begin():
                    return await connection.run_sync(_upgrade)
            finally:
                await _unlock(connection)
    finally:
        await migrator.dispose()


def _upgrade(connection: Connection) -> list[str]:
    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    # Read under the lock: a process that waited for it finds what the one before applied.
    before = MigrationContext.configure(connection).get_current_revision()
    if before == head:
        return []
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return [rev.revision for rev in script.iterate_revisions(head, before)][::-1]


async def _lock(connection: AsyncConnection, wait: float) -> None:
    """Take the migration lock (a session lock: it outlives the transaction taking it)."""
    try:
        async with connection.begin():
            # lock_timeout bounds the wait; set locally, it ends with this transaction.
            await connection.execute(
                select(func.set_config("lock_timeout", f"{max(1, round(wait * 1000))}ms", True))
            )
            await connection.execute(select(func.pg_advisory_lock(MIGRATION_LOCK)))
    except DBAPIError as exc:
        if _sqlstate(exc) != LOCK_NOT_AVAILABLE:
            raise
        raise MigrationLockTimeout(
            f"waited {wait:g} s for another process to finish migrating the database (it holds"
            f" PostgreSQL advisory lock {MIGRATION_LOCK}; see pg_locks and pg_stat_activity)"
        ) from None


async def _unlock(connection: AsyncConnection) -> None:
    """Release the migration lock; if that fails the connection is dropped, and the lock with it."""
    try:
        async with connection.begin():
            await connection.execute(select(func.pg_advisory_unlock(MIGRATION_LOCK)))
    except BaseException:
        await connection.invalidate()
        raise


def _sqlstate(exc: DBAPIError) -> str | None:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code if isinstance(code, str) else None


async def current_revision(database: Database) -> str | None:
    """The revision the database is at, or None for an empty one."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with database.engine.connect() as connection:
        return await connection.run_sync(read)


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema stands against the newest revision shipped here."""

    current: str | None
    head: str
    pending: list[str] | None  # what `upgrade` would apply, oldest first; None: unknown current


def pending_revisions(current: str | None) -> list[str] | None:
    """The revisions `upgrade` would apply to a database at `current`, oldest first.

    None when `current` is not a revision shipped here (a newer goalpulse wrote it).
    """
    script = ScriptDirectory.from_config(alembic_config())
    try:
        return [rev.revision for rev in script.iterate_revisions("heads", current)][::-1]
    except RevisionError:
        return None


async def schema_status(engine: AsyncEngine) -> SchemaStatus:
    """Read the database's revision and compare it with the head; never writes anything."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations are shipped")

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        current = await connection.run_sync(read)
        await connection.rollback()
    return SchemaStatus(current=current, head=head, pending=pending_revisions(current))
