"""One posting rate across processes: bots sharing a PostgreSQL database share the workspace's
chat.postMessage budget, and a bot that cannot reach it paces its own posts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.messenger import SlackMessenger
from bot.pacing import SharedWorkspacePacer, WorkspacePacer
from bot.runtime import build_engine
from bot.settings import Settings, load_settings
from bot.slack_client import build_client
from jobs.metrics.catalog import load_catalog
from storage import migrate
from storage.db import Database

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
RATE = 50.0
BURST_SECONDS = 0.2  # 10 posts at once after a pause
BURST = 10
UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:9/goalpulse"


class Posts:
    """A clock stopped at T0 and a sleep that records when each post was let go."""

    def __init__(self) -> None:
        self.allowed: list[datetime] = []
        self.slept: list[float] = []
        self._waiting: dict[asyncio.Task[object] | None, float] = {}

    def clock(self) -> datetime:
        return T0

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._waiting[asyncio.current_task()] = seconds

    async def post(self, pacer: SharedWorkspacePacer) -> None:
        await pacer.wait()
        waited = self._waiting.pop(asyncio.current_task(), 0.0)
        self.allowed.append(T0 + timedelta(seconds=waited))

    def pacer(self, database: Database, **options: timedelta) -> SharedWorkspacePacer:
        return SharedWorkspacePacer(
            database,
            RATE,
            burst_seconds=BURST_SECONDS,
            clock=self.clock,
            sleep=self.sleep,
            **options,
        )


@pytest.fixture
async def two_bots(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two processes' connections to one migrated PostgreSQL database."""
    first, second = Database(database_url), Database(database_url)
    await migrate.upgrade(first)
    yield first, second
    await first.dispose()
    await second.dispose()


@pytest.mark.parametrize("n", [pytest.param(10, id="10-each"), pytest.param(40, id="40-each")])
async def test_two_bots_post_at_one_rate_between_them(
    two_bots: tuple[Database, Database], n: int
) -> None:
    """N posts from each of two bots asked at the same moment: a burst goes at once, the rest
    follow one 1/rate apart, as if one bot had posted them all."""
    posts = Posts()
    pacers = [posts.pacer(database) for database in two_bots]
    posting = [asyncio.create_task(posts.post(pacer)) for pacer in pacers for _ in range(n)]
    await asyncio.gather(*posting)
    allowed = sorted(posts.allowed)
    span = (allowed[-1] - allowed[0]).total_seconds()
    assert span >= (2 * n - BURST) / RATE - 1e-6
    assert allowed == [T0] * BURST + [
        T0 + timedelta(seconds=k / RATE) for k in range(1, 2 * n - BURST + 1)
    ]


async def test_a_slot_beyond_the_longest_wait_is_waited_for_no_longer(
    two_bots: tuple[Database, Database], caplog: pytest.LogCaptureFixture
) -> None:
    """A backlog further out than max_wait: the post waits max_wait, and says so."""
    posts = Posts()
    pacer = posts.pacer(two_bots[0], max_wait=timedelta(milliseconds=100))
    with caplog.at_level(logging.WARNING, logger="goalpulse.slack"):
        for _ in range(BURST + 8):
            await posts.post(pacer)
    assert max(posts.slept) == pytest.approx(0.1)
    assert posts.slept[:5] == pytest.approx([0.02, 0.04, 0.06, 0.08, 0.1])
    # Slots 0.12, 0.14 and 0.16 s away: each waited 0.1 s, with a warning.
    assert caplog.text.count("posting after 0.10 s") == 3


async def test_an_unreachable_database_paces_the_bot_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without its database, the bot still posts, paced in-process, and logs that once."""
    database = Database(UNREACHABLE)
    pacer = SharedWorkspacePacer(database, 1000, burst_seconds=0.005)
    try:
        with caplog.at_level(logging.INFO, logger="goalpulse.slack"):
            async with asyncio.timeout(30):
                for _ in range(8):
                    await pacer.wait()
    finally:
        await database.dispose()
    assert caplog.text.count("posting budget unreachable") == 1


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        pytest.param("sqlite", WorkspacePacer, id="sqlite-one-process"),
        pytest.param("postgresql", SharedWorkspacePacer, id="postgresql-shared"),
    ],
    indirect=["database_url"],
)
async def test_the_engine_shares_the_budget_only_on_postgresql(
    database_url: str, expected: type, metrics_path: Path
) -> None:
    configured = load_settings(
        Settings,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret="secret",
        goalpulse_slack_posts_per_second="7",
        _env_file=None,
    )
    database = Database(database_url)
    async with aiohttp.ClientSession() as http:
        engine = build_engine(
            configured,
            database=database,
            catalog=load_catalog(metrics_path),
            http=http,
            client=build_client("xoxb-test-token", session=http),
            clock=lambda: pytest.fail("not called"),
        )
        await engine.fetcher.close()
    await database.dispose()
    assert isinstance(engine.messenger, SlackMessenger)
    assert type(engine.messenger.workspace_pacer) is expected
    assert engine.messenger.workspace_pacer.per_second == 7
