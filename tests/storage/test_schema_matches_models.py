"""The migrations build every table exactly as its owner declares it: the SQLModel tables as
storage/models.py does, and slack_sdk's installation and OAuth state tables (migration 0011,
not SQLModel models) as slack_sdk's own table builders do."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.db import Database

# Owned by slack_sdk (bot/oauth/stores.py); not SQLModel models, compared with slack_sdk below.
SLACK_TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")


def slack_sdk_metadata() -> MetaData:
    metadata = MetaData()
    SQLAlchemyInstallationStore.build_installations_table(metadata, SLACK_TABLES[0])
    SQLAlchemyInstallationStore.build_bots_table(metadata, SLACK_TABLES[1])
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, SLACK_TABLES[2])
    return metadata


def _differences(connection: Connection, metadata: MetaData, tables: set[str]) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_name": lambda name, kind, _parent: kind != "table" or name in tables,
            "include_object": lambda obj, name, kind, _reflected, _to: (
                (name if kind == "table" else obj.table.name) in tables
            ),
        },
    )
    return list(compare_metadata(context, metadata))


@pytest.mark.parametrize(
    ("metadata", "tables"),
    [
        pytest.param(slack_sdk_metadata, set(SLACK_TABLES), id="slack-sdk-tables"),
        pytest.param(
            lambda: SQLModel.metadata,
            set(SQLModel.metadata.tables),
            id="sqlmodel-models",
        ),
    ],
)
async def test_migrated_tables_match_their_definitions(
    database: Database, metadata: Any, tables: set[str]
) -> None:
    """Columns, types, nullability and indexes as their owner declares them: no difference."""
    async with database.engine.connect() as connection:
        found = await connection.run_sync(_differences, metadata(), tables)
    assert found == []
