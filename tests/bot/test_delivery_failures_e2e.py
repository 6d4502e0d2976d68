"""Slack saying no for good: every outbox row ends, nothing blocks the rest, someone is told.

Check-ins over signed HTTP push a goal to red while the fake Slack refuses one channel, one
person or one kind of call for good; the real scheduler's timers tick does the sending.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.settings import Settings
from storage.models import OutboxMessage
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.world import CHANNEL, World, at, text_of

# 16:00 in Berlin (the channel: past its 09:30 digest's window, so no digest joins in) and
# 15:00 in London (the people: outside their quiet hours).
START = at(2026, 11, 25, 15)
LEAD, CEO, OWNER = "U0LI", "U0ADMIN", "U0ANA"


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """Ana's average-order-value goal of 500, on target for ten days; Li leads, root is CEO."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start()
    await world.seed_points("aov", 500, days=10, until=START.date())
    await world.say("set aov 500")
    await world.say("config lead <@U0LI|li>")
    await world.say("config ceo <@U0ADMIN|root>", user=CEO)
    yield world
    await world.stop()
    await world.database.dispose()


async def go_red(world: World) -> None:
    await world.say("checkin aov 335")  # -33%: red
    await world.settle()


def to_channel(body: dict[str, Any]) -> bool:
    return body.get("channel") == CHANNEL


def posts_to_channel(world: World) -> int:
    return len([c for c in world.slack.calls_to("chat.postMessage") if to_channel(c.body)])


async def rows(world: World) -> dict[str, OutboxMessage]:
    return {row.run_key: row for row in await world.outbox()}


async def assert_nothing_stuck(world: World) -> None:
    """Every row has ended, or waits for a time still to come (a 24h repeat)."""
    stuck = [
        (row.run_key, row.state, row.error)
        for row in await world.outbox()
        if row.done_at is None and row.due_at <= world.clock()
    ]
    assert stuck == []


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        pytest.param("not_in_channel", "/invite @goalpulse", id="not-in-channel"),
        pytest.param("is_archived", "archived", id="archived"),
        pytest.param("channel_not_found", "cannot see", id="channel-not-found"),
    ],
)
async def test_a_channel_refused_for_good_ends_the_thread_and_the_dms_still_go(
    world: World, error: str, advice: str
) -> None:
    """The thread's post fails once and ends; the lead and the CEO get their red DMs anyway
    (without a link), the thread's notes reach the goal's owner, and the lead learns what to
    fix, once. An hour later Slack has been asked nothing more."""
    world.slack.refuse("chat.postMessage", error, matching=to_channel)
    await go_red(world)

    stored = await rows(world)
    parent = next(row for key, row in stored.items() if key.endswith(":parent"))
    assert (parent.state, parent.error) == ("failed", f"{error} ({CHANNEL})")
    checklist = next(row for key, row in stored.items() if key.endswith(":checklist"))
    assert checklist.state == "skipped"
    lead_dms = world.dms(LEAD)
    assert len(lead_dms) == 2
    [lead_red] = [m for m in lead_dms if "could not deliver" not in text_of(m)]
    [notice] = [m for m in lead_dms if "could not deliver" in text_of(m)]
    assert "red" in text_of(lead_red).lower()
    assert "archives/" not in text_of(lead_red), "no thread to link to"
    assert advice in text_of(notice)
    assert f"<#{CHANNEL}>" in text_of(notice)
    [ceo_red] = world.dms(CEO)
    assert "red" in text_of(ceo_red).lower()
    notes = world.dms(OWNER)
    assert any(LEAD in text_of(note) for note in notes), "the thread's notes reach the owner"
    await assert_nothing_stuck(world)

    tried = posts_to_channel(world)
    await world.advance(timedelta(hours=1))
    assert posts_to_channel(world) == tried
    assert len(world.dms(LEAD)) == 2, "told once, not at every failure"


@pytest.mark.parametrize(
    "error",
    [
        pytest.param("user_not_found", id="user-not-found"),
        pytest.param("account_inactive", id="account-inactive"),
    ],
)
async def test_a_lead_who_cannot_be_reached_does_not_stop_the_ceo(world: World, error: str) -> None:
    """The lead's DM ends as failed; the CEO's DM and the thread go out, and the goal's owner
    is told to set another lead."""
    world.slack.refuse("conversations.open", error, matching=lambda body: body["users"] == LEAD)
    await go_red(world)

    stored = await rows(world)
    lead_pings = [row for key, row in stored.items() if key.startswith("ping:") and LEAD in key]
    assert [(row.state, row.error) for row in lead_pings] == [("failed", f"{error} ({LEAD})")]
    [ceo_red] = world.dms(CEO)
    assert "red" in text_of(ceo_red).lower()
    remediation = await world.remediation()
    assert remediation.parent_ts is not None
    notices = [m for m in world.dms(OWNER) if "/goal config lead" in text_of(m)]
    assert len(notices) == 1
    assert f"<@{LEAD}>" in text_of(notices[0])
    await assert_nothing_stuck(world)


async def test_a_deleted_message_ends_its_redraw(world: World) -> None:
    """Redrawing a checklist someone deleted fails once and ends; nothing is retried."""
    await go_red(world)
    world.slack.refuse("chat.update", "message_not_found")
    await world.say("checkin aov 495")  # green: the parent is redrawn as recovered
    await world.settle()

    updates = [row for row in await world.outbox() if row.kind == "parent_update"]
    assert updates
    assert {(row.state, row.error) for row in updates} == {
        ("failed", f"message_not_found ({CHANNEL})")
    }
    tried = len(world.slack.calls_to("chat.update"))
    await world.advance(timedelta(hours=1))
    assert len(world.slack.calls_to("chat.update")) == tried
    await assert_nothing_stuck(world)


async def test_a_timezone_this_host_does_not_know_falls_back_to_the_deployments(
    world: World,
) -> None:
    """A recipient whose Slack timezone is newer than the host's tzdata still gets the DM."""
    world.slack.users[LEAD]["tz"] = "Mars/Olympus_Mons"
    await go_red(world)

    [lead_red] = world.dms(LEAD)
    assert "red" in text_of(lead_red).lower()
    await assert_nothing_stuck(world)
