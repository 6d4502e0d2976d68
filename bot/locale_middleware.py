"""Every request is answered in its reader's language (jobs/i18n.py).

From a channel: the channel's language (jobs/goals/language.py reader_locale). From a DM, the
Home tab or a modal: the person's Slack locale when the payload carries one, else the
workspace's language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot.services import services_of
from jobs import i18n
from jobs.goals.language import person_locale, reader_locale

# The Bolt context key holding the locale chosen for the request.
LOCALE_KEY = "locale"


async def speak_readers_language(
    context: AsyncBoltContext, body: dict[str, Any], next: Callable[[], Awaitable[Any]]
) -> Any:
    """Bolt global middleware (registered after the services middleware): sets the locale
    every reply of this request is written in."""
    locale = await _readers_locale(context, body)
    context[LOCALE_KEY] = locale
    # Bolt runs the listener after this middleware returns, in the request's own task (aiohttp
    # and Socket Mode give each request one); work spawned after the ack copies the locale.
    i18n.set_locale(locale)
    return await next()


async def _readers_locale(context: AsyncBoltContext, body: dict[str, Any]) -> str:
    team_id = context.team_id or (body.get("team") or {}).get("id") or body.get("team_id")
    channel_id = _channel_of(context, body)
    if not team_id:
        return i18n.pick_locale((body.get("user") or {}).get("locale"))
    database = services_of(context).database
    if channel_id is not None:
        return await reader_locale(database, str(team_id), channel_id)
    return await person_locale(database, str(team_id), (body.get("user") or {}).get("locale"))


def _channel_of(context: AsyncBoltContext, body: dict[str, Any]) -> str | None:
    """The channel a request came from; None for a DM, the Home tab or a modal."""
    channel_id = context.channel_id or (body.get("channel") or {}).get("id")
    if not channel_id or body.get("type") == "view_submission":
        return None
    # D…: a direct message with the app; its replies follow the person, not a channel.
    return None if str(channel_id).startswith("D") else str(channel_id)
