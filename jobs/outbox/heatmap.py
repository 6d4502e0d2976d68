"""The customer heatmap in a remediation's thread (outbox kind `remediation_heatmap`, queued when
a remediation opens on a customer-grain measure; jobs/escalation/rows.py).

Sending it scores every customer as of the deployment's today (jobs/customers/scored.py), draws
the recency × frequency grid (jobs/customers/heatmap_chart.py) and uploads the PNG into the
thread. Every outcome is final: the upload is done; an orders dataset that cannot be read, a
scoring that fails or runs past SCORING_SHARE of the send timeout, or a chart that cannot be
drawn becomes a one-line note in the thread instead. Only the messenger's own errors reach the
sender, which retries or ends the row as it does every thread message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from jobs.context import EngineContext, SendTiming
from jobs.customers.heatmap_chart import heatmap_filename, heatmap_title, render_heatmap
from jobs.deferred import preload
from jobs.escalation.compose import Subject
from jobs.i18n import _
from jobs.messages import HeatmapUnavailable
from jobs.metrics.catalog import MetricCatalog
from jobs.outbox.outcomes import Done, Outcome
from storage.models import OutboxMessage, RemediationRow

if TYPE_CHECKING:
    from jobs.customers.scored import GridCell

log = logging.getLogger("goalpulse.timers")

# Scoring may take this share of the send timeout (itself shorter than the lease); the rest is
# left for drawing and for the upload's three Slack calls, each bounded on its own.
SCORING_SHARE = 0.4


class DatasetPlace(Protocol):
    """Where the datasets are: `base_dir` (the folder of metrics.yml, where relative globs and
    SQLite paths start) and `env` (what `${NAME}` in a URL reads). A SourceFetcher is one."""

    @property
    def base_dir(self) -> Path: ...

    @property
    def env(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class _Beside:
    base_dir: Path
    env: Mapping[str, str]


def datasets_beside(catalog: MetricCatalog) -> DatasetPlace:
    """The datasets beside metrics.yml (else the working folder), with no `${NAME}` values."""
    return _Beside(catalog.path.parent if catalog.path else Path.cwd(), {})


class _Unavailable(Exception):
    """The heatmap cannot be drawn; the message says why, in one line (in the locale in force
    while the row is sent; a dataset's own error stays as it came)."""


@dataclass
class RemediationHeatmaps:
    """Sends `remediation_heatmap` rows into their (already posted) threads."""

    context: EngineContext
    timing: SendTiming
    place: DatasetPlace

    @property
    def scoring_limit(self) -> timedelta:
        return self.timing.send_timeout * SCORING_SHARE

    async def send(self, message: OutboxMessage, rem: RemediationRow, subject: Subject) -> Outcome:
        """Upload the heatmap into the thread, or post why it is unavailable."""
        assert rem.parent_ts is not None  # the thread waits for its parent (Deliveries)
        day = self.context.today()
        try:
            png = await self._png(day)
        except _Unavailable as exc:
            note = HeatmapUnavailable(subject.line, reason=str(exc))
            ts = await self.context.messenger_for(rem.team_id).post(
                rem.channel_id, note, thread_ts=rem.parent_ts
            )
            return Done({"ts": ts, "channel": rem.channel_id, "unavailable": str(exc)})
        file_id = await self.context.messenger_for(rem.team_id).upload_file(
            rem.channel_id, rem.parent_ts, png, heatmap_filename(day), heatmap_title(day)
        )
        return Done({"channel": rem.channel_id, "thread_ts": rem.parent_ts, "file": file_id})

    async def _png(self, day: date) -> bytes:
        grid = await self._grid(day)
        if not any(cell.customers for cell in grid):
            raise _Unavailable(
                _("no customer has an order on or before {day}").format(day=day.isoformat())
            )
        try:
            return await asyncio.to_thread(render_heatmap, grid, day)
        except Exception as exc:  # a drawing bug: say so in the thread rather than retry it
            log.exception("the customer heatmap could not be drawn")
            raise _Unavailable(
                _("the chart could not be drawn ({error})").format(error=type(exc).__name__)
            ) from exc

    async def _grid(self, day: date) -> tuple[GridCell, ...]:
        """The recency × frequency grid as of `day`, scored within the scoring limit."""
        await preload()  # scoring needs pandas and SciPy: imported off the event loop
        from jobs.customers.scored import ScoringUnavailable, rf_grid, scored_apart

        place = self.place
        try:
            scored = await scored_apart(
                self.context.catalog.datasets,
                as_of=day,
                timezone=self.context.timezone,
                base_dir=place.base_dir,
                env=place.env,
                seconds=self.scoring_limit.total_seconds(),
            )
        except ScoringUnavailable as exc:
            raise _Unavailable(str(exc)) from exc
        return rf_grid(scored)
