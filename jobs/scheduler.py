"""APScheduler jobs for one process. The schedule's state lives in our tables (run claims), not
in APScheduler's job store, so several processes can run these same jobs safely."""

from __future__ import annotations

from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs.engine import Engine

JOB_DEFAULTS = {
    # A tick missed while the process was busy or asleep runs once, not once per missed slot.
    "coalesce": True,
    "max_instances": 1,
    "misfire_grace_time": 15 * 60,
}


def build_scheduler(engine: Engine, *, tick_seconds: float = 60) -> AsyncIOScheduler:
    """A pull per sourced metric on its cron (evaluation follows each pull) and a digest tick."""
    scheduler = AsyncIOScheduler(timezone=engine.timezone, job_defaults=JOB_DEFAULTS)
    for metric in engine.catalog:
        if metric.source is None or metric.source.kind == "manual":
            continue
        scheduler.add_job(
            engine.pull,
            CronTrigger.from_crontab(metric.schedule, timezone=engine.timezone),
            kwargs={"metric_keys": [metric.key]},
            id=f"pull:{metric.key}",
            name=f"pull {metric.key}",
        )
    scheduler.add_job(
        engine.digest_tick,
        IntervalTrigger(seconds=tick_seconds, timezone=engine.timezone),
        id="digest_tick",
        name="digest tick",
        # Tick at once on start-up, so digests missed while the bot was down go out now.
        next_run_time=datetime.now(tz=scheduler.timezone),
    )
    return scheduler
