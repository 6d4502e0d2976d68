"""`/goal` end to end: signed requests to the real HTTP endpoint, replies via the fake Slack."""

from __future__ import annotations

import pytest

from bot.render.blocks import REMOVE_GOAL_ACTION
from bot.runtime import RunningBot
from storage import workspace
from tests.support.conversation import (
    CHANNEL,
    TEAM,
    audit_actions,
    reply_text,
    run,
    stored_goals,
)
from tests.support.fake_slack import FakeSlack
from tests.support.questions import ask, press_in_reply, readable
from tests.support.signing import SignedSlack


async def test_set_creates_a_goal_and_replies(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """`/goal set` stores the goal with the parsed target and people, and confirms it."""
    text = await run(
        slack, fake_slack, "set dau 150k by 2030-01-31 owner <@U0ANA|ana> lead <@U0LI|li>"
    )
    assert "Created the goal *Daily active users*" in text
    assert "150k" in text
    assert "<@U0LI>" in text
    [goal] = await stored_goals(bot)
    assert (goal.metric_key, goal.target, goal.direction) == ("dau", 150000, "higher")
    assert (goal.owner_id, goal.lead_id, goal.created_by) == ("U0ANA", "U0LI", "U0ANA")
    assert str(goal.due_date) == "2030-01-31"
    assert goal.created_at.tzinfo is not None
    events = await audit_actions(bot)
    assert events == ["goal.create"]


async def test_set_again_updates_the_same_goal(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """Setting a goal on the same metric updates it: one goal per metric per channel."""
    await run(slack, fake_slack, "set next_day_retention 35%")
    text = await run(slack, fake_slack, "set next_day_retention 40 lower")
    assert "Updated the goal" in text
    assert "40%" in text
    [goal] = await stored_goals(bot)
    assert goal.target == pytest.approx(0.40)
    assert goal.direction == "lower"
    assert await audit_actions(bot) == ["goal.create", "goal.update"]


async def test_goals_are_scoped_to_their_channel(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """A goal set in one channel is not listed in another."""
    await run(slack, fake_slack, "set dau 150k")
    text = await run(slack, fake_slack, "list", channel="C0OTHER")
    assert "no goals yet" in text
    assert await stored_goals(bot, channel="C0OTHER") == []


async def test_list_shows_every_goal(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """`/goal list` shows each goal with its formatted target and owner."""
    await run(slack, fake_slack, "set dau 150k")
    await run(slack, fake_slack, "set aov ¥520 owner <@U0BOB|bob>")
    await run(slack, fake_slack, "set complaint_rate 2%")
    text = await run(slack, fake_slack, "list")
    assert "Goals in this channel (3)" in text
    assert "target 150k, higher is better" in text
    assert "target ¥520" in text
    assert "target 2%, lower is better" in text
    assert "owner <@U0BOB>" in text


async def test_show_displays_one_goal(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """`/goal show` gives target, due date, people, bands and status."""
    await run(slack, fake_slack, "set dau 1.2M by 2031-06-30 lead <@U0LI>")
    text = await run(slack, fake_slack, "show dau")
    for fragment in ("1.2M (higher is better)", "2031-06-30", "<@U0ANA>", "<@U0LI>", "10%", "30%"):
        assert fragment in text
    assert "active" in text


async def test_thresholds_change_the_bands(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """`/goal thresholds` stores the new band edges."""
    await run(slack, fake_slack, "set dau 150k")
    text = await run(slack, fake_slack, "thresholds dau 5% 15% 25%")
    assert "5% (yellow), 15% (orange) and 25% (red)" in text
    [goal] = await stored_goals(bot)
    assert (goal.yellow, goal.orange, goal.red) == pytest.approx((0.05, 0.15, 0.25))
    assert (await audit_actions(bot))[-1] == "goal.thresholds"


async def test_pause_resume_and_remove(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """A goal can be paused, resumed and removed (after a confirmation), each recorded in the
    audit log."""
    await run(slack, fake_slack, "set dau 150k")
    assert "Paused `dau`" in await run(slack, fake_slack, "pause dau")
    assert (await stored_goals(bot))[0].status == "paused"
    assert "already paused" in await run(slack, fake_slack, "pause dau")
    assert "_(paused)_" in await run(slack, fake_slack, "list")
    assert "Resumed `dau`" in await run(slack, fake_slack, "resume dau")
    assert (await stored_goals(bot))[0].status == "active"
    question = await ask(slack, fake_slack, "remove dau")
    assert "Remove the goal" in readable(question)
    assert (await stored_goals(bot))[0].status == "active"
    removed = await press_in_reply(slack, fake_slack, question, REMOVE_GOAL_ACTION)
    assert "Removed the `dau` goal" in readable(removed)
    assert await stored_goals(bot) == []
    assert await audit_actions(bot) == ["goal.create", "goal.pause", "goal.resume", "goal.remove"]


async def test_lead_and_admin_may_change_a_goal_others_may_not(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """Only owner, lead, creator or a workspace admin may change a goal."""
    await run(slack, fake_slack, "set dau 150k lead <@U0LI>")
    refused = await run(slack, fake_slack, "set dau 1", user="U0BOB")
    assert "Only the goal's owner, lead or creator" in refused
    assert (await stored_goals(bot))[0].target == 150000
    assert "Updated" in await run(slack, fake_slack, "set dau 160k", user="U0LI")
    question = await ask(slack, fake_slack, "remove dau", user="U0ADMIN")
    assert "Remove the goal" in readable(question)
    # Rights are checked with users.info only for who is not owner, lead or creator (the Home
    # tab asks too, for a person's language: those calls carry include_locale).
    checked = [c for c in fake_slack.calls_to("users.info") if "include_locale" not in c.body]
    assert [c.body["user"] for c in checked] == ["U0BOB", "U0ADMIN"]


async def test_config_sets_channel_settings_and_admin_sets_ceo(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """`/goal config` stores lead, digest time and timezone; only an admin may set the CEO."""
    await run(slack, fake_slack, "set dau 150k")  # an owner of the channel's goal sets its lead
    text = await run(slack, fake_slack, "config lead <@U0LI> digest 8:45 tz America/New_York")
    assert "Settings saved" in text
    assert "08:45 (channel)" in text
    assert "America/New_York (channel)" in text
    refused = await run(slack, fake_slack, "config ceo <@U0BOB>")
    assert "Only a workspace admin" in refused
    assert "Settings saved" in await run(slack, fake_slack, "config ceo <@U0BOB>", user="U0ADMIN")
    shown = await run(slack, fake_slack, "config")
    assert "<@U0BOB>" in shown
    async with bot.services.database.transaction() as session:
        ws = await workspace.get_workspace_settings(session=session, team_id=TEAM)
        ch = await workspace.get_channel_settings(session=session, team_id=TEAM, channel_id=CHANNEL)
    assert ws is not None
    assert ws.ceo_id == "U0BOB"
    assert ch is not None
    assert (ch.lead_id, ch.digest_time, ch.timezone) == ("U0LI", "08:45", "America/New_York")


async def test_config_without_arguments_shows_defaults(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """An unconfigured channel shows the defaults and how to set the missing people."""
    text = await run(slack, fake_slack, "config")
    assert "09:30 (default)" in text
    assert "Europe/Berlin (default)" in text
    assert "`/goal config ceo @user`" in text


@pytest.mark.parametrize("text", ["", "help", "HELP"], ids=["empty", "help", "upper-case"])
async def test_help_is_answered_in_the_ack(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, text: str
) -> None:
    """Help needs no I/O, so it comes back in the HTTP response itself, ephemeral."""
    status, ack, _ = await slack.command(text)
    assert status == 200
    assert ack is not None
    assert ack["response_type"] == "ephemeral"
    body = reply_text(ack)
    assert "/goal set &lt;metric&gt; &lt;target&gt;" in body
    assert "`dau`" in body
