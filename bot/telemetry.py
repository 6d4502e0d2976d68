"""The process's Prometheus metrics, in a registry of its own, served at GET /metrics.

Counted as they happen: scheduled jobs run and failed, Slack Web API calls by method and
outcome with their latency, and Slack's 429s. Read from the database at scrape time: outbox
rows by state, the age of the oldest due and unsent row, and each sourced metric's freshness.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from bot.services import utc_now
from jobs.metrics.catalog import MetricCatalog
from storage import health
from storage.db import Database
from storage.health import OutboxHealth
from storage.models import SourceStatus

log = logging.getLogger("goalpulse.telemetry")

# Rows that ended (sent, skipped, failed) are counted over this window; pending ones all.
OUTBOX_WINDOW = timedelta(hours=24)
SCRAPE_TIMEOUT_SECONDS = 5.0
SLACK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class _Snapshot:
    """What the last scrape read from the database."""

    ok: bool = False
    outbox: OutboxHealth | None = None
    sources: list[SourceStatus] = field(default_factory=list)
    sourced: list[str] = field(default_factory=list)
    now: datetime | None = None


class _DatabaseGauges(Collector):
    """Gauges built from the latest snapshot each time the registry is collected."""

    def __init__(self) -> None:
        self.snapshot = _Snapshot()

    def collect(self) -> Iterable[Metric]:
        shot = self.snapshot
        up = GaugeMetricFamily(
            "goalpulse_database_up", "1 when this scrape could read the database, else 0."
        )
        up.add_metric([], 1.0 if shot.ok else 0.0)
        yield up
        if not shot.ok or shot.now is None or shot.outbox is None:
            return
        rows = GaugeMetricFamily(
            "goalpulse_outbox_rows",
            "Outbox rows by state: every pending row, and the rows that ended sent, skipped "
            "or failed in the last 24 hours.",
            labels=["state"],
        )
        for state, count in shot.outbox.by_state.items():
            rows.add_metric([state], float(count))
        yield rows
        oldest = shot.outbox.oldest_due_at
        age = GaugeMetricFamily(
            "goalpulse_outbox_oldest_due_seconds",
            "Seconds since the oldest due, unsent outbox row fell due (0 when none is due; "
            "a paused goal's rows are left out).",
        )
        age.add_metric([], max((shot.now - oldest).total_seconds(), 0.0) if oldest else 0.0)
        yield age
        fresh = GaugeMetricFamily(
            "goalpulse_source_last_success_age_seconds",
            "Seconds since the metric's source was last pulled successfully.",
            labels=["metric"],
        )
        failing = GaugeMetricFamily(
            "goalpulse_source_failing",
            "1 while the metric's latest pull failed, else 0.",
            labels=["metric"],
        )
        statuses = {status.metric_key: status for status in shot.sources}
        for key in shot.sourced:
            status = statuses.get(key)
            failing.add_metric([key], 1.0 if status and status.failing_since else 0.0)
            if status is not None and status.last_success_at is not None:
                seconds = (shot.now - status.last_success_at).total_seconds()
                fresh.add_metric([key], max(seconds, 0.0))
        yield fresh
        yield failing


class Telemetry:
    """One process's metrics. Counters are fed by the Slack client, its retry handler and the
    scheduler; `scrape()` reads the database and renders everything in the text format."""

    def __init__(
        self,
        *,
        database: Database | None = None,
        catalog: MetricCatalog | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database = database
        self.catalog = catalog
        self.clock = clock
        self.registry = CollectorRegistry()
        self.jobs_run = Counter(
            "goalpulse_jobs_run",
            "Scheduled job runs that finished, failed ones included, by job.",
            ["job"],
            registry=self.registry,
        )
        self.jobs_failed = Counter(
            "goalpulse_jobs_failed",
            "Scheduled job runs that raised (logged; the scheduler carries on), by job.",
            ["job"],
            registry=self.registry,
        )
        self.slack_calls = Counter(
            "goalpulse_slack_calls",
            "Slack Web API calls by method and outcome: ok, Slack's error code, http_5xx, "
            "http_<status>, timeout, connection or cancelled.",
            ["method", "outcome"],
            registry=self.registry,
        )
        self.slack_seconds = Histogram(
            "goalpulse_slack_call_duration_seconds",
            "How long Slack Web API calls took, retries in place included, by method.",
            ["method"],
            buckets=SLACK_BUCKETS,
            registry=self.registry,
        )
        self.slack_rate_limited = Counter(
            "goalpulse_slack_rate_limited",
            "HTTP 429s Slack answered, by method and handling: `retried` in place after a "
            "short Retry-After, or `returned` to the caller.",
            ["method", "handling"],
            registry=self.registry,
        )
        self._gauges = _DatabaseGauges()
        self.registry.register(self._gauges)

    # -- fed as things happen ----------------------------------------------------------------

    def job_finished(self, job: str, *, failed: bool) -> None:
        """A scheduled job ran (jobs.scheduler.JobMetrics)."""
        self.jobs_run.labels(job=job).inc()
        if failed:
            self.jobs_failed.labels(job=job).inc()

    def slack_call(self, method: str, outcome: str, seconds: float) -> None:
        """A Slack Web API call ended."""
        self.slack_calls.labels(method=method, outcome=outcome).inc()
        self.slack_seconds.labels(method=method).observe(seconds)

    def rate_limited(self, method: str, *, retried: bool) -> None:
        """Slack answered 429: retried in place, or handed back to the caller."""
        handling = "retried" if retried else "returned"
        self.slack_rate_limited.labels(method=method, handling=handling).inc()

    # -- read at scrape time -----------------------------------------------------------------

    async def scrape(self) -> bytes:
        """Read the database, then render every metric in Prometheus's text format."""
        await self.refresh()
        return generate_latest(self.registry)

    async def refresh(self) -> None:
        """Replace the database snapshot; a database that fails or hangs shows as down."""
        if self.database is None:
            return
        now = self.clock()
        sourced = [
            m.key
            for m in (self.catalog or ())
            if m.source is not None and m.source.kind != "manual"
        ]
        try:
            async with asyncio.timeout(SCRAPE_TIMEOUT_SECONDS):
                async with self.database.transaction() as session:
                    outbox = await health.outbox_health(
                        session=session, now=now, since=now - OUTBOX_WINDOW
                    )
                    sources = await health.source_statuses(session=session, metric_keys=sourced)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("metrics: cannot read the database: %s", type(exc).__name__)
            self._gauges.snapshot = _Snapshot()
            return
        self._gauges.snapshot = _Snapshot(
            ok=True, outbox=outbox, sources=sources, sourced=sourced, now=now
        )
