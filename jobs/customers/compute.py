"""compute_measures: the built-in measures for every day, aggregated where the data lives.

Measures of grain `customer` (tiers, churn risk) come from jobs/customers/tier_measures.py;
the rest as follows.

One aggregate statement per dataset (aggregates.py) runs in the dataset's database
(sql_aggregates.py) or in DuckDB over its files (file_aggregates.py) and returns per-day counts
and sums; daily.py turns them into measures. No raw row ever reaches Python.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from functools import partial
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pandas as pd

from jobs.customers.aggregates import Window, activity_statement, order_statement
from jobs.customers.daily import (
    LOOKBACK_DAYS,
    activity_measures,
    health_measures,
    order_measures,
)
from jobs.customers.dataset_rows import DatasetName, dataset_rows
from jobs.customers.datasets import ActivityDataset, Datasets, OrdersDataset
from jobs.customers.local_day import day_number, day_of, zone_of
from jobs.customers.measures import MEASURES, Needs
from jobs.customers.parts import split
from jobs.customers.sql_aggregates import Build
from jobs.customers.tier_measures import customer_measures
from jobs.metrics.sources.errors import SourceError
from jobs.metrics.sources.points import MAX_DAYS
from jobs.metrics.sources.sql import SqlRunner

D = TypeVar("D", OrdersDataset, ActivityDataset)


async def compute_measures(
    datasets: Datasets,
    *,
    measures: Collection[str],
    since: date,
    until: date,
    timezone: str,
    base_dir: Path,
    env: Mapping[str, str],
) -> pd.DataFrame:
    """Every day from `since` to `until` (index, dates ascending) × the asked measures (float64
    columns, NaN where a measure has no value that day).

    A day is a local date in `timezone`. Raises SourceError (one line naming the dataset) when
    a dataset cannot be read, and ValueError for a measure that is not built in.
    """
    names = list(dict.fromkeys(measures))
    unknown = [name for name in names if name not in MEASURES]
    if unknown:
        raise ValueError(f"not built-in measures: {', '.join(unknown)}")
    zone = zone_of(timezone)
    window = Window(day_number(since) - LOOKBACK_DAYS, day_number(until))
    days = pd.Index([day_of(n) for n in range(day_number(since), window.hi + 1)], name="day")
    if window.hi - window.lo + 2 > MAX_DAYS:
        raise SourceError(f"datasets: {since} … {until} is more than five years of days")
    daily = [name for name in names if MEASURES[name].grain == "day"]
    table = pd.DataFrame(index=pd.RangeIndex(window.lo, window.hi + 1))
    if daily:
        needs = {MEASURES[name].needs for name in daily}
        table = await _all_measures(datasets, needs, zone, window, base_dir, env)
    table = table.loc[day_number(since) :]
    frame = pd.DataFrame(
        table.reindex(columns=daily).to_numpy(dtype="float64"), index=days, columns=daily
    )
    per_customer = [name for name in names if MEASURES[name].grain == "customer"]
    if per_customer:
        customers = await customer_measures(
            datasets,
            measures=per_customer,
            days=list(days),
            timezone=timezone,
            base_dir=base_dir,
            env=env,
        )
        frame = frame.join(customers.set_axis(days))
    return frame[names]


async def _all_measures(
    datasets: Datasets,
    needs: set[Needs],
    zone: ZoneInfo,
    window: Window,
    base_dir: Path,
    env: Mapping[str, str],
) -> pd.DataFrame:
    """Every measure the needed datasets give, for every day of the window (day numbers)."""
    parts = [pd.DataFrame(index=pd.RangeIndex(window.lo, window.hi + 1))]
    runner = SqlRunner()
    aggregate = partial(
        _aggregates, zone=zone, window=window, runner=runner, base_dir=base_dir, env=env
    )
    try:
        if needs & {"activity", "both"}:
            frames = await aggregate("activity", _needed(datasets.activity, "activity"))
            parts.append(activity_measures(frames, window))
        if needs & {"orders", "both"}:
            frames = await aggregate("orders", _needed(datasets.orders, "orders"))
            parts.append(order_measures(frames, window))
    finally:
        await runner.close()
    table = pd.concat(parts, axis=1)
    if "both" in needs:
        table = table.join(health_measures(table))
    return table


def _needed(dataset: D | None, name: DatasetName) -> D:
    if dataset is None:
        raise SourceError(f"{name} dataset: not declared under datasets: in metrics.yml")
    return dataset


def _builder(dataset: OrdersDataset | ActivityDataset, window: Window) -> Build:
    if isinstance(dataset, OrdersDataset):
        orders = dataset
        return lambda rows, days: order_statement(rows, orders, days, window)
    activity = dataset
    return lambda rows, days: activity_statement(rows, activity, days, window)


async def _aggregates(
    name: DatasetName,
    dataset: OrdersDataset | ActivityDataset,
    *,
    zone: ZoneInfo,
    window: Window,
    runner: SqlRunner,
    base_dir: Path,
    env: Mapping[str, str],
) -> dict[str, pd.DataFrame]:
    """The dataset's aggregate frames by statement name, from its database or its files."""
    build = _builder(dataset, window)
    rows = await dataset_rows(
        name, dataset, build, zone=zone, window=window, runner=runner, base_dir=base_dir, env=env
    )
    return split(rows)
