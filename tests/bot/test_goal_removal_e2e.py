"""`/goal remove` end to end: a question first, the Remove button removes; the goal is kept with
its history, leaves lists, digests, evaluation and escalation, and its thread's and DMs' buttons
answer that it was removed. Signed requests to the real endpoint, the fake Slack, a set clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, func, select

from bot.constants import (
    ACKNOWLEDGE_ACTION,
    CHECKLIST_ACTION,
    ITEM_OWNER_ACTION,
    RESOLVE_ACTION,
    SNOOZE_ACTION,
)
from bot.render.blocks import KEEP_GOAL_ACTION, REMOVE_GOAL_ACTION
from bot.runtime import RunningBot
from bot.settings import Settings
from storage import goals as goal_store
from storage.models import Evaluation, Goal
from tests.conftest import SIGNING_SECRET
from tests.support.clicks import block_action, find_elements, pick_user, press, tick
from tests.support.clock import SettableClock
from tests.support.conversation import TEAM, run, stored_goals
from tests.support.fake_slack import FakeSlack
from tests.support.questions import ask, press_in_reply, readable
from tests.support.rows import audit_events
from tests.support.signing import SignedSlack
from tests.support.world import CHANNEL, World, at, text_of

START = at(2026, 11, 25, 9)
REMOVED = "This goal was removed from <#C0GROWTH> on 25 Nov 2026 by <@U0ANA>; nothing to do."


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """An aov goal owned by ana, lead li, CEO root; it went orange, so a remediation is open
    and li was DMed."""
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


async def signed(world: World) -> SignedSlack:
    return SignedSlack(
        bot_url=world.bots[0].url,
        signing_secret=SIGNING_SECRET,
        response_url=world.slack.response_url,
    )


async def remove(world: World, *, user: str = "U0ANA") -> tuple[dict[str, Any], dict[str, Any]]:
    """`/goal remove aov`, then Remove pressed; (the question, what the press was answered)."""
    async with await signed(world) as slack:
        question = await ask(slack, world.slack, "remove aov", user=user)
        answer = await press_in_reply(slack, world.slack, question, REMOVE_GOAL_ACTION, user=user)
    await world.settle()
    return question, answer


async def the_goal(world: World) -> Goal:
    async with world.database.transaction() as session:
        goal = await goal_store.get_goal(
            session=session,
            team_id=TEAM,
            channel_id=CHANNEL,
            metric_key="aov",
            include_removed=True,
        )
    assert goal is not None
    return goal


async def evaluations(world: World, goal_id: int) -> int:
    async with world.database.transaction() as session:
        statement = select(func.count()).where(col(Evaluation.goal_id) == goal_id)
        return int((await session.exec(statement)).one())


async def last_audit(world: World) -> tuple[str, dict[str, Any]]:
    async with world.database.transaction() as session:
        [event] = await audit_events(session=session, team_id=TEAM, limit=1)
    return event.action, event.details


async def test_remove_asks_first_and_keep_changes_nothing(world: World) -> None:
    """`/goal remove` only asks, with Remove and Keep; Keep replaces the question and nothing
    is removed or closed."""
    async with await signed(world) as slack:
        question = await ask(slack, world.slack, "remove aov")
        assert "Remove the goal *Average order value* (`aov`)" in readable(question)
        assert "history is kept" in readable(question)
        assert (await the_goal(world)).status == "active"
        kept = await press_in_reply(slack, world.slack, question, KEEP_GOAL_ACTION)
    assert kept["replace_original"] is True
    assert "Kept the goal; nothing was removed." in readable(kept)
    assert (await the_goal(world)).status == "active"
    assert (await world.remediation()).status == "open"
    assert (await last_audit(world))[0] == "metric.checkin"


async def test_removal_keeps_the_history_and_closes_everything(world: World) -> None:
    """Remove: the goal is kept (status removed, when, by whom) with its evaluations; its open
    episode and remediation close with a reason and their pending timers are cancelled; the
    audit log says what was removed and closed; nothing new is queued or sent."""
    before = await world.deliveries()
    queued = len(await world.outbox())
    _, answer = await remove(world)
    assert answer["replace_original"] is True
    assert "Removed the `aov` goal from this channel; its history is kept." in readable(answer)

    goal = await the_goal(world)
    assert goal.id is not None
    assert (goal.status, goal.removed_by, goal.removed_at) == ("removed", "U0ANA", START)
    assert await evaluations(world, goal.id) > 0
    [episode] = await world.episodes()
    assert episode.closed_at == START
    remediation = await world.remediation()
    assert (remediation.status, remediation.closed_by) == ("removed", "U0ANA")
    assert remediation.summary == "Closed because the goal was removed."
    rows = await world.outbox()
    assert len(rows) == queued
    assert all(row.done_at is not None for row in rows)
    timers = {row.run_key: row.result for row in rows if row.kind in ("reminder", "close_out")}
    assert set(timers) == {"reminder:1:24h", "reminder:1:48h", "close_out:1"}
    assert set(map(str, timers.values())) == {str({"skipped": "goal removed"})}
    action, details = await last_audit(world)
    assert action == "goal.remove"
    assert details["removed"]["target"] == 500
    assert (details["closed_episode"], details["closed_remediation"]) == (episode.id, 1)

    await world.advance(timedelta(hours=80))
    assert await world.deliveries() == before, "no reminder, close-out, repeat or redraw"


async def test_a_removed_goal_leaves_lists_digests_evaluation_and_escalation(
    world: World,
) -> None:
    """After removal the goal is in no list or digest, and a red value opens nothing."""
    await remove(world)
    assert "no goals yet" in await world.say("list")
    assert "This channel has no goal on `aov`" in await world.say("show aov")
    assert "no active goals" in await world.say("digest preview")
    queued, episodes = len(await world.outbox()), len(await world.episodes())
    reply = await world.say("checkin aov 300")
    await world.settle()
    assert "Recorded `aov`" in reply
    assert "This channel's goal is now" not in reply
    assert len(await world.episodes()) == episodes
    assert len(await world.outbox()) == queued
    digests = [m for m in world.posted(CHANNEL) if "Goal health" in text_of(m)]
    await world.advance(timedelta(days=1, hours=9))  # past the 26th's 18:00 digest
    assert [m for m in world.posted(CHANNEL) if "Goal health" in text_of(m)] == digests


def thread_click(world: World, name: str, message: dict[str, Any]) -> dict[str, Any]:
    if name == "tick":
        return tick(message, CHECKLIST_ACTION, ["competitor-scan"])
    if name == "pick-owner":
        block_id, element = find_elements(message, ITEM_OWNER_ACTION)[0]
        return pick_user(block_id, element, "U0BOB")
    return press(message, RESOLVE_ACTION)


@pytest.mark.parametrize(
    ("where", "name", "user"),
    [
        pytest.param("thread", "tick", "U0ANA", id="tick-an-item"),
        pytest.param("thread", "pick-owner", "U0ANA", id="hand-an-item-over"),
        pytest.param("thread", "resolve", "U0ANA", id="resolve"),
        pytest.param("dm", ACKNOWLEDGE_ACTION, "U0LI", id="acknowledge"),
        pytest.param("dm", SNOOZE_ACTION, "U0LI", id="snooze"),
    ],
)
async def test_buttons_of_a_removed_goal_say_so_and_do_nothing(
    world: World, where: str, name: str, user: str
) -> None:
    """A click on the removed goal's checklist or escalation DM is answered, to the clicker
    alone, that the goal was removed, when and by whom; nothing changes."""
    remediation = await world.remediation()
    assert remediation.checklist_ts is not None
    await remove(world)
    if where == "thread":
        message = world.current(CHANNEL, remediation.checklist_ts)
        channel, action = CHANNEL, thread_click(world, name, message)
    else:
        [dm] = world.dms("U0LI")
        channel = str(world.dm_channel("U0LI"))
        message, action = {**dm, "channel": channel}, press(dm, name)
    tag = f"removed-{name}"
    await world.click(
        block_action(
            message=message,
            channel=channel,
            user=user,
            action=action,
            response_url=world.slack.response_url(tag),
        )
    )
    [answer] = [c.body for c in world.slack.calls_to("response_url") if c.tag == tag]
    assert answer["response_type"] == "ephemeral"
    assert answer.get("replace_original") is False
    assert REMOVED in readable(answer)
    after = await world.remediation()
    assert (after.status, after.items, after.version) == ("removed", remediation.items, 2)
    [episode] = await world.episodes()
    assert (episode.acknowledged_by, episode.snoozed_until) == (None, None)


async def test_setting_a_removed_goal_again_brings_it_back_with_its_history(
    world: World,
) -> None:
    """`/goal set` on the removed goal's metric makes it a new goal again on the same row: its
    evaluations are kept, and a Remove button from before removes nothing."""
    question, _ = await remove(world)
    removed = await the_goal(world)
    assert removed.id is not None
    history = await evaluations(world, removed.id)
    world.clock.advance(timedelta(minutes=5))
    reply = await world.say("set aov 450 owner <@U0BOB>", user="U0LI")
    assert "Created the goal *Average order value*" in reply
    goal = await the_goal(world)
    assert (goal.id, goal.status, goal.removed_at, goal.removed_by) == (
        removed.id,
        "active",
        None,
        None,
    )
    assert (goal.target, goal.owner_id, goal.created_by, goal.lead_id) == (
        450,
        "U0BOB",
        "U0LI",
        None,
    )
    assert await evaluations(world, removed.id) >= history
    assert "Average order value" in await world.say("list")
    action, details = await last_audit(world)
    assert (action, details["restored"]) == ("goal.create", True)

    async with await signed(world) as slack:
        stale = await press_in_reply(slack, world.slack, question, REMOVE_GOAL_ACTION)
    assert "This confirmation is out of date" in readable(stale)
    assert (await the_goal(world)).status == "active"


@pytest.mark.parametrize(
    ("user", "team", "expected"),
    [
        pytest.param(
            "U0BOB", "T0001", "Only the goal's owner, lead or creator", id="not-an-editor"
        ),
        pytest.param("U0ANA", "T0OTHER", "not in this channel any more", id="another-workspace"),
    ],
)
async def test_the_remove_button_checks_the_clicker(
    bot: RunningBot,
    slack: SignedSlack,
    fake_slack: FakeSlack,
    user: str,
    team: str,
    expected: str,
) -> None:
    """The button is checked against the clicker's rights and workspace, not the asker's."""
    await run(slack, fake_slack, "set nps 40")
    question = await ask(slack, fake_slack, "remove nps")
    answer = await press_in_reply(
        slack, fake_slack, question, REMOVE_GOAL_ACTION, user=user, team=team
    )
    assert expected in readable(answer)
    assert answer.get("replace_original") is False
    [goal] = await stored_goals(bot)
    assert goal.status == "active"


async def test_pressing_remove_twice_says_it_is_gone(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """The second press of the same Remove is told when and by whom it was removed."""
    await run(slack, fake_slack, "set nps 40")
    question = await ask(slack, fake_slack, "remove nps")
    await press_in_reply(slack, fake_slack, question, REMOVE_GOAL_ACTION)
    again = await press_in_reply(slack, fake_slack, question, REMOVE_GOAL_ACTION, user="U0ADMIN")
    assert "This goal was removed from <#C0GROWTH> on" in readable(again)
    assert "by <@U0ANA>; nothing to do." in readable(again)
