"""Clicking on a remediation checklist and an escalation DM, end to end: signed block_actions to
the real endpoint change the stored state, and the redrawn message always shows that state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.constants import (
    ACKNOWLEDGE_ACTION,
    CHECKLIST_ACTION,
    ITEM_OWNER_ACTION,
    RESOLVE_ACTION,
)
from bot.settings import Settings
from jobs.escalation.rows import items_from_json
from tests.conftest import SIGNING_SECRET
from tests.support.clicks import block_action, find_element, find_elements, pick_user, press, tick
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.world import CHANNEL, World, at, text_of

START = at(2026, 11, 25, 9)
ITEMS = ["behaviour-heatmap-review", "customer-service-script-a-b-test", "competitor-scan"]


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """An aov goal owned by ana, lead li, CEO root; it goes orange, so a remediation is open."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start()
    await world.seed_points("aov", 500, days=10, until=START.date())
    await world.say("set aov 500")
    # Digests at 18:00, so the 10:00 alert has the channel to itself.
    await world.say("config lead <@U0LI|li> digest 18:00")
    await world.say("config ceo <@U0ADMIN|root>", user="U0ADMIN")
    await world.say("checkin aov 395")
    await world.settle()
    yield world
    await world.stop()
    await world.database.dispose()


def checklist(world: World, ts: str) -> dict[str, Any]:
    return world.current(CHANNEL, ts)


def checked_in_message(message: dict[str, Any]) -> list[str]:
    _, element = find_element(message, CHECKLIST_ACTION)
    return sorted(o["value"] for o in element.get("initial_options", []))


def owners_in_message(message: dict[str, Any]) -> dict[str, str]:
    return {
        block_id.rsplit(":", 1)[1]: element["initial_user"]
        for block_id, element in find_elements(message, ITEM_OWNER_ACTION)
    }


async def click(world: World, message: dict[str, Any], user: str, action: dict[str, Any]) -> str:
    """Click as `user`; returns the response_url tag an ephemeral answer would carry."""
    tag = f"click-{len(world.slack.calls)}"
    channel = CHANNEL if not str(message.get("channel", "")).startswith("D") else message["channel"]
    await world.click(
        block_action(
            message=message,
            channel=channel,
            user=user,
            action=action,
            response_url=world.slack.response_url(tag),
        )
    )
    return tag


def refusal(world: World, tag: str) -> str:
    [call] = [c for c in world.slack.calls_to("response_url") if c.tag == tag]
    assert call.body["response_type"] == "ephemeral"
    assert call.body.get("replace_original") is False
    return text_of(call.body)


def no_reply(world: World, tag: str) -> bool:
    return not [c for c in world.slack.calls_to("response_url") if c.tag == tag]


async def test_ticking_an_item_stores_it_and_redraws_the_checklist_to_match(world: World) -> None:
    """The owner ticks an item: it is stored as done by them and the message shows it ticked."""
    rem = await world.remediation()
    assert rem.checklist_ts is not None
    before = len(world.updates(CHANNEL, rem.checklist_ts))
    tag = await click(
        world,
        checklist(world, rem.checklist_ts),
        "U0ANA",
        tick(checklist(world, rem.checklist_ts), CHECKLIST_ACTION, [ITEMS[0]]),
    )
    assert no_reply(world, tag)
    rem = await world.remediation()
    stored = items_from_json(rem.items)
    assert [item.key for item in stored if item.done] == [ITEMS[0]]
    assert stored[0].done_by == "U0ANA"
    assert len(world.updates(CHANNEL, rem.checklist_ts)) == before + 1
    message = checklist(world, rem.checklist_ts)
    assert checked_in_message(message) == [ITEMS[0]]
    assert "1/3" in text_of(message)


async def test_picking_a_new_owner_stores_it_and_the_menu_shows_them(world: World) -> None:
    """The lead hands the competitor scan to bob: stored owner and the menu's user agree."""
    rem = await world.remediation()
    assert rem.checklist_ts is not None
    message = checklist(world, rem.checklist_ts)
    block_id, element = next(
        (b, e) for b, e in find_elements(message, ITEM_OWNER_ACTION) if b.endswith(ITEMS[2])
    )
    await click(world, message, "U0LI", pick_user(block_id, element, "U0BOB"))
    rem = await world.remediation()
    stored = {item.key: item.owner_id for item in items_from_json(rem.items)}
    assert stored == {ITEMS[0]: "U0ANA", ITEMS[1]: "U0ANA", ITEMS[2]: "U0BOB"}
    assert owners_in_message(checklist(world, rem.checklist_ts)) == stored


async def test_a_new_owner_may_tick_their_item_and_others_may_not(world: World) -> None:
    """Bob may tick the item handed to him, not someone else's; a refusal redraws it unticked."""
    rem = await world.remediation()
    assert rem.checklist_ts is not None
    message = checklist(world, rem.checklist_ts)
    block_id, element = next(
        (b, e) for b, e in find_elements(message, ITEM_OWNER_ACTION) if b.endswith(ITEMS[2])
    )
    await click(world, message, "U0ANA", pick_user(block_id, element, "U0BOB"))
    message = checklist(world, rem.checklist_ts)
    tag = await click(world, message, "U0BOB", tick(message, CHECKLIST_ACTION, [ITEMS[0]]))
    assert "owner" in refusal(world, tag).lower()
    assert checked_in_message(checklist(world, rem.checklist_ts)) == []
    message = checklist(world, rem.checklist_ts)
    tag = await click(world, message, "U0BOB", tick(message, CHECKLIST_ACTION, [ITEMS[2]]))
    assert no_reply(world, tag)
    assert checked_in_message(checklist(world, rem.checklist_ts)) == [ITEMS[2]]


async def test_resolve_by_someone_else_is_refused_and_changes_nothing(world: World) -> None:
    """Bob (not owner, lead or admin) pressing Resolve is told so; the remediation stays open."""
    rem = await world.remediation()
    assert rem.checklist_ts is not None
    assert rem.parent_ts is not None
    thread_before = len(world.thread(rem.parent_ts))
    updates_before = len(world.slack.calls_to("chat.update"))
    message = checklist(world, rem.checklist_ts)
    tag = await click(world, message, "U0BOB", press(message, RESOLVE_ACTION))
    assert "owner" in refusal(world, tag).lower()
    rem = await world.remediation()
    assert rem.status == "open"
    assert len(world.thread(rem.parent_ts)) == thread_before
    assert len(world.slack.calls_to("chat.update")) == updates_before


async def test_resolve_by_the_owner_closes_early_and_cancels_the_timers(world: World) -> None:
    """The owner resolves: a summary in the thread, a closed checklist, no reminders after."""
    rem = await world.remediation()
    assert rem.checklist_ts is not None
    assert rem.parent_ts is not None
    message = checklist(world, rem.checklist_ts)
    await click(world, message, "U0ANA", tick(message, CHECKLIST_ACTION, ITEMS[:2]))
    message = checklist(world, rem.checklist_ts)
    await click(world, message, "U0ANA", press(message, RESOLVE_ACTION))
    rem = await world.remediation()
    assert (rem.status, rem.closed_by) == ("resolved", "U0ANA")
    close_out = world.thread(rem.parent_ts)[-1]
    assert "resolved early" in text_of(close_out).lower()
    assert "2/3" in text_of(close_out)
    closed = checklist(world, rem.checklist_ts)
    assert "actions" not in {block["type"] for block in closed["blocks"]}
    assert find_elements(closed, ITEM_OWNER_ACTION) == []
    thread_after = len(world.thread(rem.parent_ts))
    await world.advance(timedelta(hours=80))
    assert len(world.thread(rem.parent_ts)) == thread_after, "no reminder or close-out follows"


async def test_duplicate_clicks_change_nothing_the_second_time(world: World) -> None:
    """The same tick, Resolve and Acknowledge sent twice each act once."""
    rem = await world.remediation()
    assert rem.checklist_ts is not None
    assert rem.parent_ts is not None
    message = checklist(world, rem.checklist_ts)
    ticked = tick(message, CHECKLIST_ACTION, [ITEMS[1]])
    await click(world, message, "U0ANA", ticked)
    version = (await world.remediation()).version
    await click(world, message, "U0ANA", ticked)
    assert (await world.remediation()).version == version
    assert checked_in_message(checklist(world, rem.checklist_ts)) == [ITEMS[1]]

    [dm] = world.dms("U0LI")
    dm = {**dm, "channel": world.dm_channel("U0LI")}
    await click(world, dm, "U0LI", press(dm, ACKNOWLEDGE_ACTION))
    await click(world, dm, "U0LI", press(dm, ACKNOWLEDGE_ACTION))
    acks = [m for m in world.thread(rem.parent_ts) if "acknowledged" in text_of(m).lower()]
    assert len(acks) == 1

    message = checklist(world, rem.checklist_ts)
    resolve = press(message, RESOLVE_ACTION)
    await click(world, message, "U0LI", resolve)
    await click(world, message, "U0LI", resolve)
    closes = [m for m in world.thread(rem.parent_ts) if "resolved early" in text_of(m).lower()]
    assert len(closes) == 1


async def test_acknowledge_from_someone_not_pinged_is_refused(world: World) -> None:
    """Bob was never DMed about this goal: his Acknowledge is refused and repeats continue."""
    [dm] = world.dms("U0LI")
    dm = {**dm, "channel": world.dm_channel("U0LI")}
    tag = await click(world, dm, "U0BOB", press(dm, ACKNOWLEDGE_ACTION))
    assert "sent to" in refusal(world, tag).lower()
    [episode] = await world.episodes()
    assert episode.acknowledged_by is None
    await world.advance(timedelta(hours=24))
    assert len(world.dms("U0LI")) == 2


async def test_a_click_forged_for_another_workspace_finds_nothing(world: World) -> None:
    """A valid signature does not reach across workspaces: another team's click changes nothing."""
    rem = await world.remediation()
    assert rem.checklist_ts is not None
    message = checklist(world, rem.checklist_ts)
    payload = block_action(
        message=message,
        channel=CHANNEL,
        user="U0ANA",
        action=press(message, RESOLVE_ACTION),
        response_url=world.slack.response_url("forged"),
        team="T0OTHER",
    )
    await world.click(payload)
    assert "no longer exists" in refusal(world, "forged")
    assert (await world.remediation()).status == "open"


async def test_close_out_is_resolved_when_every_item_is_done_and_the_metric_recovered(
    world: World,
) -> None:
    """All items ticked and the goal back on target: at +72h the close-out says resolved."""
    rem = await world.remediation()
    assert rem.checklist_ts is not None
    assert rem.parent_ts is not None
    message = checklist(world, rem.checklist_ts)
    await click(world, message, "U0ANA", tick(message, CHECKLIST_ACTION, ITEMS))
    await world.advance(timedelta(hours=30))
    await world.say("checkin aov 505")
    await world.advance(timedelta(hours=42))
    close_out = world.thread(rem.parent_ts)[-1]
    assert "resolved" in text_of(close_out).lower()
    assert "overdue" not in text_of(close_out).lower()
    assert (await world.remediation()).status == "resolved"
    assert not [m for m in world.dms("U0LI") if "overdue" in text_of(m).lower()]


async def test_close_out_is_overdue_and_escalates_to_lead_and_ceo_when_red(world: World) -> None:
    """Nothing done and the goal red at +72h: overdue, and both the lead and the CEO are DMed."""
    rem = await world.remediation()
    assert rem.parent_ts is not None
    await world.say("checkin aov 335")
    await world.advance(timedelta(hours=72))
    close_out = world.thread(rem.parent_ts)[-1]
    assert "overdue" in text_of(close_out).lower()
    assert "<@U0LI>" in text_of(close_out)
    assert "<@U0ADMIN>" in text_of(close_out)
    assert (await world.remediation()).status == "overdue"
    for user in ("U0LI", "U0ADMIN"):
        overdue = [m for m in world.dms(user) if "overdue" in text_of(m).lower()]
        assert len(overdue) == 1, user
