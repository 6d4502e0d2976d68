"""The engine's messenger, on Slack: digests, escalation DMs and remediation threads with
slack_sdk, paced per channel and across the workspace; digest charts follow in the background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import multiprocessing
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.render.digest import digest_blocks, digest_text
from bot.render.escalation import render
from bot.settings import DEFAULT_SLACK_POSTS_PER_SECOND
from bot.slack_errors import delivering
from jobs.digest.chart import render_chart
from jobs.digest.model import ChannelDigest
from jobs.messages import Outgoing
from jobs.messenger import DeliveryError, TransientDeliveryError
from storage.db import Database
from storage.post_budget import reserve_slot

log = logging.getLogger("goalpulse.slack")
# Members a users.list page asks for (Slack recommends at most 200).
USERS_PAGE = 200


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

    The key is the workspace's team id. SlackMessenger posts with one bot token, so one
    workspace, and passes none: every process on the database shares the row "". When the
    database cannot be reached, the post is paced in-process instead (logged once an outage).
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


def _chart_worker_init() -> None:
    """Charts are background work: the worker yields the CPU to the bot itself."""
    with contextlib.suppress(AttributeError, OSError):
        os.nice(10)


def chart_process_pool() -> ProcessPoolExecutor:
    """One process that draws charts, so ~0.3 s of matplotlib per chart never holds the GIL
    the bot's event loop needs. Spawned (not forked from a process full of threads)."""
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_chart_worker_init,
    )


ChartUpload = Callable[[ChannelDigest, str, bytes], Awaitable[None]]


@dataclass(frozen=True)
class _ChartJob:
    digest: ChannelDigest
    ts: str


class ChartUploads:
    """Digest charts, drawn and uploaded into their digests' threads after the digests are out.

    A bounded queue in front of one drawing process: a fan-out to hundreds of channels posts
    every digest at Slack's pace while the charts follow as fast as one CPU draws them. A chart
    that cannot be drawn or uploaded is logged and dropped, never retried by posting its digest
    again. The process starts with the first chart and stops after `idle_seconds` without one;
    an `executor` given instead (tests pass a thread pool) is used as it is.
    """

    def __init__(
        self,
        upload: ChartUpload,
        *,
        executor: Executor | None = None,
        max_queued: int = 1000,
        idle_seconds: float = 60.0,
    ) -> None:
        self.upload = upload
        self.max_queued = max_queued
        self.idle_seconds = idle_seconds
        self._given = executor
        self._executor: Executor | None = executor
        self._queue: asyncio.Queue[_ChartJob] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    def submit(self, digest: ChannelDigest, ts: str) -> bool:
        """Queue the digest's chart; False (and a warning) when too many are waiting."""
        if self._queue.qsize() >= self.max_queued:
            log.warning(
                "chart for %s dropped: %d charts queued", digest.channel_id, self.max_queued
            )
            return False
        self._queue.put_nowait(_ChartJob(digest, ts))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._run())
        return True

    async def drain(self) -> None:
        """Wait until every queued chart was uploaded or given up."""
        await self._queue.join()

    async def _run(self) -> None:
        try:
            while True:
                try:
                    async with asyncio.timeout(self.idle_seconds):
                        job = await self._queue.get()
                except TimeoutError:
                    return
                try:
                    await self._one(job)
                finally:
                    self._queue.task_done()
        finally:
            self._stop_executor()
            # Stopped (cancelled at shutdown): what is still queued is given up, not awaited.
            while not self._queue.empty():
                self._queue.get_nowait()
                self._queue.task_done()

    async def _one(self, job: _ChartJob) -> None:
        channel = job.digest.channel_id
        try:
            if self._executor is None:
                self._executor = chart_process_pool()
            loop = asyncio.get_running_loop()
            png = await loop.run_in_executor(self._executor, render_chart, job.digest)
        except Exception as exc:  # a broken process or a drawing bug: the digest is out anyway
            log.warning("chart for %s could not be drawn: %s", channel, exc)
            if isinstance(exc, BrokenExecutor):
                self._stop_executor()  # a new process draws the next chart
            return
        if png is None:
            return
        try:
            await self.upload(job.digest, job.ts, png)
        except Exception as exc:  # the digest is out; its chart must never make it post twice
            log.warning("chart upload for %s failed: %s", channel, exc)

    def _stop_executor(self) -> None:
        if self._executor is not None and self._executor is not self._given:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


class SlackMessenger:
    """Implements jobs.messenger.Messenger with the bot's AsyncWebClient.

    Every chat.postMessage waits for its channel's pacer and then the workspace's. A failed
    call raises a DeliveryError (bot/slack_errors.py says which are permanent); the lookups
    (timezone, permalink) answer None instead.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        pacer: ChannelPacer | None = None,
        workspace_pacer: WorkspacePacer | SharedWorkspacePacer | None = None,
        chart_executor: Executor | None = None,
    ) -> None:
        self.client = client
        self.pacer = pacer or ChannelPacer()
        self.workspace_pacer = workspace_pacer or WorkspacePacer()
        self.charts = ChartUploads(self._upload_chart, executor=chart_executor)

    async def publish_digest(self, digest: ChannelDigest) -> str:
        """Post the digest (its chart follows through `attach_chart`)."""
        return await self._post(
            digest.channel_id, digest_text(digest), digest_blocks(digest), thread_ts=None
        )

    def attach_chart(self, digest: ChannelDigest, ts: str) -> None:
        """Draw the posted digest's chart and upload it into its thread, in the background."""
        self.charts.submit(digest, ts)

    async def _upload_chart(self, digest: ChannelDigest, ts: str, png: bytes) -> None:
        await self.pacer.wait(digest.channel_id)
        await self.client.files_upload_v2(
            channel=digest.channel_id,
            thread_ts=ts,
            content=png,
            filename=f"goal-health-{digest.local_date.isoformat()}.png",
            title=f"Goal health, {digest.local_date.isoformat()}",
        )

    async def _post(
        self, channel_id: str, text: str, blocks: Sequence[Block], *, thread_ts: str | None
    ) -> str:
        await self.pacer.wait(channel_id)
        await self.workspace_pacer.wait()
        async with delivering(channel_id):
            response = await self.client.chat_postMessage(
                channel=channel_id,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                unfurl_links=False,
            )
        return str(response["ts"])

    async def post(
        self, channel_id: str, message: Outgoing, *, thread_ts: str | None = None
    ) -> str:
        text, blocks = render(message)
        return await self._post(channel_id, text, blocks, thread_ts=thread_ts)

    async def update(self, channel_id: str, ts: str, message: Outgoing) -> None:
        text, blocks = render(message)
        async with delivering(channel_id):
            await self.client.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks)

    async def send_dm(self, user_id: str, message: Outgoing) -> tuple[str, str]:
        async with delivering(user_id):
            opened = await self.client.conversations_open(users=user_id)
        channel = str(opened["channel"]["id"])
        try:
            return channel, await self.post(channel, message)
        except DeliveryError as exc:  # about the person, not their DM channel
            raise type(exc)(exc.reason, target=user_id, retry_after=exc.retry_after) from exc

    async def upload_file(
        self, channel_id: str, thread_ts: str, content: bytes, filename: str, title: str
    ) -> str:
        """files_upload_v2 into the thread, after the channel's pacer; the file's id."""
        await self.pacer.wait(channel_id)
        async with delivering(channel_id):
            try:
                response = await self.client.files_upload_v2(
                    channel=channel_id,
                    thread_ts=thread_ts,
                    content=content,
                    filename=filename,
                    title=title,
                )
            except SlackRequestError as exc:  # the file's own upload step (not a Web API call)
                raise TransientDeliveryError("upload_failed", target=channel_id) from exc
        uploaded = response.get("file")
        return str(uploaded.get("id", "")) if isinstance(uploaded, dict) else ""

    async def user_timezone(self, user_id: str) -> str | None:
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.info("no timezone for %s: %s", user_id, exc.response.get("error"))
            return None
        user = response.get("user")
        tz = user.get("tz") if isinstance(user, dict) else None
        if not isinstance(tz, str) or not tz:
            return None
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):  # newer than this host's tzdata
            log.info("timezone %r of %s is unknown here; using the deployment's", tz, user_id)
            return None
        return tz

    async def permalink(self, channel_id: str, ts: str) -> str | None:
        try:
            response = await self.client.chat_getPermalink(channel=channel_id, message_ts=ts)
        except SlackApiError as exc:
            log.info("no permalink for %s/%s: %s", channel_id, ts, exc.response.get("error"))
            return None
        link = response.get("permalink")
        return link if isinstance(link, str) and link else None

    async def workspace_admins(self) -> list[str]:
        """Admins and owners from users.list, page by page; no bots, no deactivated accounts."""
        admins: list[str] = []
        cursor: str | None = None
        while True:
            async with delivering(None):
                response = await self.client.users_list(limit=USERS_PAGE, cursor=cursor)
            for user in response.get("members") or []:
                if user.get("deleted") or user.get("is_bot") or user.get("id") == "USLACKBOT":
                    continue
                if user.get("is_admin") or user.get("is_owner"):
                    admins.append(str(user["id"]))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return admins
