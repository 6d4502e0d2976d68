"""Benchmarks and the user-health dashboard end to end: a running bot on dataset metrics whose
points are written straight into the database, as a pull of the customer datasets would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.settings import Settings
from storage.models import Evaluation
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.dashboard_metrics import METRICS, write_metrics_yml
from tests.support.fake_slack import FakeSlack
from tests.support.world import CHANNEL, World, at, text_of

START = at(2026, 11, 25, 9)  # 10:00 in Berlin, the deployment's timezone
DIGEST = at(2026, 11, 25, 17)  # 18:00 in Berlin, the channel's digest time
TODAY = START.date()
# (value a week ago and before, value this week) of each metric.
SERIES = {
    "active_rate": (0.30, 0.29),
    "retention": (0.20, 0.21),
    "aov_month": (170.0, 178.5),
    "health": (0.30 * 0.20 * 170.0, 0.29 * 0.21 * 178.5),
    "aov_swing": (0.18, 0.18),
}


@pytest.fixture
def metrics_path(tmp_path: Path) -> Path:
    """The tests' metrics.yml: the customer datasets and five dataset metrics."""
    return write_metrics_yml(tmp_path, METRICS)


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot with 20 days of every dataset metric stored, this week's a little different."""
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


async def evaluations(world: World) -> list[Evaluation]:
    """Today's evaluations, by goal."""
    async with world.database.transaction() as session:
        return list((await session.exec(select(Evaluation).order_by(Evaluation.goal_id))).all())


async def test_breach_raises_a_green_goal_to_orange_and_the_digest_shows_the_dashboard(
    world: World,
) -> None:
    """29% active against a 30% goal is green, but 17% under the 35% benchmark: the goal is
    orange, the lead is DMed and a remediation opens as for any orange; the digest shows the
    health index with its factors, AOV volatility and the benchmark gap."""
    await world.say("set active_rate 30%")
    await world.say("set retention 20%")
    await world.advance(DIGEST - START)

    active, retention = await evaluations(world)
    assert active.deviation == pytest.approx(0.29 / 0.30 - 1)  # −3.3%: green by its target
    assert active.band == "orange"
    assert retention.band == "green"

    [digest] = [m for m in world.posted(CHANNEL) if text_of(m).startswith("Goal health for")]
    shown = text_of(digest)
    assert "Goal health for 2026-11-25: 1 orange, 1 green" in shown
    assert "29% vs 30% · −3.3% · :warning: below benchmark 35% (−17%)" in shown
    assert "*User health index* ¥10.87" in shown
    assert "▄▄▄▄▄▄▄ · +6.6% w/w" in shown  # a flat week, 10.87 against 10.2 a week ago
    assert (
        "Active rate 29% (−3.3% w/w) × 7-day retention 21% (+5.0% w/w) × "
        "30-day AOV ¥178.5 (+5.0% w/w)"
    ) in shown
    assert "AOV swings ±18% day to day" in shown
    assert ":warning: Active rate 29% · below benchmark 35% (−17%)" in shown

    remediation = await world.remediation()
    assert remediation.trigger == "orange"
    assert remediation.parent_ts
    [lead_dm] = world.dms("U0LI")
    assert "Active rate" in text_of(lead_dm)
    assert "orange" in text_of(lead_dm).lower()
    assert "below benchmark 35%" in text_of(lead_dm)  # why it is orange at a small deviation

    reply = await world.say("show active_rate")
    assert "*Benchmark*\n35% · now −17%\n:warning: more than 15% under: at least orange" in reply
    await world.wait_for_call(  # the goal's chart, in the asker's DM, with the benchmark drawn
        "files.completeUploadExternal",
        matching=lambda body: "active_rate: last 30 days, benchmark dotted" in str(body),
    )


async def test_within_the_benchmark_nothing_is_raised(world: World) -> None:
    """Back within 15% of the benchmark the goal is green again: no DM, no remediation."""
    await world.seed_points("active_rate", 0.31, days=7, until=TODAY)
    await world.say("set active_rate 30%")
    await world.advance(DIGEST - START)

    [active] = await evaluations(world)
    assert active.band == "green"
    assert world.dms("U0LI") == []
    assert await world.remediations() == []
    [digest] = [m for m in world.posted(CHANNEL) if text_of(m).startswith("Goal health for")]
    assert "Active rate 31% · benchmark 35% (−11%)" in text_of(digest)
