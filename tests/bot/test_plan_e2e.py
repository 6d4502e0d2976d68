"""Goals with a plan end to end: `/goal set` through the signed endpoint with the reality check
in its reply, then behind plan in `/goal show` and in the digest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.settings import Settings
from storage import points as point_store
from storage.points import DailyValue
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.world import TEAM, World, at

START = at(2027, 3, 1, 9)  # 10:00 in Berlin, the deployment's timezone
TODAY = START.date()


@pytest.fixture
def metrics_path(tmp_path: Path) -> Path:
    """One manual metric: GMV, a count."""
    path = tmp_path / "metrics.yml"
    metrics = {"gmv": {"title": "GMV", "unit": "count", "source": {"kind": "manual"}}}
    path.write_text(yaml.safe_dump({"metrics": metrics}), encoding="utf-8")
    return path


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """A bot whose GMV rose by 100 a day for 90 days, to 120k today: +700 a week, at best."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start()
    async with world.database.transaction() as session:
        await point_store.upsert_points(
            session=session,
            team_id=TEAM,
            metric_key="gmv",
            values=[DailyValue(TODAY - timedelta(days=n), 120_000 - 100 * n) for n in range(90)],
            origin="test",
            now=START,
        )
    yield world
    await world.stop()
    await world.database.dispose()


async def test_an_unreachable_target_is_set_with_a_warning_and_tracked_against_its_plan(
    world: World,
) -> None:
    """150k by 31 Mar from 120k needs +7k a week, ten times the best 4 weeks on record: the goal
    is saved with that warning. With a plan from 100k on 1 Jan, 120k today is 10% behind the
    plan's 133.1k, which `/goal show` and the digest say with the pace still needed."""
    reply = await world.say("set gmv 150k by 2027-03-31")
    assert "Created the goal *GMV*" in reply
    assert (
        ":warning: Needs +7k a week; the best 4 weeks on record managed +700 a week "
        "(10.0× the best pace). At that pace: 150k by 26 Dec, or 123k by 31 Mar."
    ) in reply

    reply = await world.say("set gmv 150k from 100k on 2027-01-01 stretch 200k")
    assert "Updated the goal" in reply
    assert "stretch 200k, by 2027-03-31, from 100k on 2027-01-01 (linear)" in reply

    await world.say("checkin gmv 120k")
    behind = "10% behind plan, needs +7k a week to make 150k by 31 Mar"
    shown = await world.say("show gmv")
    assert "*Plan* 100k on 1 Jan → 150k by 31 Mar (linear)" in shown
    assert "133.1k expected on 1 Mar" in shown
    assert f"{behind} · 40% of floor · 20% of the way to the 200k stretch" in shown

    digest = await world.say("digest preview")
    assert "120k vs 150k" in digest
    assert behind in digest


async def test_a_plan_needs_a_due_date_and_a_reachable_target_is_said_plainly(
    world: World,
) -> None:
    """A start without a due date (given or stored) is refused with an example and nothing is
    stored; a pace within the best on record is said without a warning."""
    refused = await world.say("set gmv 150k from 100k")
    assert "A plan needs a due date: add `by YYYY-MM-DD`." in refused
    assert "`/goal set gmv 150k by 2028-03-31 from 100k on 2028-01-01`" in refused
    assert "This channel has no goals yet." in await world.say("list")

    reply = await world.say("set gmv 122k by 2027-03-29")
    assert "Needs +500 a week; the best 4 weeks on record: +700 a week." in reply
    assert ":warning:" not in reply
