"""A goal set on a never-pulled metric pulls it at once and tells its setter what came back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from bot.runtime import RunningBot
from storage import points as point_store
from tests.support.conversation import TEAM, replies, reply_text
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack

TODAY = datetime.now(UTC).astimezone(ZoneInfo("Europe/Berlin")).date()  # the bot's timezone


class CountingSource:
    """An HTTP metric source on loopback that counts the requests it answers."""

    def __init__(self) -> None:
        self.requests = 0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def answer(self, _request: web.Request) -> web.Response:
        self.requests += 1
        await asyncio.sleep(0.2)  # a warehouse takes a moment; goals set meanwhile must wait
        days = [TODAY - timedelta(days=n) for n in range(5)]
        return web.json_response([{"day": d.isoformat(), "value": 90.0} for d in days])


@pytest.fixture
async def source() -> AsyncIterator[CountingSource]:
    counting = CountingSource()
    app = web.Application()
    app.router.add_get("/signups", counting.answer)
    counting.runner = web.AppRunner(app)
    await counting.runner.setup()
    site = web.TCPSite(counting.runner, "127.0.0.1", 0)
    await site.start()
    counting.url = f"http://127.0.0.1:{counting.runner.addresses[0][1]}/signups"
    yield counting
    await counting.runner.cleanup()


@pytest.fixture
def metrics_path(tmp_path: Path, source: CountingSource) -> Path:
    """Overrides the shared metrics: a CSV with recent days, a missing CSV, an HTTP source."""
    rows = "".join(f"{TODAY - timedelta(days=n)},{140_000 - n * 1000}\n" for n in range(10))
    (tmp_path / "visits.csv").write_text("day,value\n" + rows, encoding="utf-8")
    path = tmp_path / "metrics.yml"
    path.write_text(
        "metrics:\n"
        "  visits:\n"
        "    source: {kind: csv, path: visits.csv}\n"
        "  refunds:\n"
        "    source: {kind: csv, path: exports/refunds.csv}\n"
        "  signups:\n"
        f"    source: {{kind: http, url: '{source.url}'}}\n"
        "  nps:\n"
        "    source: {kind: manual}\n",
        encoding="utf-8",
    )
    return path


async def set_goal(slack: SignedSlack, fake_slack: FakeSlack, text: str, channel: str) -> list[str]:
    """`/goal <text>` in a channel; the replies its setter sees, saved and follow-up."""
    status, _, tag = await slack.command(text, channel=channel)
    assert status == 200
    return [reply_text(body) for body in await replies(fake_slack, tag, count=2)]


async def test_a_never_pulled_csv_metric_is_pulled_and_reported(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """The follow-up gives the latest value and band; the points are stored for everyone."""
    saved, follow_up = await set_goal(slack, fake_slack, "set visits 160k", "C0GROWTH")

    assert "Created the goal" in saved
    assert "Pulled `visits` just now: 140k" in follow_up
    assert "12.5% below target" in follow_up
    assert "yellow" in follow_up
    async with bot.services.database.transaction() as session:
        latest = await point_store.latest_day(session=session, team_id=TEAM, metric_key="visits")
    assert latest == TODAY


async def test_a_metric_with_recent_values_is_not_pulled_again(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """A second goal on a metric pulled a moment ago gets one reply and no second pull."""
    await set_goal(slack, fake_slack, "set visits 150k", "C0GROWTH")
    status, _, tag = await slack.command("set visits 120k", channel="C0OTHER")
    assert status == 200
    [saved] = await replies(fake_slack, tag)
    await bot.services.background.drain()

    assert "Created the goal" in reply_text(saved)
    assert len([c for c in fake_slack.calls_to("response_url") if c.tag == tag]) == 1


async def test_a_broken_source_is_named_in_the_follow_up(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """The setter learns the source's error and that the goal shows no data until it is fixed."""
    _, follow_up = await set_goal(slack, fake_slack, "set refunds 50", "C0GROWTH")

    assert "its source failed" in follow_up
    assert "refunds: CSV file" in follow_up
    assert "not found" in follow_up
    assert "no data" in follow_up
    assert "goalpulse check" in follow_up


async def test_ten_goals_set_at_once_share_one_pull(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, source: CountingSource
) -> None:
    """Ten channels setting a goal on one metric together cost the source one request."""
    channels = [f"C0TEAM{n}" for n in range(10)]
    answers = await asyncio.gather(
        *(set_goal(slack, fake_slack, "set signups 100", channel) for channel in channels)
    )

    assert source.requests == 1
    for _, follow_up in answers:
        assert "Pulled `signups` just now: 90" in follow_up
        assert "10% below target" in follow_up


async def test_a_manual_metric_gets_no_follow_up(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """Check-in metrics are typed in by people: nothing to pull, so nothing more is said."""
    status, _, tag = await slack.command("set nps 40", channel="C0GROWTH")
    assert status == 200
    await replies(fake_slack, tag)
    await bot.services.background.drain()

    assert len([c for c in fake_slack.calls_to("response_url") if c.tag == tag]) == 1
