"""`goalpulse purge --team T…` deletes every row of that workspace, in every table with a
team, and nothing of any other workspace."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

from storage import installs
from storage.db import Database
from storage.models import AuditEvent, Goal, WorkspaceSettings
from storage.purge import count_rows
from tests.storage.test_migrations import goalpulse

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


async def seed(database: Database, team: str) -> None:
    """A goal, its audit line, settings, an installation and its uninstall mark."""
    async with database.transaction() as session:
        goal = Goal(
            team_id=team,
            channel_id="C1",
            metric_key="dau",
            target=150_000,
            direction="higher",
            unit="count",
            created_by="U1",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(goal)
        session.add(WorkspaceSettings(team_id=team, updated_at=NOW))
        session.add(AuditEvent(team_id=team, actor_id="U1", action="set", subject="dau", at=NOW))
        await installs.mark_uninstalled(session=session, team_id=team, enterprise_id=None, now=NOW)
    store = AsyncSQLAlchemyInstallationStore(client_id="1111.2222", engine=database.engine)
    await store.async_save(
        Installation(app_id="A1", team_id=team, user_id="U1", bot_token=f"xoxb-{team}", bot_id="B1")
    )


@pytest.mark.parametrize(
    ("flags", "code", "gone"),
    [
        pytest.param(["--yes"], 0, True, id="with-yes-deletes"),
        pytest.param([], 1, False, id="without-yes-asks-and-keeps"),
    ],
)
async def test_purge_deletes_one_workspace(
    database: Database,
    database_url: str,
    tmp_path: Path,
    flags: list[str],
    code: int,
    gone: bool,
) -> None:
    for team in ("T1", "T2"):
        await seed(database, team)
    kept = await count_rows(database, "T1")
    before = await count_rows(database, "T2")
    assert {"goal", "workspace_settings", "slack_installations", "slack_bots"} <= set(before)

    done = goalpulse(
        "purge", "--team", "T2", *flags, env={"DATABASE_URL": database_url}, cwd=tmp_path
    )

    assert done.returncode == code, done.stderr
    assert "T2: " in done.stdout
    assert await count_rows(database, "T2") == ({} if gone else before)
    assert await count_rows(database, "T1") == kept
