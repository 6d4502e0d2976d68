"""Data from the first minute: a goal set on a metric with no recent value pulls it at once.

Pulls are coalesced per metric: goals set together share one pull, and a pull that finished
less than `remember` ago is reused rather than repeated, so ten `set` commands on one metric
cost the source one request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from jobs.metrics.catalog import Metric, MetricCatalog
from storage import evaluations as evaluation_store
from storage import points as point_store
from storage.db import Database
from storage.models import Evaluation, Goal

if TYPE_CHECKING:
    from jobs.metrics.pull import PullResult

Pull = Callable[[Sequence[str]], Awaitable["list[PullResult]"]]


@dataclass(frozen=True)
class FirstPull:
    """What a goal's first pull found: the goal's evaluation after it, or the source's error."""

    metric_key: str
    evaluation: Evaluation | None
    error: str | None = None


def sourced_inputs(catalog: MetricCatalog, metric: Metric) -> list[str]:
    """The fetched metrics a metric's values come from: itself, or a formula's sourced inputs."""
    if metric.source is not None:
        return [] if metric.source.kind == "manual" else [metric.key]
    keys: set[str] = set()
    for key in metric.formula_inputs():
        if (inner := catalog.get(key)) is not None:
            keys.update(sourced_inputs(catalog, inner))
    return sorted(keys)


def pulled_together(catalog: MetricCatalog, keys: Sequence[str]) -> list[str]:
    """The metrics one pull of `keys` brings: a dataset metric brings every dataset metric, so
    goals on different dataset metrics share one pull of the datasets."""
    datasets = [metric.key for metric in catalog if metric.measure is not None]
    if any(key in datasets for key in keys):
        return sorted(set(keys) | set(datasets))
    return sorted(keys)


class PullCoalescer:
    """One pull per set of metrics at a time, remembered for `remember` seconds after it ends.

    Invariant: while a pull of `keys` runs, every caller asking for `keys` awaits that same
    task; a caller cancelled while waiting does not cancel the pull for the others.
    """

    def __init__(self, pull: Pull, *, remember: float = 60.0) -> None:
        self._pull = pull
        self._remember = remember
        self._tasks: dict[tuple[str, ...], tuple[asyncio.Task[list[PullResult]], float]] = {}

    async def pull(self, keys: Sequence[str]) -> list[PullResult]:
        """The results of a pull of `keys`: running now, finished just now, or started here."""
        wanted = tuple(sorted(keys))
        now = time.monotonic()
        entry = self._tasks.get(wanted)
        if entry is None or (entry[0].done() and now - entry[1] > self._remember):
            task = asyncio.ensure_future(self._pull(list(wanted)))
            task.add_done_callback(lambda _: self._finished(wanted, task))
            self._tasks[wanted] = entry = (task, now)
        return await asyncio.shield(entry[0])

    def _finished(self, keys: tuple[str, ...], task: asyncio.Task[list[PullResult]]) -> None:
        # Remember from when it ended; a failed task is forgotten so the next caller retries.
        if self._tasks.get(keys, (None, 0.0))[0] is task:
            if task.cancelled() or task.exception() is not None:
                del self._tasks[keys]
            else:
                self._tasks[keys] = (task, time.monotonic())


async def needs_first_pull(
    *, database: Database, goal: Goal, today: date, staleness_days: int
) -> bool:
    """True when the goal's workspace has no value of its metric in the last `staleness_days`."""
    async with database.transaction() as session:
        latest = await point_store.latest_day(
            session=session, team_id=goal.team_id, metric_key=goal.metric_key
        )
    return latest is None or (today - latest).days > staleness_days


async def first_pull(
    *, database: Database, catalog: MetricCatalog, coalescer: PullCoalescer, goal: Goal
) -> FirstPull | None:
    """Pull what the goal's metric comes from; None when nothing can be pulled (manual)."""
    metric = catalog.get(goal.metric_key)
    keys = sourced_inputs(catalog, metric) if metric is not None else []
    if not keys or goal.id is None:
        return None
    results = await coalescer.pull(pulled_together(catalog, keys))
    errors = [r.error for r in results if r.error and r.metric_key in keys]
    async with database.transaction() as session:
        latest = await evaluation_store.latest_evaluations(session=session, goal_ids=[goal.id])
    return FirstPull(
        metric_key=goal.metric_key,
        evaluation=latest.get(goal.id),
        error="; ".join(errors) if errors else None,
    )
