"""Nothing wedges: a click during the close-out, a pause, a stalled Slack, a lapsed lease.

The remediation tests' world: signed clicks to the real endpoint, the real scheduler on a
settable clock, the fake Slack, SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.constants import CHECKLIST_ACTION, RESOLVE_ACTION
from bot.runtime import RunningBot
from bot.settings import Settings
from bot.slack_client import SLACK_TIMEOUT_SECONDS, build_client, slack_session
from bot.slack_errors import delivering
from jobs.messenger import TransientDeliveryError
from tests.bot.test_remediation_restart_e2e import (
    PACING,
    START,
    TICK,
    close_out_body,
    open_remediation,
    until,
)
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.clicks import block_action, find_element, press, toggle
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.world import CHANNEL, World, text_of

LEAD, CEO = "U0LI", "U0ADMIN"


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """A red goal with its remediation open, at START + 1h."""
    world = World(
        bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET, pacing=PACING, tick=TICK
    )
    await world.start()
    await world.seed_points("aov", 500, days=10, until=START.date())
    await world.say("set aov 500")
    await open_remediation(world)
    yield world
    await world.stop()
    await world.database.dispose()


async def click(world: World, message: dict[str, Any], user: str, action: dict[str, Any]) -> None:
    await world.click(
        block_action(
            message=message,
            channel=CHANNEL,
            user=user,
            action=action,
            response_url=world.slack.response_url(f"click-{len(world.slack.calls)}"),
        )
    )


async def close_out_in_flight(world: World) -> None:
    """Move to +72h with Slack holding the close-out's post for a moment; return once sent."""
    await until(72 - 1 / 60)(world)
    world.slack.stall("chat.postMessage", 1.0)
    world.clock.advance(timedelta(minutes=1))
    await world.wait_for_call("chat.postMessage", close_out_body)


def closes(world: World, parent_ts: str) -> list[str]:
    return [
        text_of(m).lower()
        for m in world.thread(parent_ts)
        if close_out_body(m) or "resolved early" in text_of(m).lower()
    ]


async def test_resolve_while_the_close_out_is_posted_says_one_thing(world: World) -> None:
    """A Resolve pressed while the close-out is on its way finds the remediation closed:
    the thread gets the close-out alone, never "resolved early" beside "overdue"."""
    rem = await world.remediation()
    assert rem.checklist_ts is not None
    checklist = {**world.current(CHANNEL, rem.checklist_ts), "channel": CHANNEL}
    await close_out_in_flight(world)
    await click(world, checklist, "U0ANA", press(checklist, RESOLVE_ACTION))
    await world.settle()

    rem = await world.remediation()
    assert rem.status == "overdue"
    assert rem.closed_by is None
    [close] = closes(world, rem.parent_ts)
    assert "overdue" in close


async def test_a_tick_during_the_close_out_leaves_it_closed(world: World) -> None:
    """A checklist click racing the close-out is never lost and never leaves the remediation
    open past its deadline: the close-out decides once, from the state it finds."""
    rem = await world.remediation()
    assert rem.checklist_ts is not None
    checklist = {**world.current(CHANNEL, rem.checklist_ts), "channel": CHANNEL}
    _, element = find_element(checklist, CHECKLIST_ACTION)
    first = element["options"][0]["value"]
    await close_out_in_flight(world)
    await click(world, checklist, "U0ANA", toggle(checklist, CHECKLIST_ACTION, first))
    await world.settle()

    rem = await world.remediation()
    assert rem.status in ("overdue", "resolved")
    assert rem.closed_at is not None
    assert len(closes(world, rem.parent_ts or "")) == 1
    await world.advance(timedelta(hours=24))
    assert len(closes(world, rem.parent_ts or "")) == 1


async def test_a_paused_goal_sends_nothing_and_its_clock_waits(world: World) -> None:
    """Paused while red, a goal's repeats, reminders and close-out all wait; resumed, its
    deadline has moved on by the time it was paused."""
    lead_dms, ceo_dms = len(world.dms(LEAD)), len(world.dms(CEO))
    due = (await world.remediation()).due_at
    await world.say("pause aov")
    await world.advance(timedelta(hours=100))

    assert (len(world.dms(LEAD)), len(world.dms(CEO))) == (lead_dms, ceo_dms)
    rem = await world.remediation()
    assert rem.status == "open"
    assert rem.closed_at is None
    posted = len(world.slack.calls_to("chat.postMessage"))

    await world.say("resume aov")
    rem = await world.remediation()
    assert rem.due_at == due + timedelta(hours=100)
    await world.advance(timedelta(minutes=5))
    assert len(world.slack.calls_to("chat.postMessage")) == posted, "nothing was overdue"


async def test_the_bots_slack_session_gives_up_on_a_stalled_call(
    bot: RunningBot, fake_slack: FakeSlack
) -> None:
    """slack_sdk applies its timeout only to sessions it makes: the shared session carries it,
    so a stalled post fails (and is retried later) instead of holding its claim."""
    http = bot.services.http
    assert http is not None
    assert http.timeout.total == SLACK_TIMEOUT_SECONDS
    async with slack_session(timeout=0.5) as short:
        client = build_client(BOT_TOKEN, api_url=fake_slack.api_url, session=short)
        fake_slack.stall("chat.postMessage", 5)
        with pytest.raises(TransientDeliveryError, match="timeout"):
            async with delivering(CHANNEL):
                await client.chat_postMessage(channel=CHANNEL, text="hello")
    assert len(fake_slack.calls_to("chat.postMessage")) == 1, "a post is not resent on its own"
