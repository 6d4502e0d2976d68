"""Start and stop a whole goalpulse process: settings → metrics → database → Slack app → server."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.app import build_app
from bot.home.refresh import HomeRefresher
from bot.logging_setup import bind_request_context, hide_secrets
from bot.messenger import SlackMessenger
from bot.oauth.messengers import TeamMessengers, fresh_client
from bot.oauth.settings import build_oauth
from bot.oauth.tokens import TeamTokens
from bot.pacing import SharedWorkspacePacer, WorkspacePacer
from bot.readers import SlackLocales
from bot.server import build_web_app
from bot.services import Services, utc_now
from bot.settings import DEFAULT_SLACK_POSTS_PER_SECOND, EngineSettings, Settings
from bot.slack_client import build_client, instrument_listeners, slack_session
from bot.telemetry import Telemetry
from jobs.context import EngineContext
from jobs.digest.model import ChannelDigest
from jobs.engine import Engine
from jobs.errors import ConfigError
from jobs.evaluation.worker import EvaluationWorker
from jobs.messages import Outgoing
from jobs.metrics.catalog import MetricCatalog, load_catalog
from jobs.metrics.sources import SourceFetcher
from jobs.scheduler import EngineScheduler, build_scheduler
from storage import migrate
from storage.db import Database, redacted

log = logging.getLogger("goalpulse")

# Work already acknowledged to Slack gets this long to finish when the bot is stopped.
SHUTDOWN_GRACE_SECONDS = 10

# Slack must reach the HTTP endpoint from outside, so by default we listen everywhere.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104


@dataclass
class RunningBot:
    """A started bot; `port` is the HTTP port (None in Socket Mode)."""

    services: Services
    runner: web.AppRunner | None
    socket_mode: AsyncSocketModeHandler | None
    port: int | None
    scheduler: EngineScheduler | None = None
    home: HomeRefresher | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        """Stop taking requests, finish the work already acknowledged, close the database."""
        if self.scheduler is not None:
            await self.scheduler.stop(SHUTDOWN_GRACE_SECONDS)
        if self.home is not None:
            self.home.close()
        if self.runner is not None:
            await self.runner.cleanup()
        if self.socket_mode is not None:
            await self.socket_mode.close_async()  # type: ignore[no-untyped-call]
        try:
            await asyncio.wait_for(self.services.background.drain(), SHUTDOWN_GRACE_SECONDS)
        except TimeoutError:
            log.warning("stopped with %d replies unsent", len(self.services.background))
        await self.services.engine.fetcher.close()
        if self.services.engine.evaluation_worker is not None:
            await self.services.engine.evaluation_worker.close()
        if self.services.http is not None:
            await self.services.http.close()
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


async def open_socket_mode_url(client: AsyncWebClient, app_token: str) -> str:
    """Ask Slack once for a Socket Mode URL; a refused token or no Slack is a ConfigError.

    slack_sdk's connect() retries any failure here forever, logging a traceback each time,
    so without this a wrong SLACK_APP_TOKEN would leave `goalpulse run` hanging.
    """
    where = f"SLACK_API_URL {client.base_url}"
    try:
        response = await client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        data, status = exc.response.data, exc.response.status_code
        error = data.get("error") if isinstance(data, dict) else None
        if status == 200:
            raise ConfigError(f"SLACK_APP_TOKEN is invalid: Slack answered {error}") from None
        raise ConfigError(f"{where}: Slack answered HTTP {status} ({error})") from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
        raise ConfigError(f"{where}: cannot reach Slack ({reason})") from None
    return str(response["url"])


async def start_bot(
    settings: Settings,
    *,
    host: str = ALL_INTERFACES,
    clock: Callable[[], datetime] = utc_now,
    schedule: bool = True,
    tick_seconds: float = 60,
    chart_executor: Executor | None = None,
    evaluate_in_process: bool = False,
) -> RunningBot:
    """Start everything; raise ConfigError (one clear line) for any bad setting. Charts are
    drawn in a process of their own unless `chart_executor` is given (bot/messenger.py), and
    evaluation reads and classifies in one unless `evaluate_in_process`
    (jobs/evaluation/worker.py)."""
    catalog = load_catalog(settings.goalpulse_metrics)
    database, _ = await open_database(settings.database_url)
    hide_secrets(
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.slack_client_secret,
    )
    telemetry = Telemetry(database=database, catalog=catalog, clock=clock)
    http = slack_session()
    # With OAuth the client has no token: Bolt gives each request its workspace's, the engine
    # asks TeamTokens (bot/oauth/).
    client = build_client(
        settings.slack_bot_token, api_url=settings.slack_api_url, session=http, telemetry=telemetry
    )
    oauth = (
        build_oauth(settings, database=database, client=client, clock=clock)
        if settings.oauth
        else None
    )
    locales = SlackLocales(clock)
    engine = build_engine(
        settings,
        database=database,
        catalog=catalog,
        http=http,
        client=client,
        clock=clock,
        chart_executor=chart_executor,
        tokens=oauth.tokens if oauth is not None else None,
        locales=locales,
    )
    services = Services(
        database=database,
        catalog=catalog,
        timezone=settings.goalpulse_timezone,
        clock=clock,
        http=http,
        locales=locales,
        engine=engine,
    )
    app = build_app(
        services=services,
        client=client,
        signing_secret=settings.slack_signing_secret,
        oauth=oauth,
    )
    # Home tabs follow band changes; the clock is looked at every tick at least (a test's).
    home = HomeRefresher(
        services=services, clients=_team_clients(engine, client), poll=min(tick_seconds, 1.0)
    )
    engine.on_bands_changed = home.bands_changed
    # Evaluation reads and classifies in a process of its own, ending before its claim's lease
    # (tests that start many bots evaluate in the bot instead: spawning costs ~2 s of CPU each).
    if not evaluate_in_process:
        engine.evaluation_worker = EvaluationWorker(database, timeout=engine.lease / 2)
    app.use(bind_request_context)
    app.use(instrument_listeners(telemetry))
    scheduler = (
        build_scheduler(engine, tick_seconds=tick_seconds, metrics=telemetry) if schedule else None
    )
    if settings.slack_app_token:
        try:
            socket_url = await open_socket_mode_url(client, settings.slack_app_token)
        except ConfigError:
            await RunningBot(
                services=services, runner=None, socket_mode=None, port=None, home=home
            ).stop()
            raise
        # The handler talks to Slack through app.client, so SLACK_API_URL applies to it too.
        handler = AsyncSocketModeHandler(app, settings.slack_app_token)
        handler.client.wss_uri = socket_url
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("goalpulse connected to Slack in Socket Mode")
        _start(scheduler)
        return RunningBot(
            services=services,
            runner=None,
            socket_mode=handler,
            port=None,
            scheduler=scheduler,
            home=home,
        )
    runner = web.AppRunner(build_web_app(app, telemetry), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host=host, port=settings.port)
    await site.start()
    port = runner.addresses[0][1]
    log.info("goalpulse listening on http://%s:%s/slack/events", host, port)
    if oauth is not None:
        log.info("installs at http://%s:%s%s", host, port, oauth.flow.install_path)
    _start(scheduler)
    return RunningBot(
        services=services,
        runner=runner,
        socket_mode=None,
        port=port,
        scheduler=scheduler,
        home=home,
    )


def build_engine(
    settings: EngineSettings,
    *,
    database: Database,
    catalog: MetricCatalog,
    http: aiohttp.ClientSession,
    client: AsyncWebClient | None,
    clock: Callable[[], datetime],
    chart_executor: Executor | None = None,
    tokens: TeamTokens | None = None,
    locales: SlackLocales | None = None,
) -> Engine:
    """The engine, publishing through Slack when a client is given (else it cannot post):
    with its token, or with `tokens` each workspace with its own (bot/oauth/messengers.py)."""
    base_dir = catalog.path.parent if catalog.path else Path.cwd()
    messenger: SlackMessenger | NoPublisher = NoPublisher()
    messengers: TeamMessengers | None = None
    if client is not None:
        rate = (
            settings.goalpulse_slack_posts_per_second
            if isinstance(settings, Settings)
            else DEFAULT_SLACK_POSTS_PER_SECOND
        )
        # Several processes may share PostgreSQL, so they share its posting budget; SQLite
        # serves one process, which paces its own posts.
        pacer = (
            SharedWorkspacePacer(database, rate)
            if database.dialect == "postgresql"
            else WorkspacePacer(rate)
        )
        # With one pasted token every workspace's messenger shares its client (`""` is the
        # messenger of no workspace in particular, for what is not about one).
        base = client
        messengers = TeamMessengers(
            new_client=(lambda: base) if tokens is None else (lambda: fresh_client(base)),
            tokens=tokens,
            workspace_pacer=pacer,
            database=database,
            locales=locales or SlackLocales(clock),
            clock=clock,
            chart_executor=chart_executor,
        )
        if tokens is None:
            messenger = messengers("")
    context = EngineContext(
        database=database,
        messenger=messenger,
        catalog=catalog,
        clock=clock,
        timezone=settings.goalpulse_timezone,
        messengers=messengers,
    )
    return Engine(
        context=context,
        fetcher=SourceFetcher(base_dir=base_dir, env=dict(os.environ), http=http),
    )


class NoPublisher:
    """For commands that only read (`goalpulse digest --dry-run`): posting is a bug there."""

    async def publish_digest(self, digest: ChannelDigest) -> str:
        raise RuntimeError("this command does not post to Slack")

    def attach_chart(self, digest: ChannelDigest, ts: str) -> None:
        raise RuntimeError("this command does not post to Slack")

    async def post(
        self, channel_id: str, message: Outgoing, *, thread_ts: str | None = None
    ) -> str:
        raise RuntimeError("this command does not post to Slack")

    async def update(self, channel_id: str, ts: str, message: Outgoing) -> None:
        raise RuntimeError("this command does not post to Slack")

    async def send_dm(self, user_id: str, message: Outgoing) -> tuple[str, str]:
        raise RuntimeError("this command does not post to Slack")

    async def upload_file(
        self, channel_id: str, thread_ts: str, content: bytes, filename: str, title: str
    ) -> str:
        raise RuntimeError("this command does not post to Slack")

    async def user_timezone(self, user_id: str) -> str | None:
        return None

    async def permalink(self, channel_id: str, ts: str) -> str | None:
        return None

    async def workspace_admins(self) -> list[str]:
        return []


def _team_clients(
    engine: Engine, client: AsyncWebClient
) -> Callable[[str], Awaitable[AsyncWebClient | None]]:
    """Each workspace's client for the Home tab: the one client with one token."""
    messengers = engine.context.messengers
    if isinstance(messengers, TeamMessengers):
        return messengers.client_for

    async def the_client(_team_id: str) -> AsyncWebClient | None:
        return client

    return the_client


def _start(scheduler: EngineScheduler | None) -> None:
    if scheduler is not None:
        scheduler.start()
