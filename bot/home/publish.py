"""Read one person's Home page and publish it (views.publish), in their language, with the
chart of the goal they picked."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.home.chart import chart_files
from bot.render.home import home_view
from bot.services import Services
from jobs.goals.language import person_locale
from jobs.home.load import load_home
from jobs.home.model import HomePage
from jobs.i18n import use_locale
from storage import home as home_store

log = logging.getLogger("goalpulse.home")


async def publish_home(
    services: Services, client: AsyncWebClient, team_id: str, user_id: str
) -> bool:
    """Publish the person's page as of now; False (logged, never raised) when it failed: the
    page is only a view, and the next publish draws it whole again."""
    try:
        async with services.database.transaction() as session:
            picked = await home_store.chart_pick(session=session, team_id=team_id, user_id=user_id)
            page = await load_home(
                session=session,
                catalog=services.catalog,
                team_id=team_id,
                user_id=user_id,
                now=services.clock(),
                today=services.today(),
                policy=services.engine.policy,
                chart_goal_id=picked,
            )
        viewer = await services.locales.of(client, team_id, user_id)
        with use_locale(await person_locale(services.database, team_id, viewer)):
            chart_file = await _chart_file(services, client, team_id, page)
            try:
                await client.views_publish(user_id=user_id, view=home_view(page, chart_file))
            except SlackApiError as exc:
                # Slack may refuse an image of a file it has not finished processing: the page
                # goes out without it (saying so), and the file is uploaded again next time.
                if chart_file is None or exc.response.get("error") != "invalid_blocks":
                    raise
                chart_files(services.database).forget(chart_file)
                await client.views_publish(user_id=user_id, view=home_view(page, None))
    except SlackApiError as exc:
        log.warning("publishing %s's Home tab refused: %s", user_id, exc.response.get("error"))
        return False
    except Exception:
        log.exception("publishing %s's Home tab failed", user_id)
        return False
    return True


async def _chart_file(
    services: Services, client: AsyncWebClient, team_id: str, page: HomePage
) -> str | None:
    """The picked goal's chart uploaded; None without a pick or values, or when drawing or
    uploading failed (logged: the page says so and is still published)."""
    if page.chart is None:
        return None
    try:
        return await chart_files(services.database).file_for(client, team_id, page.chart)
    except Exception as exc:
        log.warning(
            "chart of goal %s for %s's Home tab: %s",
            page.chart.goal.line.goal_id,
            page.user_id,
            exc,
        )
        return None
