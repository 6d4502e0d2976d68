"""The install pages in a real browser (Debian's headless Chromium): the "Add to Slack" page
asks for the manifest's scopes, and clicking through Slack's approval (the fake's) stores the
installation, the state cookie carried by the browser itself.

Chromium missing: skipped, unless GOALPULSE_REQUIRE_CHROMIUM=1 (CI, .ci/run) makes it fail.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from sqlmodel import select

from bot.constants import BOT_SCOPES
from bot.oauth.messengers import TeamMessengers
from bot.runtime import RunningBot, start_bot
from storage.db import Database
from storage.models import WorkspaceInstall
from tests.conftest import SIGNING_SECRET
from tests.support.charts import CHART_THREAD
from tests.support.fake_slack_oauth import FakeSlackWorkspaces
from tests.support.oauth_install import oauth_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REQUIRE_CHROMIUM = os.environ.get("GOALPULSE_REQUIRE_CHROMIUM") == "1"
# Headless, and nothing fetched but the pages the test opens.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = (
            f"{CHROMIUM} and {CHROMEDRIVER} are needed: apt-get install chromium chromium-driver"
        )
        if REQUIRE_CHROMIUM:
            pytest.fail(message)
        pytest.skip(message)
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
async def installing(
    database_url: str, metrics_path: Path
) -> AsyncIterator[tuple[RunningBot, FakeSlackWorkspaces]]:
    fake = FakeSlackWorkspaces()
    async with fake:
        fake.add_workspace("T0001", "Acme")
        settings = oauth_settings(
            fake,
            slack_signing_secret=SIGNING_SECRET,
            database_url=database_url,
            goalpulse_metrics=metrics_path,
        )
        bot = await start_bot(
            settings, host="127.0.0.1", schedule=False, chart_executor=CHART_THREAD
        )
        yield bot, fake
        await bot.stop()


async def test_add_to_slack_in_a_browser_stores_the_installation(
    browser: WebDriver,
    installing: tuple[RunningBot, FakeSlackWorkspaces],
    database_url: str,
) -> None:
    bot, fake = installing
    # localhost, not 127.0.0.1: Chromium keeps the bot's Secure state cookie on it over HTTP.
    site = f"http://localhost:{bot.port}"
    fake.install_next("T0001")
    fake.redirect_uri = f"{site}/slack/oauth_redirect"

    await asyncio.to_thread(browser.get, f"{site}/slack/install")
    link = browser.find_element(By.ID, "add-to-slack")
    assert link.text == "Add to Slack"
    shown = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#scopes li")]
    assert shown == sorted(BOT_SCOPES)
    asked = parse_qs(urlparse(str(link.get_attribute("href"))).query)
    assert asked["scope"] == [",".join(sorted(BOT_SCOPES))]

    await asyncio.to_thread(link.click)
    heading = browser.find_element(By.ID, "installed")
    assert heading.text == "goalpulse is installed in Acme"

    (grant,) = fake.tokens_of("T0001")
    messengers = bot.services.engine.context.messengers
    assert isinstance(messengers, TeamMessengers)
    client = await messengers.client_for("T0001")
    assert client is not None
    assert client.token == grant
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            rows = list(await session.exec(select(WorkspaceInstall)))
    finally:
        await database.dispose()
    assert [(r.team_id, r.uninstalled_at) for r in rows] == [("T0001", None)]
