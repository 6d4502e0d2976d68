"""Migrations create the schema on an empty database, and running them again changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage import migrate
from storage.db import Database

TABLES = {
    "alembic_version",
    "audit_event",
    "channel_settings",
    "episode",
    "evaluation",
    "goal",
    "metric_point",
    "outbox",
    "remediation",
    "run_claim",
    "source_status",
    "workspace_settings",
}
HEAD = "0006"


async def describe(database: Database) -> dict[str, object]:
    """Tables, columns, indexes and unique constraints, as the database reports them."""

    def read(connection: Connection) -> dict[str, object]:
        inspector = inspect(connection)
        return {
            table: (
                [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
                sorted(i["name"] or "" for i in inspector.get_indexes(table)),
                sorted(u["name"] or "" for u in inspector.get_unique_constraints(table)),
            )
            for table in sorted(inspector.get_table_names())
        }

    async with database.engine.connect() as connection:
        return await connection.run_sync(read)


async def test_upgrade_creates_schema_and_is_idempotent(database_url: str) -> None:
    """The first upgrade creates every table; the second applies nothing and changes nothing."""
    database = Database(database_url)
    try:
        assert await migrate.current_revision(database) is None
        applied = await migrate.upgrade(database)
        assert applied == ["0001", "0002", "0003", "0004", "0005", "0006"]
        schema = await describe(database)
        assert set(schema) == TABLES
        assert await migrate.upgrade(database) == []
        assert await describe(database) == schema
        assert await migrate.current_revision(database) == HEAD
    finally:
        await database.dispose()


def goalpulse(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed command line exactly as an admin would."""
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", *args],
        env={"PATH": os.environ["PATH"], **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_goalpulse_migrate_command_twice(database_url: str, tmp_path: Path) -> None:
    """`goalpulse migrate` builds the schema, and a second run reports it is already current."""
    first = goalpulse("migrate", env={"DATABASE_URL": database_url}, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "applied 0001, 0002, 0003" in first.stdout
    database = Database(database_url)
    try:
        schema = await describe(database)
        second = goalpulse("migrate", env={"DATABASE_URL": database_url}, cwd=tmp_path)
        assert second.returncode == 0, second.stderr
        assert "already up to date" in second.stdout
        assert await describe(database) == schema
        assert set(schema) == TABLES
    finally:
        await database.dispose()
