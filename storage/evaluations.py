"""Stored evaluations: one row per goal and day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_for
from storage.models import Evaluation

BATCH = 1000
_RESULT_FIELDS = (
    "value",
    "value_day",
    "target",
    "deviation",
    "adverse",
    "band",
    "consecutive_adverse",
    "red_in_days",
    "volatility",
)


async def upsert_evaluations(*, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Store results keyed by (goal, day); re-storing the same results leaves rows unchanged."""
    for start in range(0, len(rows), BATCH):
        statement = insert_for(session, Evaluation).values(list(rows[start : start + BATCH]))
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["goal_id", "day"],
            set_={field: getattr(excluded, field) for field in _RESULT_FIELDS},
        )
        await session.exec(statement)


async def previous_bands(
    *, session: AsyncSession, goal_ids: Sequence[int], before: date
) -> dict[int, str]:
    """Each goal's band on its latest evaluated day before `before` (for hysteresis)."""
    if not goal_ids:
        return {}
    latest = (
        select(Evaluation.goal_id, func.max(Evaluation.day).label("day"))
        .where(col(Evaluation.goal_id).in_(goal_ids), Evaluation.day < before)
        .group_by(col(Evaluation.goal_id))
        .subquery()
    )
    statement = select(Evaluation.goal_id, Evaluation.band).join(
        latest,
        (col(Evaluation.goal_id) == latest.c.goal_id) & (col(Evaluation.day) == latest.c.day),
    )
    return {goal_id: band for goal_id, band in (await session.exec(statement)).all()}


async def evaluations_on(
    *, session: AsyncSession, goal_ids: Sequence[int], day: date
) -> dict[int, Evaluation]:
    """The evaluations of these goals on one day, by goal id."""
    if not goal_ids:
        return {}
    statement = select(Evaluation).where(
        col(Evaluation.goal_id).in_(goal_ids), Evaluation.day == day
    )
    return {row.goal_id: row for row in (await session.exec(statement)).all()}


async def latest_evaluations(
    *, session: AsyncSession, goal_ids: Sequence[int]
) -> dict[int, Evaluation]:
    """Each goal's most recent evaluation, by goal id."""
    if not goal_ids:
        return {}
    latest = (
        select(Evaluation.goal_id, func.max(Evaluation.day).label("day"))
        .where(col(Evaluation.goal_id).in_(goal_ids))
        .group_by(col(Evaluation.goal_id))
        .subquery()
    )
    statement = select(Evaluation).join(
        latest,
        (col(Evaluation.goal_id) == latest.c.goal_id) & (col(Evaluation.day) == latest.c.day),
    )
    return {row.goal_id: row for row in (await session.exec(statement)).all()}


async def recent_evaluations(
    *, session: AsyncSession, goal_id: int, limit: int = 14
) -> list[Evaluation]:
    """A goal's last `limit` evaluations, oldest first."""
    statement = (
        select(Evaluation)
        .where(Evaluation.goal_id == goal_id)
        .order_by(col(Evaluation.day).desc())
        .limit(limit)
    )
    return list(reversed((await session.exec(statement)).all()))
