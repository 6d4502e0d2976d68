"""The engine's messenger per workspace (EngineContext.messengers).

One SlackMessenger per workspace, kept. With one pasted token they share its client; installed
into several workspaces, each client holds its workspace's token (TeamTokens, looked up before
each call). All of them share the channel pacer, the posting budget (keyed by the workspace's
team id), one queue of charts with one drawing process, and the people's Slack locales.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.messenger import ChartUploads, SlackMessenger
from bot.oauth.tokens import TeamTokens
from bot.pacing import ChannelPacer, SharedWorkspacePacer, WorkspacePacer
from bot.readers import Readers, SlackLocales
from bot.slack_client import instrumented_copy
from jobs.digest.model import ChannelDigest
from jobs.messenger import DeliveryError
from storage.db import Database


class TeamMessengers:
    """`messengers(team_id)`: that workspace's SlackMessenger; `client_for(team_id)`: a client
    with its token for the bot's own calls outside the engine (Home tab refreshes)."""

    def __init__(
        self,
        *,
        new_client: Callable[[], AsyncWebClient],
        tokens: TeamTokens | None,
        workspace_pacer: WorkspacePacer | SharedWorkspacePacer,
        database: Database,
        locales: SlackLocales,
        clock: Callable[[], datetime],
        chart_executor: Executor | None = None,
    ) -> None:
        self.new_client = new_client
        self.tokens = tokens
        self.workspace_pacer = workspace_pacer
        self.database = database
        self.locales = locales
        self.clock = clock
        self.pacer = ChannelPacer()
        # Without an executor the queue starts its drawing process with the first chart and
        # stops it when idle (bot/messenger.py ChartUploads).
        self.charts = ChartUploads(self._upload_chart, executor=chart_executor)
        self._by_team: dict[str, SlackMessenger] = {}

    def __call__(self, team_id: str) -> SlackMessenger:
        messenger = self._by_team.get(team_id)
        if messenger is None:
            messenger = self._by_team[team_id] = SlackMessenger(
                self.new_client(),
                team_id=team_id,
                tokens=self.tokens,
                pacer=self.pacer,
                workspace_pacer=self.workspace_pacer,
                readers=Readers(self.database, team_id, self.locales, self.clock),
                charts=self.charts,
            )
        return messenger

    async def _upload_chart(self, digest: ChannelDigest, ts: str, png: bytes) -> None:
        await self(digest.team_id).upload_chart(digest, ts, png)

    def set_pacer(self, pacer: ChannelPacer) -> None:
        """Pace every workspace's posts per channel with `pacer` (tests pace faster)."""
        self.pacer = pacer
        for messenger in self._by_team.values():
            messenger.pacer = pacer

    async def client_for(self, team_id: str) -> AsyncWebClient | None:
        """The workspace's client with its current token; None when it has no installation."""
        try:
            return await self(team_id).authorized()
        except DeliveryError:
            return None


def fresh_client(client: AsyncWebClient) -> AsyncWebClient:
    """A client like `client` (URL, session, retries, counting) with a token of its own."""
    copy = instrumented_copy(client, getattr(client, "telemetry", None))
    copy.token = None
    return copy
