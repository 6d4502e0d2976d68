"""The weekly check-in summary end to end: a week of answered and missed check-ins, then the
next Monday's digest posted by the real scheduler brings one summary into the thread of the
previous week's first digest; an off-track answer shows in that digest as raising the goal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.settings import Settings
from jobs.digest.build import digest_run_key
from jobs.outbox.checkin_summaries import summary_run_key
from storage import claims
from storage.models import Checkin, CheckinState, Goal
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.rows import stored
from tests.support.world import CHANNEL, TEAM, World, at, text_of

WEEK_48 = date(2026, 11, 23)  # a Monday
WEEK_49 = WEEK_48 + timedelta(days=7)
METRICS = """
metrics:
  gmv:
    title: Gross merchandise value
    unit: currency
    source: {kind: manual}
  nps:
    title: Net promoter score
    unit: ratio
    source: {kind: manual}
"""


def monday_at_ten(day: date) -> datetime:
    return at(day.year, day.month, day.day, 9)  # 10:00 in Berlin, after the 09:30 digest


@pytest.fixture
def metrics_path(tmp_path: Path) -> Path:
    path = tmp_path / "metrics.yml"
    path.write_text(METRICS, encoding="utf-8")
    return path


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot on Monday of week 48: ana owns the gmv goal, li the nps goal; both green."""
    world = World(bot_settings, fake_slack, SettableClock(monday_at_ten(WEEK_48)), SIGNING_SECRET)
    await world.start()
    await world.say("set gmv 150k")
    await world.say("set nps 40 owner <@U0LI|li>")
    await seed(world, WEEK_48)
    await world.settle()
    yield world
    await world.stop()
    await world.database.dispose()


async def seed(world: World, until: date) -> None:
    await world.seed_points("gmv", 160_000, days=7, until=until)
    await world.seed_points("nps", 45, days=7, until=until)


async def goal_ids(world: World) -> dict[str, int]:
    async with world.database.transaction() as session:
        goals = (await session.exec(select(Goal))).all()
    return {goal.metric_key: goal.id or 0 for goal in goals}


async def check_in(world: World, goal_id: int, user: str, day: date, **fields: Any) -> None:
    """A check-in as the prompt and the modal would have stored it."""
    slot = datetime.combine(day, time(9)).astimezone()
    async with world.database.transaction() as session:
        await stored(
            session,
            Checkin(
                goal_id=goal_id,
                team_id=TEAM,
                channel_id=CHANNEL,
                user_id=user,
                day=day,
                slot_at=slot,
                asked_at=slot,
                **fields,
            ),
        )


async def digest_ts(world: World, day: date) -> str:
    """The ts of the channel's digest of `day`, once it is posted (waiting up to 10 s)."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        async with world.database.transaction() as session:
            key = digest_run_key(TEAM, CHANNEL, day)
            claim = await claims.get_claim(session=session, run_key=key)
        if claim is not None and claim.done_at is not None:
            return str(claim.result["ts"])
        assert asyncio.get_running_loop().time() < deadline, f"no digest for {day}"
        await asyncio.sleep(0.05)


def summaries(world: World) -> list[dict[str, Any]]:
    return [m for m in world.posted(CHANNEL) if "Check-ins for week" in text_of(m)]


async def test_next_mondays_digest_brings_last_weeks_check_ins_into_its_first_digests_thread(
    world: World,
) -> None:
    """ana answered twice (on track, then off track with notes), li missed one; on Monday of
    week 49 one summary goes into the thread of week 48's first digest, and the digest shows
    ana's off-track answer raising gmv to yellow."""
    first_digest = await digest_ts(world, WEEK_48)
    assert summaries(world) == []  # week 47 had no check-ins
    ids = await goal_ids(world)
    answered = CheckinState.ANSWERED.value
    await check_in(
        world,
        ids["gmv"],
        "U0ANA",
        WEEK_48,
        state=answered,
        confidence="on_track",
        value=150_000.0,
        moved="Launch went well",
    )
    await check_in(world, ids["nps"], "U0LI", WEEK_48 + timedelta(days=2), state="missed")
    await check_in(
        world,
        ids["gmv"],
        "U0ANA",
        WEEK_48 + timedelta(days=6),
        state=answered,
        confidence="off_track",
        value=160_000.0,
        moved="Big promo <!channel> ended",
        blockers="Payments & refunds backlog",
    )

    await seed(world, WEEK_49)  # before the clock moves: the digest reads them at once
    world.clock.set(monday_at_ten(WEEK_49))
    await digest_ts(world, WEEK_49)
    await world.settle()

    [summary] = summaries(world)
    assert summary["thread_ts"] == first_digest
    shown = text_of(summary)
    assert "<@U0ANA> · Mon 23 Nov · :large_green_circle: on track · $150k" in shown
    assert ":red_circle: off track (was on track) · $160k" in shown
    assert "What moved it (<@U0ANA>): “Launch went well”" in shown
    assert "What moved it (<@U0ANA>): “Big promo &lt;!channel&gt; ended”" in shown
    assert "Blockers (<@U0ANA>): “Payments &amp; refunds backlog”" in shown
    assert "Missed: <@U0LI> (Wed 25 Nov)" in shown
    assert "<!channel>" not in shown
    sent = await world.deliveries()
    assert sent[f"post {summary_run_key(TEAM, CHANNEL, '2026-W48')}"] == 1

    [digest] = [m for m in world.posted(CHANNEL) if m["ts"] == await digest_ts(world, WEEK_49)]
    line = text_of(digest)
    assert "Owner: off track — raised to yellow" in line
    assert ":large_yellow_circle: *Gross merchandise value*" in line

    await seed(world, WEEK_49 + timedelta(days=1))
    world.clock.set(monday_at_ten(WEEK_49 + timedelta(days=1)))  # Tuesday's digest
    await world.settle()
    await digest_ts(world, WEEK_49 + timedelta(days=1))
    await world.settle()
    assert len(summaries(world)) == 1


async def test_a_missed_check_in_shows_in_the_digest(world: World) -> None:
    """li's latest check-in was missed: week 49's digest says so beside nps, and its summary
    lists it even with nothing answered."""
    ids = await goal_ids(world)
    await check_in(world, ids["nps"], "U0LI", WEEK_48 + timedelta(days=4), state="missed")
    await seed(world, WEEK_49)  # before the clock moves: the digest reads them at once
    world.clock.set(monday_at_ten(WEEK_49))
    await digest_ts(world, WEEK_49)
    await world.settle()
    [digest] = [m for m in world.posted(CHANNEL) if m["ts"] == await digest_ts(world, WEEK_49)]
    assert "check-in missed" in text_of(digest)
    [summary] = summaries(world)
    assert "Missed: <@U0LI> (Fri 27 Nov)" in text_of(summary)
