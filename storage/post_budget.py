"""A workspace's posting budget, shared by every process on the database.

Virtual scheduling (GCRA) kept in one row per workspace: `next_at` is when the next post is
due at the steady rate. Reserving a slot moves it on by one interval in a single statement, so
two processes reserving at once serialize on the row and never get the same slot.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, literal
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_for
from storage.models import PostBudget
from storage.types import UTCDateTime

# SQLite's date functions keep milliseconds; this format is one its strftime writes and that
# compares with the stored "YYYY-MM-DD HH:MM:SS.ffffff" as text in time order.
SQLITE_FORMAT = "%Y-%m-%d %H:%M:%f"


async def reserve_slot(
    *,
    session: AsyncSession,
    team_id: str,
    now: datetime,
    interval: timedelta,
    burst: timedelta,
) -> datetime:
    """Reserve the workspace's next posting slot; the moment that post may go.

    Slots are `interval` apart. After a pause, slots up to `burst` in the past are handed
    out, so burst/interval posts go at once besides the one due now; a returned moment in the
    past means "post now". The reservation is kept even if the post is then not sent.
    """
    if interval <= timedelta(0) or burst < timedelta(0):
        raise ValueError("interval must be above 0 and burst not below 0")
    floor = now - burst
    statement = insert_for(session, PostBudget).values(team_id=team_id, next_at=floor + interval)
    statement = statement.on_conflict_do_update(
        index_elements=["team_id"],
        set_={"next_at": _advanced(session, floor, interval)},
    ).returning(PostBudget.__table__.c.next_at)  # type: ignore[attr-defined]
    next_at: datetime = (await session.exec(statement)).scalar_one()
    return next_at - interval


def _advanced(session: AsyncSession, floor: datetime, interval: timedelta) -> Any:
    """GREATEST(next_at, floor) + interval, in the session's dialect."""
    column = PostBudget.__table__.c.next_at  # type: ignore[attr-defined]
    bound = literal(floor, UTCDateTime())
    if session.get_bind().dialect.name == "postgresql":
        return func.greatest(column, bound) + interval
    return func.strftime(
        SQLITE_FORMAT, func.max(column, bound), f"+{interval.total_seconds():.6f} seconds"
    )
