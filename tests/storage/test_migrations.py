"""Migrations create the schema on an empty database, and running them again changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from storage import migrate
from storage.db import Database

TABLES = {
    "alembic_version",
    "audit_event",
    "channel_settings",
    "checkin",
    "episode",
    "evaluation",
    "goal",
    "metric_point",
    "outbox",
    "post_budget",
    "remediation",
    "run_claim",
    "slack_bots",
    "slack_installations",
    "slack_oauth_states",
    "source_status",
    "workspace_install",
    "workspace_settings",
}
HEAD = "0011"
REVISIONS = [
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
    "0011",
]


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
        assert applied == REVISIONS
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


def alembic(step: Callable[..., None], revision: str) -> Callable[[Connection], None]:
    def run(connection: Connection) -> None:
        config = migrate.alembic_config()
        config.attributes["connection"] = connection
        step(config, revision)

    return run


def workspace_columns(connection: Connection) -> set[str]:
    return {c["name"] for c in inspect(connection).get_columns("workspace_settings")}


async def test_0007_gives_existing_workspaces_no_treatments_and_goes_back(
    database_url: str,
) -> None:
    """A workspace stored before 0007 has replaced no tier's treatment; down again, its row and
    checklist are still there."""
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(alembic(command.upgrade, "0006"))
            await connection.execute(
                text(
                    "INSERT INTO workspace_settings (team_id, checklist_items, updated_at) "
                    "VALUES ('T1', '[\"Pricing page review\"]', '2026-12-01 09:30:00+00:00')"
                )
            )
        async with database.engine.begin() as connection:
            await connection.run_sync(alembic(command.upgrade, "0007"))
            stored = (
                await connection.execute(text("SELECT tier_treatments FROM workspace_settings"))
            ).scalar()
            assert (json.loads(stored) if isinstance(stored, str) else stored) == {}
        async with database.engine.begin() as connection:
            await connection.run_sync(alembic(command.downgrade, "0006"))
            assert "tier_treatments" not in await connection.run_sync(workspace_columns)
            items = (
                await connection.execute(text("SELECT checklist_items FROM workspace_settings"))
            ).scalar()
            assert "Pricing page review" in str(items)
    finally:
        await database.dispose()


def goal_columns(connection: Connection) -> set[str]:
    return {c["name"] for c in inspect(connection).get_columns("goal")}


async def test_0008_gives_existing_goals_no_plan_and_goes_back(database_url: str) -> None:
    """A goal stored before 0008 has no plan, no check-in cadence and no guardrails; down
    again, the goal and its evaluations are still there and the check-ins are gone."""
    database = Database(database_url)
    goal = (
        "INSERT INTO goal (team_id, channel_id, metric_key, target, direction, unit, yellow, "
        "orange, red, status, created_by, created_at, updated_at) VALUES ('T1', 'C1', 'gmv', "
        "150000, 'higher', 'currency', 0.1, 0.2, 0.3, 'active', 'U1', "
        "'2026-12-01 09:30:00+00:00', '2026-12-01 09:30:00+00:00')"
    )
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(alembic(command.upgrade, "0007"))
            await connection.execute(text(goal))
        async with database.engine.begin() as connection:
            await connection.run_sync(alembic(command.upgrade, "0008"))
            row = (
                await connection.execute(
                    text(
                        "SELECT start_value, pace, milestones, checkin_cadence, guardrails "
                        "FROM goal"
                    )
                )
            ).one()
            decoded = [json.loads(v) if isinstance(v, str) else v for v in row]
            assert decoded == [None, None, [], None, []]
        async with database.engine.begin() as connection:
            await connection.run_sync(alembic(command.downgrade, "0007"))
            assert not {"start_value", "checkin_cadence", "guardrails"} & await connection.run_sync(
                goal_columns
            )
            assert "checkin" not in await connection.run_sync(
                lambda c: set(inspect(c).get_table_names())
            )
            assert (await connection.execute(text("SELECT metric_key FROM goal"))).scalar() == "gmv"
    finally:
        await database.dispose()
