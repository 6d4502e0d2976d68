"""The picked goal's chart on the Home tab: drawn as the digest draws a goal (jobs/digest/
chart.py), for that goal alone, and uploaded with no channel (a file image blocks can show).

The digest's own chart is one image of a whole channel, so it is not reused. A chart is
uploaded once per process for the same goal, values and language: the file id is kept,
keyed by what the picture shows, per deployment (its database).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from weakref import WeakKeyDictionary

from slack_sdk.web.async_client import AsyncWebClient

from bot.render.home_chart import chart_alt_text
from jobs.digest.chart import display_state, render_chart
from jobs.digest.model import ChannelDigest
from jobs.home.model import HomeChart
from jobs.i18n import current_locale
from storage.db import Database

MAX_FILES = 1000


def chart_digest(team_id: str, chart: HomeChart) -> ChannelDigest:
    """A digest of the one goal, with its history: what render_chart draws."""
    line = chart.goal.line
    return ChannelDigest(
        team_id=team_id,
        channel_id=chart.goal.channel_id,
        local_date=chart.history[-1][0],
        timezone="UTC",
        lines=(line,),
        history={line.metric_key: chart.history},
    )


def chart_key(team_id: str, chart: HomeChart) -> str:
    """What the picture depends on, hashed: the same key draws the same image."""
    line = chart.goal.line
    benchmark = line.benchmark.benchmark if line.benchmark else None
    shown = (
        team_id,
        current_locale(),
        line.goal_id,
        line.title,
        line.unit,
        line.scale,
        line.currency,
        line.direction,
        line.target,
        display_state(line),
        benchmark,
        chart.history,
    )
    return hashlib.sha256(repr(shown).encode()).hexdigest()


class ChartFiles:
    """Uploaded charts by chart_key, the most recently used kept (at most MAX_FILES)."""

    def __init__(self) -> None:
        self._files: OrderedDict[str, str] = OrderedDict()

    async def file_for(self, client: AsyncWebClient, team_id: str, chart: HomeChart) -> str | None:
        """The uploaded chart's file id; None when there is nothing to draw. Slack's and the
        drawing's errors are raised."""
        if not chart.history:
            return None
        key = chart_key(team_id, chart)
        if key in self._files:
            self._files.move_to_end(key)
            return self._files[key]
        png = await asyncio.to_thread(render_chart, chart_digest(team_id, chart))
        if png is None:
            return None
        line = chart.goal.line
        response = await client.files_upload_v2(
            content=png,
            filename=f"{line.metric_key}-{chart.history[-1][0].isoformat()}.png",
            title=chart_alt_text(line.title),
        )
        uploaded = response.get("file")
        file_id = str(uploaded.get("id", "")) if isinstance(uploaded, dict) else ""
        if not file_id:
            return None
        self._files[key] = file_id
        while len(self._files) > MAX_FILES:
            self._files.popitem(last=False)
        return file_id

    def forget(self, file_id: str) -> None:
        """Upload the chart of `file_id` again next time (Slack would not show the file)."""
        for key in [k for k, v in self._files.items() if v == file_id]:
            del self._files[key]


_FILES: WeakKeyDictionary[Database, ChartFiles] = WeakKeyDictionary()


def chart_files(database: Database) -> ChartFiles:
    """The deployment's uploaded charts (one per database, so two bots in one test never
    share a file id from another fake Slack)."""
    if database not in _FILES:
        _FILES[database] = ChartFiles()
    return _FILES[database]
