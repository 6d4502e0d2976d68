"""A failing source reaches its owners, end to end: two bots on one database pull a CSV metric
whose file goes missing and comes back; the real timers tick DMs each owner of an active goal on
it (or on a formula computed from it) once when the failure starts and once when it ends."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import Settings
from storage.models import Goal
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.dau_source import dau_metrics, write_dau
from tests.support.fake_slack import FakeSlack
from tests.support.rows import stored
from tests.support.world import TEAM, World, at, text_of

START = at(2026, 11, 25, 9)  # 09:00 in London, where the people are: no quiet hours
SINCE = START + timedelta(hours=1)  # the first failing pull
RECOVERED = START + timedelta(hours=4)
OTHER_TEAM = "T0OTHER"
# Who owns an active goal on dau or on a formula computed from it, by workspace.
OWNERS = ((TEAM, "U0ANA"), (TEAM, "U0LI"), (OTHER_TEAM, "U0ZED"))


@pytest.fixture
def metrics_path(tmp_path: Path) -> Path:
    """A CSV-sourced metric with two formulas computed from it, and a manual metric."""
    return dau_metrics(tmp_path, START.date())


async def goal_row(world: World, *, team: str, channel: str, metric: str, owner: str) -> None:
    """A goal written straight into the database (another channel, another workspace)."""
    async with world.database.transaction() as session:
        await stored(
            session,
            Goal(
                team_id=team,
                channel_id=channel,
                metric_key=metric,
                target=150.0,
                direction="higher",
                unit="count",
                owner_id=owner,
                created_by=owner,
                created_at=world.clock(),
                updated_at=world.clock(),
            ),
        )


@pytest.fixture
async def world(
    bot_settings: Settings, fake_slack: FakeSlack, metrics_path: Path
) -> AsyncIterator[World]:
    """Two bots. Active goals on dau: ana's (and her formula goal in #ops), li's formula goal,
    and zed's in another workspace; bob's formula goal is paused; root's is on another metric."""
    fake_slack.add_user("U0ZED", name="zed")
    clock = SettableClock(START)
    world = World(bot_settings, fake_slack, clock, SIGNING_SECRET)
    await world.start(2)
    await world.say("set dau 150k")
    await world.say("set dau_k 150 owner <@U0LI|li>")
    await world.say("set dau_m 0.15 owner <@U0BOB|bob>")
    await world.say("pause dau_m")
    await world.say("set aov 500", user="U0ADMIN")
    await goal_row(world, team=TEAM, channel="C0OPS", metric="dau_k", owner="U0ANA")
    await goal_row(world, team=OTHER_TEAM, channel="C0OTHER", metric="dau", owner="U0ZED")
    yield world
    await world.stop()
    await world.database.dispose()


async def pull_everywhere(world: World, *, hours: int) -> None:
    """Every bot pulls dau at the same moment (as their schedules would), then they settle."""
    world.clock.set(START + timedelta(hours=hours))
    engines = [bot.services.engine for bot in world.bots]
    await asyncio.gather(*(engine.pull(["dau"]) for engine in engines))
    await world.settle()


async def sent(world: World) -> Counter[str]:
    """What Slack accepted, by run key, leaving out the channels' daily digests (also one whose
    claim is not stored yet at the moment of reading, which shows as "unrecorded")."""
    deliveries = await world.deliveries()
    return Counter(
        {k: n for k, n in deliveries.items() if "digest:" not in k and "Goal health" not in k}
    )


def key(kind: str, team: str, user: str) -> str:
    return f"post source-{kind}:{team}:dau:{SINCE.isoformat()}:{user}"


async def test_owners_are_told_once_when_a_source_fails_and_once_when_it_recovers(
    world: World, metrics_path: Path
) -> None:
    """Three failing pulls DM each active owner once; the next good pull DMs them once more."""
    await pull_everywhere(world, hours=0)
    assert await sent(world) == Counter()

    (metrics_path.parent / "dau.csv").unlink()
    for hours in (1, 2, 3):
        await pull_everywhere(world, hours=hours)
    told = Counter(key("down", team, user) for team, user in OWNERS)
    assert await sent(world) == told
    for _, user in OWNERS:
        [dm] = world.dms(user)
        text = text_of(dm)
        assert "Daily active users" in text
        assert "dau: CSV file dau.csv not found" in text
        assert "goalpulse check" in text
    assert "<#C0GROWTH>" in text_of(world.dms("U0ANA")[0])
    assert "<#C0OPS> (computed from it)" in text_of(world.dms("U0ANA")[0])
    assert "DAU in thousands" in text_of(world.dms("U0LI")[0])
    assert world.dms("U0BOB") == []
    assert world.dms("U0ADMIN") == []

    write_dau(metrics_path.parent, RECOVERED.date())
    await pull_everywhere(world, hours=4)
    recovered = told + Counter(key("up", team, user) for team, user in OWNERS)
    assert await sent(world) == recovered
    for _, user in OWNERS:
        _, working = world.dms(user)
        assert "works again" in text_of(working)
        assert "not found" not in text_of(working)
        assert "goalpulse check" not in text_of(working)
    assert world.dms("U0BOB") == []
    assert world.dms("U0ADMIN") == []

    await pull_everywhere(world, hours=5)
    await world.wait_ticks()
    assert await sent(world) == recovered


async def test_a_failure_over_before_quiet_hours_end_is_never_told(
    world: World, metrics_path: Path
) -> None:
    """A source failing at 22:00 in London waits for 08:00 to be told; fixed by then, nobody
    hears of it, neither the failure nor the recovery."""
    await pull_everywhere(world, hours=0)
    (metrics_path.parent / "dau.csv").unlink()
    await pull_everywhere(world, hours=13)  # 22:00 in London
    write_dau(metrics_path.parent, START.date())
    await pull_everywhere(world, hours=14)
    await world.advance(timedelta(hours=9))  # 08:00 in London
    await world.advance(timedelta(minutes=5))
    assert await sent(world) == Counter()
    for _, user in OWNERS:
        assert world.dms(user) == []
    notices = [row for row in await world.outbox() if row.kind.startswith("source_")]
    assert len(notices) == 2 * len(OWNERS)
    assert all(row.done_at is not None and "skipped" in row.result for row in notices)
