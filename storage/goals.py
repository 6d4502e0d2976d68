"""Persistence for goals. Every function is scoped to one workspace."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Goal


async def get_goal(
    *, session: AsyncSession, team_id: str, channel_id: str, metric_key: str
) -> Goal | None:
    """The channel's goal on a metric, if there is one."""
    statement = select(Goal).where(
        Goal.team_id == team_id, Goal.channel_id == channel_id, Goal.metric_key == metric_key
    )
    return (await session.exec(statement)).first()


async def list_goals(*, session: AsyncSession, team_id: str, channel_id: str) -> list[Goal]:
    """The channel's goals, in metric-key order."""
    statement = (
        select(Goal)
        .where(Goal.team_id == team_id, Goal.channel_id == channel_id)
        .order_by(col(Goal.metric_key))
    )
    return list((await session.exec(statement)).all())


async def save_goal(*, session: AsyncSession, goal: Goal) -> Goal:
    """Insert or update a goal; the caller's transaction commits it."""
    session.add(goal)
    await session.flush()
    return goal


async def delete_goal(*, session: AsyncSession, goal: Goal) -> None:
    """Remove a goal."""
    await session.delete(goal)
    await session.flush()


def active_filter(
    *,
    team_id: str | None = None,
    channel_id: str | None = None,
    metric_keys: Sequence[str] | None = None,
) -> list[ColumnElement[bool]]:
    """The conditions for active goals, optionally narrowed to a workspace, channel or metrics."""
    conditions: list[ColumnElement[bool]] = [col(Goal.status) == "active"]
    if team_id is not None:
        conditions.append(col(Goal.team_id) == team_id)
    if channel_id is not None:
        conditions.append(col(Goal.channel_id) == channel_id)
    if metric_keys is not None:
        conditions.append(col(Goal.metric_key).in_(metric_keys))
    return conditions


async def active_goals(
    *,
    session: AsyncSession,
    team_id: str | None = None,
    channel_id: str | None = None,
    metric_keys: list[str] | None = None,
) -> list[Goal]:
    """Active goals, optionally narrowed to a workspace, a channel or some metrics."""
    statement = select(Goal).where(
        *active_filter(team_id=team_id, channel_id=channel_id, metric_keys=metric_keys)
    )
    return list((await session.exec(statement.order_by(col(Goal.id)))).all())


async def workspaces_with_goals(*, session: AsyncSession) -> list[str]:
    """Every workspace that has set at least one goal."""
    statement = select(Goal.team_id).distinct().order_by(col(Goal.team_id))
    return list((await session.exec(statement)).all())
