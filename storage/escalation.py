"""Persistence for episodes and remediations; the database keeps one open of each per goal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import EpisodeRow, RemediationRow


async def open_episode(*, session: AsyncSession, episode: EpisodeRow) -> EpisodeRow:
    """Insert a new open episode; IntegrityError if the goal already has one open."""
    session.add(episode)
    await session.flush()
    return episode


async def open_episode_for(*, session: AsyncSession, goal_id: int) -> EpisodeRow | None:
    """The goal's open episode, if any."""
    statement = select(EpisodeRow).where(
        EpisodeRow.goal_id == goal_id, col(EpisodeRow.closed_at).is_(None)
    )
    return (await session.exec(statement)).first()


async def close_episode(*, session: AsyncSession, episode: EpisodeRow, now: datetime) -> None:
    """Mark the episode closed, freeing the goal for a new one."""
    episode.closed_at = now
    session.add(episode)
    await session.flush()


async def open_remediation(*, session: AsyncSession, remediation: RemediationRow) -> RemediationRow:
    """Insert a new open remediation; IntegrityError if the goal already has one open."""
    session.add(remediation)
    await session.flush()
    return remediation


async def open_remediation_for(*, session: AsyncSession, goal_id: int) -> RemediationRow | None:
    """The goal's open remediation, if any."""
    statement = select(RemediationRow).where(
        RemediationRow.goal_id == goal_id, RemediationRow.status == "open"
    )
    return (await session.exec(statement)).first()


async def open_escalations(
    *, session: AsyncSession, team_id: str, goal_ids: Sequence[int]
) -> dict[int, tuple[EpisodeRow | None, RemediationRow | None]]:
    """Each goal's open episode and open remediation, for goals with at least one of them.

    Two queries whatever the number of goals, both scoped to the workspace.
    """
    if not goal_ids:
        return {}
    wanted = sorted(set(goal_ids))
    episodes = await session.exec(
        select(EpisodeRow).where(
            EpisodeRow.team_id == team_id,
            col(EpisodeRow.goal_id).in_(wanted),
            col(EpisodeRow.closed_at).is_(None),
        )
    )
    remediations = await session.exec(
        select(RemediationRow).where(
            RemediationRow.team_id == team_id,
            col(RemediationRow.goal_id).in_(wanted),
            RemediationRow.status == "open",
        )
    )
    by_goal_episode = {row.goal_id: row for row in episodes.all()}
    by_goal_remediation = {row.goal_id: row for row in remediations.all()}
    return {
        goal_id: (by_goal_episode.get(goal_id), by_goal_remediation.get(goal_id))
        for goal_id in wanted
        if goal_id in by_goal_episode or goal_id in by_goal_remediation
    }
