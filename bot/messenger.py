"""The engine's messenger, on Slack: digests, escalation DMs and remediation threads with
slack_sdk, paced per channel and across the workspace; digest charts follow in the background."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.pacing import ChannelPacer, SharedWorkspacePacer, WorkspacePacer
from bot.readers import Readers
from bot.render.digest import digest_blocks, digest_text
from bot.render.escalation import render
from bot.slack_errors import delivering
from jobs.digest.chart import chart_spec
from jobs.digest.chart_draw import draw_png, yield_cpu
from jobs.digest.model import ChannelDigest
from jobs.i18n import _, current_locale, use_locale
from jobs.messages import Outgoing
from jobs.messenger import DeliveryError, TransientDeliveryError

log = logging.getLogger("goalpulse.slack")
# Members a users.list page asks for (Slack recommends at most 200).
USERS_PAGE = 200


def chart_process_pool() -> ProcessPoolExecutor:
    """One process that draws charts, so matplotlib's ~50 ms per chart never holds the GIL the
    bot's event loop needs. Spawned (not forked from a process full of threads); it is sent
    plain ChartSpecs, so it imports matplotlib and jobs/digest/chart_draw.py, not the bot."""
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=yield_cpu,
    )


ChartUpload = Callable[[ChannelDigest, str, bytes], Awaitable[None]]
# A workspace's current bot token (bot/oauth/tokens.py); raises a DeliveryError when it has none.
TokenSource = Callable[[str], Awaitable[str]]


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
            spec = chart_spec(job.digest)  # plain data, cheap: the process only draws
            if spec is None:
                return
            loop = asyncio.get_running_loop()
            png = await loop.run_in_executor(self._executor, draw_png, spec)
        except Exception as exc:  # a broken process or a drawing bug: the digest is out anyway
            log.warning("chart for %s could not be drawn: %s", channel, exc)
            if isinstance(exc, BrokenExecutor):
                self._stop_executor()  # a new process draws the next chart
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
    """Implements jobs.messenger.Messenger with the bot's AsyncWebClient, for one workspace.

    `team_id` is the workspace it speaks to ("" with one pasted token: the only one). With
    `tokens`, the client's token is the workspace's current one, looked up before each call
    (bot/oauth/tokens.py); a workspace with none fails every send with a permanent
    DeliveryError. Every message is rendered in the language of who reads it (`readers`,
    bot/readers.py; without, the locale in force). Every chat.postMessage waits for its
    channel's pacer and then the workspace's. A failed call raises a DeliveryError
    (bot/slack_errors.py says which are permanent); the lookups (timezone, permalink) answer
    None instead.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        team_id: str = "",
        tokens: TokenSource | None = None,
        pacer: ChannelPacer | None = None,
        workspace_pacer: WorkspacePacer | SharedWorkspacePacer | None = None,
        chart_executor: Executor | None = None,
        readers: Readers | None = None,
        charts: ChartUploads | None = None,
    ) -> None:
        self.client = client
        self.team_id = team_id
        self.tokens = tokens
        self.readers = readers
        self.pacer = pacer or ChannelPacer()
        self.workspace_pacer = workspace_pacer or WorkspacePacer()
        # Several workspaces' messengers share one queue (and drawing process): `charts`.
        self.charts = charts or ChartUploads(self._upload_chart, executor=chart_executor)

    async def publish_digest(self, digest: ChannelDigest) -> str:
        """Post the digest (its chart follows through `attach_chart`)."""
        with use_locale(await self._locale(digest.channel_id)):
            text, blocks = digest_text(digest), digest_blocks(digest)
        return await self._post(digest.channel_id, text, blocks, thread_ts=None)

    def attach_chart(self, digest: ChannelDigest, ts: str) -> None:
        """Draw the posted digest's chart and upload it into its thread, in the background."""
        self.charts.submit(digest, ts)

    async def authorized(self) -> AsyncWebClient:
        """The client, holding the workspace's current token."""
        if self.tokens is not None:
            self.client.token = await self.tokens(self.team_id)
        return self.client

    async def _locale(self, channel_id: str) -> str:
        """The locale whoever reads `channel_id` reads."""
        if self.readers is None:
            return current_locale()
        return await self.readers.of_channel(await self.authorized(), channel_id)

    async def upload_chart(self, digest: ChannelDigest, ts: str, png: bytes) -> None:
        """Upload a drawn digest chart into the digest's thread."""
        await self._upload_chart(digest, ts, png)

    async def _upload_chart(self, digest: ChannelDigest, ts: str, png: bytes) -> None:
        await self.pacer.wait(digest.channel_id)
        client = await self.authorized()
        with use_locale(await self._locale(digest.channel_id)):
            title = _("Goal health, {day}").format(day=digest.local_date.isoformat())
        await client.files_upload_v2(
            channel=digest.channel_id,
            thread_ts=ts,
            content=png,
            filename=f"goal-health-{digest.local_date.isoformat()}.png",
            title=title,
        )

    async def _post(
        self, channel_id: str, text: str, blocks: Sequence[Block], *, thread_ts: str | None
    ) -> str:
        client = await self.authorized()
        await self.pacer.wait(channel_id)
        await self.workspace_pacer.wait(self.team_id)
        async with delivering(channel_id):
            response = await client.chat_postMessage(
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
        with use_locale(await self._locale(channel_id)):
            text, blocks = render(message)
        return await self._post(channel_id, text, blocks, thread_ts=thread_ts)

    async def update(self, channel_id: str, ts: str, message: Outgoing) -> None:
        with use_locale(await self._locale(channel_id)):
            text, blocks = render(message)
        client = await self.authorized()
        async with delivering(channel_id):
            await client.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks)

    async def send_dm(self, user_id: str, message: Outgoing) -> tuple[str, str]:
        client = await self.authorized()
        async with delivering(user_id):
            opened = await client.conversations_open(users=user_id)
        channel = str(opened["channel"]["id"])
        if self.readers is not None:
            self.readers.dm_opened(channel, user_id)
        try:
            return channel, await self.post(channel, message)
        except DeliveryError as exc:  # about the person, not their DM channel
            raise type(exc)(exc.reason, target=user_id, retry_after=exc.retry_after) from exc

    async def upload_file(
        self, channel_id: str, thread_ts: str, content: bytes, filename: str, title: str
    ) -> str:
        """files_upload_v2 into the thread, after the channel's pacer; the file's id."""
        client = await self.authorized()
        await self.pacer.wait(channel_id)
        async with delivering(channel_id):
            try:
                response = await client.files_upload_v2(
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
            response = await (await self.authorized()).users_info(user=user_id)
        except DeliveryError as exc:  # no token for the workspace
            log.info("no timezone for %s: %s", user_id, exc)
            return None
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
            client = await self.authorized()
            response = await client.chat_getPermalink(channel=channel_id, message_ts=ts)
        except DeliveryError as exc:  # no token for the workspace
            log.info("no permalink for %s/%s: %s", channel_id, ts, exc)
            return None
        except SlackApiError as exc:
            log.info("no permalink for %s/%s: %s", channel_id, ts, exc.response.get("error"))
            return None
        link = response.get("permalink")
        return link if isinstance(link, str) and link else None

    async def workspace_admins(self) -> list[str]:
        """Admins and owners from users.list, page by page; no bots, no deactivated accounts."""
        admins: list[str] = []
        cursor: str | None = None
        client = await self.authorized()
        while True:
            async with delivering(None):
                response = await client.users_list(limit=USERS_PAGE, cursor=cursor)
            for user in response.get("members") or []:
                if user.get("deleted") or user.get("is_bot") or user.get("id") == "USLACKBOT":
                    continue
                if user.get("is_admin") or user.get("is_owner"):
                    admins.append(str(user["id"]))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return admins
