"""Two bot processes on one PostgreSQL: both run their scheduler on the same clock and race for
every due message, and both evaluate the same check-in; Slack still gets each message once.

SQLite is one process's database, so these tests run on PostgreSQL only. The bots keep their
real per-channel pacing (real time), so their sends overlap the way two processes' do.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.settings import Settings
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.world import TEAM, World, at

pytestmark = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

# 16:00 in Berlin (past the day's digest), 15:00 in London (outside the people's quiet hours).
START = at(2026, 11, 25, 15)
LEAD, CEO = "U0LI", "U0ADMIN"
# A message one process claims before the other has stored the thread's ts waits 5 seconds on
# the clock; each step lets the clock run this much further so such waits are over.
SLACK_TIME = timedelta(minutes=5)


def ping(band: str, user: str, n: int) -> str:
    """A DM of the `band` escalation's chain to `user`: 0 is the first, then the repeats."""
    return f"post ping:1:{band}:{user}:{n}"


OPENED_ORANGE = [
    "post remediation:1:parent",
    "post remediation:1:checklist",
    "post note:1:alerted-lead",
    ping("orange", LEAD, 0),
]
TURNED_RED = [
    "post note:1:rose",
    "post note:1:alerted-lead",
    ping("red", LEAD, 0),
    "post note:1:alerted-ceo",
    ping("red", CEO, 0),
]


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """Two bots on one database and clock, a goal of 500 on target for ten days, lead and CEO
    set."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET, pacing=None)
    await world.start(2)
    await world.seed_points("aov", 500, days=10, until=START.date())
    await world.say("set aov 500")
    await world.say(f"config lead <@{LEAD}|li>")
    await world.say(f"config ceo <@{CEO}|root>", user=CEO)
    yield world
    await world.stop()
    await world.database.dispose()


async def record(world: World) -> Counter[str]:
    """What Slack accepted, by run key, notes without their version."""
    named: Counter[str] = Counter()
    for label, count in (await world.deliveries()).items():
        named[re.sub(r"^(post note:\d+:[^:]+):\d+$", r"\1", label)] += count
    return named


async def catch_up(world: World) -> None:
    """Let both bots send what is due, then give a message that had to wait for its thread
    the few seconds on the clock it asked for — twice, since with two bots it may wait for the
    parent in flight on one, then for the checklist in flight on the other."""
    await world.settle()
    await world.advance(SLACK_TIME)
    await world.advance(SLACK_TIME)


async def until(world: World, hours: float) -> None:
    """Move the clock to START + `hours`; both bots' timers then start at the same moment on
    the same due messages (besides their scheduled ticks), and everything is let out."""
    world.clock.set(START + timedelta(hours=hours))
    await asyncio.gather(*(bot.services.engine.timers_tick() for bot in world.bots))
    await catch_up(world)


async def test_two_bots_send_a_whole_remediation_exactly_once(world: World) -> None:
    """With two bots ticking on one PostgreSQL through 72 hours, every DM, repeat, reminder,
    close-out, overdue notice and redraw reaches Slack exactly once."""
    assert len(world.bots) == 2
    await world.say("checkin aov 395")  # -21%: orange
    await catch_up(world)
    assert await record(world) == Counter(OPENED_ORANGE)

    await world.advance(timedelta(hours=3))
    await world.say("checkin aov 335")  # -33%: red
    await catch_up(world)
    expected = Counter(OPENED_ORANGE + TURNED_RED)
    assert await record(world) == expected

    # The red chains repeat from about +27h (the orange one is superseded); reminders at +24h
    # and +48h.
    await until(world, 27.5)
    expected += Counter(["post reminder:1:24h", ping("red", LEAD, 1), ping("red", CEO, 1)])
    assert await record(world) == expected

    await until(world, 51.75)
    expected += Counter(["post reminder:1:48h", ping("red", LEAD, 2), ping("red", CEO, 2)])
    assert await record(world) == expected

    await until(world, 72)
    expected += Counter(
        [
            "post close_out:1",
            f"post overdue:1:lead:{LEAD}",
            f"post overdue:1:ceo:{CEO}",
            "update remediation:1:checklist",
            "update remediation:1:parent",
        ]
    )
    assert await record(world) == expected

    await until(world, 76.5)  # the third repeats, due at about +75h/+76h
    expected += Counter([ping("red", LEAD, 3), ping("red", CEO, 3)])
    assert await record(world) == expected

    # From Slack's side: one thread (checklist, 4 notes, 2 reminders, the close-out), the DMs
    # (the lead's orange ping, four red ones each, the overdue notices), one edit of each.
    remediation = await world.remediation()
    assert remediation.status == "overdue"
    assert remediation.parent_ts is not None
    assert remediation.checklist_ts is not None
    thread = world.thread(remediation.parent_ts)
    assert len(thread) == 8
    assert sum(m["text"].startswith("Checklist reminder") for m in thread) == 2
    assert sum(m["text"].startswith("Remediation of") for m in thread) == 1
    assert len(world.dms(LEAD)) == 6
    assert len(world.dms(CEO)) == 5
    assert len(world.updates(remediation.channel_id, remediation.checklist_ts)) == 1
    assert len(world.updates(remediation.channel_id, remediation.parent_ts)) == 1

    # The outbox agrees: each row that went out did so once, however often it was claimed
    # (a row claimed before the other bot stored the thread's ts is handed back and retried).
    got = await world.deliveries()
    rows = await world.outbox()
    assert all(r.done_at is not None for r in rows if r.due_at <= world.clock())
    for row in rows:
        if row.result.get("ts") and not row.kind.endswith("_update"):
            assert got[f"post {row.run_key}"] == 1, f"{row.run_key}, claimed {row.attempts} times"
    assert len(world.slack.calls_to("chat.postMessage")) == sum(
        n for label, n in expected.items() if label.startswith("post ")
    ), "no post was even tried twice"


async def test_both_bots_evaluating_the_same_check_in_open_one_episode(world: World) -> None:
    """Two bots evaluating the same orange (then red) value at the same moment open one episode
    and one remediation, and Slack gets one set of messages."""

    async def both_evaluate() -> None:
        await asyncio.gather(
            *(bot.services.engine.evaluate_goals(team_id=TEAM) for bot in world.bots)
        )
        await catch_up(world)

    # Today's value arrives without an evaluation (as a pull stores it); both evaluate it.
    await world.seed_points("aov", 395, days=1, until=START.date())
    await both_evaluate()
    assert len(await world.episodes()) == 1
    assert len(await world.remediations()) == 1
    assert await record(world) == Counter(OPENED_ORANGE)

    await both_evaluate()  # the same evaluation again: already stepped, nothing new
    assert await record(world) == Counter(OPENED_ORANGE)

    await world.seed_points("aov", 335, days=1, until=START.date())
    await both_evaluate()  # a rise to red: one versioned step wins
    [episode] = await world.episodes()
    assert episode.current_band == "red"
    assert len(await world.remediations()) == 1
    assert await record(world) == Counter(OPENED_ORANGE + TURNED_RED)
