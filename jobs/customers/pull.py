"""The datasets' side of a pull: which days to recompute, and every dataset metric computed at
once from the datasets. jobs/metrics/pull.py stores the days like any other metric's.

One computation serves every dataset metric. When it fails and the metrics need different
datasets, each group (orders, activity, both) is computed again on its own, so a broken orders
dataset does not stop the activity measures.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from jobs.customers.compute import compute_measures
from jobs.customers.datasets import Datasets
from jobs.customers.measures import MEASURES
from jobs.metrics.catalog import Metric, MetricCatalog
from jobs.metrics.sources.errors import SourceError

log = logging.getLogger("goalpulse.pull")


@dataclass(frozen=True)
class DatasetDays:
    """What computing the dataset metrics gave: each metric's days, or why it has none."""

    # metric key → columns `day` and `value`, only the days the measure has a value
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    # metric key → a one-line error for people
    errors: dict[str, str] = field(default_factory=dict)


def dataset_metrics(catalog: MetricCatalog) -> list[Metric]:
    """The metrics computed from the datasets, in the file's order."""
    return [metric for metric in catalog if metric.measure is not None]


def first_day(datasets: Datasets, *, today: date, latest: Iterable[date | None]) -> date:
    """The first day a pull recomputes, given each (workspace, metric)'s newest stored day.

    Nothing stored yet for one of them: `history_days` days up to today. Otherwise the last
    `late_days` days and today, reaching back further to cover days missed since the newest
    stored one (the bot was down), but never past the history.
    """
    history = today - timedelta(days=datasets.history_days - 1)
    since = today - timedelta(days=datasets.late_days)
    for day in latest:
        if day is None:
            return history
        since = min(since, day + timedelta(days=1 - datasets.late_days))
    return max(since, history)


async def compute_dataset_metrics(
    catalog: MetricCatalog,
    *,
    since: date,
    until: date,
    timezone: str,
    base_dir: Path,
    env: Mapping[str, str],
) -> DatasetDays:
    """Every dataset metric's days from `since` to `until`; failures are per dataset group."""
    metrics = dataset_metrics(catalog)
    found = DatasetDays()
    where = _Where(since, until, timezone, base_dir, env)
    error = await _compute_into(found, catalog.datasets, metrics, where)
    if error is None:
        return found
    groups: dict[str, list[Metric]] = {}
    for metric in metrics:
        groups.setdefault(_needs(metric), []).append(metric)
    if len(groups) == 1:
        found.errors.update((metric.key, error) for metric in metrics)
        return found
    for group in groups.values():
        if failed := await _compute_into(found, catalog.datasets, group, where):
            found.errors.update((metric.key, failed) for metric in group)
    return found


@dataclass(frozen=True)
class _Where:
    """The days to compute, the timezone that makes a timestamp a day, and where files are."""

    since: date
    until: date
    timezone: str
    base_dir: Path
    env: Mapping[str, str]


def _needs(metric: Metric) -> str:
    assert metric.measure is not None
    return MEASURES[metric.measure].needs


async def _compute_into(
    found: DatasetDays, datasets: Datasets, metrics: list[Metric], where: _Where
) -> str | None:
    """Compute `metrics` into `found`; the error for people when it fails, else None."""
    measures = sorted({metric.measure for metric in metrics if metric.measure is not None})
    try:
        frame = await compute_measures(
            datasets,
            measures=measures,
            since=where.since,
            until=where.until,
            timezone=where.timezone,
            base_dir=where.base_dir,
            env=where.env,
        )
        for metric in metrics:
            found.frames[metric.key] = _days_of(frame, str(metric.measure))
    except SourceError as exc:
        return str(exc)
    except Exception as exc:  # a bug or a surprise must not stop the other metrics
        log.exception("computing the dataset metrics failed unexpectedly")
        return f"datasets: unexpected error ({type(exc).__name__})"
    return None


def _days_of(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One measure's column as (day, value) rows, the days without a value left out."""
    column = frame[measure].dropna()
    return pd.DataFrame({"day": list(column.index), "value": column.to_numpy(dtype=float)})
