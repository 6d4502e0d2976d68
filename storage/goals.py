"""Persistence for goals. Every function is scoped to one workspace.

A removed goal (status `removed`) keeps its row and history but is left out of every query here
except those that name it by id or ask for it (`include_removed`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, String, cast, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.installs import uninstalled_teams
from storage.models import Goal, GoalStatus, OutboxMessage

_KEPT = col(Goal.status) != GoalStatus.REMOVED.value


async def get_goal(
    *,
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    metric_key: str,
    include_removed: bool = False,
) -> Goal | None:
    """The channel's goal on a metric, if there is one (a removed one only if asked for)."""
    statement = select(Goal).where(
        Goal.team_id == team_id, Goal.channel_id == channel_id, Goal.metric_key == metric_key
    )
    if not include_removed:
        statement = statement.where(_KEPT)
    return (await session.exec(statement)).first()


async def goal_by_id(*, session: AsyncSession, team_id: str, goal_id: int) -> Goal | None:
    """One goal, removed or not, only if it belongs to the workspace."""
    statement = select(Goal).where(Goal.id == goal_id, Goal.team_id == team_id)
    return (await session.exec(statement)).first()


async def list_goals(*, session: AsyncSession, team_id: str, channel_id: str) -> list[Goal]:
    """The channel's goals (active and paused), in metric-key order."""
    statement = (
        select(Goal)
        .where(Goal.team_id == team_id, Goal.channel_id == channel_id, _KEPT)
        .order_by(col(Goal.metric_key))
    )
    return list((await session.exec(statement)).all())


async def save_goal(*, session: AsyncSession, goal: Goal) -> Goal:
    """Insert or update a goal; the caller's transaction commits it."""
    session.add(goal)
    await session.flush()
    return goal


async def unsent_escalation_keys(*, session: AsyncSession, goal_id: int) -> list[str]:
    """The run keys of the goal's unsent episode and remediation messages (DMs, thread posts,
    reminders, close-outs, redraws); source notices, about a metric, are not among them."""
    statement = select(OutboxMessage.run_key).where(
        OutboxMessage.goal_id == goal_id,
        col(OutboxMessage.done_at).is_(None),
        or_(
            col(OutboxMessage.episode_id).is_not(None),
            col(OutboxMessage.remediation_id).is_not(None),
        ),
    )
    return list((await session.exec(statement)).all())


def active_filter(
    *,
    team_id: str | None = None,
    channel_id: str | None = None,
    metric_keys: Sequence[str] | None = None,
) -> list[ColumnElement[bool]]:
    """The conditions for active goals, optionally narrowed to a workspace, channel or metrics."""
    conditions: list[ColumnElement[bool]] = [
        col(Goal.status) == GoalStatus.ACTIVE.value,
        # An uninstalled workspace's goals are not worked on (storage/installs.py).
        col(Goal.team_id).not_in(uninstalled_teams()),
    ]
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


async def goals_with_checkins(*, session: AsyncSession) -> list[Goal]:
    """Active goals, in every workspace, with an owner and a check-in cadence."""
    cadence = col(Goal.checkin_cadence)
    statement = select(Goal).where(
        *active_filter(team_id=None, channel_id=None, metric_keys=None),
        col(Goal.owner_id).is_not(None),
        cadence.is_not(None),
        # A cleared cadence is stored as JSON null, not SQL NULL.
        cast(cadence, String) != "null",
    )
    return list((await session.exec(statement.order_by(col(Goal.id)))).all())


async def planned_goals(
    *,
    session: AsyncSession,
    team_id: str | None = None,
    channel_id: str | None = None,
    metric_keys: Sequence[str] | None = None,
) -> list[Goal]:
    """Active goals with a plan (start value, start day and due date all set), narrowed as
    `active_filter` narrows; few of all goals, so read as rows."""
    statement = select(Goal).where(
        *active_filter(team_id=team_id, channel_id=channel_id, metric_keys=metric_keys),
        col(Goal.start_value).is_not(None),
        col(Goal.start_date).is_not(None),
        col(Goal.due_date).is_not(None),
    )
    return list((await session.exec(statement.order_by(col(Goal.id)))).all())


async def workspaces_with_goals(*, session: AsyncSession) -> list[str]:
    """Every workspace with at least one goal that is not removed, uninstalled ones left out."""
    statement = (
        select(Goal.team_id)
        .where(_KEPT, col(Goal.team_id).not_in(uninstalled_teams()))
        .distinct()
        .order_by(col(Goal.team_id))
    )
    return list((await session.exec(statement)).all())


async def guarded_goals(
    *,
    session: AsyncSession,
    team_id: str | None = None,
    goal_ids: Sequence[int] | None = None,
    lock: bool = False,
) -> list[Goal]:
    """Active goals with at least one guardrail (optionally a workspace's, or these ids), by
    id; `lock` holds their rows (PostgreSQL) until the caller's transaction ends."""
    if goal_ids is not None and not goal_ids:
        return []
    statement = select(Goal).where(
        *active_filter(team_id=team_id), cast(col(Goal.guardrails), String) != "[]"
    )
    if goal_ids is not None:
        statement = statement.where(col(Goal.id).in_(goal_ids))
    if lock:
        statement = statement.with_for_update()
    return list((await session.exec(statement.order_by(col(Goal.id)))).all())


async def person_goals(*, session: AsyncSession, team_id: str, user_id: str) -> list[Goal]:
    """The workspace's active goals this person owns or leads, by channel, then metric."""
    statement = (
        select(Goal)
        .where(
            *active_filter(team_id=team_id),
            or_(col(Goal.owner_id) == user_id, col(Goal.lead_id) == user_id),
        )
        .order_by(col(Goal.channel_id), col(Goal.metric_key))
    )
    return list((await session.exec(statement)).all())
