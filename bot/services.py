"""What listeners need, wired once by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from slack_sdk.web.async_client import AsyncWebClient

from bot.background import BackgroundTasks
from jobs.goals import Actor
from jobs.metrics import MetricCatalog
from storage.db import Database


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class Services:
    """The database, metric catalog, clock and background tasks the listeners share."""

    database: Database
    catalog: MetricCatalog
    timezone: str = "UTC"
    clock: Callable[[], datetime] = utc_now
    background: BackgroundTasks = field(default_factory=BackgroundTasks)

    def today(self) -> date:
        """Today's date in the deployment timezone."""
        return self.clock().astimezone(ZoneInfo(self.timezone)).date()


def slack_actor(client: AsyncWebClient, user_id: str) -> Actor:
    """An Actor whose admin check asks Slack (`users.info`) only if a rule needs it."""

    async def is_admin() -> bool:
        response = await client.users_info(user=user_id)
        user = response.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner"))

    return Actor(user_id=user_id, is_admin=is_admin)
