"""Apply the Alembic migrations shipped in this package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade(database: Database) -> list[str]:
    """Bring the schema to the newest revision; returns the revisions applied (empty if none)."""
    config = alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()

    def run(connection: Connection) -> list[str]:
        before = MigrationContext.configure(connection).get_current_revision()
        if before == head:
            return []
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        script = ScriptDirectory.from_config(config)
        return [rev.revision for rev in script.iterate_revisions(head, before)][::-1]

    async with database.engine.begin() as connection:
        return await connection.run_sync(run)


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
