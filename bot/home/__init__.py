"""The Home tab: each person's dashboard, published when they open it (`app_home_opened`),
after they tick an item on it (bot/actions/), and after an evaluation changes the band of a
goal they own or lead (refresh.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.home.publish import publish_home
from bot.services import services_of


def register(app: AsyncApp) -> None:
    """Attach the Home tab's listener."""
    app.event("app_home_opened")(home_opened)


async def home_opened(
    ack: AsyncAck,
    event: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Someone opened the Home tab: acked at once, their page published in the background.
    Opening the Messages tab sends the same event; it gets nothing."""
    await ack()
    team_id = body.get("team_id") or context.team_id
    user_id = event.get("user")
    if event.get("tab") != "home" or not team_id or not user_id:
        return
    services = services_of(context)
    services.background.spawn(publish_home(services, client, str(team_id), str(user_id)))
