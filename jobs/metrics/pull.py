"""Pull every metric from where its data lives; one broken source never stops the others.

A source that starts failing, or works again, is told to its goals' owners: the notices are
queued in the same transaction that records the pull's outcome (see jobs/metrics/source_notices.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

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
    log.warning("source failure: %s", message)
    async with database.transaction() as session:
        started = await source_store.record_failure(
            session=session, metric_key=metric.key, error=message, now=now
        )
        if started:
            await queue_failure(
                session=session,
                metric_key=metric.key,
                metric_keys=affected if affected is not None else [metric.key],
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


async def pull(
    *,
    database: Database,
    fetcher: SourceFetcher,
    catalog: MetricCatalog,
    today: date,
    now: datetime,
    metric_keys: Sequence[str] | None = None,
) -> list[PullResult]:
    """Pull the sourced metrics (all, or those named), then recompute every derived metric."""
    wanted = set(metric_keys) if metric_keys is not None else None
    results = []
    for metric in catalog:
        if metric.source is None or metric.source.kind == "manual":
            continue
        if wanted is None or metric.key in wanted:
            results.append(
                await pull_metric(
                    database=database,
                    fetcher=fetcher,
                    metric=metric,
                    today=today,
                    now=now,
                    affected=affected_metrics(catalog, metric.key),
                )
            )
    for metric in catalog:
        if metric.formula is not None:
            results.append(
                await derive_metric(
                    database=database, catalog=catalog, metric=metric, today=today, now=now
                )
            )
    return results
