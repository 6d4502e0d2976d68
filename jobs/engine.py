"""The engine: pull, evaluate and post digests, each step safe to run from several processes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from jobs.checkins.service import OwnerZones, ask_due
from jobs.context import EngineContext, SendTiming
from jobs.deferred import evaluate, pull
from jobs.digest.build import ChannelSchedule, DueDigest, build_digest, due_digests, load_schedules
from jobs.digest.delivery import DigestOutcome, deliver_workspace
from jobs.digest.fan_out import everyone, fanning_out, own_order
from jobs.digest.model import ChannelDigest
from jobs.escalation.episode import EscalationPolicy
from jobs.escalation.flow import escalate
from jobs.evaluation.policy import EvaluationPolicy
from jobs.evaluation.worker import EvaluationWorker
from jobs.home.model import BandChange, BandsChanged
from jobs.messenger import DeliveryError, Messenger, TransientDeliveryError
from jobs.metrics.first_pull import FirstPull, PullCoalescer, first_pull, needs_first_pull
from jobs.metrics.sources import SourceFetcher
from jobs.outbox.problems import digest_problem
from jobs.outbox.sender import OutboxSender, TimerOutcome, backoff
from storage import claims, outbox
from storage import evaluations as evaluation_store
from storage.db import Database
from storage.models import Goal
from storage.points import Changed

if TYPE_CHECKING:
    from jobs.metrics.pull import PullResult

log = logging.getLogger("goalpulse.engine")


@dataclass
class Engine:
    """Everything the scheduled jobs need; no Slack in here (the messenger hides it)."""

    context: EngineContext
    fetcher: SourceFetcher
    policy: EvaluationPolicy = field(default_factory=EvaluationPolicy)
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy)
    timing: SendTiming = field(default_factory=SendTiming)
    # How long after its time a digest may still go out.
    grace: timedelta = timedelta(hours=6)
    concurrency: int = 16
    sender: OutboxSender = field(init=False)
    coalescer: PullCoalescer = field(init=False)
    # Owners' timezones, kept a while: the check-in tick runs every minute.
    zones: OwnerZones = field(init=False, default_factory=OwnerZones)
    _checked_minute: datetime | None = field(init=False, default=None)
    # Told of the goals whose band an evaluation changed (bot/runtime.py sets it).
    on_bands_changed: BandsChanged | None = field(default=None, kw_only=True)
    # Where the bot reads and classifies (jobs/evaluation/worker.py); None: in this process.
    evaluation_worker: EvaluationWorker | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        self.coalescer = PullCoalescer(self.pull)
        self.sender = OutboxSender(
            context=self.context,
            policy=self.policy,
            timing=self.timing,
            concurrency=self.concurrency,
            datasets=self.fetcher,
        )

    # The context's parts, for the bot's listeners and commands.

    @property
    def database(self) -> Database:
        return self.context.database

    @property
    def messenger(self) -> Messenger:
        return self.context.messenger

    def messenger_for(self, team_id: str) -> Messenger:
        """The messenger speaking to this workspace (jobs/context.py)."""
        return self.context.messenger_for(team_id)

    @property
    def timezone(self) -> str:
        return self.context.timezone

    @property
    def worker(self) -> str:
        return self.context.worker

    @property
    def lease(self) -> timedelta:
        return self.timing.lease

    def today(self) -> date:
        """Today in the deployment timezone: the day metric values belong to."""
        return self.context.today()

    async def pull(self, metric_keys: Sequence[str] | None = None) -> list[PullResult]:
        """Pull metrics (all, or those named), then evaluate the goals on what changed.

        Naming any dataset metric pulls the datasets once, which computes all of them."""
        results = await pull(
            database=self.context.database,
            fetcher=self.fetcher,
            catalog=self.context.catalog,
            today=self.today(),
            now=self.context.clock(),
            metric_keys=metric_keys,
            timezone=self.context.timezone,
        )
        # Only the goals on series this pull changed (and any not yet evaluated today).
        changed = Changed(
            day=self.today(),
            series=tuple((team, r.metric_key) for r in results for team in r.changed),
        )
        await self.evaluate_goals(metric_keys=[r.metric_key for r in results], changed=changed)
        return results

    async def first_pull(self, goal: Goal) -> FirstPull | None:
        """Pull a new goal's metric now if its workspace has no recent value of it; None when
        it has one (or the metric is typed in by hand)."""
        if not await needs_first_pull(
            database=self.context.database,
            goal=goal,
            today=self.today(),
            staleness_days=self.policy.staleness_days,
        ):
            return None
        return await first_pull(
            database=self.context.database,
            catalog=self.context.catalog,
            coalescer=self.coalescer,
            goal=goal,
        )

    async def evaluate(self, *, metric_keys: list[str] | None = None) -> int:
        """Evaluate active goals for today; returns how many were evaluated."""
        return len(await self.evaluate_goals(metric_keys=metric_keys))

    async def evaluate_goals(
        self,
        *,
        team_id: str | None = None,
        channel_id: str | None = None,
        metric_keys: list[str] | None = None,
        changed: Changed | None = None,
    ) -> list[dict[str, Any]]:
        """Evaluate goals (all, a workspace's, a channel's or some metrics'; with `changed`,
        only those a pull changed), then escalate what slipped."""
        narrowed = {
            "team_id": team_id,
            "channel_id": channel_id,
            "metric_keys": metric_keys,
            "changed": changed,
        }
        before = await self._bands(**narrowed) if self.on_bands_changed is not None else None
        rows = await evaluate(
            database=self.context.database,
            day=self.today(),
            now=self.context.clock(),
            policy=self.policy,
            team_id=team_id,
            channel_id=channel_id,
            metric_keys=metric_keys,
            changed=changed,
            catalog=self.context.catalog,
            worker=self.evaluation_worker,
        )
        await self.escalate(rows)
        if before is not None:
            self._tell_band_changes(before, rows)
        return rows

    async def _bands(self, **narrowed: Any) -> dict[int, str | None]:
        """The goals' bands as stored before evaluating, by goal id."""
        async with self.context.database.transaction() as session:
            return await evaluation_store.latest_bands(
                session=session, through=self.today(), **narrowed
            )

    def _tell_band_changes(
        self, before: dict[int, str | None], rows: Sequence[dict[str, Any]]
    ) -> None:
        changes = [
            BandChange(row["team_id"], row["goal_id"], before.get(row["goal_id"]), row["band"])
            for row in rows
            if before.get(row["goal_id"]) != row["band"]
        ]
        if changes and self.on_bands_changed is not None:
            try:
                self.on_bands_changed(changes)
            except Exception:  # a listener's failure never fails the evaluation
                log.exception("telling %d band changes failed", len(changes))

    async def escalate(self, rows: Sequence[dict[str, Any]]) -> int:
        """Step the episodes of freshly evaluated goals; queue (not send) their messages."""
        if not rows:
            return 0
        async with self.context.database.transaction() as session:
            return await escalate(
                session=session,
                evaluations=rows,
                now=self.context.clock(),
                policy=self.escalation,
                evaluation=self.policy,
                catalog=self.context.catalog,
            )

    async def timers_tick(self) -> list[TimerOutcome]:
        """Send every due DM, thread post, reminder and close-out exactly once."""
        return await self.sender.run_due()

    async def checkins_tick(self) -> int:
        """Ask every goal owner whose check-in slot has come (queued, sent by timers_tick);
        returns how many were asked. Slots are whole minutes: a second tick within the same
        minute of the clock finds nothing new and is skipped."""
        minute = self.context.clock().replace(second=0, microsecond=0)
        if minute == self._checked_minute:
            return 0
        asked = await ask_due(self.context, zones=self.zones)
        self._checked_minute = minute
        return asked

    async def flush(self, goal_id: int) -> list[TimerOutcome]:
        """Send one goal's due messages now (after a click), instead of at the next tick."""
        return await self.sender.run_due(goal_id=goal_id)

    async def digest_tick(self) -> list[DigestOutcome]:
        """Post every digest that is due and not yet done; safe to run concurrently anywhere."""
        now = self.context.clock()
        async with self.context.database.transaction() as session:
            schedules = await load_schedules(
                session=session, default_timezone=self.context.timezone
            )
            due = due_digests(schedules, now=now, grace=self.grace)
            done = await claims.done_keys(session=session, run_keys=[d.run_key for d in due])
            # A digest whose window passed while it was being retried ends here.
            await claims.give_up_stale(
                session=session, kind="digest", claimed_before=now - self.grace, now=now
            )
        pending = own_order([d for d in due if d.run_key not in done], self.context.worker)
        evaluated = await self._evaluate_for_fan_out(pending, schedules)
        limit = asyncio.Semaphore(self.concurrency)
        by_team: dict[str, list[DueDigest]] = {}
        for item in pending:  # each workspace's digests go together (jobs/digest/delivery.py)
            by_team.setdefault(item.team_id, []).append(item)

        async def one(team_id: str, items: list[DueDigest]) -> list[DigestOutcome]:
            async with limit:
                return await deliver_workspace(self, items, evaluated=team_id in evaluated)

        batches = await asyncio.gather(*(one(*pair) for pair in by_team.items()))
        return [outcome for batch in batches for outcome in batch]

    async def _evaluate_for_fan_out(
        self, pending: Sequence[DueDigest], schedules: Sequence[ChannelSchedule]
    ) -> set[str]:
        """Evaluate at once each workspace with at least a quarter of its channels' digests due
        (jobs/digest/fan_out.py): a channel costs ~15 ms whatever its size, a workspace ~0.2 ms
        a goal. Returns the workspaces so evaluated; a failure leaves it to each channel's own.
        """
        fanning = fanning_out(pending, schedules)
        # Every workspace fanning out: one evaluation of every goal (None), not one each.
        teams: list[str | None] = [None] if everyone(fanning, schedules) else [*sorted(fanning)]
        evaluated: set[str] = set()
        for team_id in teams:
            try:
                await self.evaluate_goals(team_id=team_id)
            except Exception as exc:  # each digest then evaluates its own channel, and retries
                log.warning("evaluating %s for its digests failed: %s", team_id or "all", exc)
                continue
            evaluated |= fanning if team_id is None else {team_id}
        return evaluated

    async def deliver(self, item: DueDigest, *, evaluated: bool = False) -> DigestOutcome:
        """Claim one digest, build it, post it, and record the message's ts; `evaluated`: the
        channel's goals were just evaluated (by the tick, for a fan-out)."""
        return (await deliver_workspace(self, [item], evaluated=evaluated))[0]

    async def _digest_failed(
        self, item: DueDigest, exc: Exception, *, attempt: int
    ) -> DigestOutcome:
        """A permanent refusal, or the last retry, ends the claim (and someone is told);
        anything else is retried later, backing off."""
        error = (
            exc if isinstance(exc, DeliveryError) else TransientDeliveryError(type(exc).__name__)
        )
        if not isinstance(exc, DeliveryError):
            log.exception("digest %s failed unexpectedly", item.run_key)
        now = self.context.clock()
        final = error.permanent or attempt >= self.timing.max_attempts
        async with self.context.database.transaction() as session:
            if final:
                await claims.fail(
                    session=session,
                    run_key=item.run_key,
                    worker=self.context.worker,
                    now=now,
                    reason=str(error),
                )
                notice = await digest_problem(session, item, error, now=now)
                if notice is not None:
                    await outbox.enqueue(session=session, messages=[notice])
            else:
                delay = backoff(
                    attempt,
                    base=self.timing.retry_after,
                    cap=self.timing.max_backoff,
                    hint=error.retry_after,
                )
                await claims.release(
                    session=session,
                    run_key=item.run_key,
                    worker=self.context.worker,
                    retry_at=now + delay,
                    error=str(error),
                )
        log.warning(
            "digest %s %s: %s", item.run_key, "failed for good" if final else "will retry", error
        )
        return DigestOutcome(item.run_key, "failed", error=str(error))

    async def digest_for(
        self,
        team_id: str,
        channel_id: str,
        *,
        local_date: date,
        timezone: str,
        evaluated: bool = False,
    ) -> ChannelDigest | None:
        """A channel's digest as of now, evaluating its goals first so it is current (unless
        the caller has just `evaluated` them)."""
        day = self.today()
        if not evaluated:
            await self.evaluate_goals(team_id=team_id, channel_id=channel_id)
        async with self.context.database.transaction() as session:
            return await build_digest(
                session=session,
                catalog=self.context.catalog,
                team_id=team_id,
                channel_id=channel_id,
                local_date=local_date,
                timezone=timezone,
                day=day,
                policy=self.policy,
                now=self.context.clock(),
            )
