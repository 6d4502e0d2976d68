"""The `checkin` command: a person records today's value of a manual metric."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.goals.service import Actor
from storage import audit
from storage import points as point_store
from storage.points import DailyValue


async def record_checkin(
    *,
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    actor: Actor,
    metric_key: str,
    value: float,
    note: str | None,
    day: date,
    now: datetime,
) -> None:
    """Store (or correct) the workspace's value for the day, with who recorded it and why."""
    await point_store.upsert_points(
        session=session,
        team_id=team_id,
        metric_key=metric_key,
        values=[DailyValue(day=day, value=value)],
        origin="manual",
        now=now,
        note=note,
        recorded_by=actor.user_id,
    )
    await audit.record_event(
        session=session,
        team_id=team_id,
        channel_id=channel_id,
        actor_id=actor.user_id,
        action="metric.checkin",
        subject=metric_key,
        details={"day": day.isoformat(), "value": value, "note": note},
        at=now,
    )
