"""The engine's messenger, on Slack: digests, escalation DMs and remediation threads with
slack_sdk, paced per channel."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.digest import digest_blocks, digest_text
from bot.render.escalation import render
from jobs.alert_model import Outgoing
from jobs.digest_model import ChannelDigest

log = logging.getLogger("goalpulse.slack")


class ChannelPacer:
    """About one message per `interval` seconds per channel, with short bursts of `burst`.

    Slack's guideline for chat.postMessage is one message per second per channel, "with short
    bursts allowed"; a token bucket per channel is that rule, so an alert's parent, checklist
    and first note go out together while a flood is spread out.
    """

    def __init__(self, interval: float = 1.0, burst: int = 3) -> None:
        self.interval = interval
        self.burst = burst
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tokens: dict[str, tuple[float, float]] = {}  # channel -> (tokens, as of)

    async def wait(self, channel: str) -> None:
        async with self._locks[channel]:
            now = time.monotonic()
            tokens, since = self._tokens.get(channel, (float(self.burst), now))
            if self.interval > 0:
                tokens = min(float(self.burst), tokens + (now - since) / self.interval)
            else:
                tokens = float(self.burst)
            if tokens < 1:
                await asyncio.sleep((1 - tokens) * self.interval)
                tokens, now = 1.0, time.monotonic()
            self._tokens[channel] = (tokens - 1, now)


class SlackMessenger:
    """Implements jobs.messenger.Messenger with the bot's AsyncWebClient.

    Slack errors other than the lookups' (timezone, permalink) propagate: the caller keeps the
    work and retries it later.
    """

    def __init__(self, client: AsyncWebClient, *, pacer: ChannelPacer | None = None) -> None:
        self.client = client
        self.pacer = pacer or ChannelPacer()

    async def publish_digest(self, digest: ChannelDigest, chart_png: bytes | None) -> str:
        await self.pacer.wait(digest.channel_id)
        response = await self.client.chat_postMessage(
            channel=digest.channel_id,
            text=digest_text(digest),
            blocks=digest_blocks(digest),
            unfurl_links=False,
        )
        ts = str(response["ts"])
        if chart_png is not None:
            # The digest is out; a chart that fails to upload must not make it post twice.
            try:
                await self.pacer.wait(digest.channel_id)
                await self.client.files_upload_v2(
                    channel=digest.channel_id,
                    thread_ts=ts,
                    content=chart_png,
                    filename=f"goal-health-{digest.local_date.isoformat()}.png",
                    title=f"Goal health, {digest.local_date.isoformat()}",
                )
            except (SlackApiError, OSError, TimeoutError) as exc:
                log.warning("chart upload for %s failed: %s", digest.channel_id, exc)
        return ts

    async def post(
        self, channel_id: str, message: Outgoing, *, thread_ts: str | None = None
    ) -> str:
        text, blocks = render(message)
        await self.pacer.wait(channel_id)
        response = await self.client.chat_postMessage(
            channel=channel_id,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            unfurl_links=False,
        )
        return str(response["ts"])

    async def update(self, channel_id: str, ts: str, message: Outgoing) -> None:
        text, blocks = render(message)
        await self.client.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks)

    async def send_dm(self, user_id: str, message: Outgoing) -> tuple[str, str]:
        opened = await self.client.conversations_open(users=user_id)
        channel = str(opened["channel"]["id"])
        return channel, await self.post(channel, message)

    async def user_timezone(self, user_id: str) -> str | None:
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.info("no timezone for %s: %s", user_id, exc.response.get("error"))
            return None
        user = response.get("user")
        tz = user.get("tz") if isinstance(user, dict) else None
        return tz if isinstance(tz, str) and tz else None

    async def permalink(self, channel_id: str, ts: str) -> str | None:
        try:
            response = await self.client.chat_getPermalink(channel=channel_id, message_ts=ts)
        except SlackApiError as exc:
            log.info("no permalink for %s/%s: %s", channel_id, ts, exc.response.get("error"))
            return None
        link = response.get("permalink")
        return link if isinstance(link, str) and link else None
