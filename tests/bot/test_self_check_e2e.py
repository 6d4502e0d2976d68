"""The self-check, end to end: a bot whose messages stay unsent for more than 10 minutes, or
whose metric source has been failing for more than a day, DMs the workspace's admin once a day.

The real scheduler runs the self-check job (every tick here instead of every 5 minutes); the
admin comes from users.list on the fake Slack, where root is the only admin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.messenger import SlackMessenger
from bot.settings import Settings
from bot.slack_client import build_client
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.dau_source import dau_metrics
from tests.support.fake_slack import FakeSlack
from tests.support.prometheus import scrape, value
from tests.support.world import TICK, World, at, text_of

START = at(2026, 11, 25, 9)  # 09:00 in London, where the people are: no quiet hours
ADMIN = "U0ADMIN"
STALL = 5.0  # real seconds Slack takes to answer a stalled call


@pytest.fixture
def metrics_path(tmp_path: Path) -> Path:
    """dau from a CSV (with two formulas computed from it) and aov, a manual metric."""
    return dau_metrics(tmp_path, START.date())


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot checking on itself at every tick; ana's aov goal (Li leads) and dau goal."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start()
    for bot in world.bots:
        assert bot.scheduler is not None
        bot.scheduler.scheduler.reschedule_job("self_check", trigger="interval", seconds=TICK)
    await world.seed_points("aov", 500, days=10, until=START.date())
    await world.say("set aov 500")
    await world.say("config digest 18:00")
    await world.say("config lead <@U0LI|li>")
    yield world
    await world.stop()
    await world.database.dispose()


def notices(world: World, words: str) -> list[dict[str, Any]]:
    """The admin's DMs that contain `words`."""
    return [m for m in world.dms(ADMIN) if words in text_of(m)]


async def stalled_dm(world: World, checkin: str) -> None:
    """A check-in whose DM to the lead hangs in Slack while 11 minutes pass."""
    world.slack.stall("conversations.open", STALL)
    await world.say(f"checkin aov {checkin}")
    await world.slack.wait_for(
        "conversations.open", len(world.slack.calls_to("conversations.open")) + 1
    )
    world.clock.advance(timedelta(minutes=11))


async def test_messages_stuck_for_ten_minutes_are_told_to_the_admin_once_a_day(
    world: World,
) -> None:
    """While Slack hangs on the lead's DM, the thread's messages wait 11 minutes: /metrics shows
    it, and root is DMed once; the same again an hour later tells nobody anything new."""
    await stalled_dm(world, "395")  # -21%: orange
    samples = await scrape(world.bots[0].url)
    assert value(samples, "goalpulse_outbox_oldest_due_seconds") >= 600
    await world.settle(timeout=STALL + 15)

    [notice] = notices(world, "waiting to go out")
    assert "10 minutes" in text_of(notice)
    assert notice["channel"] == world.dm_channel(ADMIN)
    [row] = [r for r in await world.outbox() if r.kind == "self_check"]
    assert (row.recipient_id, row.state) == (ADMIN, "sent")
    assert row.run_key == f"self-check:T0001:outbox:{START.date().isoformat()}:{ADMIN}"
    assert len(world.dms("U0LI")) == 1, "the lead's DM went out once, after the stall"

    world.clock.advance(timedelta(hours=1))
    await stalled_dm(world, "335")  # -33%: red, another DM to the lead hangs
    await world.settle(timeout=STALL + 15)
    assert len(notices(world, "waiting to go out")) == 1
    assert len(world.dms("U0LI")) == 2


async def test_a_source_failing_for_a_day_is_told_to_the_admin_once_a_day(
    world: World, metrics_path: Path
) -> None:
    """dau's CSV goes missing: ana hears at once (her goal's source notice); root hears once
    the failure is a day old, once that day, and again the next day while it lasts."""
    await world.say("set dau 150k")
    await world.settle()  # its first pull read the CSV
    (metrics_path.parent / "dau.csv").unlink()
    engine = world.bots[0].services.engine
    world.clock.advance(timedelta(hours=1))
    await engine.pull(["dau"])
    await world.settle()
    assert [m for m in world.dms("U0ANA") if "cannot be pulled" in text_of(m)]
    samples = await scrape(world.bots[0].url)
    assert value(samples, "goalpulse_source_failing", metric="dau") == 1
    assert value(samples, "goalpulse_source_last_success_age_seconds", metric="dau") == 3600

    await world.advance(timedelta(hours=23))  # failing for 23 hours: nothing yet
    await world.wait_ticks(10)
    await world.settle()
    assert notices(world, "failing for more than a day") == []

    await world.advance(timedelta(hours=2))  # 25 hours
    await world.wait_ticks(10)
    await world.settle()
    [notice] = notices(world, "failing for more than a day")
    assert "Daily active users" in text_of(notice)
    assert "goalpulse check" in text_of(notice)

    await world.advance(timedelta(hours=1))
    await world.wait_ticks(10)
    await world.settle()
    assert len(notices(world, "failing for more than a day")) == 1

    world.clock.set(at(2026, 11, 27, 9))  # the next UTC day, still failing
    await world.wait_ticks(10)
    await world.settle()
    assert len(notices(world, "failing for more than a day")) == 2


async def test_admins_are_people_who_administer_the_workspace(fake_slack: FakeSlack) -> None:
    """Admins and owners from every page of users.list; bots and deactivated accounts left out."""
    fake_slack.add_user("U0OWNER", name="owner", is_owner=True)
    fake_slack.add_user("U0GONE", name="gone", is_admin=True)["deleted"] = True
    fake_slack.add_user("U0ROBOT", name="robot", is_admin=True)["is_bot"] = True
    for n in range(250):  # more than one page
        fake_slack.add_user(f"U1{n:04d}", name=f"member{n}")
    fake_slack.add_user("U0LATE", name="late", is_admin=True)
    async with aiohttp.ClientSession() as http:
        client = build_client(BOT_TOKEN, api_url=fake_slack.api_url, session=http)
        admins = await SlackMessenger(client).workspace_admins()
    assert admins == [ADMIN, "U0OWNER", "U0LATE"]
    assert len(fake_slack.calls_to("users.list")) == 2
