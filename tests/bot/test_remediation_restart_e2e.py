"""Exactly-once across restarts: a remediation's 72 hours, with the bot stopped and started again
(or killed mid-send) between any two steps, sends every message Slack should get exactly once.

Each test lives through the same life on a settable clock and compares the full record of what
the fake Slack accepted, each message named by the outbox row that recorded it
(`World.deliveries`), with the life's exact expected record, step by step.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.settings import Settings
from jobs.context import SendTiming
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.fake_slack import Call, FakeSlack
from tests.support.world import CHANNEL, World, at

# 16:00 in Berlin (the channel; past the 09:30 digest's 6h grace, so no digest gets in the
# way on any day of the life) and 15:00 in London (the people; outside their quiet hours).
START = at(2026, 11, 25, 15)
LEAD, CEO = "U0LI", "U0ADMIN"
LEASE = SendTiming.lease
# Slack's 1 message/s per channel is paced in real time; these tests are about the clock.
PACING = 0.01
TICK = 0.02  # the bots' jobs run, and `settle` looks, this often (real seconds)


def ping(band: str, user: str, n: int) -> str:
    """A DM of the `band` escalation's chain to `user`: 0 is the first, then the repeats."""
    return f"post ping:1:{band}:{user}:{n}"


# What each step of the life makes Slack accept, named by run key (a note's version dropped).
# Orange pings the lead; red pings the lead anew and the CEO, and from then on only the red
# chains repeat (the orange one is superseded).
OPENED = [
    "post remediation:1:parent",
    "post remediation:1:checklist",
    "post note:1:alerted-lead",
    ping("orange", LEAD, 0),
    "post note:1:rose",
    "post note:1:alerted-lead",
    ping("red", LEAD, 0),
    "post note:1:alerted-ceo",
    ping("red", CEO, 0),
]
DAY_ONE = ["post reminder:1:24h", ping("red", LEAD, 1), ping("red", CEO, 1)]
DAY_TWO = ["post reminder:1:48h", ping("red", LEAD, 2), ping("red", CEO, 2)]
CLOSED = [
    "post close_out:1",
    f"post overdue:1:lead:{LEAD}",
    f"post overdue:1:ceo:{CEO}",
    "update remediation:1:checklist",
    "update remediation:1:parent",
]
DAY_THREE = [ping("red", LEAD, 3), ping("red", CEO, 3)]
# The thread: checklist, lead alerted, rose to red, lead and CEO alerted, 2 reminders, close-out.
THREAD = 8
# Each DM conversation: the pings (the lead's orange one, then four of the red chain) and the
# overdue notice.
DMS = {LEAD: 6, CEO: 5}


async def open_remediation(world: World) -> None:
    """Orange at START (the thread opens, the lead is pinged), red an hour later (the CEO is
    pinged, and the lead anew)."""
    await world.say(f"config lead <@{LEAD}|li>")
    await world.say(f"config ceo <@{CEO}|root>", user=CEO)
    await world.say("checkin aov 395")  # -21%: orange
    await world.settle()
    world.clock.advance(timedelta(hours=1))
    await world.say("checkin aov 335")  # -33%: red
    await world.settle()


def until(hours: float) -> Callable[[World], Awaitable[None]]:
    """A step that moves the clock to START + `hours` and lets the bot catch up."""

    async def step(world: World) -> None:
        await world.advance(START + timedelta(hours=hours) - world.clock())

    return step


Step = tuple[str, Callable[[World], Awaitable[None]], list[str]]

# The remediation's life: (name, what happens, what Slack accepts because of it).
LIFE: list[Step] = [
    ("opened", open_remediation, OPENED),
    ("24h reminder", until(25), DAY_ONE),  # the red chains' first repeats are due at +25h
    ("48h reminder", until(49), DAY_TWO),
    ("just before the close-out", until(72 - 1 / 60), []),
    ("close-out", until(72), CLOSED),
    ("a day-three repeat", until(73), DAY_THREE),
]
EXPECTED = Counter(label for _, _, sent in LIFE for label in sent)


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot and an average-order-value goal of 500 that has been on target for ten days."""
    clock = SettableClock(START)
    world = World(bot_settings, fake_slack, clock, SIGNING_SECRET, pacing=PACING, tick=TICK)
    await world.start()
    await world.seed_points("aov", 500, days=10, until=START.date())
    await world.say("set aov 500")
    yield world
    await world.stop()
    await world.database.dispose()


async def record(world: World) -> Counter[str]:
    """What Slack accepted, by run key, notes without their version."""
    named: Counter[str] = Counter()
    for label, count in (await world.deliveries()).items():
        named[re.sub(r"^(post note:\d+:[^:]+):\d+$", r"\1", label)] += count
    return named


def expected_until(step: str) -> Counter[str]:
    """The record once the life has got through `step`."""
    names = [name for name, _, _ in LIFE]
    return Counter(label for _, _, sent in LIFE[: names.index(step) + 1] for label in sent)


async def live(world: World, *, between: Callable[[str], Awaitable[None]] | None = None) -> None:
    """Go through the whole life, checking the record after each step; `between(step)` runs
    after each step is checked."""
    for name, happen, _ in LIFE:
        await happen(world)
        assert await record(world) == expected_until(name), f"after the step {name!r}"
        if between is not None:
            await between(name)


async def assert_slack_saw_the_life_once(world: World) -> None:
    """The whole record, and the same seen from Slack's side: thread, DMs and edits."""
    assert await record(world) == EXPECTED
    remediation = await world.remediation()
    assert remediation.status == "overdue"
    assert remediation.parent_ts is not None
    assert remediation.checklist_ts is not None
    thread = world.thread(remediation.parent_ts)
    assert len(thread) == THREAD
    assert sum(m["text"].startswith("Checklist reminder") for m in thread) == 2
    assert sum(m["text"].startswith("Remediation of") for m in thread) == 1
    for user, count in DMS.items():
        dms = world.dms(user)
        assert len(dms) == count, user
        assert sum("overdue" in str(m.get("text", "")).lower() for m in dms) == 1
    assert len(world.updates(CHANNEL, remediation.checklist_ts)) == 1
    assert len(world.updates(CHANNEL, remediation.parent_ts)) == 1


RESTART_AFTER = [
    None,
    "opened",
    "24h reminder",
    "48h reminder",
    "just before the close-out",
    "close-out",
]


@pytest.mark.parametrize(
    "restart_after",
    RESTART_AFTER,
    ids=[
        "no-restart",
        "after-opening",
        "after-24h-reminder",
        "after-48h-reminder",
        "before-close-out",
        "after-close-out",
    ],
)
async def test_a_restart_between_any_two_steps_sends_everything_exactly_once(
    world: World, restart_after: str | None
) -> None:
    """Stopping and starting the bot between two steps of a remediation's life changes nothing
    Slack receives: every DM, reminder, close-out and edit arrives once, on time."""
    assert sum(EXPECTED.values()) == 22

    async def between(step: str) -> None:
        if step == restart_after:
            await world.restart()

    await live(world, between=between)
    await assert_slack_saw_the_life_once(world)


def close_out_body(body: dict[str, Any]) -> bool:
    return str(body.get("text", "")).startswith("Remediation of")


async def run_to_close_out_and_kill(world: World, arm: Callable[[], None]) -> Call:
    """The life up to just before +72h; then, with Slack armed by `arm`, the close-out falls due
    and the bot is killed while it waits on Slack's answer. Returns that close-out call."""
    for name, happen, _ in LIFE[:4]:
        await happen(world)
        assert await record(world) == expected_until(name)
    arm()
    world.clock.advance(timedelta(minutes=1))  # +72h: the close-out is due
    call = await world.wait_for_call("chat.postMessage", close_out_body)
    await world.kill()
    [row] = [r for r in await world.outbox() if r.run_key == "close_out:1"]
    assert row.done_at is None, "the kill came before the send was recorded"
    assert row.attempts == 1
    assert row.lease_until == world.clock() + LEASE
    return call


async def restart_after_kill(world: World) -> None:
    """A fresh bot leaves the dead one's lease alone, then takes the close-out over."""
    await world.start()
    await world.wait_ticks()
    assert len([c for c in world.slack.calls_to("chat.postMessage") if close_out_body(c.body)]) == 1
    world.clock.advance(LEASE - timedelta(seconds=1))  # (settle would wait for the held row)
    await world.wait_ticks()
    assert len([c for c in world.slack.calls_to("chat.postMessage") if close_out_body(c.body)]) == 1
    await world.advance(timedelta(seconds=1))  # the lease has lapsed on the clock
    [row] = [r for r in await world.outbox() if r.run_key == "close_out:1"]
    assert row.done_at is not None
    assert row.attempts == 2


async def test_a_kill_while_slack_accepts_the_close_out_repeats_only_that_post(
    world: World,
) -> None:
    """Killed after Slack accepted the close-out but before its ts was stored, the bot posts it
    again once the lease lapses (the at-least-once window of "done only after Slack accepted");
    nothing else repeats."""
    # The close-out's call hangs in flight; Slack has taken it.
    first = await run_to_close_out_and_kill(
        world, lambda: world.slack.stall("chat.postMessage", 30)
    )
    assert first.accepted, "Slack accepted the close-out the killed bot was waiting on"

    await restart_after_kill(world)
    await until(73)(world)

    duplicate = Counter({f"post unrecorded {CHANNEL} {first.body['text'][:60]}": 1})
    assert await record(world) == EXPECTED + duplicate
    remediation = await world.remediation()
    assert remediation.parent_ts is not None
    closes = [m for m in world.thread(remediation.parent_ts) if close_out_body(m)]
    assert len(closes) == 2, "the window: Slack got the killed bot's close-out and the retry"
    for user in (LEAD, CEO):
        overdue = [m for m in world.dms(user) if "overdue" in str(m.get("text", "")).lower()]
        assert len(overdue) == 1, f"{user} is told of the overdue remediation once"


async def test_a_close_out_refused_with_429_waits_outside_its_claim_and_is_sent_once(
    world: World,
) -> None:
    """Slack refusing the close-out with 429 and a Retry-After longer than the client waits in
    place: the row goes back to the queue for that long (no sleep inside a claim that could
    outlast its lease), a kill meanwhile changes nothing, and it is posted once afterwards."""
    for name, happen, _ in LIFE[:4]:
        await happen(world)
        assert await record(world) == expected_until(name)
    world.slack.fail_next("chat.postMessage", status=429, retry_after=30, matching=close_out_body)
    await world.advance(timedelta(minutes=1))  # +72h: the close-out is due, and refused
    [row] = [r for r in await world.outbox() if r.run_key == "close_out:1"]
    assert row.done_at is None
    assert row.lease_until is None, "handed back at once, not held while waiting"
    assert row.due_at >= world.clock() + timedelta(seconds=30)
    await world.kill()

    await world.start()
    await until(73)(world)

    await assert_slack_saw_the_life_once(world)


async def test_failed_sends_are_retried_with_backoff_and_arrive_once(world: World) -> None:
    """Slack failing the 24h reminder with 500s: the client never resends a post by itself
    (Slack may have taken it), the outbox tries again after about 1, 2, then 4 minutes (each
    drawn from the upper half, so many rows spread out), and it arrives once."""

    def reminder(body: dict[str, Any]) -> bool:
        return str(body.get("text", "")).startswith("Checklist reminder")

    def tries() -> list[int]:
        return [c.status for c in world.slack.calls_to("chat.postMessage") if reminder(c.body)]

    await open_remediation(world)
    world.slack.fail_next("chat.postMessage", status=500, times=3, matching=reminder)
    await until(25)(world)
    assert tries() == [500], "one call: a post is not retried in place"
    assert await record(world) == expected_until("24h reminder") - Counter(["post reminder:1:24h"])

    for waited, seen in ((1, [500, 500]), (2, [500, 500, 500]), (4, [500, 500, 500, 200])):
        await world.advance(timedelta(minutes=waited))
        assert tries() == seen
    [row] = [r for r in await world.outbox() if r.run_key == "reminder:1:24h"]
    assert row.attempts == 4
    assert row.state == "sent"
    assert row.error is None
    assert await record(world) == expected_until("24h reminder")
