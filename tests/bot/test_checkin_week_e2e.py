"""A week of check-ins end to end: two goals in one channel, each asked every Monday at 10:00 in
its owner's own time zone (New York, London). One owner answers off track through the form; the
other is reminded once and recorded missed. The next Monday's digest says so beside each goal,
and one summary of the week goes into the thread of that week's first digest.

Everything goes through the bot's signed HTTP endpoint, the fake Slack on loopback and a real
database (SQLite, then PostgreSQL); the bot's own scheduler ticks while the test turns the clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.settings import Settings
from jobs.digest.build import digest_run_key
from jobs.outbox.checkin_summaries import summary_run_key
from storage import claims
from storage.models import Checkin
from tests.conftest import SIGNING_SECRET
from tests.support.checkin_form import open_form, prompts, submit_form
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.world import CHANNEL, TEAM, World, at, text_of

NIA = "U0NY"  # in New York: Monday 10:00 there is 15:00 UTC
LEO = "U0LON"  # in London: Monday 10:00 there is 10:00 UTC
WEEK_A = date(2026, 11, 30)  # a Monday, ISO week 49
WEEK_B = WEEK_A + timedelta(days=7)
TUESDAY_A = WEEK_A + timedelta(days=1)
# The deployment is in Berlin: the channel's 09:00 digest is 08:00 UTC, before both owners' 10:00.
DIGEST_UTC_HOUR = 8
MOVED = "The autumn promo ended"
BLOCKERS = "Waiting on <!channel> pricing"
TICK = 0.02  # real seconds between the scheduler's ticks: the clock is turned, not waited for


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return at(day.year, day.month, day.day, hour, minute)


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot on Monday of week A, 08:00 in Berlin: nia owns the aov goal, leo the nps goal,
    both green by the numbers, both asked every Monday at 10:00; the digest goes out at 09:00."""
    fake_slack.add_user(NIA, name="nia", tz="America/New_York", tz_offset=-5 * 3600)
    fake_slack.add_user(LEO, name="leo", tz="Europe/London", tz_offset=0)
    world = World(
        bot_settings, fake_slack, SettableClock(utc(WEEK_A, 7)), SIGNING_SECRET, tick=TICK
    )
    await world.start()
    await seed(world, until=WEEK_A)
    await world.say(f"set aov 500 owner <@{NIA}|nia>")
    await world.say(f"set nps 40 owner <@{LEO}|leo>")
    for metric in ("aov", "nps"):
        reply = await world.say(f"checkins {metric} weekly mon 10:00")
        assert "every Monday at 10:00, in each owner's own time zone" in reply
    await world.say("config digest 09:00")
    await world.settle()
    yield world
    await world.stop()
    await world.database.dispose()


async def seed(world: World, *, until: date) -> None:
    """Two days of on-target values up to `until`: fresh for that day's digest."""
    await world.seed_points("aov", 500, days=2, until=until)
    await world.seed_points("nps", 45, days=2, until=until)


async def turn_to(world: World, when: datetime) -> None:
    """Set the clock and let the bot's scheduler tick on it until nothing due is left."""
    world.clock.set(when)
    await world.settle()


async def asked(world: World, user: str, count: int) -> list[dict[str, Any]]:
    """The DMs with a *Check in* button to `user`, once there are `count` (waiting up to 10 s
    for the scheduler's check-in tick)."""
    deadline = asyncio.get_running_loop().time() + 10
    while len(found := prompts(world, user)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"{user} was not asked {count}x"
        await world.settle()
    assert len(found) == count, f"{user} got {len(found)} check-in DMs, not {count}"
    return found


async def states(world: World) -> dict[str, str]:
    """Each person's check-in states, oldest first, joined by a space."""
    async with world.database.transaction() as session:
        rows = (await session.exec(select(Checkin).order_by(col(Checkin.id)))).all()
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.user_id, []).append(row.state)
    return {user: " ".join(seen) for user, seen in found.items()}


async def digest_ts(world: World, day: date) -> str:
    """The ts of the channel's digest of `day`, once it is posted (waiting up to 10 s)."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        async with world.database.transaction() as session:
            claim = await claims.get_claim(
                session=session, run_key=digest_run_key(TEAM, CHANNEL, day)
            )
        if claim is not None and claim.done_at is not None:
            return str(claim.result["ts"])
        assert asyncio.get_running_loop().time() < deadline, f"no digest for {day}"
        await asyncio.sleep(0.05)


def goal_section(message: dict[str, Any], metric_key: str) -> str:
    """The text of the one section of a posted message that is about `metric_key`."""
    [text] = [
        str(block["text"]["text"])
        for block in message.get("blocks") or []
        if block.get("type") == "section" and f"`{metric_key}`" in str(block["text"]["text"])
    ]
    return text


def summaries(world: World) -> list[dict[str, Any]]:
    return [m for m in world.posted(CHANNEL) if "Check-ins for week" in text_of(m)]


async def week_a(world: World) -> None:
    """Week A from London's 10:00 to Tuesday's: leo is asked, reminded once and recorded missed;
    nia is asked at New York's 10:00, answers off track with notes and is not reminded."""
    # 10:00 in London, 05:00 in New York: leo is asked, nia is not.
    await turn_to(world, utc(WEEK_A, 10))
    [leo_prompt] = await asked(world, LEO, 1)
    assert "Net promoter score" in text_of(leo_prompt)
    assert prompts(world, NIA) == []

    await turn_to(world, utc(WEEK_A, 13, 59))
    assert prompts(world, LEO) == [leo_prompt], "no reminder before 4 hours"
    await turn_to(world, utc(WEEK_A, 14))
    [_, reminder] = await asked(world, LEO, 2)
    assert "Reminder" in text_of(reminder)

    # 10:00 in New York: nia is asked, presses the button and answers through the form.
    await turn_to(world, utc(WEEK_A, 15))
    [nia_prompt] = await asked(world, NIA, 1)
    assert "Average order value" in text_of(nia_prompt)
    world.clock.set(utc(WEEK_A, 15, 5))
    view = await open_form(world, nia_prompt, owner=NIA)
    ack = await submit_form(
        world,
        view,
        user=NIA,
        value="¥500",
        confidence="off_track",
        moved=MOVED,
        blockers=BLOCKERS,
    )
    assert ack is None, "a valid form is closed with an empty ack"
    assert await states(world) == {LEO: "reminded", NIA: "answered"}

    # nia's reminder time passes without a reminder; leo's check-in closes as missed.
    await turn_to(world, utc(WEEK_A, 19))
    await turn_to(world, utc(TUESDAY_A, 9, 59))
    assert await states(world) == {LEO: "reminded", NIA: "answered"}
    await turn_to(world, utc(TUESDAY_A, 10))
    assert await states(world) == {LEO: "missed", NIA: "answered"}
    await turn_to(world, utc(TUESDAY_A, 15))
    assert await states(world) == {LEO: "missed", NIA: "answered"}
    assert prompts(world, NIA) == [nia_prompt], "an answered check-in is not reminded"
    assert prompts(world, LEO) == [leo_prompt, reminder], "one reminder, nothing after the miss"


async def test_a_week_of_check_ins_reaches_the_next_digest_and_one_summary(world: World) -> None:
    """Week A: leo is asked at London's 10:00 and nia at New York's; nia answers off track with
    notes, leo gets one reminder after 4 hours and is recorded missed after 24. Monday of week B:
    the digest shows aov raised to yellow by nia's answer and nps's check-in missed, and one
    summary in the thread of week A's first digest quotes nia and lists leo as missed."""
    await turn_to(world, utc(WEEK_A, DIGEST_UTC_HOUR))
    first_digest = await digest_ts(world, WEEK_A)
    assert summaries(world) == []
    await week_a(world)

    # Monday of week B, 09:00 in Berlin: the digest, then the summary of week A.
    await seed(world, until=WEEK_B)
    await turn_to(world, utc(WEEK_B, DIGEST_UTC_HOUR))
    week_b_digest = await digest_ts(world, WEEK_B)
    await world.settle()
    [digest] = [m for m in world.posted(CHANNEL) if m["ts"] == week_b_digest]
    aov = goal_section(digest, "aov")
    assert ":large_yellow_circle: *Average order value*" in aov
    assert "Owner: off track — raised to yellow" in aov
    assert "check-in missed" not in aov
    nps = goal_section(digest, "nps")
    assert ":large_green_circle: *Net promoter score*" in nps
    assert "check-in missed" in nps
    assert "Owner:" not in nps

    [summary] = summaries(world)
    assert summary["thread_ts"] == first_digest, "in the thread of week A's first digest"
    assert summary["text"] == "Check-ins for week 49 (Mon 30 Nov – Sun 6 Dec): 1 answered, 1 missed"
    shown = text_of(summary)
    assert f"• <@{NIA}> · Mon 30 Nov · :red_circle: off track · ¥500" in shown
    assert f"What moved it (<@{NIA}>): “The autumn promo ended”" in shown
    assert f"Blockers (<@{NIA}>): “Waiting on &lt;!channel&gt; pricing”" in shown
    assert f"Missed: <@{LEO}> (Mon 30 Nov)" in shown
    assert "<!channel>" not in shown
    sent = await world.deliveries()
    assert sent[f"post {summary_run_key(TEAM, CHANNEL, '2026-W49')}"] == 1
    assert not [label for label in sent if "unrecorded" in label], sent

    # Tuesday's digest is not the week's first: no second summary.
    await seed(world, until=WEEK_B + timedelta(days=1))
    await turn_to(world, utc(WEEK_B + timedelta(days=1), DIGEST_UTC_HOUR))
    await digest_ts(world, WEEK_B + timedelta(days=1))
    await world.settle()
    assert summaries(world) == [summary]
