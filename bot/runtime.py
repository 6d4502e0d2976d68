"""Start and stop a whole goalpulse process: settings → metrics → database → Slack app → server."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.app import build_app, build_client
from bot.server import build_web_app
from bot.services import Services, utc_now
from bot.settings import Settings
from jobs.errors import ConfigError
from jobs.metrics import load_catalog
from storage import migrate
from storage.db import Database, redacted

log = logging.getLogger("goalpulse")

# Slack must reach the HTTP endpoint from outside, so by default we listen everywhere.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104


@dataclass
class RunningBot:
    """A started bot; `port` is the HTTP port (None in Socket Mode)."""

    services: Services
    runner: web.AppRunner | None
    socket_mode: AsyncSocketModeHandler | None
    port: int | None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        """Stop taking requests, finish the work already acknowledged, close the database."""
        if self.runner is not None:
            await self.runner.cleanup()
        if self.socket_mode is not None:
            await self.socket_mode.close_async()  # type: ignore[no-untyped-call]
        await self.services.background.drain()
        await self.services.database.dispose()


async def open_database(url: str) -> tuple[Database, list[str]]:
    """Connect and bring the schema up to date; returns the database and revisions applied."""
    database = Database(url)
    try:
        applied = await migrate.upgrade(database)
    except (OperationalError, DBAPIError, OSError) as exc:
        await database.dispose()
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise ConfigError(
            f"DATABASE_URL {redacted(url)}: cannot open the database ({reason})"
        ) from None
    if applied:
        log.info("database migrated to %s", applied[-1])
    return database, applied


async def start_bot(
    settings: Settings,
    *,
    host: str = ALL_INTERFACES,
    clock: Callable[[], datetime] = utc_now,
) -> RunningBot:
    """Start everything; raise ConfigError (one clear line) for any bad setting."""
    catalog = load_catalog(settings.goalpulse_metrics)
    database, _ = await open_database(settings.database_url)
    services = Services(
        database=database, catalog=catalog, timezone=settings.goalpulse_timezone, clock=clock
    )
    client = build_client(settings.slack_bot_token, api_url=settings.slack_api_url)
    app = build_app(services=services, client=client, signing_secret=settings.slack_signing_secret)
    if settings.slack_app_token:
        handler = AsyncSocketModeHandler(app, settings.slack_app_token)
        if settings.slack_api_url:
            handler.client.web_client.base_url = settings.slack_api_url
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("goalpulse connected to Slack in Socket Mode")
        return RunningBot(services=services, runner=None, socket_mode=handler, port=None)
    runner = web.AppRunner(build_web_app(app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host=host, port=settings.port)
    await site.start()
    port = runner.addresses[0][1]
    log.info("goalpulse listening on http://%s:%s/slack/events", host, port)
    return RunningBot(services=services, runner=runner, socket_mode=None, port=port)
