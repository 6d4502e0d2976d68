"""The Slack messenger for escalation and remediation, against the fake Slack Web API."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.errors import SlackApiError

from bot.app import build_client
from bot.messenger import ChannelPacer, SlackMessenger
from bot.render.escalation import render
from jobs.alert_model import ChecklistView, EscalationDm, LeadAlerted
from jobs.messenger import Messenger
from jobs.remediation import ChecklistItem
from tests.bot.test_render_escalation import GOAL
from tests.conftest import BOT_TOKEN
from tests.support.fake_slack import FakeSlack

NOW = datetime(2025, 11, 25, 16, 30, tzinfo=UTC)
DM = EscalationDm(GOAL, "C0001", 7, "lead", "opened", 0, None)
ITEMS = (ChecklistItem("competitor-scan", "Competitor scan", "U0ANA"),)
CHECKLIST = ChecklistView(GOAL, 42, ITEMS, NOW + timedelta(hours=72), "open", "Europe/Berlin", NOW)


@pytest.fixture
def messenger(fake_slack: FakeSlack) -> SlackMessenger:
    client = build_client(BOT_TOKEN, api_url=fake_slack.api_url)
    return SlackMessenger(client, pacer=ChannelPacer(interval=0))


def test_slack_messenger_is_a_messenger(messenger: SlackMessenger) -> None:
    """SlackMessenger provides everything the engine's Messenger protocol asks for."""
    implementation: Messenger = messenger
    for method in ("post", "update", "send_dm", "user_timezone", "permalink", "publish_digest"):
        assert callable(getattr(implementation, method))


async def test_send_dm_opens_a_dm_and_posts_in_it(
    messenger: SlackMessenger, fake_slack: FakeSlack
) -> None:
    """send_dm opens the user's DM channel and posts the rendered message there."""
    channel, ts = await messenger.send_dm("U0LI", DM)
    [opened] = fake_slack.calls_to("conversations.open")
    assert opened.body["users"] == "U0LI"
    assert channel == opened.response["channel"]["id"]
    [posted] = fake_slack.posted_messages()
    text, blocks = render(DM)
    assert (posted["channel"], posted["text"]) == (channel, text)
    assert posted["blocks"] == [block.to_dict() for block in blocks]
    assert (channel, ts) in fake_slack.messages


async def test_post_into_a_thread(messenger: SlackMessenger, fake_slack: FakeSlack) -> None:
    """post passes thread_ts, turns link unfurling off and returns the new message's ts."""
    parent_ts = await messenger.post("C0001", CHECKLIST)
    reply_ts = await messenger.post("C0001", LeadAlerted(GOAL, "U0LI", "lead"), thread_ts=parent_ts)
    parent, reply = fake_slack.posted_messages("C0001")
    assert "thread_ts" not in parent
    assert reply["thread_ts"] == parent_ts
    assert reply["unfurl_links"] is False
    assert fake_slack.messages[("C0001", reply_ts)]["thread_ts"] == parent_ts


async def test_update_redraws_the_same_message(
    messenger: SlackMessenger, fake_slack: FakeSlack
) -> None:
    """update calls chat.update on the same channel and ts, with the new rendering."""
    ts = await messenger.post("C0001", CHECKLIST)
    closed = replace(CHECKLIST, status="resolved", closed_by="U0LI")
    await messenger.update("C0001", ts, closed)
    [call] = fake_slack.calls_to("chat.update")
    assert (call.body["channel"], call.body["ts"], call.accepted) == ("C0001", ts, True)
    assert fake_slack.messages[("C0001", ts)]["text"] == render(closed)[0]


async def test_update_of_an_unknown_message_raises(messenger: SlackMessenger) -> None:
    """Slack's refusals other than the lookups' reach the caller, which retries later."""
    with pytest.raises(SlackApiError):
        await messenger.update("C0001", "1.000000", CHECKLIST)


async def test_user_timezone(messenger: SlackMessenger, fake_slack: FakeSlack) -> None:
    """user_timezone gives the user's tz from users.info, and None for an unknown user."""
    fake_slack.add_user("U0TOKYO", name="ken", tz="Asia/Tokyo")
    assert await messenger.user_timezone("U0TOKYO") == "Asia/Tokyo"
    assert await messenger.user_timezone("U0NOBODY") is None


async def test_permalink(messenger: SlackMessenger, fake_slack: FakeSlack) -> None:
    """permalink asks chat.getPermalink for a link, and gives None when Slack refuses."""
    ts = await messenger.post("C0001", CHECKLIST)
    link = await messenger.permalink("C0001", ts)
    assert link == f"https://example.slack.com/archives/C0001/p{ts.replace('.', '')}"
    [call] = fake_slack.calls_to("chat.getPermalink")
    assert (call.body["channel"], call.body["message_ts"]) == ("C0001", ts)
    assert await messenger.permalink("", ts) is None
