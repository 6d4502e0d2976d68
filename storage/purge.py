"""`goalpulse purge`: every row of one workspace, in every table, deleted in one transaction.

Tables are found, not listed: every table of the schema (SQLModel's and slack_sdk's
installation tables, storage/migrations/versions/0011_oauth_installations.py) with a `team_id`
column. `source_status` has none: it is about a metric, shared by every workspace.
"""

from __future__ import annotations

from sqlalchemy import MetaData, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database


async def _team_tables(connection: AsyncConnection) -> MetaData:
    metadata = MetaData()
    await connection.run_sync(lambda sync: metadata.reflect(bind=sync))
    return metadata


async def count_rows(database: Database, team_id: str) -> dict[str, int]:
    """Rows of the workspace per table (tables with none left out)."""
    async with database.engine.connect() as connection:
        metadata = await _team_tables(connection)
        counts: dict[str, int] = {}
        for table in metadata.sorted_tables:
            if "team_id" in table.c:
                statement = select(func.count()).select_from(table)
                n = (await connection.execute(statement.where(table.c.team_id == team_id))).one()
                if n[0]:
                    counts[table.name] = int(n[0])
        return counts


async def purge_team(database: Database, team_id: str) -> dict[str, int]:
    """Delete every row of the workspace; rows deleted per table. Children before parents, so
    foreign keys hold throughout."""
    async with database.engine.begin() as connection:
        metadata = await _team_tables(connection)
        deleted: dict[str, int] = {}
        for table in reversed(metadata.sorted_tables):
            if "team_id" in table.c:
                result = await connection.execute(delete(table).where(table.c.team_id == team_id))
                if result.rowcount:
                    deleted[table.name] = int(result.rowcount)
        return deleted
