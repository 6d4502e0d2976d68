"""`/goal checkin`, `/goal digest` and the richer `/goal list`/`show`, through the real endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.runtime import RunningBot
from storage import evaluations as evaluation_store
from storage import points as point_store
from storage.models import EpisodeRow, RemediationRow
from storage.points import DailyValue
from tests.support.conversation import TEAM, run, stored_goals
from tests.support.fake_slack import FakeSlack
from tests.support.rows import stored
from tests.support.signing import SignedSlack


async def test_checkin_stores_todays_value_and_evaluates_the_goal(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """A check-in on a manual metric is stored with who and why, and the goal gets its band."""
    await run(slack, fake_slack, "set next_day_retention 35%")
    reply = await run(slack, fake_slack, "checkin next_day_retention 24% after the <!channel> test")
    assert "Recorded `next_day_retention` = 24%" in reply
    assert "now :red_circle: red" in reply
    today = bot.services.today()
    async with bot.services.database.transaction() as session:
        [point] = await point_store.points_since(
            session=session, team_id=TEAM, metric_keys=["next_day_retention"], since=today
        )
        [goal] = await stored_goals(bot)
        latest = await evaluation_store.latest_evaluations(session=session, goal_ids=[goal.id or 0])
    assert (point.day, point.value, point.recorded_by) == (today, pytest.approx(0.24), "U0ANA")
    assert point.note == "after the <!channel> test"
    assert latest[goal.id or 0].band == "red"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("checkin dau 5", "is pulled from its source"),
        ("checkin nps", "Give today's value for `nps`"),
        ("checkin nps lots", "`lots` is not a number"),
        ("checkin next_day_retention 140%", "is over 100%"),
    ],
    ids=["sourced-metric", "no-value", "not-a-number", "over-100-percent"],
)
async def test_bad_checkin_is_refused(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, text: str, expected: str
) -> None:
    """A check-in on a pulled metric or with a bad value is refused in the ack; nothing stored."""
    status, ack, _ = await slack.command(text)
    assert status == 200
    assert ack is not None
    assert expected in str(ack)
    async with bot.services.database.transaction() as session:
        rows = await point_store.points_since(
            session=session, team_id=TEAM, metric_keys=["dau", "nps"], since=bot.services.today()
        )
    assert rows == []


async def seed_week(bot: RunningBot) -> None:
    """Seven days of retention sliding from 30% to 24%."""
    today = bot.services.today()
    async with bot.services.database.transaction() as session:
        await point_store.upsert_points(
            session=session,
            team_id=TEAM,
            metric_key="next_day_retention",
            values=[DailyValue(today - timedelta(days=n), 0.24 + 0.01 * n) for n in range(7)],
            origin="test",
            now=bot.services.clock(),
        )


async def test_digest_preview_is_shown_only_to_the_caller(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """`/goal digest preview` replies ephemerally with the digest and posts nothing."""
    await run(slack, fake_slack, "set next_day_retention 35%")
    await seed_week(bot)
    reply = await run(slack, fake_slack, "digest preview")
    assert "Goal health" in reply
    assert ":red_circle:" in reply
    assert "6 days down" in reply
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_digest_posts_to_the_channel_with_its_chart(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """`/goal digest` posts the digest in the channel and its chart in the thread."""
    await run(slack, fake_slack, "set next_day_retention 35%")
    await seed_week(bot)
    assert "Posted this channel's digest" in await run(slack, fake_slack, "digest")
    [message] = fake_slack.posted_messages()
    assert message["channel"] == "C0GROWTH"
    [complete] = await fake_slack.wait_for("files.completeUploadExternal")
    assert complete.body["thread_ts"] == fake_slack.calls_to("chat.postMessage")[0].response["ts"]
    [upload] = fake_slack.calls_to("upload")
    assert upload.body["content"].startswith(b"\x89PNG")


async def test_list_and_show_carry_the_evaluation(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """After an evaluation, list shows band and value; show adds history and the sparkline."""
    await run(slack, fake_slack, "set next_day_retention 35%")
    await seed_week(bot)
    await run(slack, fake_slack, "digest preview")
    listed = await run(slack, fake_slack, "list")
    assert ":red_circle: *Next-day retention*" in listed
    assert "24% (−31.4%)" in listed
    shown = await run(slack, fake_slack, "show next_day_retention")
    assert "Last 1 evaluations" in shown
    assert "█" in shown
    assert "6 adverse days in a row" in shown
    [complete] = await fake_slack.wait_for("files.completeUploadExternal")
    [opened] = fake_slack.calls_to("conversations.open")
    assert opened.body["users"] == "U0ANA"
    assert complete.body["channel_id"] == opened.response["channel"]["id"]


async def open_red_remediation(bot: RunningBot) -> None:
    """An acknowledged red episode and its remediation, one of three items done, 41.5h left."""
    [goal] = await stored_goals(bot)
    assert goal.id is not None
    now = bot.services.clock()
    items = [
        {"key": key, "title": key, "owner_id": "U0ANA", "done_by": None, "done_at": None}
        for key in ("heatmap", "script", "competitors")
    ]
    items[0] |= {"done_by": "U0ANA", "done_at": now.isoformat()}
    async with bot.services.database.transaction() as session:
        remediation = await stored(
            session,
            RemediationRow(
                goal_id=goal.id,
                team_id=TEAM,
                channel_id=goal.channel_id,
                trigger="red",
                opened_at=now - timedelta(hours=30, minutes=30),
                due_at=now + timedelta(hours=41, minutes=30),
                items=items,
                owner_id="U0ANA",
            ),
        )
        await stored(
            session,
            EpisodeRow(
                goal_id=goal.id,
                team_id=TEAM,
                channel_id=goal.channel_id,
                opened_at=now - timedelta(hours=30, minutes=30),
                current_band="red",
                peak_band="red",
                acknowledged_by="U0LI",
                acknowledged_at=now,
                remediation_id=remediation.id,
            ),
        )


async def test_open_remediation_shows_in_show_and_in_the_posted_digest(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """`/goal show` and the posted digest both show the escalation, 1/3 done and the time left."""
    await run(slack, fake_slack, "set next_day_retention 35%")
    await seed_week(bot)
    # Stored before anything evaluates the goal, so the engine steps this episode, not a new one.
    await open_red_remediation(bot)
    status = "Escalated (red) · acknowledged by <@U0LI> · Remediation 1/3 done · 41h left"
    shown = await run(slack, fake_slack, "show next_day_retention")
    assert status in shown
    # `show` sends its chart in the background; let it finish before asking for the digest.
    await fake_slack.wait_for("files.completeUploadExternal")
    assert "Posted this channel's digest" in await run(slack, fake_slack, "digest")
    [digest] = [m for m in fake_slack.posted_messages() if m["text"].startswith("Goal health")]
    assert status in str(digest["blocks"])
