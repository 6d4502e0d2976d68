"""Storing evaluation results on SQLite and PostgreSQL: a few rows through SQLAlchemy, many
through the driver alone (storage/evaluations.py `store_evaluations`), with the same outcome."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlmodel import col, select

from storage import evaluations as evaluation_store
from storage.db import Database
from storage.models import Evaluation, Goal

DAY = date(2026, 3, 2)
FIRST = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
LATER = FIRST + timedelta(hours=2)


async def add_goals(database: Database, count: int) -> list[int]:
    rows = [
        {
            "team_id": f"T{n % 3}",
            "channel_id": "C1",
            "metric_key": f"m{n}",
            "target": 100.0,
            "direction": "higher",
            "unit": "count",
            "created_by": "U1",
            "created_at": FIRST,
            "updated_at": FIRST,
        }
        for n in range(count)
    ]
    async with database.transaction() as session:
        await session.exec(insert(Goal), params=rows)
        return sorted(goal.id for goal in (await session.exec(select(Goal))).all() if goal.id)


def record(goal_id: int, band: str, now: datetime, value: float | None) -> tuple[Any, ...]:
    """A stored row, in STORED_COLUMNS order."""
    fields: dict[str, Any] = {
        "goal_id": goal_id,
        "team_id": f"T{goal_id % 3}",
        "day": DAY,
        "value": value,
        "value_day": DAY - timedelta(days=1) if value is not None else None,
        "target": 100.0,
        "deviation": None if value is None else (value - 100.0) / 100.0,
        "adverse": None if value is None else (100.0 - value) / 100.0,
        "band": band,
        "consecutive_adverse": 2,
        "red_in_days": None,
        "volatility": 0.25,
        "evaluated_at": now,
    }
    return tuple(fields[name] for name in evaluation_store.STORED_COLUMNS)


@pytest.mark.parametrize(
    "count",
    [
        pytest.param(5, id="a-few-through-sqlalchemy"),
        pytest.param(evaluation_store.BULK + 3, id="many-through-the-driver"),
    ],
)
async def test_stored_again_updates_results_and_keeps_first_time(
    database: Database, count: int
) -> None:
    """Results are keyed by (goal, day): storing again changes the rows whose results changed
    (and when they were evaluated); the others are left as they were. A missing value is NULL."""
    ids = await add_goals(database, count)
    async with database.transaction() as session:
        await evaluation_store.store_evaluations(
            session=session, records=[record(i, "green", FIRST, 99.0) for i in ids]
        )
    changed = set(ids[::2])
    again = [
        record(i, "red", LATER, None) if i in changed else record(i, "green", LATER, 99.0)
        for i in ids
    ]
    async with database.transaction() as session:
        await evaluation_store.store_evaluations(session=session, records=again)
        stored = (await session.exec(select(Evaluation).order_by(col(Evaluation.goal_id)))).all()
    assert [row.goal_id for row in stored] == ids
    for row in stored:
        assert row.day == DAY
        if row.goal_id in changed:
            assert (row.band, row.value, row.value_day) == ("red", None, None)
            assert row.evaluated_at == LATER
        else:
            assert (row.band, row.value, row.value_day) == ("green", 99.0, DAY - timedelta(1))
            assert row.evaluated_at == FIRST
        assert (row.consecutive_adverse, row.volatility) == (2, 0.25)
