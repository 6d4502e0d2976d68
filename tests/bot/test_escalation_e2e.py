"""Escalation end to end: check-ins over signed HTTP move a goal through orange, red and back;
the real scheduler's timers tick sends DMs and thread posts to the fake Slack, exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.constants import ACKNOWLEDGE_ACTION, SNOOZE_ACTION
from bot.settings import Settings
from tests.conftest import SIGNING_SECRET
from tests.support.clicks import block_action, press
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.world import CHANNEL, World, at, text_of

START = at(2026, 11, 25, 9)  # 10:00 in Berlin (the channel), 09:00 in London (the people)


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot and an average-order-value goal of 500 that has been on target for ten days."""
    clock = SettableClock(START)
    world = World(bot_settings, fake_slack, clock, SIGNING_SECRET)
    await world.start()
    await world.seed_points("aov", 500, days=10, until=START.date())
    await world.say("set aov 500")
    await world.say("config digest 18:00")  # the 10:00 alerts get the channel to themselves
    yield world
    await world.stop()
    await world.database.dispose()


async def configure(world: World, *, lead: bool = True, ceo: bool = True) -> None:
    if lead:
        await world.say("config lead <@U0LI|li>")
    if ceo:
        await world.say("config ceo <@U0ADMIN|root>", user="U0ADMIN")


async def checkin(world: World, value: str) -> str:
    reply = await world.say(f"checkin aov {value}")
    await world.settle()
    return reply


def pings(world: World, user: str) -> list[dict[str, object]]:
    """The escalation DMs a user got, leaving out a remediation's overdue notice."""
    return [m for m in world.dms(user) if "overdue" not in text_of(m).lower()]


def buttons(message: dict[str, object]) -> list[str]:
    return [
        str(element.get("action_id"))
        for block in message.get("blocks") or []  # type: ignore[union-attr]
        for element in block.get("elements") or []
        if element.get("type") == "button"
    ]


async def test_orange_then_red_then_recovery_sends_exactly_the_described_messages(
    world: World,
) -> None:
    """Orange DMs the lead and opens the thread; red DMs the CEO and the lead; acknowledging and
    recovering are told in the thread, and the parent message is edited to show the recovery."""
    await configure(world)
    await checkin(world, "395")  # -21%: orange

    remediation = await world.remediation()
    assert remediation.trigger == "orange"
    assert remediation.parent_ts
    assert remediation.checklist_ts
    parent = world.current(CHANNEL, remediation.parent_ts)
    assert "thread_ts" not in parent
    thread = world.thread(remediation.parent_ts)
    assert [m["ts"] for m in thread][:1] == [remediation.checklist_ts]
    assert len(thread) == 2
    assert "<@U0LI>" in text_of(thread[1])
    [lead_dm] = world.dms("U0LI")
    assert "395" in text_of(lead_dm)
    assert "500" in text_of(lead_dm)
    assert "21" in text_of(lead_dm)  # the deviation, in percent
    assert f"archives/{CHANNEL}/p{remediation.parent_ts.replace('.', '')}" in text_of(lead_dm)
    assert buttons(lead_dm) == [ACKNOWLEDGE_ACTION, SNOOZE_ACTION]
    assert world.dms("U0ADMIN") == []

    world.clock.advance(timedelta(hours=4))
    await checkin(world, "335")  # -33%: red

    [ceo_dm] = world.dms("U0ADMIN")
    assert "red" in text_of(ceo_dm).lower()
    assert f"p{remediation.parent_ts.replace('.', '')}" in text_of(ceo_dm)
    lead_orange, lead_red = world.dms("U0LI")
    assert lead_orange["ts"] == lead_dm["ts"]
    assert "red" in text_of(lead_red).lower()
    assert "335" in text_of(lead_red)
    thread = world.thread(remediation.parent_ts)
    assert len(thread) == 5  # + the rise, the lead's and the CEO's mentions
    assert "rose" in text_of(thread[2]).lower()
    assert "<@U0LI>" in text_of(thread[3])
    assert "<@U0ADMIN>" in text_of(thread[4])
    assert (await world.episodes())[0].peak_band == "red"

    dm_channel = world.dm_channel("U0LI")
    assert dm_channel is not None
    await world.click(
        block_action(
            message=lead_red,
            channel=dm_channel,
            user="U0LI",
            action=press(lead_red, ACKNOWLEDGE_ACTION),
            response_url=world.slack.response_url("ack"),
        )
    )
    [episode] = await world.episodes()
    assert episode.acknowledged_by == "U0LI"
    thread = world.thread(remediation.parent_ts)
    assert len(thread) == 6
    assert "<@U0LI>" in text_of(thread[5])
    assert "acknowledged" in text_of(thread[5]).lower()
    assert buttons(world.current(dm_channel, lead_red["ts"])) == [], "no buttons once acknowledged"
    ceo_channel = world.dm_channel("U0ADMIN")
    assert ceo_channel is not None
    assert buttons(world.current(ceo_channel, ceo_dm["ts"])) == [], "the CEO's DM is redrawn too"

    await world.advance(timedelta(hours=25))  # the 24h repeats would be due: acknowledged, none
    assert len(world.dms("U0LI")) == 2
    assert len(world.dms("U0ADMIN")) == 1

    await checkin(world, "495")  # back in green: the episode ends
    [episode] = await world.episodes()
    assert episode.closed_at is not None
    thread = world.thread(remediation.parent_ts)
    assert "recovered" in text_of(thread[-1]).lower()
    assert world.updates(CHANNEL, remediation.parent_ts), "the parent was edited"
    assert "recovered" in text_of(world.current(CHANNEL, remediation.parent_ts)).lower()
    assert len(world.dms("U0LI")) == 2
    assert len(world.dms("U0ADMIN")) == 1


async def test_unacknowledged_pings_repeat_daily_at_most_five_times(world: World) -> None:
    """Without an acknowledgement the lead is pinged again every 24h: one ping and five repeats."""
    await configure(world, ceo=False)
    await checkin(world, "395")
    assert len(pings(world, "U0LI")) == 1
    for day in range(1, 8):
        await world.advance(timedelta(hours=24))
        assert len(pings(world, "U0LI")) == min(1 + day, 6), f"after {day} day(s)"


async def test_snooze_postpones_the_next_repeat_by_a_day(world: World) -> None:
    """Snooze 24h mutes the repeat that would come in an hour; it comes a day later instead."""
    await configure(world, ceo=False)
    await checkin(world, "395")
    [first] = world.dms("U0LI")
    await world.advance(timedelta(hours=23))
    channel = world.dm_channel("U0LI")
    assert channel is not None
    await world.click(
        block_action(
            message=first,
            channel=channel,
            user="U0LI",
            action=press(first, SNOOZE_ACTION),
            response_url=world.slack.response_url("snooze"),
        )
    )
    [episode] = await world.episodes()
    assert episode.snoozed_until == START + timedelta(hours=47)
    assert buttons(world.current(channel, first["ts"])) == [ACKNOWLEDGE_ACTION]
    assert "snoozed" in text_of(world.current(channel, first["ts"])).lower()
    await world.advance(timedelta(hours=2))  # the repeat was due at +24h
    assert len(world.dms("U0LI")) == 1
    await world.advance(timedelta(hours=22))  # snoozed until +47h
    assert len(world.dms("U0LI")) == 2


async def test_dms_wait_for_the_end_of_quiet_hours(world: World) -> None:
    """A goal going orange at 22:30 for a lead in London is DMed at 08:00 their time, once."""
    await configure(world, ceo=False)
    world.clock.set(at(2026, 11, 25, 22, 30))
    await checkin(world, "395")
    remediation = await world.remediation()
    assert remediation.parent_ts is not None, "the thread is not held back"
    assert world.dms("U0LI") == []
    await world.advance(timedelta(hours=9))  # 07:30 in London
    assert world.dms("U0LI") == []
    await world.advance(timedelta(minutes=31))
    assert len(world.dms("U0LI")) == 1


async def test_missing_lead_and_ceo_are_named_with_the_command_to_fix_it(world: World) -> None:
    """With no lead and no CEO, the thread says who should be set and how, and nobody is DMed."""
    await checkin(world, "335")  # straight to red
    remediation = await world.remediation()
    assert remediation.parent_ts is not None
    notes = " ".join(text_of(m) for m in world.thread(remediation.parent_ts))
    assert "/goal config lead" in notes
    assert "/goal config ceo" in notes
    assert not world.slack.calls_to("conversations.open")


async def test_three_adverse_moves_open_a_remediation_without_any_dm(world: World) -> None:
    """Still green but sliding three days running: a trend remediation opens; nobody is DMed."""
    await configure(world)
    for value in ("496", "492", "488"):
        await checkin(world, value)
        world.clock.advance(timedelta(hours=24))
    await world.settle()
    remediation = await world.remediation()
    assert remediation.trigger == "trend"
    assert remediation.parent_ts is not None
    assert "adverse moves" in text_of(world.current(CHANNEL, remediation.parent_ts))
    assert len(world.thread(remediation.parent_ts)) >= 1  # the checklist
    assert world.dms("U0LI") == []
    assert world.dms("U0ADMIN") == []
    assert await world.episodes() == []
