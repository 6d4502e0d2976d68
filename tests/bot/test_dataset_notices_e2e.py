"""A broken customer dataset reaches its goals' owners once, end to end: two bots on one
database pull the datasets while the orders CSV is gone and when it is back; the owner watching
three metrics computed from orders gets one DM naming the dataset and all three, then one DM when
it can be read again, while each metric's own source status still says it failed."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import Settings
from storage import sources as source_store
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.world import TEAM, World, at, text_of

START = at(2026, 11, 25, 9)  # 09:00 in London, where the people are: no quiet hours
SINCE = START + timedelta(hours=1)  # the first failing pull
ORDER_METRICS = ["orders", "gmv", "aov_30d"]
METRICS = """
datasets:
  orders:
    files: orders.csv
    columns: {customer: customer_id, at: placed_at, amount: total}
  activity:
    files: activity.csv
    columns: {user: user_id, at: seen_at}
metrics:
  orders:
    title: Orders
    source: {kind: dataset, measure: orders}
  gmv:
    title: Gross merchandise value
    source: {kind: dataset, measure: gmv}
  aov_30d:
    title: 30-day AOV
    source: {kind: dataset, measure: aov_30d}
  dau:
    title: Daily active users
    source: {kind: dataset, measure: dau}
"""


def write_orders(folder: Path) -> None:
    """Two ¥100 orders a day for the ten days up to today."""
    days = [START.date() - timedelta(days=n) for n in range(10)]
    rows = "".join(f"c{n},{day}T08:00:00,100\n" for day in days for n in range(2))
    (folder / "orders.csv").write_text("customer_id,placed_at,total\n" + rows, encoding="utf-8")


@pytest.fixture
def metrics_path(tmp_path: Path) -> Path:
    """Orders and activity as CSV files; three metrics from orders, one from activity."""
    write_orders(tmp_path)
    days = [START.date() - timedelta(days=n) for n in range(10)]
    rows = "".join(f"u{n},{day}T08:00:00\n" for day in days for n in range(3))
    (tmp_path / "activity.csv").write_text("user_id,seen_at\n" + rows, encoding="utf-8")
    path = tmp_path / "metrics.yml"
    path.write_text(METRICS, encoding="utf-8")
    return path


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """Two bots; ana's goals on the three orders metrics, li's on dau (from activity)."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start(2)
    await world.say("set orders 2")
    await world.say("set gmv 200")
    await world.say("set aov_30d 100")
    await world.say("set dau 3", user="U0LI")
    await world.settle()
    yield world
    await world.stop()
    await world.database.dispose()


async def pull_everywhere(world: World, *, hours: int) -> None:
    """Every bot pulls the datasets at the same moment, then they settle."""
    world.clock.set(START + timedelta(hours=hours))
    engines = [bot.services.engine for bot in world.bots]
    await asyncio.gather(*(engine.pull(["orders"]) for engine in engines))
    await world.settle()


async def sent(world: World) -> Counter[str]:
    """What Slack accepted, by run key, leaving out the channels' daily digests."""
    deliveries = await world.deliveries()
    return Counter(
        {k: n for k, n in deliveries.items() if "digest:" not in k and "Goal health" not in k}
    )


async def test_a_broken_dataset_is_one_dm_naming_it_and_its_metrics(
    world: World, metrics_path: Path
) -> None:
    """The orders CSV gone for three pulls: ana gets one DM about the orders dataset listing
    her three goals, li (on activity) none; orders back: one DM saying it can be read again."""
    assert await sent(world) == Counter()
    (metrics_path.parent / "orders.csv").unlink()
    for hours in (1, 2, 3):
        await pull_everywhere(world, hours=hours)

    down = f"source-down:{TEAM}:dataset-orders:{SINCE.isoformat()}:U0ANA"
    assert await sent(world) == Counter({f"post {down}": 1})
    [dm] = world.dms("U0ANA")
    text = text_of(dm)
    assert "The *orders* dataset cannot be read" in text
    for title in ("Orders", "Gross merchandise value", "30-day AOV"):
        assert f"*{title}* in <#C0GROWTH>" in text
    assert "orders.csv" in text
    assert "goalpulse check" in text
    assert world.dms("U0LI") == []
    async with world.database.transaction() as session:
        failing = await source_store.failing_sources(
            session=session, metric_keys=[*ORDER_METRICS, "dau"]
        )
    assert sorted(failing) == sorted(ORDER_METRICS)  # each metric's source shows as failing
    assert {status.failing_since for status in failing.values()} == {SINCE}

    write_orders(metrics_path.parent)
    await pull_everywhere(world, hours=4)
    up = down.replace("source-down:", "source-up:")
    assert await sent(world) == Counter({f"post {down}": 1, f"post {up}": 1})
    _, working = world.dms("U0ANA")
    assert "The *orders* dataset can be read again" in text_of(working)
    assert "cannot be read" not in text_of(working)
    assert world.dms("U0LI") == []

    await pull_everywhere(world, hours=5)
    await world.wait_ticks()
    assert await sent(world) == Counter({f"post {down}": 1, f"post {up}": 1})
