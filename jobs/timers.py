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
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from jobs.deliveries import Deliveries, Done, Later, Skip
from jobs.messenger import Messenger
from jobs.metrics import MetricCatalog
from jobs.source_notices import KINDS as SOURCE_NOTICE_KINDS
from jobs.source_notices import SourceNotices
from storage import outbox
from storage.db import Database
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

    database: Database
    messenger: Messenger
    catalog: MetricCatalog
    timezone: str
    clock: Callable[[], datetime]
    worker: str
    trend_trigger: int = 3
    lease: timedelta = timedelta(minutes=5)
    retry_after: timedelta = timedelta(minutes=1)
    # How soon to look again when a message waits for its thread to be posted.
    wait_for_thread: timedelta = timedelta(seconds=5)
    concurrency: int = 8
    _goal_locks: defaultdict[int, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )
    deliveries: Deliveries = field(init=False)
    source_notices: SourceNotices = field(init=False)

    def __post_init__(self) -> None:
        self.deliveries = Deliveries(
            database=self.database,
            messenger=self.messenger,
            catalog=self.catalog,
            timezone=self.timezone,
            clock=self.clock,
            trend_trigger=self.trend_trigger,
            retry_after=self.retry_after,
            wait_for_thread=self.wait_for_thread,
        )
        self.source_notices = SourceNotices(
            database=self.database,
            messenger=self.messenger,
            catalog=self.catalog,
            timezone=self.timezone,
            clock=self.clock,
            retry_after=self.retry_after,
        )

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
        async with self.database.transaction() as session:
            due = await outbox.due(session=session, now=self.clock(), goal_id=goal_id)
        by_goal: defaultdict[int, list[OutboxMessage]] = defaultdict(list)
        for message in due:
            by_goal[message.goal_id].append(message)
        limit = asyncio.Semaphore(self.concurrency)

        async def goal_queue(messages: list[OutboxMessage]) -> list[TimerOutcome]:
            async with limit, self._goal_locks[messages[0].goal_id]:
                return [await self._send_one(message) for message in messages]

        batches = await asyncio.gather(*(goal_queue(group) for group in by_goal.values()))
        return [outcome for batch in batches for outcome in batch]

    async def _send_one(self, message: OutboxMessage) -> TimerOutcome:
        assert message.id is not None
        now = self.clock()
        async with self.database.transaction() as session:
            claimed = await outbox.claim(
                session=session,
                message_id=message.id,
                worker=self.worker,
                now=now,
                lease_until=now + self.lease,
            )
        if not claimed:
            return TimerOutcome(message.run_key, message.kind, "taken")
        try:
            if message.kind in SOURCE_NOTICE_KINDS:
                outcome = await self.source_notices.handle(message)
            else:
                outcome = await self.deliveries.handle(message)
        except Exception as exc:  # Slack refused or is down, or a bug: keep it, retry later
            log.warning("%s failed, will retry: %s", message.run_key, exc)
            async with self.database.transaction() as session:
                await outbox.postpone(
                    session=session,
                    message_id=message.id,
                    worker=self.worker,
                    until=self.clock() + self.retry_after,
                    error=f"{type(exc).__name__}: {exc}",
                )
            return TimerOutcome(message.run_key, message.kind, "failed", str(exc))
        async with self.database.transaction() as session:
            match outcome:
                case Later(until=until, reason=reason):
                    await outbox.postpone(
                        session=session,
                        message_id=message.id,
                        worker=self.worker,
                        until=until,
                        error=None,
                    )
                    return TimerOutcome(message.run_key, message.kind, "deferred", reason)
                case Skip(reason=reason):
                    await outbox.complete(
                        session=session,
                        message_id=message.id,
                        worker=self.worker,
                        now=self.clock(),
                        result={"skipped": reason},
                    )
                    return TimerOutcome(message.run_key, message.kind, "skipped", reason)
                case Done(result=result, apply=apply):
                    follow_ups = await apply(session) if apply else []
                    await outbox.complete(
                        session=session,
                        message_id=message.id,
                        worker=self.worker,
                        now=self.clock(),
                        result=result,
                    )
                    await outbox.enqueue(session=session, messages=follow_ups)
        return TimerOutcome(message.run_key, message.kind, "sent", str(result.get("ts")))
