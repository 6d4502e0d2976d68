"""Installed into several workspaces through OAuth: each gets its own digest with its own
token (rotated as it goes), and an uninstalled one gets nothing more while the other goes on.
Org-wide (Enterprise Grid) installs keep each workspace's goals apart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlmodel import select

from bot.runtime import RunningBot, start_bot
from jobs.goals.service import Actor, GoalChange, set_goal
from jobs.metrics.catalog import load_catalog
from storage import points as point_store
from storage.db import Database
from storage.models import Goal, PostBudget, WorkspaceInstall
from storage.points import DailyValue
from tests.conftest import SIGNING_SECRET
from tests.support.charts import CHART_THREAD
from tests.support.clock import SettableClock
from tests.support.fake_slack import Call
from tests.support.fake_slack_oauth import FakeSlackWorkspaces
from tests.support.oauth_install import install_over_http, oauth_settings, send_event
from tests.support.signing import SignedSlack

# 09:30 in Berlin on 25 Nov 2026 is 08:30 UTC.
DIGEST_AT = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
TODAY = date(2026, 11, 25)
TICK = 0.05
# (team, name, channel, person)
ACME = ("T0001", "Acme", "C0ACME", "U0ANA")
GLOBEX = ("T0002", "Globex", "C0GLOBEX", "U0BOB")


async def _admin() -> bool:
    return True


@pytest.fixture
async def workspaces() -> AsyncIterator[FakeSlackWorkspaces]:
    """Acme and Globex, with rotating tokens that are always due for a refresh."""
    fake = FakeSlackWorkspaces(rotation=True)
    async with fake:
        fake.lifetime = 3600  # within Bolt's 120 minutes: every use refreshes first
        for team, name, channel, person in (ACME, GLOBEX):
            fake.add_workspace(team, name)
            fake.add_channel(channel, team)
            fake.add_member(person, team, name=person[2:].lower())
        yield fake


async def seed(
    database: Database, metrics_path: Path, team: str, channel: str, person: str
) -> None:
    """A green AOV goal in the workspace's channel, set by its person, with ten days of values."""
    async with database.transaction() as session:
        await set_goal(
            session=session,
            catalog=load_catalog(metrics_path),
            team_id=team,
            channel_id=channel,
            actor=Actor(person, _admin),
            change=GoalChange("aov", 520),
            now=DIGEST_AT - timedelta(days=30),
        )
        await point_store.upsert_points(
            session=session,
            team_id=team,
            metric_key="aov",
            values=[DailyValue(TODAY - timedelta(days=n), 530.0) for n in range(10)],
            origin="test",
            now=DIGEST_AT,
        )


def digest_calls(fake: FakeSlackWorkspaces, channel: str) -> list[Call]:
    """Every attempt to post a digest into `channel`, accepted or not."""
    return [
        c
        for c in fake.calls_to("chat.postMessage")
        if c.body.get("channel") == channel and str(c.body.get("text", "")).startswith("Goal")
    ]


async def wait_until(check: Any, timeout: float = 15.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 - the fake Slack records calls; polled as world.py does
            await asyncio.sleep(TICK)


@pytest.fixture
async def running(
    database_url: str, workspaces: FakeSlackWorkspaces, metrics_path: Path
) -> AsyncIterator[tuple[RunningBot, SettableClock]]:
    clock = SettableClock(DIGEST_AT - timedelta(hours=1))
    settings = oauth_settings(
        workspaces,
        slack_signing_secret=SIGNING_SECRET,
        database_url=database_url,
        goalpulse_metrics=metrics_path,
        goalpulse_timezone="Europe/Berlin",
    )
    bot = await start_bot(
        settings, host="127.0.0.1", clock=clock, tick_seconds=TICK, chart_executor=CHART_THREAD
    )
    yield bot, clock
    await bot.stop()


async def test_two_workspaces_each_get_their_digest_until_one_uninstalls(
    running: tuple[RunningBot, SettableClock],
    workspaces: FakeSlackWorkspaces,
    database_url: str,
    metrics_path: Path,
) -> None:
    bot, clock = running
    for team, name, _channel, _person in (ACME, GLOBEX):
        page = await install_over_http(bot.url, workspaces, team)
        assert f"goalpulse is installed in {name}" in page
    database = Database(database_url)
    try:
        for team, _name, channel, person in (ACME, GLOBEX):
            await seed(database, metrics_path, team, channel, person)

        clock.set(DIGEST_AT)
        await wait_until(lambda: all(digest_calls(workspaces, w[2]) for w in (ACME, GLOBEX)))
        for team, _name, channel, _person in (ACME, GLOBEX):
            (call,) = digest_calls(workspaces, channel)
            assert call.accepted, call.response
            assert workspaces.team_of(call) == team
        refreshes = [
            c
            for c in workspaces.calls_to("oauth.v2.access")
            if c.body.get("grant_type") == "refresh_token"
        ]
        assert refreshes
        assert all(c.accepted for c in refreshes)
        # Every call the bot made reached its workspace with that workspace's token.
        refused = [c for c in workspaces.calls if not c.accepted and c.method != "response_url"]
        assert refused == []
        async with database.transaction() as session:  # each workspace posts at its own pace
            budgets = {row.team_id for row in await session.exec(select(PostBudget))}
        assert budgets == {ACME[0], GLOBEX[0]}

        status = await send_event(
            bot.url, SIGNING_SECRET, {"type": "app_uninstalled"}, team_id=GLOBEX[0]
        )
        assert status == 200
        workspaces.revoke(GLOBEX[0])
        async with database.transaction() as session:
            marks = {
                r.team_id: r.uninstalled_at for r in await session.exec(select(WorkspaceInstall))
            }
            goals = {g.team_id for g in await session.exec(select(Goal))}
        assert marks[GLOBEX[0]] is not None
        assert marks[ACME[0]] is None
        assert goals == {ACME[0], GLOBEX[0]}  # the data stays until purged

        clock.set(DIGEST_AT + timedelta(days=1))
        await wait_until(lambda: len(digest_calls(workspaces, ACME[2])) == 2)
        await asyncio.sleep(TICK * 10)
        assert len(digest_calls(workspaces, GLOBEX[2])) == 1
        assert all(c.accepted for c in digest_calls(workspaces, ACME[2]))
    finally:
        await database.dispose()


def enterprise_command(sender: SignedSlack, text: str, team: str, channel: str) -> str:
    """A `/goal` body from a workspace of an org-wide installation."""
    body, _tag = sender.command_body(text, user="U0ANA", channel=channel)
    fields = dict(parse_qsl(body))
    fields |= {"team_id": team, "enterprise_id": "E0001", "is_enterprise_install": "true"}
    return urlencode(fields)


async def test_an_org_wide_install_keeps_each_workspace_goals_apart(
    running: tuple[RunningBot, SettableClock],
    workspaces: FakeSlackWorkspaces,
    database_url: str,
) -> None:
    bot, _clock = running
    for team in ("T0010", "T0011"):
        workspaces.add_workspace(team, f"Branch {team}", enterprise_id="E0001")
    await install_over_http(bot.url, workspaces, None, enterprise_id="E0001")
    async with SignedSlack(
        bot_url=bot.url, signing_secret=SIGNING_SECRET, response_url=workspaces.response_url
    ) as sender:
        for team, text in (("T0010", "set dau 150k"), ("T0011", "set aov 520")):
            status, _raw = await sender.post(enterprise_command(sender, text, team, "C0SALES"))
            assert status == 200
    database = Database(database_url)
    try:
        async with asyncio.timeout(10):
            while True:
                async with database.transaction() as session:
                    goals = {(g.team_id, g.metric_key) for g in await session.exec(select(Goal))}
                if len(goals) == 2:
                    break
                await asyncio.sleep(TICK)
        assert goals == {("T0010", "dau"), ("T0011", "aov")}
    finally:
        await database.dispose()
