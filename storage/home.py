"""The goal each person picked for the chart on their Home tab.

A pick is kept as an audit event (action HOME_CHART_PICK, no table of its own): the latest one
a person made in a workspace is their pick, so it survives restarts and is the same for every
process, whichever publishes the page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.audit import record_event
from storage.models import AuditEvent

HOME_CHART_PICK: Final = "home_chart_pick"


async def record_chart_pick(
    *,
    session: AsyncSession,
    team_id: str,
    user_id: str,
    goal_id: int,
    channel_id: str,
    at: datetime,
) -> None:
    """Remember `goal_id` as the person's pick, in the caller's transaction."""
    await record_event(
        session=session,
        team_id=team_id,
        channel_id=channel_id,
        actor_id=user_id,
        action=HOME_CHART_PICK,
        subject=f"goal:{goal_id}",
        details={"goal_id": goal_id},
        at=at,
    )


async def chart_pick(*, session: AsyncSession, team_id: str, user_id: str) -> int | None:
    """The goal id the person picked last in this workspace; None if they never picked one."""
    statement = (
        select(AuditEvent.details)
        .where(
            col(AuditEvent.team_id) == team_id,
            col(AuditEvent.actor_id) == user_id,
            col(AuditEvent.action) == HOME_CHART_PICK,
        )
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(1)
    )
    details = (await session.exec(statement)).first()
    goal_id = details.get("goal_id") if isinstance(details, dict) else None
    return goal_id if isinstance(goal_id, int) else None
