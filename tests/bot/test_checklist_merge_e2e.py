"""A checkbox click changes only the box clicked, end to end: someone clicking on a copy of the
checklist drawn before other people's ticks leaves those ticks as stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.actions.parse import ItemChecked, SetChecked, read_action
from bot.constants import CHECKLIST_ACTION, ITEM_OWNER_ACTION, checklist_block_id
from bot.settings import Settings
from jobs.errors import UsageError
from jobs.escalation.rows import items_from_json
from tests.bot.test_remediation_actions_e2e import (
    ITEMS,
    checked_in_message,
    checklist,
    click,
    no_reply,
)
from tests.conftest import SIGNING_SECRET
from tests.support.clicks import find_elements, pick_user, tick, toggle
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.world import World, at

START = at(2026, 11, 25, 9)
A, B, C = ITEMS


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """An aov goal owned by ana (every item hers), lead li, CEO root; it goes orange, so a
    remediation is open."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start()
    await world.seed_points("aov", 500, days=10, until=START.date())
    await world.say("set aov 500")
    await world.say("config lead <@U0LI|li> digest 18:00")
    await world.say("config ceo <@U0ADMIN|root>", user="U0ADMIN")
    await world.say("checkin aov 395")
    await world.settle()
    yield world
    await world.stop()
    await world.database.dispose()


async def checklist_ts(world: World) -> str:
    rem = await world.remediation()
    assert rem.checklist_ts is not None
    return rem.checklist_ts


async def owner_clicks(world: World, keys: list[str]) -> None:
    """Ana clicks each box in turn on the checklist as it is now."""
    ts = await checklist_ts(world)
    for key in keys:
        message = checklist(world, ts)
        assert no_reply(
            world, await click(world, message, "U0ANA", toggle(message, CHECKLIST_ACTION, key))
        )


async def stored_done(world: World) -> dict[str, str | None]:
    items = items_from_json((await world.remediation()).items)
    return {item.key: item.done_by for item in items if item.done}


@pytest.mark.parametrize(
    ("before", "after", "clicked", "done"),
    [
        pytest.param(
            [],
            [A],
            B,
            {A: "U0ANA", B: "U0LI"},
            id="stale-tick-keeps-the-owners-tick",
        ),
        pytest.param(
            [A, B],
            [C],
            B,
            {A: "U0ANA", C: "U0ANA"},
            id="stale-untick-unticks-only-its-own-item",
        ),
        pytest.param(
            [A, B],
            [A],
            B,
            {},
            id="stale-untick-does-not-tick-again-what-the-owner-unticked",
        ),
    ],
)
async def test_the_lead_clicking_a_stale_checklist_changes_only_the_box_clicked(
    world: World, before: list[str], after: list[str], clicked: str, done: dict[str, str | None]
) -> None:
    """Ana clicks `before`; li keeps that copy; ana clicks `after`; li clicks one box on his copy:
    only that box changes, in the store and in the redrawn checklist."""
    ts = await checklist_ts(world)
    await owner_clicks(world, before)
    stale = checklist(world, ts)
    await owner_clicks(world, after)
    assert checklist(world, ts) is not stale, "the owner's clicks redrew the checklist"
    tag = await click(world, stale, "U0LI", toggle(stale, CHECKLIST_ACTION, clicked))
    assert no_reply(world, tag)
    assert await stored_done(world) == done
    assert checked_in_message(checklist(world, ts)) == sorted(done)


async def test_an_item_owner_may_click_their_box_on_a_stale_checklist(world: World) -> None:
    """Only the clicked item's permission counts: bob ticks his item on a copy that predates
    ana's tick of hers, which he could not have unticked."""
    ts = await checklist_ts(world)
    message = checklist(world, ts)
    block_id, element = next(
        (b, e) for b, e in find_elements(message, ITEM_OWNER_ACTION) if b.endswith(C)
    )
    await click(world, message, "U0ANA", pick_user(block_id, element, "U0BOB"))
    stale = checklist(world, ts)
    await owner_clicks(world, [A])
    tag = await click(world, stale, "U0BOB", toggle(stale, CHECKLIST_ACTION, C))
    assert no_reply(world, tag)
    assert await stored_done(world) == {A: "U0ANA", C: "U0BOB"}
    assert checked_in_message(checklist(world, ts)) == [A, C]


async def test_a_click_whose_boxes_match_its_message_changes_and_queues_nothing(
    world: World,
) -> None:
    """Boxes sent exactly as the message drew them: no stored change, no redraw, no reply."""
    ts = await checklist_ts(world)
    await owner_clicks(world, [A])
    message = checklist(world, ts)
    version, queued = (await world.remediation()).version, len(await world.outbox())
    updates = len(world.slack.calls_to("chat.update"))
    tag = await click(world, message, "U0LI", tick(message, CHECKLIST_ACTION, [A]))
    assert no_reply(world, tag)
    assert (await world.remediation()).version == version
    assert len(await world.outbox()) == queued
    assert len(world.slack.calls_to("chat.update")) == updates
    assert await stored_done(world) == {A: "U0ANA"}


def checkboxes(block_id: str, initial: list[str] | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": CHECKLIST_ACTION,
        "options": [{"value": key} for key in ITEMS],
    }
    if initial is not None:
        element["initial_options"] = [{"value": key} for key in initial]
    return {"blocks": [{"type": "actions", "block_id": block_id, "elements": [element]}]}


@pytest.mark.parametrize(
    ("initial", "selected", "changes"),
    [
        pytest.param(None, [B], (ItemChecked(B, True),), id="tick-with-nothing-drawn-ticked"),
        pytest.param([A], [A, B], (ItemChecked(B, True),), id="tick"),
        pytest.param([A, B], [A], (ItemChecked(B, False),), id="untick"),
        pytest.param([A], [A], (), id="no-box-changed"),
        pytest.param(
            [A], [B], (ItemChecked(A, False), ItemChecked(B, True)), id="two-boxes-changed"
        ),
    ],
)
def test_a_checkbox_click_reads_as_the_boxes_changed_against_its_message(
    initial: list[str] | None, selected: list[str], changes: tuple[ItemChecked, ...]
) -> None:
    """The action is the difference between the boxes sent and the message's initial options."""
    block_id = checklist_block_id(7)
    action = {
        "action_id": CHECKLIST_ACTION,
        "block_id": block_id,
        "selected_options": [{"value": key} for key in selected],
    }
    parsed = read_action(action, checkboxes(block_id, initial))
    assert parsed == SetChecked(remediation_id=7, changes=changes)


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(None, id="no-message"),
        pytest.param(checkboxes(checklist_block_id(8), []), id="another-checklist"),
    ],
)
def test_a_checkbox_click_without_its_message_is_refused(message: dict[str, Any] | None) -> None:
    """Without the message clicked on, which box changed is unknown: refuse, change nothing."""
    action = {
        "action_id": CHECKLIST_ACTION,
        "block_id": checklist_block_id(7),
        "selected_options": [{"value": A}],
    }
    with pytest.raises(UsageError):
        read_action(action, message)
