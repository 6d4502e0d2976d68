"""APScheduler jobs for one process. The schedule's state lives in our tables (run claims), not
in APScheduler's job store, so several processes can run these same jobs safely.

Start-up imports none of the engine's heavy modules (jobs/deferred.py): the first job to run
imports them in a worker thread before it starts, so the event loop keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs.deferred import preload
from jobs.engine import Engine

log = logging.getLogger("goalpulse.scheduler")

JOB_DEFAULTS = {
    # A tick missed while the process was busy or asleep runs once, not once per missed slot.
    "coalesce": True,
    "max_instances": 1,
    "misfire_grace_time": 15 * 60,
}
# How often (seconds) goalpulse checks on itself (jobs/self_check.py).
SELF_CHECK_SECONDS = 5 * 60
# The job that pulls the datasets, computing every dataset metric (metrics.yml `datasets:`).
DATASETS_JOB = "pull:datasets"


class JobMetrics(Protocol):
    """Told of every job run: bot/telemetry.py counts them for /metrics."""

    def job_finished(self, job: str, *, failed: bool) -> None: ...


class EngineScheduler:
    """The engine's jobs on an AsyncIOScheduler, with a stop that waits for running jobs.

    APScheduler's own shutdown does not wait for coroutine jobs; stopping the database under a
    half-done digest would leave it hanging, so we track the running jobs ourselves.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        tick_seconds: float = 60,
        metrics: JobMetrics | None = None,
        self_check_seconds: float = SELF_CHECK_SECONDS,
    ) -> None:
        timezone = engine.context.timezone
        self.scheduler = AsyncIOScheduler(timezone=timezone, job_defaults=JOB_DEFAULTS)
        self._running: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self.metrics = metrics
        self._add_pulls(engine)
        self.scheduler.add_job(
            self._tracked(engine.digest_tick, "digest_tick"),
            IntervalTrigger(seconds=tick_seconds, timezone=timezone),
            id="digest_tick",
            name="digest tick",
            # Tick at once on start-up, so digests missed while the bot was down go out now.
            next_run_time=datetime.now(tz=self.scheduler.timezone),
        )
        self.scheduler.add_job(
            self._tracked(engine.timers_tick, "timers_tick"),
            IntervalTrigger(seconds=tick_seconds, timezone=timezone),
            id="timers_tick",
            name="timers tick",
            # Reminders and DMs that fell due while the bot was down go out at start-up.
            next_run_time=datetime.now(tz=self.scheduler.timezone),
        )
        self.scheduler.add_job(
            self._tracked(engine.checkins_tick, "checkins_tick"),
            IntervalTrigger(seconds=tick_seconds, timezone=timezone),
            id="checkins_tick",
            name="check-ins tick",
            # Owners whose check-in came due while the bot was down are asked at start-up.
            next_run_time=datetime.now(tz=self.scheduler.timezone),
        )
        self.scheduler.add_job(
            self._tracked(engine.sender.self_check.run, "self_check"),
            IntervalTrigger(seconds=self_check_seconds, timezone=timezone),
            id="self_check",
            name="self-check",
        )

    def _add_pulls(self, engine: Engine) -> None:
        """A pull per fetched metric on its cron, and one of the datasets on theirs."""
        catalog, timezone = engine.context.catalog, engine.context.timezone
        for metric in catalog:
            if metric.source is None or metric.source.kind in ("manual", "dataset"):
                continue
            self.scheduler.add_job(
                self._tracked(engine.pull, f"pull:{metric.key}"),
                CronTrigger.from_crontab(metric.schedule, timezone=timezone),
                kwargs={"metric_keys": [metric.key]},
                id=f"pull:{metric.key}",
                name=f"pull {metric.key}",
            )
        # Every dataset metric comes from one computation: one job, on the datasets' cron.
        if keys := [metric.key for metric in catalog if metric.measure is not None]:
            self.scheduler.add_job(
                self._tracked(engine.pull, DATASETS_JOB),
                CronTrigger.from_crontab(catalog.datasets.schedule, timezone=timezone),
                kwargs={"metric_keys": keys},
                id=DATASETS_JOB,
                name="pull datasets",
            )

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def start(self) -> None:
        self.scheduler.start()
        log.info("scheduler started: %s", ", ".join(j.name for j in self.scheduler.get_jobs()))

    async def stop(self, grace: float = 10) -> None:
        """No new jobs; let running ones finish for `grace` seconds, then cancel them."""
        self._stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        # A job APScheduler already handed to the loop but not yet started registers itself
        # on its first step; let it, so it is waited for (it returns at once, see _tracked).
        await asyncio.sleep(0)
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)

    def _tracked(
        self, job: Callable[..., Awaitable[Any]], name: str
    ) -> Callable[..., Awaitable[Any]]:
        """The job, waited for by stop(), counted, and logged (not raised) when it fails: a
        failed run never stops the scheduler, and the next run is tried as planned. Each run
        first makes sure the heavy modules are imported (at once after the first time)."""

        async def run(*args: Any, **kwargs: Any) -> Any:
            if self._stopping:  # started after stop(): the database may already be closed
                return None
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                await preload()
                result = await job(*args, **kwargs)
            except Exception:
                log.exception("job %s failed", name)
                self._count(name, failed=True)
                return None
            finally:
                self._running.discard(task)
            self._count(name, failed=False)
            return result

        run.__name__ = getattr(job, "__name__", "job")
        return run

    def _count(self, name: str, *, failed: bool) -> None:
        if self.metrics is not None:
            self.metrics.job_finished(name, failed=failed)


def build_scheduler(
    engine: Engine, *, tick_seconds: float = 60, metrics: JobMetrics | None = None
) -> EngineScheduler:
    """A pull per sourced metric on its cron and one of the datasets on theirs (evaluation
    follows each pull), a digest tick, a timers tick (DMs, thread posts, reminders and
    close-outs) and the self-check."""
    return EngineScheduler(engine, tick_seconds=tick_seconds, metrics=metrics)
