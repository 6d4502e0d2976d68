"""High-value customers lapse, end to end: an orders CSV, the scheduler's datasets job, the
real evaluation and escalation. Forty days ago ten big customers ordered every day and made a
third of the base high-value; then they stopped. The goal on `high_value_share` (30%) is green
on the first pull, red on the pull forty days later; its remediation thread opens with the
high-value tier's treatment first, and the customer heatmap follows in the thread."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

from bot.settings import Settings
from jobs.escalation.remediation import DEFAULT_ITEMS
from jobs.escalation.treatments import DEFAULT_TREATMENTS
from jobs.scheduler import DATASETS_JOB
from storage import points as point_store
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.world import TEAM, World, at

NOW = at(2026, 11, 25, 9)  # 10:00 in Berlin, the deployment's timezone
TODAY = NOW.date()
LAPSE_DAYS = 40
LEAD, ADMIN = "U0LI", "U0ADMIN"
DATASETS = {
    "orders": {
        "files": "orders.csv",
        "columns": {"customer": "customer_id", "at": "placed_at", "amount": "total"},
    }
}
METRICS = {
    "high_value": {
        "title": "High-value customers",
        "source": {"kind": "dataset", "measure": "high_value_share"},
    }
}


def order_rows() -> list[tuple[str, datetime, float]]:
    """Ten customers order ¥100 every day from 200 to 40 days ago, then stop; twenty regulars
    order a little every ten days, to this day."""
    rows = []

    def moment(days_ago: int) -> datetime:
        return datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time()).replace(
            hour=9
        )

    for n in range(10):
        rows += [(f"big{n}", moment(k), 100.0) for k in range(LAPSE_DAYS, 200)]
    for n in range(20):
        rows += [(f"reg{n}", moment(k), 20.0 + n) for k in range(n % 10, 200, 10)]
    return rows


# How long a pull of the customer dataset may take (real seconds) before the test fails.
HEAVY_PULL_SECONDS = 90


@pytest.fixture
def metrics_path(tmp_path: Path) -> Path:
    pd.DataFrame(order_rows(), columns=["customer_id", "placed_at", "total"]).to_csv(
        tmp_path / "orders.csv", index=False
    )
    path = tmp_path / "metrics.yml"
    path.write_text(yaml.safe_dump({"datasets": DATASETS, "metrics": METRICS}), encoding="utf-8")
    return path


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot with its real scheduler, forty days before today; Li leads the channel."""
    world = World(
        bot_settings, fake_slack, SettableClock(NOW - timedelta(days=LAPSE_DAYS)), SIGNING_SECRET
    )
    await world.start()
    await world.say(f"config lead <@{LEAD}|li>", user=ADMIN)
    yield world
    await world.stop()
    await world.database.dispose()


async def share_on(world: World, day: date) -> float | None:
    async with world.database.transaction() as session:
        rows = await point_store.points_since(
            session=session, team_id=TEAM, metric_keys=["high_value"], since=day
        )
    return next((p.value for p in rows if p.day == day), None)


async def run_datasets_job(world: World) -> None:
    """The scheduler's datasets job, run now; waits until today's share is stored."""
    scheduler = world.bots[0].scheduler
    assert scheduler is not None
    job = scheduler.scheduler.get_job(DATASETS_JOB)
    assert job is not None
    job.modify(next_run_time=datetime.now(tz=scheduler.scheduler.timezone))
    deadline = time.monotonic() + HEAVY_PULL_SECONDS
    while await share_on(world, TODAY) is None:
        assert time.monotonic() < deadline, "the datasets job did not store today's share"
        await asyncio.sleep(world.tick)
    await world.settle()


async def test_lapsing_high_value_customers_escalate_with_their_treatment(
    world: World,
) -> None:
    await world.say("set high_value 30%")
    # The first pull scores every day of the history: seconds of CPU, more on a busy machine.
    await world.settle(timeout=HEAVY_PULL_SECONDS)
    before = TODAY - timedelta(days=LAPSE_DAYS)
    assert await share_on(world, before) == pytest.approx(10 / 30)
    assert not await world.remediations()

    world.clock.advance(timedelta(days=LAPSE_DAYS))
    await run_datasets_job(world)
    await world.bots[0].services.engine.evaluate_goals(team_id=TEAM)
    await world.settle()

    assert await share_on(world, TODAY) == 0
    rem = await world.remediation()
    titles = [item["title"] for item in rem.items]
    assert titles[: 1 + len(DEFAULT_ITEMS)] == [DEFAULT_TREATMENTS["high_value"], *DEFAULT_ITEMS]
    assert rem.parent_ts is not None
    uploads = [
        call
        for call in world.slack.calls_to("files.completeUploadExternal")
        if call.body.get("thread_ts") == rem.parent_ts
    ]
    assert len(uploads) == 1
    assert any(text for text in map(str, world.dms(LEAD)))  # the lead heard of the red goal
