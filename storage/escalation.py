"""Persistence for episodes and remediations, which several processes may race on.

The database keeps one open episode and one open remediation per goal (partial unique indexes).
Opening is `INSERT … ON CONFLICT DO NOTHING` against them, so of two processes opening the same
episode exactly one gets a row back. Updates carry the version read: an update lands only if
nobody changed the row in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_for
from storage.models import EpisodeRow, Goal, OutboxMessage, RemediationRow

CHUNK = 1000  # ids per IN (…) list


async def insert_episode(*, session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Open an episode; None when the goal already has an open one."""
    statement = (
        insert_for(session, EpisodeRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["goal_id"], index_where=text("closed_at IS NULL"))
        .returning(col(EpisodeRow.id))
    )
    return (await session.exec(statement)).scalar_one_or_none()  # type: ignore[no-any-return]


async def insert_remediation(*, session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Open a remediation; None when the goal already has an open one."""
    statement = (
        insert_for(session, RemediationRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["goal_id"], index_where=text("status = 'open'"))
        .returning(col(RemediationRow.id))
    )
    return (await session.exec(statement)).scalar_one_or_none()  # type: ignore[no-any-return]


async def update_episode(
    *, session: AsyncSession, episode_id: int, version: int, values: dict[str, Any]
) -> bool:
    """Apply `values` if the row is still at `version`; bumps the version."""
    statement = (
        update(EpisodeRow)
        .where(col(EpisodeRow.id) == episode_id, col(EpisodeRow.version) == version)
        .values(**values, version=version + 1)
        # The caller's row keeps what it read (its band, its version): no in-session sync.
        .execution_options(synchronize_session=False)
    )
    return bool((await session.exec(statement)).rowcount == 1)


async def update_remediation(
    *, session: AsyncSession, remediation_id: int, version: int, values: dict[str, Any]
) -> bool:
    """Apply `values` if the row is still at `version`; bumps the version."""
    statement = (
        update(RemediationRow)
        .where(col(RemediationRow.id) == remediation_id, col(RemediationRow.version) == version)
        .values(**values, version=version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool((await session.exec(statement)).rowcount == 1)


async def extend_open_remediations(*, session: AsyncSession, goal_id: int, by: timedelta) -> None:
    """Move the deadline of the goal's open remediation on by `by` (it was paused that long)."""
    statement = select(RemediationRow).where(
        RemediationRow.goal_id == goal_id, RemediationRow.status == "open"
    )
    for row in (await session.exec(statement)).all():
        row.due_at = row.due_at + by
        row.version += 1
        session.add(row)


async def set_message_ts(
    *, session: AsyncSession, remediation_id: int, field: str, ts: str
) -> None:
    """Record where the parent or checklist message went (`parent_ts` or `checklist_ts`)."""
    if field not in ("parent_ts", "checklist_ts"):
        raise ValueError(f"not a message field: {field}")
    await session.exec(
        update(RemediationRow).where(col(RemediationRow.id) == remediation_id).values({field: ts})
    )


async def open_episodes(*, session: AsyncSession, goal_ids: Sequence[int]) -> dict[int, EpisodeRow]:
    """The open episode of each goal that has one."""
    found: dict[int, EpisodeRow] = {}
    for start in range(0, len(goal_ids), CHUNK):
        statement = select(EpisodeRow).where(
            col(EpisodeRow.goal_id).in_(goal_ids[start : start + CHUNK]),
            col(EpisodeRow.closed_at).is_(None),
        )
        found.update({row.goal_id: row for row in (await session.exec(statement)).all()})
    return found


async def latest_remediations(
    *, session: AsyncSession, goal_ids: Sequence[int]
) -> dict[int, RemediationRow]:
    """Each goal's most recently opened remediation, open or closed."""
    found: dict[int, RemediationRow] = {}
    for start in range(0, len(goal_ids), CHUNK):
        chunk = goal_ids[start : start + CHUNK]
        latest = (
            select(RemediationRow.goal_id, func.max(RemediationRow.id).label("id"))
            .where(col(RemediationRow.goal_id).in_(chunk))
            .group_by(col(RemediationRow.goal_id))
            .subquery()
        )
        statement = select(RemediationRow).join(latest, col(RemediationRow.id) == latest.c.id)
        found.update({row.goal_id: row for row in (await session.exec(statement)).all()})
    return found


async def get_episode(*, session: AsyncSession, team_id: str, episode_id: int) -> EpisodeRow | None:
    """One episode, only if it belongs to the workspace."""
    statement = select(EpisodeRow).where(EpisodeRow.id == episode_id, EpisodeRow.team_id == team_id)
    return (await session.exec(statement)).first()


async def get_remediation(
    *, session: AsyncSession, team_id: str, remediation_id: int
) -> RemediationRow | None:
    """One remediation, only if it belongs to the workspace."""
    statement = select(RemediationRow).where(
        RemediationRow.id == remediation_id, RemediationRow.team_id == team_id
    )
    return (await session.exec(statement)).first()


async def goals_by_id(*, session: AsyncSession, goal_ids: Sequence[int]) -> dict[int, Goal]:
    """Goals by id (their workspace is on each row)."""
    found: dict[int, Goal] = {}
    for start in range(0, len(goal_ids), CHUNK):
        statement = select(Goal).where(col(Goal.id).in_(goal_ids[start : start + CHUNK]))
        found.update({row.id: row for row in (await session.exec(statement)).all() if row.id})
    return found


async def episode_for_remediation(
    *, session: AsyncSession, remediation_id: int
) -> EpisodeRow | None:
    """The latest episode whose notes go to this remediation's thread."""
    statement = (
        select(EpisodeRow)
        .where(EpisodeRow.remediation_id == remediation_id)
        .order_by(col(EpisodeRow.id).desc())
    )
    return (await session.exec(statement)).first()


async def episode_dms(*, session: AsyncSession, episode_id: int) -> list[OutboxMessage]:
    """The DMs sent (or due) for an episode."""
    statement = select(OutboxMessage).where(
        OutboxMessage.episode_id == episode_id, OutboxMessage.kind == "dm"
    )
    return list((await session.exec(statement)).all())


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


async def open_remediations(*, session: AsyncSession, team_id: str) -> list[RemediationRow]:
    """The workspace's open remediations, oldest due first (few at a time: one per goal
    in trouble)."""
    statement = (
        select(RemediationRow)
        .where(RemediationRow.team_id == team_id, RemediationRow.status == "open")
        .order_by(col(RemediationRow.due_at), col(RemediationRow.id))
    )
    return list((await session.exec(statement)).all())
