"""What listeners need, wired once by the app factory."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import aiohttp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.background import BackgroundTasks
from bot.readers import SlackLocales
from jobs.engine import Engine
from jobs.goals.service import Actor
from jobs.metrics.catalog import MetricCatalog
from storage.db import Database

log = logging.getLogger("goalpulse")

# The Bolt context key the services middleware fills and `services_of` reads.
SERVICES_KEY = "services"


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class Services:
    """The database, metric catalog, engine, clock and background tasks the listeners share."""

    database: Database
    catalog: MetricCatalog
    engine: Engine
    timezone: str = "UTC"
    clock: Callable[[], datetime] = utc_now
    background: BackgroundTasks = field(default_factory=BackgroundTasks)
    # One connection pool for every call to Slack; slack_sdk otherwise opens one per call.
    http: aiohttp.ClientSession | None = None
    # People's Slack locales, kept a while: the Home tab and DMs are written in them.
    locales: SlackLocales = field(default_factory=lambda: SlackLocales(utc_now))

    async def reply_to(self, response_url: str, blocks: Sequence[Block], text: str) -> None:
        """An ephemeral reply through a slash command's response_url."""
        webhook = AsyncWebhookClient(url=response_url, session=self.http)
        response = await webhook.send(response_type="ephemeral", text=text, blocks=blocks)
        if response.status_code != 200:
            log.warning(
                "reply via response_url refused: %s %s", response.status_code, response.body
            )

    def today(self) -> date:
        """Today's date in the deployment timezone."""
        return self.clock().astimezone(ZoneInfo(self.timezone)).date()


def provide_services(
    services: Services,
) -> Callable[[AsyncBoltContext, Callable[[], Awaitable[BoltResponse]]], Awaitable[BoltResponse]]:
    """Bolt global middleware: every listener finds `services` in its context."""

    async def middleware(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        context[SERVICES_KEY] = services
        return await next()

    return middleware


def services_of(context: AsyncBoltContext) -> Services:
    """The Services the middleware put in a listener's context."""
    services = context.get(SERVICES_KEY)
    if not isinstance(services, Services):
        raise TypeError("no Services in the Bolt context: the app must come from build_app")
    return services


def slack_actor(client: AsyncWebClient, user_id: str) -> Actor:
    """An Actor whose admin check asks Slack (`users.info`) only if a rule needs it."""

    async def is_admin() -> bool:
        response = await client.users_info(user=user_id)
        user = response.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner"))

    return Actor(user_id=user_id, is_admin=is_admin)
