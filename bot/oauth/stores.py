"""slack_sdk's installation and OAuth state stores on goalpulse's own database.

Their tables are created by storage/migrations/versions/0011_oauth_installations.py, never by
the stores' `create_tables`: the schema has one owner, Alembic.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from storage.db import Database

# How long an installer has between opening /slack/install and coming back from Slack.
STATE_EXPIRATION_SECONDS = 600

log = logging.getLogger("goalpulse.oauth")


@dataclass(frozen=True)
class OAuthStores:
    """Installations (one row per install, bots by workspace or organization) and the
    one-time `state` values that tie a redirect back to the browser that started it."""

    installations: AsyncSQLAlchemyInstallationStore
    states: AsyncSQLAlchemyOAuthStateStore


def build_stores(database: Database, client_id: str) -> OAuthStores:
    """Both stores on the database's engine, scoped to this Slack app (`client_id`)."""
    return OAuthStores(
        installations=AsyncSQLAlchemyInstallationStore(
            client_id=client_id, engine=database.engine, logger=log
        ),
        states=AsyncSQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_EXPIRATION_SECONDS, engine=database.engine, logger=log
        ),
    )
