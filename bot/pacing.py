"""How fast goalpulse posts: per channel and across the workspace, in this process (GCRA
pacers) or shared by every process on one database (storage/post_budget.py)."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.settings import DEFAULT_SLACK_POSTS_PER_SECOND
from storage.db import Database
from storage.post_budget import reserve_slot

log = logging.getLogger("goalpulse.slack")


class Pacer:
    """At most one call per `interval` seconds for each key, after a burst of `burst` calls.

    GCRA (virtual scheduling): each caller reserves the key's next free slot and sleeps until
    it, so no lock is held while waiting and callers go in the order they asked. This is a
    token bucket of `burst` tokens refilled one per `interval`, without the bookkeeping.
    """

    def __init__(self, interval: float, burst: int) -> None:
        self.interval = interval
        self.burst = burst
        self._next: dict[str, float] = {}  # key -> when its next call is due at the steady rate

    async def wait(self, key: str = "") -> None:
        if self.interval <= 0:
            return
        now = time.monotonic()
        slot = max(self._next.get(key, -math.inf), now)
        self._next[key] = slot + self.interval
        start = slot - (self.burst - 1) * self.interval
        if start > now:
            await asyncio.sleep(start - now)


class ChannelPacer(Pacer):
    """About one message a second per channel, with short bursts of `burst`.

    Slack's guideline for chat.postMessage is one message per second per channel, "with short
    bursts allowed", so an alert's parent, checklist and first note go out together while a
    flood is spread out.
    """

    def __init__(self, interval: float = 1.0, burst: int = 3) -> None:
        super().__init__(interval, burst)


class WorkspacePacer(Pacer):
    """At most `per_second` posts a second across the workspace, after a burst of at most
    `burst_seconds` worth of them.

    Slack limits chat.postMessage per workspace as well as per channel; a digest fan-out to
    hundreds of channels must be spread out under that limit rather than burst into 429s and
    retries. The short burst lets posts catch up after a pause (a tick evaluating goals before
    its digests) while staying well inside what Slack allows in any one second.
    """

    def __init__(
        self, per_second: float = DEFAULT_SLACK_POSTS_PER_SECOND, *, burst_seconds: float = 0.5
    ) -> None:
        if not (math.isfinite(per_second) and per_second > 0):
            raise ValueError(f"per_second must be a number above 0, not {per_second!r}")
        self.per_second = per_second
        super().__init__(1 / per_second, max(1, int(per_second * burst_seconds)))


# The longest a post waits for its shared slot. It must stay well below SendTiming's
# send_timeout (60 s, jobs/context.py), which includes this wait: a send that cannot finish
# within it gives up, and a slot further away than that could not be kept anyway.
MAX_SHARED_WAIT = timedelta(seconds=30)
# The longest reserving a slot may take before the post is paced in-process instead.
RESERVE_TIMEOUT_SECONDS = 5.0


class SharedWorkspacePacer:
    """WorkspacePacer's budget kept in the database (storage/post_budget.py), so every process
    sharing it posts at most `per_second` a second to the workspace between them.

    The key is the workspace's team id (SlackMessenger.team_id): installed through OAuth,
    each workspace has its own row and budget; with one pasted token the messenger's team id
    is "" and every process on the database shares that row. When the database cannot be
    reached, the post is paced in-process instead (logged once an outage).
    """

    def __init__(
        self,
        database: Database,
        per_second: float = DEFAULT_SLACK_POSTS_PER_SECOND,
        *,
        burst_seconds: float = 0.5,
        max_wait: timedelta = MAX_SHARED_WAIT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.fallback = WorkspacePacer(per_second, burst_seconds=burst_seconds)
        self.database = database
        self.per_second = per_second
        self.interval = timedelta(seconds=1 / per_second)
        # As many posts at once as WorkspacePacer lets go: the one due now and burst - 1 more.
        self.burst = (self.fallback.burst - 1) * self.interval
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self._unreachable = False

    async def wait(self, key: str = "") -> None:
        try:
            async with asyncio.timeout(RESERVE_TIMEOUT_SECONDS), self.database.transaction() as s:
                slot = await reserve_slot(
                    session=s,
                    team_id=key,
                    now=self.clock(),
                    interval=self.interval,
                    burst=self.burst,
                )
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            if not self._unreachable:
                log.warning("posting budget unreachable, pacing this process alone: %s", exc)
                self._unreachable = True
            await self.fallback.wait(key)
            return
        if self._unreachable:
            log.info("posting budget reachable again")
            self._unreachable = False
        delay = slot - self.clock()
        if delay > self.max_wait:
            log.warning(
                "next posting slot is %.2f s away; posting after %.2f s",
                delay.total_seconds(),
                self.max_wait.total_seconds(),
            )
            delay = self.max_wait
        if delay > timedelta(0):
            await self.sleep(delay.total_seconds())
