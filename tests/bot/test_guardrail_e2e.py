"""Guardrails end to end: `/goal guard` through the signed endpoint, evaluations by the real
engine, the alert sent by the real timers tick to the fake Slack — once, naming the owner and
the lead, in the goal's open remediation thread or else in its channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from jobs.evaluation.guards_flow import guard_alert_key
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.rows import audit_events
from tests.support.world import CHANNEL, TEAM, World, at, text_of

START = at(2026, 11, 25, 6)  # 07:00 in Berlin: before the 09:30 digest
METRICS = """
metrics:
  gmv:
    title: Gross merchandise value
    unit: currency
    source: {kind: manual}
  complaint_rate:
    title: Complaint rate
    unit: percent
    direction: lower
    source: {kind: manual}
"""
ALERT = "`complaint_rate` is 35% worse than when the guard was set (2% → 2.7%)"


@pytest.fixture
def metrics_path(tmp_path: Path) -> Path:
    path = tmp_path / "metrics.yml"
    path.write_text(METRICS, encoding="utf-8")
    return path


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot; ana's goal on gmv (target $150k) with li as its lead."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start()
    await world.say("set gmv 150k lead <@U0LI|li>")
    yield world
    await world.stop()
    await world.database.dispose()


async def evaluate(world: World) -> None:
    """`goalpulse evaluate`: every goal, then whatever that queued goes out."""
    await world.bots[0].services.engine.evaluate()
    await world.settle()


def alerts(world: World) -> list[dict[str, Any]]:
    return [m for m in world.posted(CHANNEL) if "worse than when the guard was set" in text_of(m)]


async def guard_and_breach(world: World) -> str:
    """complaint_rate at 2.0% when `/goal guard` is typed, then 2.7% today; the reply."""
    today = world.clock().date()
    await world.seed_points("complaint_rate", 0.02, days=5, until=today - timedelta(days=1))
    reply = await world.say("guard gmv with complaint_rate")
    await world.seed_points("complaint_rate", 0.027, days=1, until=today)
    return reply


async def test_a_breach_while_on_track_is_posted_once_naming_owner_and_lead(
    world: World,
) -> None:
    """gmv green at $160k, complaints 2.0% → 2.7%: after two evaluations, one post in the
    channel mentioning ana and li."""
    today = world.clock().date()
    await world.seed_points("gmv", 160_000, days=7, until=today)
    reply = await guard_and_breach(world)
    assert "`complaint_rate` now guards `gmv`" in reply
    assert "10% worse than 2%, its latest value" in reply

    await evaluate(world)
    await evaluate(world)

    [alert] = alerts(world)
    shown = text_of(alert)
    assert ALERT in shown
    assert "<@U0ANA>" in shown
    assert "<@U0LI>" in shown
    assert "Gross merchandise value* is on track" in shown
    assert alert.get("thread_ts") is None
    [goal_id] = {row.goal_id for row in await world.outbox() if row.kind == "guard_alert"}
    sent = await world.deliveries()
    assert sent[f"post {guard_alert_key(goal_id, 'complaint_rate', today)}"] == 1


async def test_the_alert_goes_into_the_open_remediation_thread(world: World) -> None:
    """gmv was orange yesterday (a remediation opened), is green again today with its
    remediation still open: the alert is posted in that thread, not as a new message."""
    yesterday = world.clock().date()
    await world.seed_points("gmv", 110_000, days=7, until=yesterday)
    await evaluate(world)
    remediation = await world.remediation()
    assert remediation.parent_ts is not None

    await world.advance(timedelta(days=1))
    today = world.clock().date()
    await world.seed_points("gmv", 160_000, days=1, until=today)
    await guard_and_breach(world)
    await evaluate(world)
    await evaluate(world)
    assert (await world.remediation()).status == "open"

    [alert] = alerts(world)
    assert alert["thread_ts"] == remediation.parent_ts
    assert ALERT in text_of(alert)
    assert [m for m in world.thread(remediation.parent_ts) if m["ts"] == alert["ts"]]


async def test_no_alert_while_the_goal_itself_is_off_track(world: World) -> None:
    """gmv orange at $110k with the same breach: its escalation speaks, no guard alert."""
    today = world.clock().date()
    await world.seed_points("gmv", 110_000, days=7, until=today)
    await guard_and_breach(world)
    await evaluate(world)
    assert alerts(world) == []


async def test_unguard_stops_the_alerts(world: World) -> None:
    """`/goal unguard` removes the guard: the breach is not told; unguarding again says it
    does not guard the goal."""
    today = world.clock().date()
    await world.seed_points("gmv", 160_000, days=7, until=today)
    await guard_and_breach(world)
    assert "no longer guards" in await world.say("unguard gmv complaint_rate")
    await evaluate(world)
    assert alerts(world) == []
    again = await world.say("unguard gmv complaint_rate")
    assert "does not guard" in again
    async with world.database.transaction() as session:
        events = await audit_events(session=session, team_id=TEAM)
    actions = [event.action for event in events if event.action.endswith("guard")]
    assert actions == ["goal.unguard", "goal.guard"]  # newest first
    [guarded] = [event for event in events if event.action == "goal.guard"]
    before, after = guarded.details["changed"]["guardrails"]
    assert before == []
    assert after == [
        {
            "metric_key": "complaint_rate",
            "direction": "lower",
            "threshold": 0.1,
            "baseline": 0.02,
            "alerted": False,
        }
    ]


async def test_only_an_editor_may_guard(world: World) -> None:
    """bob is neither the goal's owner, lead nor creator, nor an admin: refused."""
    reply = await world.say("guard gmv with complaint_rate", user="U0BOB")
    assert "Only the goal's owner, lead or creator" in reply
