"""The Home tab: each person's dashboard, published when they open it (`app_home_opened`),
after they tick an item on it (bot/actions/), after they pick a goal for its chart (here), and
after an evaluation changes the band of a goal they own or lead (refresh.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.home.publish import publish_home
from bot.render.home_chart import CHART_ACTION
from bot.services import Services, services_of
from jobs.home.pick import pick_chart


def register(app: AsyncApp) -> None:
    """Attach the Home tab's listeners: opening it, and picking the goal to chart."""
    app.event("app_home_opened")(home_opened)
    app.action(CHART_ACTION)(chart_picked)


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


async def chart_picked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Someone picked a goal in their Home tab's chart menu: acked at once; the pick is kept
    (only a goal they own or lead) and their page published again, in the background."""
    await ack()
    team_id = (body.get("team") or {}).get("id") or context.team_id
    user_id = (body.get("user") or {}).get("id")
    value = str((action.get("selected_option") or {}).get("value") or "")
    if not team_id or not user_id or not value.isdigit() or len(value) > 18:
        return
    services = services_of(context)
    services.background.spawn(_pick(services, client, str(team_id), str(user_id), int(value)))


async def _pick(
    services: Services, client: AsyncWebClient, team_id: str, user_id: str, goal_id: int
) -> None:
    await pick_chart(
        database=services.database,
        team_id=team_id,
        user_id=user_id,
        goal_id=goal_id,
        now=services.clock(),
    )
    await publish_home(services, client, team_id, user_id)
