"""Which workspaces goalpulse was installed into through OAuth, and which were uninstalled.

An uninstalled workspace's scheduled work stops (`uninstalled_teams` narrows the queries that
pick due goals: storage/goals.py `active_filter`, `workspaces_with_goals`); its data stays until
`goalpulse purge` (storage/purge.py).
A workspace with no row here (SLACK_BOT_TOKEN mode) is never uninstalled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_for
from storage.models import WorkspaceInstall


def uninstalled_teams() -> Select[tuple[str]]:
    """The team ids of uninstalled workspaces, as a subquery for `NOT IN`."""
    return select(WorkspaceInstall.team_id).where(  # type: ignore[return-value]
        col(WorkspaceInstall.uninstalled_at).is_not(None)
    )


async def mark_installed(
    *, session: AsyncSession, team_id: str, enterprise_id: str | None, now: datetime
) -> None:
    """The workspace (re)installed: its work goes on, its organization is remembered."""
    statement = insert_for(session, WorkspaceInstall).values(
        team_id=team_id, enterprise_id=enterprise_id, installed_at=now, uninstalled_at=None
    )
    await session.exec(
        statement.on_conflict_do_update(
            index_elements=["team_id"],
            set_={"enterprise_id": enterprise_id, "installed_at": now, "uninstalled_at": None},
        )
    )


async def note_workspace(
    *, session: AsyncSession, team_id: str, enterprise_id: str | None, now: datetime
) -> None:
    """A workspace seen in a request under an org-wide installation: remember its organization
    (so its token can be found) without touching an uninstalled mark."""
    statement = insert_for(session, WorkspaceInstall).values(
        team_id=team_id, enterprise_id=enterprise_id, installed_at=now
    )
    await session.exec(statement.on_conflict_do_nothing(index_elements=["team_id"]))


async def mark_uninstalled(
    *, session: AsyncSession, team_id: str | None, enterprise_id: str | None, now: datetime
) -> list[str]:
    """Mark the workspace uninstalled (or, with no team, every workspace of the organization);
    returns the team ids marked.

    Its pending outbox rows are left to come due: each then fails for good (`not_installed`,
    bot/oauth/tokens.py) and ends through its kind's own path (a check-in undeliverable, a
    remediation's close-out still decided), so no state machine is left open; a workspace that
    reinstalls before then gets them as if nothing happened."""
    if team_id is not None:
        statement = insert_for(session, WorkspaceInstall).values(
            team_id=team_id, enterprise_id=enterprise_id, installed_at=now, uninstalled_at=now
        )
        await session.exec(
            statement.on_conflict_do_update(
                index_elements=["team_id"], set_={"uninstalled_at": now}
            )
        )
        teams = [team_id]
    else:
        found = select(WorkspaceInstall.team_id).where(
            WorkspaceInstall.enterprise_id == enterprise_id
        )
        teams = list((await session.exec(found)).all())
        await session.exec(
            update(WorkspaceInstall)
            .where(col(WorkspaceInstall.team_id).in_(teams))
            .values(uninstalled_at=now)
        )
    return teams


async def get_install(*, session: AsyncSession, team_id: str) -> WorkspaceInstall | None:
    """The workspace's row, if it was ever installed through OAuth or seen under one."""
    return await session.get(WorkspaceInstall, team_id, populate_existing=True)


async def reinstalled_organization(
    *, session: AsyncSession, enterprise_id: str | None, now: datetime
) -> list[str]:
    """An org-wide installation completed: clear the mark on every workspace of it known."""
    found = select(WorkspaceInstall.team_id).where(WorkspaceInstall.enterprise_id == enterprise_id)
    teams = list((await session.exec(found)).all())
    await session.exec(
        update(WorkspaceInstall)
        .where(col(WorkspaceInstall.team_id).in_(teams))
        .values(uninstalled_at=None, installed_at=now)
    )
    return teams
