"""The digest's customer-tier line end to end: a running bot on customer-tier metrics whose
points are written straight into the database, as a pull of the customer datasets would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.dashboard_metrics import METRICS, TIER_METRICS, write_metrics_yml
from tests.support.fake_slack import FakeSlack
from tests.support.world import CHANNEL, World, at, text_of

START = at(2026, 11, 25, 9)  # 10:00 in Berlin, the deployment's timezone
DIGEST = at(2026, 11, 25, 17)  # 18:00 in Berlin, the channel's digest time
TODAY = START.date()
# (value a week ago and before, value this week) of each metric.
SERIES = {
    "hv_share": (0.087, 0.081),
    "potential": (0.30, 0.31),
    "new": (0.125, 0.12),
    "churned": (0.485, 0.489),
    "hv_at_risk": (280.0, 312.0),
    "active_rate": (0.30, 0.31),
}
TIER_LINE = (
    "High-value 8.1% (−0.6 pt) · Potential 31% · New 12% · Churned 48.9% · "
    "312 high-value customers at risk"
)


@pytest.fixture
def metrics_path(tmp_path: Path) -> Path:
    """The tests' metrics.yml: the customer datasets, the health and the tier metrics."""
    return write_metrics_yml(tmp_path, METRICS | TIER_METRICS)


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot with 20 days of the tier metrics stored, this week's a little different."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start()
    for key, (before, now) in SERIES.items():
        await world.seed_points(key, before, days=20, until=TODAY - timedelta(days=7))
        await world.seed_points(key, now, days=7, until=TODAY)
    await world.say("config lead <@U0LI|li>", user="U0ADMIN")  # an admin sets the first lead
    await world.say("config digest 18:00")
    yield world
    await world.stop()
    await world.database.dispose()


async def digest_text(world: World) -> str:
    """The channel's digest, once it is posted at 18:00 (the digest tick may outlast a settle)."""
    await world.advance(DIGEST - START)
    await world.wait_for_call(
        "chat.postMessage", matching=lambda body: str(body.get("text")).startswith("Goal health")
    )
    [digest] = [m for m in world.posted(CHANNEL) if text_of(m).startswith("Goal health for")]
    return text_of(digest)


async def test_a_tier_goal_gets_the_tier_line_and_no_health_dashboard(world: World) -> None:
    """A goal on the high-value customers at risk: the digest ends with every tier's share,
    the high-value tier's change in points and the count at risk; no health index."""
    await world.say("set hv_at_risk 400 lower")
    shown = await digest_text(world)
    assert TIER_LINE in shown
    assert "User health index" not in shown


async def test_a_day_goal_adds_the_health_dashboard_before_the_tier_line(world: World) -> None:
    """With a goal on a day-grain measure too, the health dashboard comes first."""
    await world.say("set hv_at_risk 400 lower")
    await world.say("set active_rate 30%")
    shown = await digest_text(world)
    assert "*User health index* no data" in shown  # only the active rate has points
    assert shown.index("User health index") < shown.index(TIER_LINE)
