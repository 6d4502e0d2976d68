"""Pull every metric from where its data lives; one broken source never stops the others.

Metrics fetched one by one (SQL, CSV, HTTP) are pulled in turn; the dataset metrics are computed
together, once, from the customer datasets (jobs/customers/pull.py), and stored the same way.

A source that starts failing, or works again, is told to its goals' owners: the notices are
queued in the same transaction that records the pull's outcome (see jobs/metrics/source_notices.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from jobs.customers.pull import compute_dataset_metrics, dataset_metrics, first_day
from jobs.metrics.catalog import Metric, MetricCatalog
from jobs.metrics.source_notices import affected_metrics, queue_failure, queue_recovery
from jobs.metrics.sources import SourceError, SourceFetcher, derive
from storage import goals as goal_store
from storage import points as point_store
from storage import sources as source_store
from storage.db import Database
from storage.points import DailyValue

log = logging.getLogger("goalpulse.pull")

HISTORY_DAYS = 90


@dataclass(frozen=True)
class PullResult:
    """What one metric's pull did."""

    metric_key: str
    days: int = 0
    error: str | None = None
    new_failure: bool = False


def _daily_values(frame: pd.DataFrame) -> list[DailyValue]:
    return [
        DailyValue(day=day, value=float(value))
        for day, value in zip(frame["day"], frame["value"], strict=True)
    ]


async def pull_metric(
    *,
    database: Database,
    fetcher: SourceFetcher,
    metric: Metric,
    today: date,
    now: datetime,
    affected: Sequence[str] | None = None,
) -> PullResult:
    """Fetch one sourced metric and store its days for every workspace that has goals.

    `affected`: the metrics whose goals' owners hear of the source failing (by default the
    metric alone; `pull` adds the formula metrics computed from it).
    """
    since = today - timedelta(days=HISTORY_DAYS)
    try:
        frame = await fetcher.fetch(metric, since=since)
    except SourceError as exc:
        message = str(exc)
    except Exception as exc:  # a bug or a surprise in one source must not stop the others
        log.exception("pulling %s failed unexpectedly", metric.key)
        message = f"{metric.key}: unexpected error ({type(exc).__name__})"
    else:
        return await store_pulled(database=database, metric=metric, frame=frame, now=now)
    return await record_failed_pull(
        database=database,
        metric=metric,
        message=message,
        affected=affected if affected is not None else [metric.key],
        now=now,
    )


async def store_pulled(
    *, database: Database, metric: Metric, frame: pd.DataFrame, now: datetime
) -> PullResult:
    """Store a pulled metric's days for every workspace with goals; its source works (again)."""
    values = _daily_values(frame)
    async with database.transaction() as session:
        for team_id in await goal_store.workspaces_with_goals(session=session):
            await point_store.upsert_points(
                session=session,
                team_id=team_id,
                metric_key=metric.key,
                values=values,
                origin=metric.source.kind if metric.source else "formula",
                now=now,
            )
        ended = await source_store.record_success(
            session=session, metric_key=metric.key, points=len(values), now=now
        )
        if ended is not None:
            await queue_recovery(session=session, metric_key=metric.key, since=ended, now=now)
    return PullResult(metric_key=metric.key, days=len(values))


async def record_failed_pull(
    *,
    database: Database,
    metric: Metric,
    message: str,
    affected: Sequence[str],
    now: datetime,
) -> PullResult:
    """Record a metric's failed pull; a new failure is told to the `affected` goals' owners."""
    log.warning("source failure: %s", message)
    async with database.transaction() as session:
        started = await source_store.record_failure(
            session=session, metric_key=metric.key, error=message, now=now
        )
        if started:
            await queue_failure(
                session=session,
                metric_key=metric.key,
                metric_keys=affected,
                since=now,
                now=now,
            )
    return PullResult(metric_key=metric.key, error=message, new_failure=started)


async def derive_metric(
    *, database: Database, catalog: MetricCatalog, metric: Metric, today: date, now: datetime
) -> PullResult:
    """Compute a formula metric per workspace from its inputs' stored days."""
    assert metric.formula is not None
    inputs = sorted(metric.formula_inputs())
    since = today - timedelta(days=HISTORY_DAYS)
    days = 0
    async with database.transaction() as session:
        for team_id in await goal_store.workspaces_with_goals(session=session):
            rows = await point_store.points_since(
                session=session, team_id=team_id, metric_keys=inputs, since=since
            )
            frames = {
                key: pd.DataFrame(
                    [(p.day, p.value) for p in rows if p.metric_key == key],
                    columns=["day", "value"],
                )
                for key in inputs
            }
            derived = derive(metric.formula, frames)
            values = _daily_values(derived)
            days += await point_store.upsert_points(
                session=session,
                team_id=team_id,
                metric_key=metric.key,
                values=values,
                origin="formula",
                now=now,
            )
    return PullResult(metric_key=metric.key, days=days)


async def pull_datasets(
    *,
    database: Database,
    fetcher: SourceFetcher,
    catalog: MetricCatalog,
    today: date,
    now: datetime,
    timezone: str,
) -> list[PullResult]:
    """Compute every dataset metric at once and store each like a pulled metric.

    The first pull computes the datasets' `history_days`; later ones the last `late_days` and
    today (see jobs/customers/pull.py `first_day`). Source status and notices are per metric.
    """
    metrics = dataset_metrics(catalog)
    if not metrics:
        return []
    async with database.transaction() as session:
        latest = [
            await point_store.latest_day(session=session, team_id=team_id, metric_key=metric.key)
            for team_id in await goal_store.workspaces_with_goals(session=session)
            for metric in metrics
        ]
    computed = await compute_dataset_metrics(
        catalog,
        since=first_day(catalog.datasets, today=today, latest=latest),
        until=today,
        timezone=timezone,
        base_dir=fetcher.base_dir,
        env=fetcher.env,
    )
    results = []
    for metric in metrics:
        if (error := computed.errors.get(metric.key)) is not None:
            affected = affected_metrics(catalog, metric.key)
            results.append(
                await record_failed_pull(
                    database=database, metric=metric, message=error, affected=affected, now=now
                )
            )
        else:
            frame = computed.frames[metric.key]
            results.append(
                await store_pulled(database=database, metric=metric, frame=frame, now=now)
            )
    return results


def _fetched(catalog: MetricCatalog, wanted: set[str] | None) -> list[Metric]:
    """The metrics fetched one by one (not manual, formula or dataset), all or those wanted."""
    return [
        metric
        for metric in catalog
        if metric.source is not None
        and metric.source.kind not in ("manual", "dataset")
        and (wanted is None or metric.key in wanted)
    ]


async def pull(
    *,
    database: Database,
    fetcher: SourceFetcher,
    catalog: MetricCatalog,
    today: date,
    now: datetime,
    metric_keys: Sequence[str] | None = None,
    timezone: str = "UTC",
) -> list[PullResult]:
    """Pull the sourced metrics (all, or those named), then recompute every derived metric.

    Naming any dataset metric pulls the datasets, which computes every dataset metric once.
    `timezone`: the deployment's, where a dataset row's timestamp falls on its day.
    """
    wanted = set(metric_keys) if metric_keys is not None else None
    results = [
        await pull_metric(
            database=database,
            fetcher=fetcher,
            metric=metric,
            today=today,
            now=now,
            affected=affected_metrics(catalog, metric.key),
        )
        for metric in _fetched(catalog, wanted)
    ]
    datasets = {metric.key for metric in dataset_metrics(catalog)}
    if datasets and (wanted is None or wanted & datasets):
        results += await pull_datasets(
            database=database,
            fetcher=fetcher,
            catalog=catalog,
            today=today,
            now=now,
            timezone=timezone,
        )
    for metric in catalog:
        if metric.formula is not None:
            results.append(
                await derive_metric(
                    database=database, catalog=catalog, metric=metric, today=today, now=now
                )
            )
    return results
