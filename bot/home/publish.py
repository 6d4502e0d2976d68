"""Read one person's Home page and publish it (views.publish)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.home import home_view
from bot.services import Services
from jobs.home.load import load_home

log = logging.getLogger("goalpulse.home")


async def publish_home(
    services: Services, client: AsyncWebClient, team_id: str, user_id: str
) -> bool:
    """Publish the person's page as of now; False (logged, never raised) when it failed: the
    page is only a view, and the next publish draws it whole again."""
    try:
        async with services.database.transaction() as session:
            page = await load_home(
                session=session,
                catalog=services.catalog,
                team_id=team_id,
                user_id=user_id,
                now=services.clock(),
                today=services.today(),
                policy=services.engine.policy,
            )
        await client.views_publish(user_id=user_id, view=home_view(page))
    except SlackApiError as exc:
        log.warning("publishing %s's Home tab refused: %s", user_id, exc.response.get("error"))
        return False
    except Exception:
        log.exception("publishing %s's Home tab failed", user_id)
        return False
    return True
