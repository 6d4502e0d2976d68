"""Migration 0005 (removed goals) only adds columns: a goal's evaluations survive it both ways,
on SQLite too, where rebuilding the goal table would cascade-delete them."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from storage import migrate
from storage.db import Database

GOAL = (
    "INSERT INTO goal (team_id, channel_id, metric_key, target, direction, unit, yellow, orange, "
    "red, status, created_by, created_at, updated_at) VALUES ('T1', 'C1', 'dau', 150000, "
    "'higher', 'count', 0.1, 0.2, 0.3, 'active', 'U1', '2026-11-25 09:30:00+00:00', "
    "'2026-11-25 09:30:00+00:00')"
)
EVALUATION = (
    "INSERT INTO evaluation (goal_id, team_id, day, target, band, consecutive_adverse, "
    "evaluated_at) SELECT id, 'T1', '2026-11-25', 150000, 'green', 0, "
    "'2026-11-25 09:30:00+00:00' FROM goal"
)


def alembic(step: Callable[..., None], revision: str) -> Callable[[Connection], None]:
    def run(connection: Connection) -> None:
        config = migrate.alembic_config()
        config.attributes["connection"] = connection
        step(config, revision)

    return run


def goal_columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("goal")}


async def test_0005_keeps_every_goal_and_its_history(database_url: str) -> None:
    """Up from 0004 and back down, the goal and its evaluation are still there."""
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(alembic(command.upgrade, "0004"))
        async with database.engine.begin() as connection:
            await connection.execute(text(GOAL))
            await connection.execute(text(EVALUATION))
        async with database.engine.begin() as connection:
            await connection.run_sync(alembic(command.upgrade, "0005"))
            assert {"removed_at", "removed_by"} <= await connection.run_sync(goal_columns)
            assert (await connection.execute(text("SELECT count(*) FROM evaluation"))).scalar() == 1
        async with database.engine.begin() as connection:
            await connection.run_sync(alembic(command.downgrade, "0004"))
            assert not {"removed_at", "removed_by"} & await connection.run_sync(goal_columns)
            assert (await connection.execute(text("SELECT count(*) FROM goal"))).scalar() == 1
            assert (await connection.execute(text("SELECT count(*) FROM evaluation"))).scalar() == 1
    finally:
        await database.dispose()
