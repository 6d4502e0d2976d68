"""Bands against the plan (`jobs.evaluation.service.evaluate`), on SQLite and PostgreSQL: a goal
with a plan is judged against the plan's value for the day, one without against its target."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import col, select

from jobs.evaluation.service import evaluate
from jobs.goals.service import Actor, GoalChange, set_goal
from jobs.metrics.catalog import MetricCatalog
from storage import points as point_store
from storage.db import Database
from storage.models import Evaluation
from storage.points import DailyValue

# The plan: from its start on 1 Jan to its target on 2 Mar, 60 days; 31 Jan is halfway.
START, DUE, DAY = date(2027, 1, 1), date(2027, 3, 2), date(2027, 1, 31)
NOW = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)


async def _admin() -> bool:
    return True


CASES = [
    # metric, start, target, pace, value on DAY, expected on DAY, band vs plan, band vs target
    pytest.param(
        "dau", 100_000, 160_000, None, 126_000, 130_000, "green", "orange",
        id="3pct-behind-plan-is-green-though-21pct-under-target",
    ),
    pytest.param(
        "dau", 100_000, 160_000, None, 117_000, 130_000, "yellow", "orange",
        id="10pct-behind-plan-is-yellow",
    ),
    pytest.param(
        "dau", 100_000, 160_000, None, 110_000, 130_000, "yellow", "red",
        id="15pct-behind-plan-is-yellow-though-red-vs-target",
    ),
    pytest.param(
        "dau", 100_000, 160_000, None, 90_000, 130_000, "red", "red",
        id="31pct-behind-plan-is-red",
    ),
    pytest.param(
        "dau", 100_000, 160_000, "front-loaded", 130_000, 145_000, "yellow", "yellow",
        id="front-loaded-expects-three-quarters-by-halfway-so-on-the-line-is-behind",
    ),
    pytest.param(
        "complaint_rate", 0.05, 0.02, None, 0.037, 0.035, "green", "red",
        id="lower-is-better-6pct-above-plan-is-green",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("metric", "start", "target", "pace", "value", "expected", "planned", "unplanned"), CASES
)
async def test_a_goal_with_a_plan_is_judged_against_the_plans_value_for_the_day(
    database: Database,
    catalog: MetricCatalog,
    metric: str,
    start: float,
    target: float,
    pace: str | None,
    value: float,
    expected: float,
    planned: str,
    unplanned: str,
) -> None:
    """Two goals on one metric and value, one with a plan and one without: the planned one's
    band (and stored target) follow the plan's value for the day, the other its target."""
    plan: dict[str, Any] = {"start_value": start, "start_date": START, "pace": pace}
    async with database.transaction() as session:
        for channel, extra in (("C_PLAN", plan), ("C_PLAIN", {})):
            await set_goal(
                session=session,
                catalog=catalog,
                team_id="T1",
                channel_id=channel,
                actor=Actor("U0ANA", _admin),
                change=GoalChange(metric, target, due_date=DUE, **extra),
                now=NOW,
            )
        await point_store.upsert_points(
            session=session,
            team_id="T1",
            metric_key=metric,
            values=[DailyValue(DAY, value)],
            origin="test",
            now=NOW,
        )
    rows = await evaluate(database=database, day=DAY, now=NOW)
    bands = {row["goal_id"]: row["band"] for row in rows}
    async with database.transaction() as session:
        stored = (await session.exec(select(Evaluation).order_by(col(Evaluation.goal_id)))).all()
    with_plan, without = stored
    assert (bands[with_plan.goal_id], bands[without.goal_id]) == (planned, unplanned)
    assert with_plan.target == pytest.approx(expected)
    assert without.target == target
    assert with_plan.deviation == pytest.approx(value / expected - 1)
