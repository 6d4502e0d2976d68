"""Evaluate goals for a day: read goals and points, classify off the event loop, store results."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from jobs.evaluate import EvaluationPolicy, classify
from storage import evaluations as evaluation_store
from storage import goals as goal_store
from storage import points as point_store
from storage.db import Database

HISTORY_DAYS = 35  # enough for the 30-day volatility and 14-day forecast windows


async def evaluate(
    *,
    database: Database,
    day: date,
    now: datetime,
    policy: EvaluationPolicy = EvaluationPolicy(),  # noqa: B008 - frozen, shared default
    team_id: str | None = None,
    channel_id: str | None = None,
    metric_keys: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Evaluate the active goals (all, or a workspace's, channel's or metrics') and store them."""
    async with database.transaction() as session:
        goals = await goal_store.active_goals(
            session=session, team_id=team_id, channel_id=channel_id, metric_keys=metric_keys
        )
        if not goals:
            return []
        goal_ids = [goal.id for goal in goals if goal.id is not None]
        previous = await evaluation_store.previous_bands(
            session=session, goal_ids=goal_ids, before=day
        )
        points = await point_store.point_rows(
            session=session,
            team_ids=sorted({goal.team_id for goal in goals}),
            metric_keys=sorted({goal.metric_key for goal in goals}),
            since=day - timedelta(days=HISTORY_DAYS),
            until=day,
        )
    goal_frame = pd.DataFrame(
        {
            "goal_id": goal_ids,
            "team_id": [goal.team_id for goal in goals],
            "metric_key": [goal.metric_key for goal in goals],
            "target": [goal.target for goal in goals],
            "direction": [goal.direction for goal in goals],
            "yellow": [goal.yellow for goal in goals],
            "orange": [goal.orange for goal in goals],
            "red": [goal.red for goal in goals],
            "previous_band": [previous.get(goal_id) for goal_id in goal_ids],
        }
    )
    results = await asyncio.to_thread(_classify, goal_frame, points, day, policy)
    rows = [
        {
            "goal_id": int(row["goal_id"]),
            "team_id": team,
            "day": day,
            "value": _number(row["value"]),
            "value_day": row["value_day"] if isinstance(row["value_day"], date) else None,
            "target": float(row["target"]),
            "deviation": _number(row["deviation"]),
            "adverse": _number(row["adverse"]),
            "band": str(row["band"]),
            "consecutive_adverse": int(row["consecutive_adverse"]),
            "red_in_days": _number(row["red_in_days"]),
            "volatility": _number(row["volatility"]),
            "evaluated_at": now,
        }
        for row, team in zip(results.to_dict("records"), goal_frame["team_id"], strict=True)
    ]
    async with database.transaction() as session:
        await evaluation_store.upsert_evaluations(session=session, rows=rows)
    return rows


def _classify(
    goals: pd.DataFrame,
    points: list[tuple[str, str, date, float]],
    day: date,
    policy: EvaluationPolicy,
) -> pd.DataFrame:
    """Join points to the goals on (workspace, metric), then classify; runs in a worker thread."""
    point_frame = pd.DataFrame(points, columns=["team_id", "metric_key", "day", "value"])
    per_goal = goals[["goal_id", "team_id", "metric_key"]].merge(
        point_frame, on=["team_id", "metric_key"], how="inner"
    )[["goal_id", "day", "value"]]
    columns = ["goal_id", "target", "direction", "yellow", "orange", "red", "previous_band"]
    return classify(goals[columns], per_goal, day=day, policy=policy)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
