"""Persistence for workspace and channel settings."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChannelSettings, WorkspaceSettings


async def get_workspace_settings(
    *, session: AsyncSession, team_id: str
) -> WorkspaceSettings | None:
    """The workspace's settings row, if any was ever written."""
    return await session.get(WorkspaceSettings, team_id)


async def workspace_checklist_items(*, session: AsyncSession, team_id: str) -> list[str]:
    """The checklist items the workspace adds to every remediation, after the default ones."""
    row = await get_workspace_settings(session=session, team_id=team_id)
    return list(row.checklist_items) if row is not None else []


async def workspace_tier_treatments(*, session: AsyncSession, team_id: str) -> dict[str, str]:
    """The customer tiers' treatments the workspace replaced, by tier (the rest are defaults)."""
    row = await get_workspace_settings(session=session, team_id=team_id)
    return dict(row.tier_treatments) if row is not None else {}


async def get_channel_settings(
    *, session: AsyncSession, team_id: str, channel_id: str
) -> ChannelSettings | None:
    """The channel's settings row, if any was ever written."""
    return await session.get(ChannelSettings, (team_id, channel_id))


async def workspace_settings_for_update(
    *, session: AsyncSession, team_id: str, now: datetime
) -> WorkspaceSettings:
    """The workspace's settings row, locked for this transaction (PostgreSQL), created if missing.

    The lock keeps two admins changing the checklist (or the treatments) at once from losing one
    of the changes.
    """
    row = await session.get(
        WorkspaceSettings, team_id, with_for_update=True, populate_existing=True
    )
    if row is None:
        row = WorkspaceSettings(team_id=team_id, updated_at=now)
        session.add(row)
    row.updated_at = now
    return row


async def channel_settings_for_update(
    *, session: AsyncSession, team_id: str, channel_id: str, now: datetime
) -> ChannelSettings:
    """The channel's settings row, locked for this transaction (PostgreSQL), created empty when
    missing: two people changing the channel lead at once each see the lead they replace."""
    row = await session.get(
        ChannelSettings, (team_id, channel_id), with_for_update=True, populate_existing=True
    )
    if row is None:
        row = ChannelSettings(team_id=team_id, channel_id=channel_id, updated_at=now)
        session.add(row)
    row.updated_at = now
    return row


async def all_channel_settings(*, session: AsyncSession) -> dict[tuple[str, str], ChannelSettings]:
    """Every channel's settings, by (team, channel): for the digest scheduler."""
    rows = (await session.exec(select(ChannelSettings))).all()
    return {(row.team_id, row.channel_id): row for row in rows}


async def all_workspace_settings(*, session: AsyncSession) -> dict[str, WorkspaceSettings]:
    """Every workspace's settings, by team."""
    rows = (await session.exec(select(WorkspaceSettings))).all()
    return {row.team_id: row for row in rows}
