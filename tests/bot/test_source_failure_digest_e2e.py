"""A failing HTTP source in the channel digest: its kind only, never what the far end said.

Real pieces throughout: two local HTTP servers, the pull storing the failure, the bot's
scheduler posting the digest to the fake Slack.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.runtime import start_bot
from bot.settings import Settings
from jobs.goals.service import Actor, GoalChange, set_goal
from jobs.metrics.catalog import load_catalog
from jobs.metrics.pull import pull
from jobs.metrics.sources import SourceFetcher
from storage import migrate
from storage import sources as source_store
from storage.db import Database
from tests.bot.test_digest_e2e import DIGEST_AT, TEAM, TICK, TODAY, digests, text_of
from tests.bot.test_digest_e2e import wait_for_digests as wait_for_digest
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack

# Shaped like a cloud metadata service's credentials answer.
CREDENTIALS = {
    "Code": "Success",
    "AccessKeyId": "ASIAEXAMPLEKEY",
    "SecretAccessKey": "wJalrXUtnFEMIexample",
    "Token": "IQoJb3JpZ2luX2VjEXAMPLE",
}
CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/role"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class Servers:
    """The metric's endpoint, which redirects to a metadata-like endpoint on another port."""

    def __init__(self) -> None:
        self.asked_for_credentials = 0
        self.runners: list[web.AppRunner] = []
        self.metadata_url = ""
        self.source_url = ""

    async def start(self) -> None:
        async def credentials(_request: web.Request) -> web.StreamResponse:
            self.asked_for_credentials += 1
            return web.json_response(CREDENTIALS)

        async def kpi(_request: web.Request) -> web.StreamResponse:
            raise web.HTTPFound(f"{self.metadata_url}{CREDENTIALS_PATH}?token=t0ps3cret")

        self.metadata_url = await self._serve("GET", CREDENTIALS_PATH, credentials)
        self.source_url = await self._serve("GET", "/kpi", kpi)

    async def _serve(self, method: str, path: str, handler: Handler) -> str:
        app = web.Application()
        app.router.add_route(method, path, handler)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self.runners.append(runner)
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def stop(self) -> None:
        for runner in self.runners:
            await runner.cleanup()


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    both = Servers()
    await both.start()
    yield both
    await both.stop()


@pytest.fixture
def redirects(request: pytest.FixtureRequest) -> str | None:
    """The source's `redirects` setting; None leaves it out (the default)."""
    setting: str | None = getattr(request, "param", None)
    return setting


@pytest.fixture
def metrics_path(tmp_path: Path, servers: Servers, redirects: str | None) -> Path:
    """metrics.yml with one HTTP metric whose endpoint redirects to the metadata endpoint."""
    setting = f", redirects: {redirects}" if redirects else ""
    path = tmp_path / "metrics.yml"
    path.write_text(
        "metrics:\n"
        "  signups:\n"
        "    title: Signups\n"
        f"    source: {{kind: http, url: '{servers.source_url}/kpi?api_key=k3y', records: data"
        f"{setting}}}\n"
    )
    return path


@pytest.mark.parametrize(
    ("redirects", "shown", "credentials_asked"),
    [
        pytest.param(None, "redirect to another host refused", 0, id="refused-by-default"),
        pytest.param("any", "records not found in the JSON", 1, id="followed-when-allowed"),
    ],
    indirect=["redirects"],
)
async def test_the_digest_names_the_failure_without_echoing_the_remote(
    bot_settings: Settings,
    fake_slack: FakeSlack,
    servers: Servers,
    tmp_path: Path,
    shown: str,
    credentials_asked: int,
) -> None:
    """The pull fails; the digest says how in a few words; the full line stays for admins."""
    catalog = load_catalog(bot_settings.goalpulse_metrics)
    database = Database(bot_settings.database_url)
    fetcher = SourceFetcher(base_dir=tmp_path, env={})
    try:
        await migrate.upgrade(database)
        async with database.transaction() as session:
            await set_goal(
                session=session,
                catalog=catalog,
                team_id=TEAM,
                channel_id="C0GROWTH",
                actor=Actor("U0ANA", _admin),
                change=GoalChange("signups", 100),
                now=DIGEST_AT - timedelta(days=1),
            )
        (result,) = await pull(
            database=database, fetcher=fetcher, catalog=catalog, today=TODAY, now=DIGEST_AT
        )
        async with database.transaction() as session:
            status = await source_store.status_of(session=session, metric_key="signups")
    finally:
        await fetcher.close()
        await database.dispose()
    assert result.error is not None
    assert status is not None
    assert status.error == result.error  # the full line, for admins

    running = await start_bot(
        bot_settings, host="127.0.0.1", clock=SettableClock(DIGEST_AT), tick_seconds=TICK
    )
    try:
        await wait_for_digest(fake_slack, 1)
    finally:
        await running.stop()
    (digest,) = digests(fake_slack)
    sent = text_of(digest)
    assert f"source failing: {shown}" in sent
    metadata_host = servers.metadata_url.removeprefix("http://")
    for leaked in (metadata_host, CREDENTIALS_PATH, "t0ps3cret", "k3y", *CREDENTIALS):
        assert leaked not in sent, leaked
    assert servers.asked_for_credentials == credentials_asked


async def _admin() -> bool:
    return True
