"""The Slack messenger for escalation and remediation, against the fake Slack Web API."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.messenger import SlackMessenger
from bot.pacing import ChannelPacer, WorkspacePacer
from bot.render.digest import digest_text
from bot.render.escalation import render
from bot.slack_client import build_client
from jobs.digest.model import ChannelDigest
from jobs.escalation.remediation import ChecklistItem
from jobs.messages import ChecklistView, EscalationDm, LeadAlerted
from jobs.messenger import Messenger, PermanentDeliveryError
from tests.bot.test_render_escalation import GOAL
from tests.conftest import BOT_TOKEN
from tests.jobs.test_chart import digest as chart_digest
from tests.jobs.test_chart import goals
from tests.support.fake_slack import FakeSlack

NOW = datetime(2025, 11, 25, 16, 30, tzinfo=UTC)
DM = EscalationDm(GOAL, "C0001", 7, "lead", "opened", 0, None)
ITEMS = (ChecklistItem("competitor-scan", "Competitor scan", "U0ANA"),)
CHECKLIST = ChecklistView(GOAL, 42, ITEMS, NOW + timedelta(hours=72), "open", "Europe/Berlin", NOW)


@pytest.fixture
def charts() -> Iterator[ThreadPoolExecutor]:
    """Charts drawn in a thread: the same work as the bot's drawing process, without spawning."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool


@pytest.fixture
def messenger(fake_slack: FakeSlack, charts: ThreadPoolExecutor) -> SlackMessenger:
    client = build_client(BOT_TOKEN, api_url=fake_slack.api_url)
    return SlackMessenger(client, pacer=ChannelPacer(interval=0), chart_executor=charts)


def report(channel: str = "C0001", count: int = 3) -> ChannelDigest:
    """A digest with `count` goals and a month of history each (so it has a chart)."""
    return replace(chart_digest(*goals(count)), channel_id=channel)


def test_slack_messenger_is_a_messenger(messenger: SlackMessenger) -> None:
    """SlackMessenger provides everything the engine's Messenger protocol asks for."""
    implementation: Messenger = messenger
    methods = ("post", "update", "send_dm", "upload_file", "user_timezone", "permalink")
    for method in (*methods, "publish_digest", "attach_chart"):
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
    """Slack's refusals other than the lookups' reach the caller as a DeliveryError that says
    whether trying again can help: a message that is not there, never."""
    with pytest.raises(PermanentDeliveryError) as refused:
        await messenger.update("C0001", "1.000000", CHECKLIST)
    assert (refused.value.reason, refused.value.target) == ("message_not_found", "C0001")


async def test_upload_file_goes_into_the_thread(
    messenger: SlackMessenger, fake_slack: FakeSlack
) -> None:
    """upload_file shares the bytes in the thread under its name and title; the file's id."""
    ts = await messenger.post("C0001", CHECKLIST)
    file_id = await messenger.upload_file("C0001", ts, b"\x89PNG...", "map.png", "The map")
    [complete] = fake_slack.calls_to("files.completeUploadExternal")
    assert (complete.body["channel_id"], complete.body["thread_ts"]) == ("C0001", ts)
    [shared] = complete.response["files"]
    assert (shared["id"], shared["name"], shared["title"]) == (file_id, "map.png", "The map")
    [upload] = fake_slack.calls_to("upload")
    assert upload.body["content"] == b"\x89PNG..."


async def test_an_upload_slack_refuses_is_a_delivery_error_about_the_channel(
    messenger: SlackMessenger, fake_slack: FakeSlack
) -> None:
    fake_slack.refuse("files.completeUploadExternal", "not_in_channel")
    with pytest.raises(PermanentDeliveryError) as refused:
        await messenger.upload_file("C0001", "1.000000", b"png", "map.png", "The map")
    assert (refused.value.reason, refused.value.target) == ("not_in_channel", "C0001")


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


async def test_publish_digest_then_its_chart_goes_into_the_thread(
    messenger: SlackMessenger, fake_slack: FakeSlack
) -> None:
    """`/goal digest`: the digest is posted, then its chart lands in the digest's thread."""
    digest = report()
    ts = await messenger.publish_digest(digest)
    messenger.attach_chart(digest, ts)
    await asyncio.wait_for(messenger.charts.drain(), 30)
    [posted] = fake_slack.posted_messages("C0001")
    assert posted["text"] == digest_text(digest)
    [complete] = fake_slack.calls_to("files.completeUploadExternal")
    assert (complete.body["channel_id"], complete.body["thread_ts"]) == ("C0001", ts)


async def test_attach_chart_draws_and_uploads_after_the_digest(
    messenger: SlackMessenger, fake_slack: FakeSlack
) -> None:
    """The engine's path: the digest goes out alone, its chart follows into its thread."""
    digest = report()
    ts = await messenger.publish_digest(digest)
    assert not fake_slack.calls_to("files.getUploadURLExternal")
    messenger.attach_chart(digest, ts)
    await asyncio.wait_for(messenger.charts.drain(), 30)
    [complete] = fake_slack.calls_to("files.completeUploadExternal")
    assert complete.accepted
    assert (complete.body["channel_id"], complete.body["thread_ts"]) == ("C0001", ts)
    [upload] = fake_slack.calls_to("upload")
    assert upload.body["content"].startswith(b"\x89PNG")
    assert len(fake_slack.posted_messages()) == 1


async def test_a_chart_that_fails_never_posts_its_digest_again(
    messenger: SlackMessenger, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """An upload Slack refuses (past the client's retries) is logged and dropped; the digest
    stays posted once, and the next digest's chart still goes out."""
    fake_slack.fail_next("files.getUploadURLExternal", status=500, times=3)
    first, second = report("C0001"), report("C0002")
    with caplog.at_level(logging.WARNING, logger="goalpulse.slack"):
        for digest in (first, second):
            messenger.attach_chart(digest, await messenger.publish_digest(digest))
        await asyncio.wait_for(messenger.charts.drain(), 30)
    assert "chart upload for C0001 failed" in caplog.text
    assert [m["channel"] for m in fake_slack.posted_messages()] == ["C0001", "C0002"]
    [complete] = fake_slack.calls_to("files.completeUploadExternal")
    assert complete.body["channel_id"] == "C0002"


async def test_a_chart_that_cannot_be_drawn_is_dropped(
    messenger: SlackMessenger, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """A drawing failure is logged; nothing more is sent for that digest."""
    broken = replace(report(), history={"metric_000": (("not a day", 1.0),)})  # type: ignore[dict-item]
    with caplog.at_level(logging.WARNING, logger="goalpulse.slack"):
        messenger.attach_chart(broken, await messenger.publish_digest(broken))
        await asyncio.wait_for(messenger.charts.drain(), 30)
    assert "could not be drawn" in caplog.text
    assert not fake_slack.calls_to("files.getUploadURLExternal")
    assert len(fake_slack.posted_messages()) == 1


async def test_charts_queue_is_bounded(
    messenger: SlackMessenger, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Past `max_queued` waiting charts, more are dropped with a warning, not held in memory."""
    messenger.charts.max_queued = 2
    digest = report()
    ts = await messenger.publish_digest(digest)
    with caplog.at_level(logging.WARNING, logger="goalpulse.slack"):
        accepted = [messenger.charts.submit(digest, ts) for _ in range(3)]
    assert accepted == [True, True, False]
    assert "dropped: 2 charts queued" in caplog.text
    await asyncio.wait_for(messenger.charts.drain(), 30)
    assert len(fake_slack.calls_to("files.completeUploadExternal")) == 2


async def test_workspace_pacer_spreads_posts_after_a_short_burst() -> None:
    """At 100 a second with a 50 ms burst: 5 go at once, then one every 10 ms, in call order."""
    pacer = WorkspacePacer(100, burst_seconds=0.05)
    started = time.monotonic()
    order: list[int] = []

    async def post(number: int) -> float:
        await pacer.wait()
        order.append(number)
        return time.monotonic() - started

    times = await asyncio.gather(*(post(n) for n in range(25)))
    assert order == list(range(25))
    assert max(times[:5]) < 0.03
    # The 25th post waits for 20 slots of 10 ms after the burst (never earlier).
    assert times[-1] >= 0.19
    assert times[-1] < 1.0


@pytest.mark.parametrize("rate", [0, -1, float("inf"), float("nan")])
def test_workspace_pacer_needs_a_positive_rate(rate: float) -> None:
    with pytest.raises(ValueError, match="above 0"):
        WorkspacePacer(rate)


async def test_a_fan_out_stays_under_slack_workspace_limit(
    fake_slack: FakeSlack, charts: ThreadPoolExecutor
) -> None:
    """80 digests to 80 channels at once, against Slack's 1/s per channel and 50/s per
    workspace: all accepted on the first try, none answered 429. The pacer runs at 45/s: on a
    busy machine, posts released on time can reach Slack bunched, and at exactly 50/s a bunch
    would find the workspace's second already full."""
    fake_slack.rate_limit(per_channel_per_second=1, per_workspace_per_second=50)
    client = build_client(BOT_TOKEN, api_url=fake_slack.api_url)
    messenger = SlackMessenger(client, workspace_pacer=WorkspacePacer(45))
    digests = [report(f"C{n:04d}", count=1) for n in range(80)]
    await asyncio.gather(*(messenger.publish_digest(d) for d in digests))
    calls = fake_slack.calls_to("chat.postMessage")
    assert [c for c in calls if c.rate_limited] == []
    assert len(calls) == 80
    assert all(c.accepted for c in calls)
