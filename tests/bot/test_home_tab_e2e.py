"""The Home tab end to end: the manifest enables it exactly when the bot publishes one; opening
it publishes the person's goals, items and channels; ticking an item there ticks it in the
thread; a band change refreshes the owner's and lead's pages, at most once a minute."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.constants import CHECKLIST_ACTION
from bot.render.home_chart import CHART_ACTION
from bot.runtime import RunningBot
from bot.settings import Settings
from jobs.escalation.rows import items_from_json
from storage import workspace
from tests.conftest import SIGNING_SECRET
from tests.support.clicks import find_element, tick
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack
from tests.support.world import CHANNEL, TEAM, World, at, text_of

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


async def test_home_tab_is_enabled_only_if_the_bot_publishes_one(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """A user opening the Home tab sees a page if and only if the manifest turns the tab on."""
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    enabled = manifest["features"]["app_home"]["home_tab_enabled"]
    event = {
        "token": "legacy-verification-token",
        "team_id": slack.team_id,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": "Ev0HOME",
        "event_time": 1_700_000_000,
        "event": {
            "type": "app_home_opened",
            "user": "U0ANA",
            "channel": "D0ANA",
            "tab": "home",
            "event_ts": "1700000000.000100",
        },
    }
    status, _ = await slack.post(json.dumps(event), content_type="application/json")
    await bot.services.background.drain()

    assert status in (200, 404)
    published = [c for c in fake_slack.calls_to("views.publish") if c.body["user_id"] == "U0ANA"]
    assert bool(published) == enabled


# --- The Home tab through the bot's real endpoint -------------------------------------------

START = at(2026, 11, 25, 9)
ITEMS = ["behaviour-heatmap-review", "customer-service-script-a-b-test", "competitor-scan"]


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """An aov goal owned by ana and led by li, on track, with digests out of the way."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start()
    await world.seed_points("aov", 500, days=10, until=START.date())
    await world.say("set aov 500 owner <@U0ANA|ana> lead <@U0LI|li>")
    await world.say("config digest 18:00")
    await world.settle()
    yield world
    await world.stop()
    await world.database.dispose()


def publishes(world: World, user: str) -> int:
    return len(
        [
            c
            for c in world.slack.calls_to("views.publish")
            if c.body["user_id"] == user and c.accepted
        ]
    )


def home_of(world: World, user: str) -> dict[str, Any]:
    """The user's Home view as Slack holds it now."""
    return world.slack.views[f"VHOME{user}"]


async def open_home(world: World, user: str) -> dict[str, Any]:
    """`user` opens the Home tab: a signed `app_home_opened` event; returns the view published."""
    before = publishes(world, user)
    event = {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": f"Ev0{user}{before}",
        "event_time": 1_700_000_000,
        "event": {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"},
    }
    async with SignedSlack(
        bot_url=world.bots[0].url,
        signing_secret=SIGNING_SECRET,
        response_url=world.slack.response_url,
    ) as sender:
        status, _ = await sender.post(json.dumps(event), content_type="application/json")
    assert status == 200
    await world.settle()
    assert publishes(world, user) == before + 1
    return home_of(world, user)


def home_click(view: dict[str, Any], user: str, action: dict[str, Any]) -> dict[str, Any]:
    """A `block_actions` payload from a Home view, as Slack sends it: the view, no message and
    no response_url."""
    return {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": f"home.{user}",
        "view": view,
        "actions": [{**action, "action_ts": "1764000000.000001"}],
    }


def ticked_in_thread(message: dict[str, Any]) -> list[str]:
    _, element = find_element(message, CHECKLIST_ACTION)
    return sorted(o["value"] for o in element.get("initial_options", []))


async def test_opening_home_shows_the_persons_goals_items_and_channels(world: World) -> None:
    """Ana opens Home after her goal went orange: the goal with its numbers and escalation,
    her three open items to tick with the time left, and the channel's count by band."""
    await world.say("checkin aov 395")
    await world.settle()
    view = await open_home(world, "U0ANA")
    assert view["type"] == "home"
    shown = text_of(view)
    for words in (
        ":large_orange_circle:",
        "`aov`",
        "395",
        "vs",
        "Remediation 0/3 done",
        "72h left",
    ):
        assert words in shown
    assert "<#C0GROWTH> · :large_orange_circle: 1 orange" in shown
    _, element = find_element(view, CHECKLIST_ACTION)
    assert [o["value"] for o in element["options"]] == ITEMS
    # Bob has no goals and no items: his page says so.
    bob = text_of(await open_home(world, "U0BOB"))
    assert "You own or lead no goals yet" in bob
    assert "No open checklist items" in bob


async def test_ticking_an_item_on_home_ticks_it_in_the_thread_and_redraws_home(
    world: World,
) -> None:
    """Ana ticks an item on her Home tab: the thread's checklist shows it ticked, and her Home
    is published again without it."""
    await world.say("checkin aov 395")
    await world.settle()
    view = await open_home(world, "U0ANA")
    rem = await world.remediation()
    assert rem.checklist_ts is not None
    updates = len(world.updates(CHANNEL, rem.checklist_ts))
    before = publishes(world, "U0ANA")
    await world.click(home_click(view, "U0ANA", tick(view, CHECKLIST_ACTION, [ITEMS[0]])))
    assert [i.key for i in items_from_json((await world.remediation()).items) if i.done] == [
        ITEMS[0]
    ]
    assert len(world.updates(CHANNEL, rem.checklist_ts)) == updates + 1
    assert ticked_in_thread(world.current(CHANNEL, rem.checklist_ts)) == [ITEMS[0]]
    assert publishes(world, "U0ANA") == before + 1
    _, element = find_element(home_of(world, "U0ANA"), CHECKLIST_ACTION)
    assert [o["value"] for o in element["options"]] == ITEMS[1:]


async def test_a_refused_tick_on_home_is_told_in_a_dm_and_changes_nothing(world: World) -> None:
    """Bob, whose item it is not, ticks one on a copy of Ana's page: he is told why in the
    app's DM, nothing is stored, and his own Home is redrawn."""
    await world.say("checkin aov 395")
    await world.settle()
    view = await open_home(world, "U0ANA")
    await world.click(home_click(view, "U0BOB", tick(view, CHECKLIST_ACTION, [ITEMS[1]])))
    assert not [i for i in items_from_json((await world.remediation()).items) if i.done]
    [told] = [
        c.body for c in world.slack.calls_to("chat.postMessage") if c.body["channel"] == "U0BOB"
    ]
    assert "only the item's owner" in text_of(told).lower()
    assert publishes(world, "U0BOB") == 1


async def test_a_band_change_refreshes_owner_and_lead_once_a_minute(world: World) -> None:
    """The goal goes orange: ana's and li's pages are published at once. It goes red within
    the minute: nothing more until the minute is up, then one publish each with red."""
    await world.advance(timedelta(minutes=5))  # past the minute of the goal's first evaluation
    world.slack.reset()
    await world.say("checkin aov 395")
    await world.settle()
    assert (publishes(world, "U0ANA"), publishes(world, "U0LI")) == (1, 1)
    assert publishes(world, "U0BOB") == 0
    assert ":large_orange_circle:" in text_of(home_of(world, "U0LI"))

    await world.advance(timedelta(seconds=20))
    await world.say("checkin aov 300")
    await world.settle()
    await world.wait_ticks()
    assert (publishes(world, "U0ANA"), publishes(world, "U0LI")) == (1, 1)

    await world.advance(timedelta(seconds=45))
    await world.wait_ticks()
    await world.settle()
    assert (publishes(world, "U0ANA"), publishes(world, "U0LI")) == (2, 2)
    assert ":red_circle: 1 red" in text_of(home_of(world, "U0ANA"))
    # A value that keeps the band refreshes no one.
    await world.advance(timedelta(minutes=5))
    await world.say("checkin aov 290")
    await world.settle()
    await world.wait_ticks()
    assert (publishes(world, "U0ANA"), publishes(world, "U0LI")) == (2, 2)


def home_uploads(world: World) -> list[Any]:
    calls = world.slack.calls_to("files.completeUploadExternal")
    return [c for c in calls if "channel_id" not in c.body]


async def test_picking_a_goal_shows_its_latest_chart_in_the_readers_language(
    world: World,
) -> None:
    """Ana switches Slack to Chinese: her Home tab follows within the hour her locale is kept.
    She picks her goal in the chart menu: her page comes back with that goal's chart, a file
    uploaded for it, and keeps it when she opens the tab again, without a second upload. Li
    has no Slack locale: he reads his workspace's language, English until it chooses Chinese."""
    assert "Your goals" in text_of(await open_home(world, "U0ANA"))
    world.slack.users["U0ANA"]["locale"] = "zh-CN"
    assert "Your goals" in text_of(await open_home(world, "U0ANA"))
    asked = len(world.slack.calls_to("users.info"))
    await world.advance(timedelta(hours=1))
    view = await open_home(world, "U0ANA")
    assert "你的目标" in text_of(view)
    info = world.slack.calls_to("users.info")[asked:]
    assert [(c.body["user"], c.body["include_locale"]) for c in info] == [("U0ANA", "1")]
    _, menu = find_element(view, CHART_ACTION)
    assert "initial_option" not in menu
    [choice] = menu["options"]

    pick = {"type": "static_select", "action_id": CHART_ACTION, "selected_option": choice}
    await world.click(home_click(view, "U0ANA", pick))
    # Uploaded with no channel: a file of the bot's own, for image blocks.
    [upload] = home_uploads(world)
    [uploaded] = upload.body["files"]
    home = home_of(world, "U0ANA")
    [image] = [b for b in home["blocks"] if b["type"] == "image"]
    assert image["slack_file"] == {"id": uploaded["id"]}
    assert "的图表" in image["alt_text"]
    assert find_element(home, CHART_ACTION)[1]["initial_option"]["value"] == choice["value"]

    again = await open_home(world, "U0ANA")
    assert [b for b in again["blocks"] if b["type"] == "image"] == [image]
    assert len(home_uploads(world)) == 1
    # Slack refuses to show the file (not processed yet): the page goes out saying so.
    world.slack.refuse("views.publish", "invalid_blocks", matching=lambda b: "image" in str(b))
    assert "暂时无法显示" in text_of(await open_home(world, "U0ANA"))

    assert "Your goals" in text_of(await open_home(world, "U0LI"))
    async with world.database.transaction() as session:
        settings = await workspace.workspace_settings_for_update(
            session=session, team_id=TEAM, now=START
        )
        settings.language = "zh-CN"
    assert "你的目标" in text_of(await open_home(world, "U0LI"))
