"""Who reads a message, and so which language it is written in (jobs/i18n.py).

A channel reads its own language, else its workspace's (jobs/goals/language.py); a person, in
their DMs and on their Home tab, reads their Slack locale when it is one goalpulse speaks, else
their workspace's. Slack's answer is kept for an hour per person and the workspace's languages
(its own and every channel's, read in one query) for a minute, so a fan-out to every channel
asks the database once a workspace, not once a channel.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from jobs.goals.language import WorkspaceLanguages, person_locale, workspace_languages
from storage.db import Database

log = logging.getLogger("goalpulse.slack")

LOCALE_KEPT = timedelta(hours=1)
LANGUAGE_KEPT = timedelta(minutes=1)
MAX_KEPT = 10_000

K = TypeVar("K")
V = TypeVar("V")


class Kept(Generic[K, V]):
    """Answers kept for `ttl` on `clock`, the oldest dropped past MAX_KEPT."""

    def __init__(self, clock: Callable[[], datetime], ttl: timedelta) -> None:
        self.clock = clock
        self.ttl = ttl
        self._known: OrderedDict[K, tuple[datetime, V]] = OrderedDict()

    def get(self, key: K) -> tuple[V] | None:
        """(value,) when kept and fresh, else None."""
        kept = self._known.get(key)
        if kept is None or not timedelta(0) <= self.clock() - kept[0] < self.ttl:
            return None
        return (kept[1],)

    def put(self, key: K, value: V) -> V:
        self._known[key] = (self.clock(), value)
        self._known.move_to_end(key)
        while len(self._known) > MAX_KEPT:
            self._known.popitem(last=False)
        return value


class SlackLocales:
    """People's Slack locales (`zh-CN`, `en-US`; None when Slack gave none), per workspace,
    kept LOCALE_KEPT; a failed lookup is not kept and answers None."""

    def __init__(self, clock: Callable[[], datetime], *, kept: timedelta = LOCALE_KEPT) -> None:
        self._kept: Kept[tuple[str, str], str | None] = Kept(clock, kept)

    async def of(self, client: AsyncWebClient, team_id: str, user_id: str) -> str | None:
        """The person's Slack locale, from users.info asked with `include_locale`."""
        if (kept := self._kept.get((team_id, user_id))) is not None:
            return kept[0]
        try:
            response = await client.users_info(user=user_id, include_locale=True)
        except SlackApiError as exc:
            log.info("no locale for %s: %s", user_id, exc.response.get("error"))
            return None
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            log.info("no locale for %s: %s", user_id, exc)
            return None
        user = response.get("user")
        locale = user.get("locale") if isinstance(user, dict) else None
        found = locale if isinstance(locale, str) and locale else None
        return self._kept.put((team_id, user_id), found)


class Readers:
    """The language of one workspace's channels and people, for what the engine sends there.

    A DM channel (`D…`) reads as the person it was opened with (`dm_opened`); one not opened by
    this process reads the workspace's language.
    """

    def __init__(
        self,
        database: Database,
        team_id: str,
        locales: SlackLocales,
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.team_id = team_id
        self.locales = locales
        self._languages: Kept[str, WorkspaceLanguages] = Kept(clock, LANGUAGE_KEPT)
        self._reading = asyncio.Lock()  # one read of the languages at a time, not one a channel
        self._dm_people: Kept[str, str] = Kept(clock, timedelta(days=365))

    def dm_opened(self, channel_id: str, user_id: str) -> None:
        """Remember whose DM `channel_id` is."""
        self._dm_people.put(channel_id, user_id)

    async def of_channel(self, client: AsyncWebClient, channel_id: str) -> str:
        """The locale `channel_id` reads."""
        if channel_id.startswith("D") and (person := self._dm_people.get(channel_id)):
            return await self.of_person(client, person[0])
        languages = await self._workspace_languages()
        return languages.of(None if channel_id.startswith("D") else channel_id)

    async def _workspace_languages(self) -> WorkspaceLanguages:
        """The workspace's languages, read again once LANGUAGE_KEPT has passed."""
        if (kept := self._languages.get(self.team_id)) is not None:
            return kept[0]
        async with self._reading:
            if (kept := self._languages.get(self.team_id)) is not None:
                return kept[0]
            found = await workspace_languages(self.database, self.team_id)
            return self._languages.put(self.team_id, found)

    async def of_person(self, client: AsyncWebClient, user_id: str) -> str:
        """The locale `user_id` reads in their DMs and Home tab."""
        slack_locale = await self.locales.of(client, self.team_id, user_id)
        return await person_locale(self.database, self.team_id, slack_locale)
