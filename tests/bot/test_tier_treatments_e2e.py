"""`/goal config treatment`: each customer tier's treatment heads the checklist of a remediation
on a metric about that tier, end to end: set through the real endpoint by an admin, then a goal
on a dataset metric (its points written straight into the database, as a pull of the customer
datasets would) drifts to red and its remediation thread opens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.constants import CHECKLIST_ACTION
from bot.settings import Settings
from jobs.escalation.remediation import DEFAULT_ITEMS
from jobs.escalation.rows import items_from_json
from jobs.escalation.treatments import DEFAULT_TREATMENTS
from storage import goals as goal_store
from storage import workspace
from storage.models import RemediationRow
from tests.conftest import SIGNING_SECRET
from tests.support.clicks import find_element
from tests.support.clock import SettableClock
from tests.support.dashboard_metrics import write_metrics_yml
from tests.support.fake_slack import FakeSlack
from tests.support.rows import audit_events
from tests.support.world import CHANNEL, TEAM, World, at

START = at(2026, 11, 25, 9)  # 10:00 in Berlin, the deployment's timezone
TODAY = START.date()
ADMIN = "U0ADMIN"
CONCIERGE = "Concierge care for our top customers"
# Each metric's steady value, then today's: a third or more the wrong way, so red.
SERIES = {"high_value": (0.30, 0.20), "orders": (100.0, 60.0), "at_risk": (100.0, 140.0)}
MEASURES = {"high_value": "high_value_share", "orders": "orders", "at_risk": "customers_at_risk"}
METRICS = {key: {"source": {"kind": "dataset", "measure": m}} for key, m in MEASURES.items()}
TARGETS = {"high_value": "30%", "orders": "100", "at_risk": "100"}


@pytest.fixture
def metrics_path(tmp_path: Path) -> Path:
    """Dataset metrics about the high-value tier, the churned tier, and no tier (orders)."""
    return write_metrics_yml(tmp_path, METRICS)


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot, ten steady days of every metric stored; digests at 18:00, out of the way."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start()
    for key, (steady, _) in SERIES.items():
        await world.seed_points(key, steady, days=10, until=TODAY)
    await world.say("config lead <@U0LI|li> digest 18:00", user=ADMIN)
    yield world
    await world.stop()
    await world.database.dispose()


async def drift_to_red(world: World, *keys: str) -> dict[str, RemediationRow]:
    """Set goals on `keys` at their steady values, store today's adverse values and evaluate
    (as after a pull); the remediations that opened, by metric."""
    for key in keys:
        await world.say(f"set {key} {TARGETS[key]}")
        await world.seed_points(key, SERIES[key][1], days=1, until=TODAY)
    await world.bots[0].services.engine.evaluate_goals(team_id=TEAM)
    await world.settle()
    async with world.database.transaction() as session:
        goals = await goal_store.list_goals(session=session, team_id=TEAM, channel_id=CHANNEL)
    metric_of = {goal.id: goal.metric_key for goal in goals}
    return {metric_of[row.goal_id]: row for row in await world.remediations()}


def stored_titles(row: RemediationRow) -> list[str]:
    return [item.title for item in items_from_json(row.items)]


def checkbox_titles(world: World, row: RemediationRow) -> list[str]:
    """The checklist's boxes, in order, as the message in the thread shows them now."""
    assert row.checklist_ts is not None, "the checklist was not posted"
    _, element = find_element(world.current(CHANNEL, row.checklist_ts), CHECKLIST_ACTION)
    options: list[dict[str, Any]] = element["options"]
    return [option["text"]["text"] for option in options]


async def stored_treatments(world: World) -> dict[str, str]:
    async with world.database.transaction() as session:
        return await workspace.workspace_tier_treatments(session=session, team_id=TEAM)


async def test_an_admins_treatment_heads_the_checklist_of_a_high_value_goal(world: World) -> None:
    """An admin sets the high-value treatment (a non-admin can't); a goal on the high-value
    share drifts to red, and its checklist starts with that treatment, then the default items."""
    saved = await world.say(f'config treatment high-value "{CONCIERGE}"', user=ADMIN)
    assert f"New remediations on high-value metrics start with *{CONCIERGE}*" in saved
    refused = await world.say('config treatment churned "Call them all"')
    assert "Only a workspace admin or owner can change a customer tier's treatment" in refused
    assert "Try: `/goal config`" in refused
    assert await stored_treatments(world) == {"high_value": CONCIERGE}
    async with world.database.transaction() as session:
        event = (await audit_events(session=session, team_id=TEAM))[0]
    assert (event.actor_id, event.details) == (
        ADMIN,
        {"treatment_tier": "high_value", "treatment": CONCIERGE},
    )

    shown = await world.say("config")
    assert f"• *high-value:* {CONCIERGE} _(workspace)_" in shown
    assert f"• *churned:* {DEFAULT_TREATMENTS['churned']} _(default)_" in shown

    remediations = await drift_to_red(world, "high_value")
    row = remediations["high_value"]
    assert row.trigger == "red"
    assert stored_titles(row) == [CONCIERGE, *DEFAULT_ITEMS]
    assert checkbox_titles(world, row) == [CONCIERGE, *DEFAULT_ITEMS]


async def test_reset_puts_the_default_treatment_back(world: World) -> None:
    """`reset` forgets the workspace's treatment; `/goal config` shows the default again."""
    await world.say(f'config treatment high_value "{CONCIERGE}"', user=ADMIN)
    text = await world.say("config treatment high-value reset", user=ADMIN)
    default = DEFAULT_TREATMENTS["high_value"]
    assert f"The high-value treatment is the default again: *{default}*" in text
    assert await stored_treatments(world) == {}
    assert f"• *high-value:* {default} _(default)_" in await world.say("config")


async def test_a_goal_on_no_tier_gets_no_treatment_and_a_churned_one_the_default(
    world: World,
) -> None:
    """Orders are about no tier: the default items only. Customers at risk are about the
    churned tier, which the workspace left alone: its default treatment comes first."""
    await world.say(f'config treatment high_value "{CONCIERGE}"', user=ADMIN)
    remediations = await drift_to_red(world, "orders", "at_risk")
    assert stored_titles(remediations["orders"]) == list(DEFAULT_ITEMS)
    assert checkbox_titles(world, remediations["orders"]) == list(DEFAULT_ITEMS)
    churned = [DEFAULT_TREATMENTS["churned"], *DEFAULT_ITEMS]
    assert stored_titles(remediations["at_risk"]) == churned
    assert checkbox_titles(world, remediations["at_risk"]) == churned
