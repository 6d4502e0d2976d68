"""A workspace's current bot token for the engine's background posts, rotated when due.

Requests get theirs from Bolt (AsyncInstallationStoreAuthorize, bot rows only); the engine
asks `TeamTokens`, which reads the same `slack_bots` rows, so both see one token. With token
rotation on, a token within `rotate_minutes` of expiring is refreshed here with
AsyncTokenRotator (oauth.v2.access, grant_type=refresh_token) and saved for every process.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from sqlalchemy.exc import SQLAlchemyError

from jobs.messenger import PermanentDeliveryError, TransientDeliveryError
from storage import installs
from storage.db import Database

# Minutes before expiry a token is refreshed (Bolt's default for requests too).
ROTATE_MINUTES = 120
# The longest a token is used without looking again (an uninstall in another process).
CACHE_SECONDS = 60.0
NOT_INSTALLED = "not_installed"


@dataclass(frozen=True)
class _Cached:
    token: str
    until: float  # time.monotonic()


class TeamTokens:
    """`await tokens(team_id)`: the workspace's bot token, or PermanentDeliveryError
    `not_installed` (no installation, or uninstalled), or TransientDeliveryError when the
    database or a rotation cannot answer now."""

    def __init__(
        self,
        *,
        database: Database,
        store: AsyncInstallationStore,
        rotator: AsyncTokenRotator,
        rotate_minutes: int = ROTATE_MINUTES,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.database = database
        self.store = store
        self.rotator = rotator
        self.rotate_minutes = rotate_minutes
        self.cache_seconds = cache_seconds
        self._cache: dict[str, _Cached] = {}
        # One lookup at a time per workspace: a fan-out's first posts to a workspace all
        # miss the cache at once, and the first lookup answers the rest.
        self._locks: dict[str, asyncio.Lock] = {}

    def forget(self, team_id: str | None = None) -> None:
        """Look the workspace's token (every workspace's, with None) up afresh next time."""
        if team_id is None:
            self._cache.clear()
        else:
            self._cache.pop(team_id, None)

    async def __call__(self, team_id: str) -> str:
        cached = self._cache.get(team_id)
        if cached is not None and cached.until > time.monotonic():
            return cached.token
        lock = self._locks.setdefault(team_id, asyncio.Lock())
        async with lock:
            cached = self._cache.get(team_id)
            if cached is not None and cached.until > time.monotonic():
                return cached.token
            return await self._look_up(team_id)

    async def _look_up(self, team_id: str) -> str:
        try:
            bot = await self._bot(team_id)
        except SQLAlchemyError as exc:
            raise TransientDeliveryError("database", target=team_id) from exc
        if bot is None or not bot.bot_token:
            raise PermanentDeliveryError(NOT_INSTALLED, target=team_id)
        token = bot.bot_token
        until = time.monotonic() + self.cache_seconds
        if bot.bot_token_expires_at is not None:  # rotating: look again before it is due
            due = bot.bot_token_expires_at - self.rotate_minutes * 60 - time.time()
            until = min(until, time.monotonic() + max(due, 0.0))
        self._cache[team_id] = _Cached(token, until)
        return token

    async def _bot(self, team_id: str) -> Bot | None:
        async with self.database.transaction() as session:
            row = await installs.get_install(session=session, team_id=team_id)
        if row is not None and row.uninstalled_at is not None:
            return None
        enterprise = row.enterprise_id if row is not None else None
        bot = await self.store.async_find_bot(enterprise_id=enterprise, team_id=team_id)
        if bot is None and enterprise is not None:  # installed org-wide
            bot = await self.store.async_find_bot(
                enterprise_id=enterprise, team_id=None, is_enterprise_install=True
            )
        if bot is None or bot.bot_refresh_token is None:
            return bot
        try:
            refreshed = await self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=self.rotate_minutes
            )
        except SlackTokenRotationError as exc:
            raise TransientDeliveryError("token_rotation_failed", target=team_id) from exc
        if refreshed is None:
            return bot
        await self.store.async_save_bot(refreshed)
        return refreshed
