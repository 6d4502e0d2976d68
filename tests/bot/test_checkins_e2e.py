"""Scheduled check-ins end to end: `/goal checkins`, the prompt DM at the owner's own 10:00, the
*Check in* button, the form and its submission, the reminder and the miss.

Everything goes through the bot's signed HTTP endpoint, the fake Slack on loopback and a real
database; the test turns the clock and runs the engine's real tick functions, restarts the bot
between steps and races two bots on one PostgreSQL. Each step checks what Slack accepted, by
the run key of the outbox row that recorded it (`World.deliveries`).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.constants import CHECKIN_BUTTON, CHECKIN_MODAL
from bot.settings import Settings
from bot.views import checkin_modal as form
from storage.models import Checkin, MetricPoint
from tests.conftest import SIGNING_SECRET
from tests.support import checkin_form
from tests.support.clicks import block_action, press
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.world import TEAM, World, at, text_of

OWNER = "U0NY"  # lives in New York; the deployment (bot_settings) is in Berlin
LONDONER = "U0LI"  # the fixture's people are in London
# Thursday 15:00 UTC: 10:00 in New York, 16:00 in Berlin (past the day's 09:30 digest).
START = at(2026, 11, 26, 15)
MONDAY = at(2026, 11, 30, 15)  # Monday 10:00 in New York
PACING = 0.01  # Slack's 1 message/s per channel is paced in real time; these tests turn a clock
TICK = 0.02


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot; a New York owner; an average-order-value goal (manual) on target every day."""
    fake_slack.add_user(OWNER, name="nia", tz="America/New_York", tz_offset=-5 * 3600)
    world = World(
        bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET, pacing=PACING, tick=TICK
    )
    await world.start()
    await world.seed_points("aov", 500, days=14, until=MONDAY.date())
    await world.say(f"set aov 500 owner <@{OWNER}|nia>")
    yield world
    await world.stop()
    await world.database.dispose()


async def tick_at(world: World, when: datetime) -> None:
    """Set the clock, run every bot's check-in tick at once, then let the outbox send."""
    world.clock.set(when)
    for bot in world.bots:
        await bot.services.engine.checkins_tick()
    await world.settle()


def prompts(world: World, user: str = OWNER) -> list[dict[str, Any]]:
    """The DMs to `user` that carry a *Check in* button."""
    return checkin_form.prompts(world, user)


async def checkins(world: World) -> list[Checkin]:
    async with world.database.transaction() as session:
        return list((await session.exec(select(Checkin).order_by(col(Checkin.id)))).all())


async def checkin_record(world: World) -> Counter[str]:
    """What Slack accepted about check-ins, by run key; anything it took that no row recorded
    is listed too (as `unrecorded …`), so a message sent twice shows."""
    return Counter(
        {
            label: count
            for label, count in (await world.deliveries()).items()
            if "checkin:" in label or "unrecorded" in label
        }
    )


async def open_form(world: World, prompt: dict[str, Any], user: str = OWNER) -> dict[str, Any]:
    """Press the prompt in the owner's DM as `user`; returns the form Slack opened."""
    return await checkin_form.open_form(world, prompt, owner=OWNER, user=user)


async def submit(world: World, view: dict[str, Any], **answer: Any) -> dict[str, Any] | None:
    """Submit the form as its owner; returns the ack's body."""
    return await checkin_form.submit_form(world, view, user=OWNER, **answer)


async def point(world: World, metric_key: str, day: date) -> MetricPoint | None:
    async with world.database.transaction() as session:
        statement = select(MetricPoint).where(
            MetricPoint.team_id == TEAM,
            MetricPoint.metric_key == metric_key,
            MetricPoint.day == day,
        )
        return (await session.exec(statement)).first()


@pytest.mark.parametrize("restart", [False, True], ids=["one-bot", "restart-before-answering"])
async def test_the_owner_is_asked_at_their_own_10am_and_answers_through_the_form(
    world: World, restart: bool
) -> None:
    """`weekly mon 10:00` asks the New York owner at 10:00 New York time (not Berlin's), once;
    the button opens the form, a bad number is refused in it, and the answer is stored with
    the metric's point for the day. A restart between the prompt and the answer loses nothing
    and sends nothing twice."""
    reply = await world.say("checkins aov weekly mon 10:00")
    assert (
        "Check-ins for *Average order value*: every Monday at 10:00, in each owner's own time zone"
        in reply
    )
    await tick_at(world, at(2026, 11, 30, 9))  # 10:00 in Berlin, 04:00 in New York
    await tick_at(world, MONDAY - timedelta(minutes=1))
    assert prompts(world) == []
    await tick_at(world, MONDAY)
    [prompt] = prompts(world)
    assert world.dms(OWNER) == [prompt], "one DM: the prompt"
    assert "Average order value" in text_of(prompt)
    await tick_at(world, MONDAY + timedelta(minutes=5))
    assert await checkin_record(world) == Counter(["post checkin:1:prompt"])
    if restart:
        await world.restart()

    assert ":large_green_circle:" in await world.say("list")
    view = await open_form(world, prompt)
    assert view["callback_id"] == CHECKIN_MODAL
    assert json.loads(view["private_metadata"])["checkin_id"] == 1
    ack = await submit(world, view, value="lots", confidence="off_track")
    assert ack is not None
    assert ack["response_action"] == "errors"
    assert "Not a number. Try ¥520" in ack["errors"][form.VALUE_BLOCK]
    [row] = await checkins(world)
    assert row.state == "asked", "a refused form stores nothing"

    ack = await submit(
        world,
        view,
        value="¥480",
        confidence="off_track",
        moved="The autumn promo ended",
        blockers="Waiting on <!channel> pricing",
    )
    assert ack is None, "a valid form is closed with an empty ack"
    [row] = await checkins(world)
    stored = (row.state, row.value, row.confidence, row.moved, row.blockers, row.late)
    assert stored == (
        "answered",
        480.0,
        "off_track",
        "The autumn promo ended",
        "Waiting on <!channel> pricing",
        False,
    )
    assert row.answered_at == MONDAY + timedelta(minutes=5)
    assert row.day == date(2026, 11, 30)
    recorded = await point(world, "aov", date(2026, 11, 30))
    assert recorded is not None
    assert (recorded.value, recorded.recorded_by) == (480.0, OWNER)
    assert row.dm_channel is not None
    assert row.dm_ts == prompt["ts"]
    assert len(world.updates(row.dm_channel, prompt["ts"])) == 1, "the prompt says it is answered"
    assert "<!channel>" not in text_of(world.current(row.dm_channel, prompt["ts"]))
    # ¥480 is 4% short of target, so green by the numbers; the owner says off track: yellow.
    assert ":large_yellow_circle:" in await world.say("list")
    shown = await world.say("show aov")
    assert "Recent check-ins" in shown
    assert ":red_circle: off track" in shown
    assert "The autumn promo ended" in shown
    assert "Waiting on &lt;!channel&gt; pricing" in shown, "the note as typed, inert"

    # The reminder and the close find it answered: nothing more is sent, nothing changes.
    await tick_at(world, MONDAY + timedelta(hours=4))
    await tick_at(world, MONDAY + timedelta(hours=24))
    [row] = await checkins(world)
    assert (row.state, row.value) == ("answered", 480.0)
    assert world.dms(OWNER) == [prompt]
    assert await checkin_record(world) == Counter(
        ["post checkin:1:prompt", "update checkin:1:prompt"]
    ), "the prompt once, redrawn once when answered; no reminder"


RESTARTS = [None, "after the prompt", "after the reminder"]


@pytest.mark.parametrize("restart", RESTARTS, ids=["one-bot", "after-prompt", "after-reminder"])
async def test_an_unanswered_prompt_is_reminded_once_then_missed_and_a_late_answer_is_kept(
    world: World, restart: str | None
) -> None:
    """A second goal, on a pulled metric, left unanswered: one reminder 4 hours after the prompt,
    recorded missed after 24 hours, with a restart at either point changing nothing. Answered
    late from the first DM's button, with the pulled value confirmed, it is kept as late."""
    await world.seed_points("dau", 152_000, days=3, until=date(2026, 11, 29))
    await world.say(f"set dau 150k owner <@{OWNER}|nia>")
    await world.say("checkins dau weekly mon 10:00")
    await tick_at(world, MONDAY)
    [prompt] = prompts(world)
    if restart == "after the prompt":
        await world.restart()

    await tick_at(world, MONDAY + timedelta(hours=4) - timedelta(minutes=1))
    assert await checkin_record(world) == Counter(["post checkin:1:prompt"])
    await tick_at(world, MONDAY + timedelta(hours=4))
    [_, reminder] = prompts(world)
    assert "Reminder" in text_of(reminder)
    [row] = await checkins(world)
    assert row.state == "reminded"
    if restart == "after the reminder":
        await world.restart()

    await tick_at(world, MONDAY + timedelta(hours=24) - timedelta(minutes=1))
    [row] = await checkins(world)
    assert row.state == "reminded"
    await tick_at(world, MONDAY + timedelta(hours=24))
    [row] = await checkins(world)
    assert (row.state, row.answered_at) == ("missed", None)
    record = await checkin_record(world)
    assert record["post checkin:1:prompt"] == record["post checkin:1:reminder"] == 1
    assert len(prompts(world)) == 2, "a missed check-in sends nothing more"
    assert not [label for label in record if "unrecorded" in label]

    view = await open_form(world, prompt)
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert "Pulled: 152k on 29 Nov" in shown
    assert "recorded missed" in shown
    assert await submit(world, view, confidence="at_risk", moved="A slow week") is None
    [row] = await checkins(world)
    assert (row.state, row.late, row.value, row.confidence) == (
        "answered",
        True,
        152_000.0,
        "at_risk",
    )
    pulled = await point(world, "dau", date(2026, 11, 29))
    assert pulled is not None
    assert pulled.origin == "test", "a pulled metric's stored point is left as pulled"
    assert await point(world, "dau", row.day) is None, "and no point is made up for the day"
    shown = await world.say("show dau")
    assert "at risk" in shown
    assert "late" in shown, "`/goal show` marks the answer that came after the miss"


async def test_only_the_asked_owner_may_open_the_form_and_off_cancels_the_open_prompt(
    world: World,
) -> None:
    """Someone else pressing the owner's button is refused, to them alone; `checkins … off`
    cancels the open check-in, its reminder never comes, and its button then says why."""
    await world.say("checkins aov weekly mon 10:00")
    await tick_at(world, MONDAY)
    [prompt] = prompts(world)

    channel = world.dm_channel(OWNER)
    assert channel is not None
    await world.click(
        block_action(
            message=prompt,
            channel=channel,
            user="U0BOB",
            action=press(prompt, CHECKIN_BUTTON),
            response_url=world.slack.response_url("bob"),
        )
    )
    [refusal] = [c for c in world.slack.calls_to("response_url") if c.tag == "bob"]
    assert refusal.body["response_type"] == "ephemeral"
    assert "only they can answer it" in text_of(refusal.body)
    assert f"<@{OWNER}>" in text_of(refusal.body)
    assert world.slack.calls_to("views.open") == []

    reply = await world.say("checkins aov off")
    assert "Check-ins for *Average order value* are off" in reply
    [row] = await checkins(world)
    assert row.state == "cancelled"
    await tick_at(world, MONDAY + timedelta(hours=24))
    assert prompts(world) == [prompt], "no reminder for a cancelled check-in"
    await tick_at(world, MONDAY + timedelta(days=7))
    assert prompts(world) == [prompt], "nor a prompt the next week"

    await world.click(
        block_action(
            message=prompt,
            channel=channel,
            user=OWNER,
            action=press(prompt, CHECKIN_BUTTON),
            response_url=world.slack.response_url("owner"),
        )
    )
    [answer] = [c for c in world.slack.calls_to("response_url") if c.tag == "owner"]
    assert "was cancelled" in text_of(answer.body)
    assert world.slack.calls_to("views.open") == []


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_bots_on_one_postgresql_ask_each_owner_once(world: World) -> None:
    """Two bots ticking together at each owner's 10:00 (London's, then New York's) ask each owner
    once, remind once and record each miss once."""
    await world.start()  # a second bot on the same database and clock
    assert len(world.bots) == 2
    await world.say(f"set nps 40 owner <@{LONDONER}|li>")
    await world.say("checkins aov weekly mon 10:00")
    await world.say("checkins nps weekly mon 10:00")

    async def both_tick(when: datetime) -> None:
        world.clock.set(when)
        for _ in range(2):  # twice each, interleaved: every tick races the other bot's
            await asyncio.gather(*(bot.services.engine.checkins_tick() for bot in world.bots))
        await world.settle()

    await both_tick(at(2026, 11, 30, 10))  # 10:00 in London
    assert (len(prompts(world, LONDONER)), len(prompts(world))) == (1, 0)
    await both_tick(MONDAY)
    await both_tick(MONDAY + timedelta(hours=4))
    await both_tick(MONDAY + timedelta(hours=24))
    assert (len(prompts(world, LONDONER)), len(prompts(world))) == (2, 2)
    rows = await checkins(world)
    assert sorted((row.user_id, row.state) for row in rows) == [
        (LONDONER, "missed"),
        (OWNER, "missed"),
    ]
    record = await checkin_record(world)
    assert record == Counter(
        f"post checkin:{row.id}:{kind}" for row in rows for kind in ("prompt", "reminder")
    ), "each prompt and reminder once, nothing unrecorded"
