"""How goalpulse itself is doing, read from its tables: the outbox's backlog and the sources.

Aggregates only, for the /metrics scrape and the self-check job. A paused goal's undone rows
are left out of "due": they wait on purpose (storage/outbox.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Goal, GoalStatus, OutboxMessage, SourceStatus

STATES = ("pending", "sent", "skipped", "failed")


@dataclass(frozen=True)
class OutboxHealth:
    """Rows by state: `pending` counts every undone row; `sent`, `skipped` and `failed` the
    rows that ended since the time asked about. `oldest_due_at` is the due time of the oldest
    undone row that is due now (None when nothing is)."""

    by_state: dict[str, int]
    oldest_due_at: datetime | None


@dataclass(frozen=True)
class Backlog:
    """A workspace's rows due and undone since before a cutoff."""

    team_id: str
    count: int
    oldest_due_at: datetime


def _due(now: datetime) -> ColumnElement[bool]:
    paused = select(Goal.id).where(Goal.status == GoalStatus.PAUSED.value)
    return and_(col(OutboxMessage.due_at) <= now, col(OutboxMessage.goal_id).not_in(paused))


async def outbox_health(*, session: AsyncSession, now: datetime, since: datetime) -> OutboxHealth:
    """Two aggregate queries: the undone rows (the partial index on due_at covers them), and
    the rows that ended since `since` by state."""
    undone = select(func.count(), func.min(case((_due(now), col(OutboxMessage.due_at))))).where(
        col(OutboxMessage.done_at).is_(None)
    )
    pending, oldest = (await session.exec(undone)).one()
    ended = (
        select(OutboxMessage.state, func.count())
        .where(col(OutboxMessage.done_at) >= since)
        .group_by(col(OutboxMessage.state))
    )
    by_state = dict.fromkeys(STATES, 0)
    for state, count in (await session.exec(ended)).all():
        by_state[state] = int(count)
    by_state["pending"] = int(pending)
    return OutboxHealth(by_state=by_state, oldest_due_at=oldest)


async def backlog(*, session: AsyncSession, due_before: datetime) -> list[Backlog]:
    """Per workspace, the undone rows that were due before `due_before` (and still are)."""
    statement = (
        select(OutboxMessage.team_id, func.count(), func.min(col(OutboxMessage.due_at)))
        .where(col(OutboxMessage.done_at).is_(None), _due(due_before))
        .group_by(col(OutboxMessage.team_id))
        .order_by(col(OutboxMessage.team_id))
    )
    return [
        Backlog(team_id=team, count=int(count), oldest_due_at=oldest)
        for team, count, oldest in (await session.exec(statement)).all()
    ]


async def source_statuses(
    *, session: AsyncSession, metric_keys: Sequence[str]
) -> list[SourceStatus]:
    """The latest pull of each of these metrics that was ever pulled, by key."""
    if not metric_keys:
        return []
    statement = (
        select(SourceStatus)
        .where(col(SourceStatus.metric_key).in_(metric_keys))
        .order_by(col(SourceStatus.metric_key))
    )
    return list((await session.exec(statement)).all())


async def oldest_active_goals(*, session: AsyncSession, team_ids: Sequence[str]) -> dict[str, int]:
    """Each workspace's oldest active goal (by id), for those that have one."""
    if not team_ids:
        return {}
    statement = (
        select(Goal.team_id, func.min(col(Goal.id)))
        .where(col(Goal.status) == GoalStatus.ACTIVE.value, col(Goal.team_id).in_(team_ids))
        .group_by(col(Goal.team_id))
    )
    rows = (await session.exec(statement)).all()
    return {team: goal_id for team, goal_id in rows if goal_id is not None}
