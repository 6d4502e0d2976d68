"""`/goal show`'s chart: an ephemeral reply cannot carry a file, so it goes to the asker's DM."""

from __future__ import annotations

import asyncio
import dataclasses

from slack_sdk.web.async_client import AsyncWebClient

from bot.commands.handlers import Where
from bot.services import Services
from jobs.digest.chart import render_chart
from jobs.i18n import _


async def send_goal_chart(
    *, services: Services, client: AsyncWebClient, where: Where, user_id: str, metric_key: str
) -> bool:
    """Upload one goal's 30-day chart to the user's DM; False when there is nothing to draw."""
    digest = await services.engine.digest_for(
        where.team_id, where.channel_id, local_date=services.today(), timezone=services.timezone
    )
    lines = tuple(line for line in digest.lines if line.metric_key == metric_key) if digest else ()
    if digest is None or not lines:
        return False
    chart = await asyncio.to_thread(render_chart, dataclasses.replace(digest, lines=lines))
    if chart is None:
        return False
    opened = await client.conversations_open(users=user_id)
    await client.files_upload_v2(
        channel=opened["channel"]["id"],
        content=chart,
        filename=f"{metric_key}-{services.today().isoformat()}.png",
        title=(
            _("{key}: last 30 days, benchmark dotted")
            if lines[0].benchmark
            else _("{key}: last 30 days")
        ).format(key=metric_key),
    )
    return True
