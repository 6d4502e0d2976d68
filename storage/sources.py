"""How each metric's latest pull went."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import SourceStatus


async def record_success(
    *, session: AsyncSession, metric_key: str, points: int, now: datetime
) -> None:
    """A pull worked: clear any failure."""
    status = await session.get(SourceStatus, metric_key)
    if status is None:
        status = SourceStatus(metric_key=metric_key, last_attempt_at=now)
        session.add(status)
    status.last_attempt_at = now
    status.last_success_at = now
    status.failing_since = None
    status.error = None
    status.points = points


async def record_failure(
    *, session: AsyncSession, metric_key: str, error: str, now: datetime
) -> bool:
    """A pull failed; returns True when this starts a new failure (it was fine before)."""
    status = await session.get(SourceStatus, metric_key)
    if status is None:
        status = SourceStatus(metric_key=metric_key, last_attempt_at=now)
        session.add(status)
    started = status.failing_since is None
    status.last_attempt_at = now
    status.failing_since = status.failing_since or now
    status.error = error[:500]
    return started


async def failing_sources(
    *, session: AsyncSession, metric_keys: Sequence[str]
) -> dict[str, SourceStatus]:
    """The failing ones among these metrics, by key."""
    if not metric_keys:
        return {}
    statement = select(SourceStatus).where(
        col(SourceStatus.metric_key).in_(metric_keys), col(SourceStatus.failing_since).is_not(None)
    )
    return {status.metric_key: status for status in (await session.exec(statement)).all()}
