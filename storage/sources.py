"""How each metric's latest pull went."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_for
from storage.models import SourceStatus


async def _locked(*, session: AsyncSession, metric_key: str, now: datetime) -> SourceStatus:
    """The metric's status row, created if new and locked until the transaction ends.

    Two processes recording the same metric's pull take turns, so only one of them sees a
    failure start (or end) and queues the notices about it.
    """
    await session.exec(
        insert_for(session, SourceStatus)
        .values(metric_key=metric_key, last_attempt_at=now)
        .on_conflict_do_nothing(index_elements=["metric_key"])
    )
    status = await session.get(
        SourceStatus, metric_key, with_for_update=True, populate_existing=True
    )
    assert status is not None
    return status


async def record_success(
    *, session: AsyncSession, metric_key: str, points: int, now: datetime
) -> datetime | None:
    """A pull worked: clear any failure; returns when the failure it ends began, if any."""
    status = await _locked(session=session, metric_key=metric_key, now=now)
    ended = status.failing_since
    status.last_attempt_at = now
    status.last_success_at = now
    status.failing_since = None
    status.error = None
    status.points = points
    return ended


async def record_failure(
    *, session: AsyncSession, metric_key: str, error: str, now: datetime
) -> bool:
    """A pull failed; returns True when this starts a new failure (it was fine before).

    A new failure's `failing_since` is `now`.
    """
    status = await _locked(session=session, metric_key=metric_key, now=now)
    started = status.failing_since is None
    status.last_attempt_at = now
    status.failing_since = status.failing_since or now
    status.error = error[:500]
    return started


async def status_of(*, session: AsyncSession, metric_key: str) -> SourceStatus | None:
    """The metric's latest pull, if it was ever pulled."""
    return await session.get(SourceStatus, metric_key)


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
