"""Pull every metric from where its data lives; one broken source never stops the others.

Metrics fetched one by one (SQL, CSV, HTTP) are pulled in turn; the dataset metrics are computed
together, once, from the customer datasets (jobs/customers/pull.py), and stored the same way.

A source that starts failing, or works again, is told to its goals' owners: the notices are
queued in the same transaction that records the pull's outcome (see jobs/metrics/source_notices.py).
The dataset metrics' outcomes are recorded together, so a broken dataset is told once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.customers.pull import DatasetDays, compute_dataset_metrics, dataset_metrics, first_day
from jobs.metrics.catalog import Metric, MetricCatalog
from jobs.metrics.source_notices import (
    Source,
    affected_metrics,
    dataset_sources,
    queue_failure,
    queue_recovery,
)
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
    # The workspaces whose series of this metric changed (a day new or its value different).
    changed: tuple[str, ...] = ()


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
        teams = await goal_store.workspaces_with_goals(session=session)
        ended, changed = await _store(session, teams, metric, values, now)
        if ended is not None:
            await queue_recovery(session=session, metric_keys=[metric.key], since=ended, now=now)
    return PullResult(metric_key=metric.key, days=len(values), changed=changed)


async def _store(
    session: AsyncSession,
    teams: Sequence[str],
    metric: Metric,
    values: Sequence[DailyValue],
    now: datetime,
) -> tuple[datetime | None, tuple[str, ...]]:
    """Store the days for these workspaces and record the success; returns when the failure
    it ends began (if it ends one) and the workspaces whose series changed."""
    changed = []
    for team_id in teams:
        if await point_store.upsert_series(
            session=session,
            team_id=team_id,
            metric_key=metric.key,
            values=values,
            origin=metric.source.kind if metric.source else "formula",
            now=now,
        ):
            changed.append(team_id)
    ended = await source_store.record_success(
        session=session, metric_key=metric.key, points=len(values), now=now
    )
    return ended, tuple(changed)


async def _record_failure(
    session: AsyncSession, metric_key: str, message: str, now: datetime
) -> bool:
    """Record a failed pull; True when it starts a failure."""
    log.warning("source failure: %s", message)
    return await source_store.record_failure(
        session=session, metric_key=metric_key, error=message, now=now
    )


async def record_failed_pull(
    *,
    database: Database,
    metric: Metric,
    message: str,
    affected: Sequence[str],
    now: datetime,
) -> PullResult:
    """Record a metric's failed pull; a new failure is told to the `affected` goals' owners."""
    async with database.transaction() as session:
        started = await _record_failure(session, metric.key, message, now)
        if started:
            await queue_failure(
                session=session,
                source=Source(metric.key, (metric.key,)),
                affected=affected,
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
    changed = []
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
            if await point_store.upsert_series(
                session=session,
                team_id=team_id,
                metric_key=metric.key,
                values=values,
                origin="formula",
                now=now,
            ):
                changed.append(team_id)
            days += len(values)
    return PullResult(metric_key=metric.key, days=days, changed=tuple(changed))


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
    today (see jobs/customers/pull.py `first_day`). Source status is per metric; a dataset
    failure is told once, with every metric it stops (see `_record_datasets`).
    """
    metrics = dataset_metrics(catalog)
    if not metrics:
        return []
    keys = [metric.key for metric in metrics]
    async with database.transaction() as session:
        teams = await goal_store.workspaces_with_goals(session=session)
        stored = await point_store.latest_days(session=session, team_ids=teams, metric_keys=keys)
    computed = await compute_dataset_metrics(
        catalog,
        since=first_day(
            catalog.datasets,
            today=today,
            latest=[stored.get((team, key)) for team in teams for key in keys],
        ),
        until=today,
        timezone=timezone,
        base_dir=fetcher.base_dir,
        env=fetcher.env,
    )
    return await _record_datasets(
        database=database, catalog=catalog, metrics=metrics, computed=computed, now=now
    )


async def _record_datasets(
    *,
    database: Database,
    catalog: MetricCatalog,
    metrics: Sequence[Metric],
    computed: DatasetDays,
    now: datetime,
) -> list[PullResult]:
    """Store each dataset metric's days, or record its failure, in one transaction, which also
    queues one notice per dataset failure that starts and one per failure notice it ends."""
    results = []
    started: dict[str, str] = {}  # metric key → error, for the failures this pull starts
    ended: dict[datetime, list[str]] = {}  # when a failure began → the metrics it ends for
    async with database.transaction() as session:
        teams = await goal_store.workspaces_with_goals(session=session)
        for metric in metrics:
            if (error := computed.errors.get(metric.key)) is not None:
                new = await _record_failure(session, metric.key, error, now)
                if new:
                    started[metric.key] = error
                results.append(PullResult(metric_key=metric.key, error=error, new_failure=new))
                continue
            values = _daily_values(computed.frames[metric.key])
            since, changed = await _store(session, teams, metric, values, now)
            if since is not None:
                ended.setdefault(since, []).append(metric.key)
            results.append(PullResult(metric_key=metric.key, days=len(values), changed=changed))
        for source in dataset_sources(catalog, started):
            affected = affected_metrics(catalog, *source.metric_keys)
            await queue_failure(
                session=session, source=source, affected=affected, since=now, now=now
            )
        if ended:
            failing = await source_store.failing_sources(
                session=session, metric_keys=[metric.key for metric in metrics]
            )
            still = {key: s.failing_since for key, s in failing.items() if s.failing_since}
            for since, keys in ended.items():
                await queue_recovery(
                    session=session, metric_keys=keys, since=since, now=now, failing=still
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
