"""Evaluate goals for a day: read goals and points, classify off the event loop, store results.

Reading and classifying (`classified`) run in a thread of this process, or in the bot in an
evaluation worker process (jobs/evaluation/worker.py); storing and guardrails run here.

Built for every goal at once (20,000 goals read, classified and stored in a few seconds, in
well under the bot's memory budget): goals and points are read as tuples, not ORM objects;
points arrive joined to their goals, in partitions turned straight into numpy arrays; results
are stored by one statement executed for many rows.

Given the catalog, each goal carries its metric's benchmark (metrics.yml `benchmark:`), which
raises the band of a goal whose value breaches it (jobs/evaluation/classify.py). A goal with a
plan (jobs/goals/goal_plan.py) is judged against the plan's value for the day, which its stored
evaluation keeps as `target`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Row
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.customers.datasets import Benchmark
from jobs.evaluation.benchmarks import BENCHMARK_COLUMNS
from jobs.evaluation.classify import classify
from jobs.evaluation.confidence import CONFIDENCE_COLUMN
from jobs.evaluation.guards_flow import check_guardrails
from jobs.evaluation.policy import EvaluationPolicy
from jobs.evaluation.series import all_known, goal_blocks, series_keys
from jobs.evaluation.worker import EvaluationWorker
from jobs.goals.goal_plan import plan_of
from jobs.metrics.catalog import MetricCatalog
from storage import checkins as checkin_store
from storage import evaluations as evaluation_store
from storage import goals as goal_store
from storage import points as point_store
from storage.db import Database
from storage.models import RESULT_FIELDS, Evaluation, Goal
from storage.series_points import SeriesPoints, series_points

HISTORY_DAYS = 35  # enough for the 30-day volatility and 14-day forecast windows
# An owner's check-in raises a goal's band (jobs/evaluation/confidence.py) for this many days.
CONFIDENCE_DAYS = 7
_GOAL_COLUMNS = [
    "goal_id",
    "team_id",
    "metric_key",
    "target",
    "direction",
    "yellow",
    "orange",
    "red",
    "previous_band",
]
_CLASSIFIED = [
    "goal_id",
    "target",
    "direction",
    "yellow",
    "orange",
    "red",
    "previous_band",
    *BENCHMARK_COLUMNS,
    CONFIDENCE_COLUMN,
]
_EPOCH = date(1970, 1, 1).toordinal()
# One partition of points: goal ids, day ordinals, values.
_PointArrays = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]


async def evaluate(
    *,
    database: Database,
    day: date,
    now: datetime,
    policy: EvaluationPolicy = EvaluationPolicy(),  # noqa: B008 - frozen, shared default
    team_id: str | None = None,
    channel_id: str | None = None,
    metric_keys: list[str] | None = None,
    changed: point_store.Changed | None = None,
    catalog: MetricCatalog | None = None,
    worker: EvaluationWorker | None = None,
) -> list[dict[str, Any]]:
    """Evaluate the active goals (all, or a workspace's, channel's or metrics') and store them.

    With `changed` (after a pull), only the goals on the series it names and those not yet
    evaluated that day are: the others' results could not differ from what is stored.
    With `catalog`, a goal whose metric has a benchmark is raised to the benchmark's band
    while its value breaches it; without, benchmarks are not applied.
    With `worker`, goals and points are read and classified in its process
    (jobs/evaluation/worker.py); results are stored and escalated here either way.
    """
    narrowed: dict[str, Any] = {
        "team_id": team_id,
        "channel_id": channel_id,
        "metric_keys": metric_keys,
    }
    benchmarks = catalog_benchmarks(catalog)
    if worker is not None:
        found = await worker.classified(
            day=day, policy=policy, narrowed=narrowed, changed=changed, benchmarks=benchmarks
        )
    else:
        found = await classified(
            database=database,
            day=day,
            policy=policy,
            narrowed=narrowed,
            changed=changed,
            benchmarks=benchmarks,
        )
    if found is None:
        return []
    results, teams = found
    records = _records(results, teams, day=day, now=now)
    del results
    async with database.transaction() as session:
        await evaluation_store.store_evaluations(session=session, records=records)
    stored = evaluation_store.STORED_COLUMNS
    rows = [dict(zip(stored, record, strict=True)) for record in records]
    await check_guardrails(database=database, rows=rows, day=day, now=now)
    return rows


async def classified(
    *,
    database: Database,
    day: date,
    policy: EvaluationPolicy,
    narrowed: dict[str, Any],
    changed: point_store.Changed | None,
    benchmarks: Mapping[str, Benchmark | None],
) -> tuple[pd.DataFrame, list[str]] | None:
    """The goals to evaluate, classified (in goals' order), with each one's workspace; None
    when there are none. Reads in one transaction; classifies in a thread."""
    async with database.transaction() as session:
        goals = await evaluation_store.goals_to_evaluate(
            session=session, before=day, changed=changed, **narrowed
        )
        if not goals:
            return None
        confidences = await _owner_confidences(session, goals, day)
        planned = await goal_store.planned_goals(session=session, **narrowed)  # a superset
        goal_frame = pd.DataFrame(goals, columns=_GOAL_COLUMNS)
        keys = series_keys(goal_frame)
        since = day - timedelta(days=HISTORY_DAYS)
        series = await series_points(
            session=session, since=since, until=day, changed=changed, **narrowed
        )
        if not all_known(series, keys):  # goals changed between the two reads: read per goal
            keys, series = (
                goal_frame["goal_id"].to_numpy(np.int64),
                await _goal_series(session, since, day, narrowed | {"changed": changed}),
            )
    goal_frame = _with_benchmarks(goal_frame, benchmarks)
    goal_frame[CONFIDENCE_COLUMN] = goal_frame["goal_id"].map(confidences)  # NaN: none
    goal_frame["target"] = _plan_targets(goal_frame, planned, day)
    results = await asyncio.to_thread(
        _classify_blocks, goal_frame[_CLASSIFIED], keys, series, day=day, policy=policy
    )
    return results, goal_frame["team_id"].tolist()


def catalog_benchmarks(catalog: MetricCatalog | None) -> dict[str, Benchmark | None]:
    """Each metric's benchmark by key (none without a catalog): what classify compares with."""
    return {} if catalog is None else {metric.key: metric.benchmark for metric in catalog}


async def _owner_confidences(
    session: AsyncSession, goals: Sequence[Sequence[Any]], day: date
) -> dict[int, str]:
    """Each goal's owner's latest confidence from a check-in in the last CONFIDENCE_DAYS, by
    goal id; a goal without one is left out (classify then leaves its band alone)."""
    since = day - timedelta(days=CONFIDENCE_DAYS)
    teams = await evaluation_store.teams_with_confidences(session=session, since=since)
    by_team: dict[str, list[int]] = {}
    for goal in goals:
        if goal[1] in teams:
            by_team.setdefault(goal[1], []).append(goal[0])
    found: dict[int, str] = {}
    for team_id, goal_ids in by_team.items():
        found |= await checkin_store.latest_confidences(
            session=session,
            team_id=team_id,
            goal_ids=goal_ids,
            since=since,
        )
    return found


def _plan_targets(goals: pd.DataFrame, planned: Sequence[Goal], day: date) -> pd.Series[Any]:
    """The target each goal is judged against on `day`: its plan's value for the day when it
    has a plan (jobs/goals/goal_plan.py), else its target.

    A plan's value of 0 (one starting from 0, on its first day) cannot measure a relative
    deviation, so that day the goal's own target is used.
    """
    expected = {
        goal.id: value
        for goal in planned
        if (plan := plan_of(goal)) is not None and (value := plan.expected(day)) != 0
    }
    if not expected:
        return goals["target"]
    return goals["goal_id"].map(expected).fillna(goals["target"]).astype(float)


def benchmark_columns(benchmark: Benchmark | None) -> dict[str, Any]:
    """A goal's BENCHMARK_COLUMNS for classify: NaN and None where there is no benchmark."""
    if benchmark is None:
        return dict.fromkeys(BENCHMARK_COLUMNS[:3], np.nan) | {"benchmark_band": None}
    return {
        "benchmark": benchmark.value,
        "benchmark_below": np.nan if benchmark.warn_below is None else benchmark.warn_below,
        "benchmark_above": np.nan if benchmark.warn_above is None else benchmark.warn_above,
        "benchmark_band": benchmark.band,
    }


def _with_benchmarks(
    goals: pd.DataFrame, benchmarks: Mapping[str, Benchmark | None]
) -> pd.DataFrame:
    """The goals with their metrics' benchmark columns, looked up once per metric key."""
    by_key: dict[str, dict[str, Any]] = {}
    for key in goals["metric_key"].unique().tolist():
        by_key[key] = benchmark_columns(benchmarks.get(key))
    keys = goals["metric_key"]
    return goals.assign(
        **{name: keys.map({k: c[name] for k, c in by_key.items()}) for name in BENCHMARK_COLUMNS}
    )


def _classify_blocks(
    goals: pd.DataFrame,
    keys: npt.NDArray[np.int64],
    series: SeriesPoints,
    *,
    day: date,
    policy: EvaluationPolicy,
) -> pd.DataFrame:
    """classify, a block of goals at a time, each given its series' points; in goals' order."""
    goal_ids = goals["goal_id"].to_numpy(np.int64)
    results = [
        classify(goals.iloc[part], points, day=day, policy=policy)
        for part, points in goal_blocks(goal_ids, keys, series)
    ]
    return results[0] if len(results) == 1 else pd.concat(results, ignore_index=True)


async def _goal_series(
    session: AsyncSession, since: date, until: date, narrowed: dict[str, Any]
) -> SeriesPoints:
    """Every goal's points, each goal its own series (keyed by its id): the per-goal read."""
    parts: list[_PointArrays] = []
    async for partition in point_store.goal_points(
        session=session, since=since, until=until, **narrowed
    ):
        parts.append(_arrays(partition))
    if not parts:
        parts = [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))]
    return SeriesPoints(
        np.concatenate([part[0] for part in parts]),
        np.concatenate([part[1] for part in parts]) - _EPOCH,
        np.concatenate([part[2] for part in parts]),
    )


def _arrays(partition: Sequence[Row[int | None, date, float]]) -> _PointArrays:
    """One partition of (goal id, day, value) rows as arrays: ids, day ordinals, values."""
    count = len(partition)
    goal_ids = np.fromiter((row[0] for row in partition), dtype=np.int64, count=count)
    ordinals = np.fromiter((row[1].toordinal() for row in partition), dtype=np.int64, count=count)
    values = np.fromiter((row[2] for row in partition), dtype=np.float64, count=count)
    return goal_ids, ordinals, values


def _records(
    results: pd.DataFrame, teams: list[str], *, day: date, now: datetime
) -> list[tuple[Any, ...]]:
    """The results as records to store (storage/evaluations.py STORED_COLUMNS), with Python
    values and None for what is missing."""
    count = len(results)
    columns = [convert(results[field]) for field, convert in _CONVERT.items()]
    goal_ids = results["goal_id"].astype(int).tolist()
    return list(zip(goal_ids, teams, [day] * count, *columns, [now] * count, strict=True))


def _numbers(column: pd.Series[Any]) -> list[float | None]:
    """Floats as Python floats, NaN as None."""
    return [None if value != value else value for value in column.astype(float).tolist()]


def _dates(column: pd.Series[Any]) -> list[date | None]:
    """Dates as they are, anything else (NaT, None) as None."""
    return [value if isinstance(value, date) else None for value in column.tolist()]


# How a result column becomes the Python values of its Evaluation field, by the field's type.
_BY_TYPE: dict[object, Callable[[pd.Series[Any]], list[Any]]] = {
    float | None: _numbers,
    date | None: _dates,
    float: lambda column: column.astype(float).tolist(),
    int: lambda column: column.astype(int).tolist(),
    str: lambda column: column.astype(str).tolist(),
}
# Every stored result's conversion; a field of another type fails here, at import.
_CONVERT = {field: _BY_TYPE[Evaluation.model_fields[field].annotation] for field in RESULT_FIELDS}
