"""The timers tick: send every due outbox message exactly once (docs/architecture.md,
"Outbox and run claims").

Each row is claimed with a lease, sent, and only then marked done, together with the state the
send produced (the parent's ts, the close-out's outcome) and any follow-up rows (the next repeat
ping, the overdue escalations). A message whose thread is not posted yet, or whose recipient is
in quiet hours or has snoozed, is handed back with a later due time: deferred, never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from sqlmodel.ext.asyncio.session import AsyncSession
from structlog.contextvars import bound_contextvars

from jobs.context import EngineContext, SendTiming
from jobs.evaluation.policy import EvaluationPolicy
from jobs.messenger import DeliveryError, TransientDeliveryError
from jobs.metrics.source_notices import KINDS as SOURCE_NOTICE_KINDS
from jobs.metrics.source_notices import SourceNotices
from jobs.outbox.checkin_summaries import KINDS as SUMMARY_KINDS
from jobs.outbox.checkin_summaries import CheckinSummaries
from jobs.outbox.deliveries import Deliveries
from jobs.outbox.heatmap import DatasetPlace
from jobs.outbox.outcomes import Done, Later, Outcome, Skip
from jobs.outbox.problems import PROBLEM_KINDS, DeliveryProblems, problem_notice
from jobs.self_check import KINDS as SELF_CHECK_KINDS
from jobs.self_check import SelfCheck
from storage import outbox
from storage.models import OutboxMessage

log = logging.getLogger("goalpulse.timers")

Status = Literal["sent", "skipped", "deferred", "failed", "taken"]
FOLLOW_UP_PASSES = 3


@dataclass(frozen=True)
class TimerOutcome:
    """What happened to one outbox row in a tick."""

    run_key: str
    kind: str
    status: Status
    detail: str | None = None


@dataclass
class OutboxSender:
    """Sends due outbox rows through the messenger; safe to run in several processes at once."""

    context: EngineContext
    # The trend trigger travels with it into every goal line and remediation parent.
    policy: EvaluationPolicy = field(default_factory=EvaluationPolicy)
    timing: SendTiming = field(default_factory=SendTiming)
    concurrency: int = 8
    # Where the customer datasets are, for the remediation heatmap (jobs/outbox/heatmap.py).
    datasets: DatasetPlace | None = None
    _goal_locks: defaultdict[int, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )
    deliveries: Deliveries = field(init=False)
    source_notices: SourceNotices = field(init=False)
    problems: DeliveryProblems = field(init=False)
    self_check: SelfCheck = field(init=False)
    summaries: CheckinSummaries = field(init=False)

    def __post_init__(self) -> None:
        self.self_check = SelfCheck(context=self.context)
        self.summaries = CheckinSummaries(context=self.context)
        self.problems = DeliveryProblems(context=self.context)
        self.deliveries = Deliveries(
            context=self.context, policy=self.policy, timing=self.timing, datasets=self.datasets
        )
        self.source_notices = SourceNotices(context=self.context, timing=self.timing)

    async def run_due(self, *, goal_id: int | None = None) -> list[TimerOutcome]:
        """Send what is due (for one goal, or all), and the follow-ups that sending queued (a
        close-out's escalations, the next message in a thread) in further passes."""
        outcomes: list[TimerOutcome] = []
        for _ in range(FOLLOW_UP_PASSES):
            batch = await self._one_pass(goal_id)
            outcomes += batch
            if not any(outcome.status == "sent" for outcome in batch):
                break
        return outcomes

    async def _one_pass(self, goal_id: int | None) -> list[TimerOutcome]:
        """Send what is due now; one goal's messages go out in order."""
        async with self.context.database.transaction() as session:
            due = await outbox.due(session=session, now=self.context.clock(), goal_id=goal_id)
        by_goal: defaultdict[int, list[OutboxMessage]] = defaultdict(list)
        for message in due:
            by_goal[message.goal_id].append(message)
        limit = asyncio.Semaphore(self.concurrency)

        async def goal_queue(messages: list[OutboxMessage]) -> list[TimerOutcome]:
            outcomes = []
            async with limit, self._goal_locks[messages[0].goal_id]:
                for message in messages:
                    outcomes.append(await self._send_one(message))
                    if outcomes[-1].status == "taken":
                        # Another process has this goal's earlier message in hand: its later
                        # ones wait for the next pass rather than overtake it.
                        break
            return outcomes

        batches = await asyncio.gather(*(goal_queue(group) for group in by_goal.values()))
        return [outcome for batch in batches for outcome in batch]

    async def _send_one(self, message: OutboxMessage) -> TimerOutcome:
        # Every line logged while this row is sent (here, in the messenger, in slack_sdk)
        # carries its run key and kind.
        with bound_contextvars(run_key=message.run_key, kind=message.kind):
            return await self._send_bound(message)

    async def _send_bound(self, message: OutboxMessage) -> TimerOutcome:
        assert message.id is not None
        now = self.context.clock()
        async with self.context.database.transaction() as session:
            token = await outbox.claim(
                session=session,
                message=message,
                worker=self.context.worker,
                now=now,
                lease_until=now + self.timing.lease,
            )
        if token is None:
            return TimerOutcome(message.run_key, message.kind, "taken")
        held = _Claim(message.id, self.context.worker, token)
        try:
            # Shorter than the lease: a stalled send gives up before anyone else may take over.
            async with asyncio.timeout(self.timing.send_timeout.total_seconds()):
                outcome = await self._handle(message)
        except DeliveryError as exc:
            return await self._failed(message, held, exc)
        except TimeoutError:
            return await self._failed(message, held, TransientDeliveryError("timeout"))
        except Exception as exc:  # a bug: retried like a transient failure, then ended
            log.exception("%s failed unexpectedly", message.run_key)
            return await self._failed(message, held, TransientDeliveryError(type(exc).__name__))
        try:
            async with self.context.database.transaction() as session:
                return await self._record(session, message, held, outcome)
        except _LeaseLost:
            log.warning("%s: lease lost while sending; its new owner decides", message.run_key)
            return TimerOutcome(message.run_key, message.kind, "taken", "lease lost")

    async def _handle(self, message: OutboxMessage) -> Outcome:
        if message.kind in SOURCE_NOTICE_KINDS:
            return await self.source_notices.handle(message)
        if message.kind in PROBLEM_KINDS:
            return await self.problems.handle(message)
        if message.kind in SELF_CHECK_KINDS:
            return await self.self_check.handle(message)
        if message.kind in SUMMARY_KINDS:  # about a channel, not a goal
            return await self.summaries.handle(message)
        return await self.deliveries.handle(message)

    async def _record(
        self, session: AsyncSession, message: OutboxMessage, held: _Claim, outcome: Outcome
    ) -> TimerOutcome:
        """Store what the send did; raises _LeaseLost (rolling it all back) if fenced out."""
        match outcome:
            case Later(until=until, reason=reason):
                _check(await outbox.postpone(session=session, **held.args, until=until, error=None))
                return TimerOutcome(message.run_key, message.kind, "deferred", reason)
            case Skip(reason=reason):
                _check(
                    await outbox.complete(
                        session=session,
                        **held.args,
                        now=self.context.clock(),
                        result={"skipped": reason},
                        state="skipped",
                    )
                )
                return TimerOutcome(message.run_key, message.kind, "skipped", reason)
            case Done(result=result, apply=apply):
                _check(
                    await outbox.complete(
                        session=session, **held.args, now=self.context.clock(), result=result
                    )
                )
                follow_ups = await apply(session) if apply else []
                await outbox.enqueue(session=session, messages=follow_ups)
                return TimerOutcome(message.run_key, message.kind, "sent", str(result.get("ts")))

    async def _failed(
        self, message: OutboxMessage, held: _Claim, error: DeliveryError
    ) -> TimerOutcome:
        """A permanent error, or the last retry: the row ends as failed and someone is told.
        Otherwise it is handed back for a later try, backing off."""
        now = self.context.clock()
        final = error.permanent or held.token >= self.timing.max_attempts
        async with self.context.database.transaction() as session:
            if final:
                ended = await outbox.fail(session=session, **held.args, now=now, reason=str(error))
                if ended and (notice := problem_notice(message, error, now=now)) is not None:
                    await outbox.enqueue(session=session, messages=[notice])
            else:
                delay = backoff(
                    held.token,
                    base=self.timing.retry_after,
                    cap=self.timing.max_backoff,
                    hint=error.retry_after,
                )
                await outbox.postpone(
                    session=session, **held.args, until=now + delay, error=str(error)
                )
        log.warning(
            "%s %s: %s", message.run_key, "failed for good" if final else "will retry", error
        )
        return TimerOutcome(message.run_key, message.kind, "failed", str(error))


@dataclass(frozen=True)
class _Claim:
    """A claimed row: its id, this worker, and the claim's fencing token."""

    message_id: int
    worker: str
    token: int

    @property
    def args(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "worker": self.worker, "token": self.token}


class _LeaseLost(Exception):
    """Another worker took the row over after this one's lease lapsed."""


def _check(held: bool) -> None:
    if not held:
        raise _LeaseLost


def backoff(attempt: int, *, base: timedelta, cap: timedelta, hint: float | None) -> timedelta:
    """Exponential backoff with jitter: about base·2^(attempt−1), at most `cap`, drawn from its
    upper half so retries of many rows spread out; never sooner than the platform's `hint`."""
    ceiling: timedelta = min(cap, base * 2 ** max(attempt - 1, 0))
    delay: timedelta = ceiling * random.uniform(0.5, 1.0)  # noqa: S311  (jitter, not cryptography)
    return max(delay, timedelta(seconds=hint or 0))
