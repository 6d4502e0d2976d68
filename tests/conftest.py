"""Shared fixtures: databases (SQLite and PostgreSQL), the fake Slack, and the running bot."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from bot.runtime import RunningBot, start_bot
from bot.settings import Settings
from jobs.metrics.catalog import MetricCatalog, load_catalog
from storage import migrate
from storage.db import Database
from tests.support.charts import CHART_THREAD
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack

SUPPORT = Path(__file__).parent / "support"
POSTGRES_SERVER = os.environ.get(
    "GOALPULSE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("GOALPULSE_REQUIRE_POSTGRES") == "1"
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


async def _create_postgres_database() -> tuple[str, str]:
    name = f"goalpulse_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(POSTGRES_SERVER, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL at {POSTGRES_SERVER} is unreachable: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}", name


async def _drop_postgres_database(name: str) -> None:
    admin = await asyncpg.connect(POSTGRES_SERVER, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@asynccontextmanager
async def empty_database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database of `kind` (`sqlite` or `postgresql`), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'goalpulse.db'}"
        return
    url, name = await _create_postgres_database()
    try:
        yield url
    finally:
        await _drop_postgres_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database: a SQLite file, then a fresh PostgreSQL database."""
    async with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database."""
    db = Database(database_url)
    await migrate.upgrade(db)
    yield db
    await db.dispose()


@pytest.fixture
def metrics_path() -> Path:
    return SUPPORT / "metrics.yml"


@pytest.fixture
def catalog(metrics_path: Path) -> MetricCatalog:
    return load_catalog(metrics_path)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack Web API with a few people in the workspace."""
    async with FakeSlack(token=BOT_TOKEN) as slack:
        slack.add_user("U0ANA", name="ana")
        slack.add_user("U0LI", name="li")
        slack.add_user("U0BOB", name="bob")
        slack.add_user("U0ADMIN", name="root", is_admin=True)
        yield slack


@pytest.fixture
def bot_settings(database_url: str, fake_slack: FakeSlack, metrics_path: Path) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        database_url=database_url,
        goalpulse_metrics=metrics_path,
        goalpulse_timezone="Europe/Berlin",
        port=0,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def bot(bot_settings: Settings) -> AsyncIterator[RunningBot]:
    """The real bot process pieces: HTTP server, Bolt app, database, on a free port."""
    # Command tests run without the scheduler; digest tests start their own, with a set clock.
    running = await start_bot(
        bot_settings,
        host="127.0.0.1",
        schedule=False,
        chart_executor=CHART_THREAD,
        evaluate_in_process=True,
    )
    yield running
    await running.stop()


@pytest.fixture
async def slack(bot: RunningBot, fake_slack: FakeSlack) -> AsyncIterator[SignedSlack]:
    """Signed requests to the running bot, replies collected by the fake Slack."""
    async with SignedSlack(
        bot_url=bot.url, signing_secret=SIGNING_SECRET, response_url=fake_slack.response_url
    ) as sender:
        yield sender
