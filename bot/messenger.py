"""The engine's messenger, on Slack: posts digests with slack_sdk, paced per channel."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.digest import digest_blocks, digest_text
from jobs.digest_model import ChannelDigest

log = logging.getLogger("goalpulse.slack")


class ChannelPacer:
    """At most one message per `interval` seconds per channel (Slack's posting guideline)."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._last: dict[str, float] = {}

    async def wait(self, channel: str) -> None:
        async with self._locks[channel]:
            gap = self._last.get(channel, -self.interval) + self.interval - time.monotonic()
            if gap > 0:
                await asyncio.sleep(gap)
            self._last[channel] = time.monotonic()


class SlackMessenger:
    """Implements jobs.messenger.DigestPublisher with the bot's AsyncWebClient."""

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
