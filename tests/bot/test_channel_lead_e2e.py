"""Who may make someone the channel lead (who gets its escalations and may acknowledge and
resolve them), and the DM the replaced lead gets; through the real endpoint and the fake Slack."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.runtime import RunningBot
from storage import workspace
from tests.support.conversation import CHANNEL, TEAM, run
from tests.support.fake_slack import FakeSlack
from tests.support.rows import audit_events
from tests.support.signing import SignedSlack


async def lead_of(bot: RunningBot) -> str | None:
    async with bot.services.database.transaction() as session:
        row = await workspace.get_channel_settings(
            session=session, team_id=TEAM, channel_id=CHANNEL
        )
    return row.lead_id if row else None


async def config_events(bot: RunningBot) -> list[dict[str, Any]]:
    async with bot.services.database.transaction() as session:
        events = await audit_events(session=session, team_id=TEAM)
    return [event.details for event in reversed(events) if event.action == "config.update"]


def dms(fake_slack: FakeSlack, user: str) -> list[str]:
    """The texts the bot posted straight to `user` (chat.postMessage to the user id)."""
    return [
        str(c.body.get("text"))
        for c in fake_slack.calls_to("chat.postMessage")
        if c.accepted and c.body.get("channel") == user
    ]


async def arrange(slack: SignedSlack, fake_slack: FakeSlack, steps: tuple[str, ...]) -> None:
    """Each step is `user: command`, run before the command under test."""
    for step in steps:
        user, _, text = step.partition(": ")
        await run(slack, fake_slack, text, user=user)


REFUSED = [
    pytest.param(
        (),
        "U0BOB",
        ["This channel has no lead yet", "only a workspace admin can set the first one"],
        id="first-lead-no-goals-member",
    ),
    pytest.param(
        ("U0ANA: set nps 40",),
        "U0BOB",
        ["This channel has no lead yet", "an owner of one of its goals (<@U0ANA>)"],
        id="first-lead-not-a-goal-owner",
    ),
    pytest.param(
        ("U0ANA: set nps 40", "U0ANA: config lead <@U0LI>"),
        "U0BOB",
        ["Only the channel's lead (<@U0LI>)", "(<@U0ANA>)", "or a workspace admin"],
        id="change-by-member",
    ),
    pytest.param(
        ("U0ADMIN: config lead <@U0LI>",),
        "U0BOB",
        ["Only the channel's lead (<@U0LI>) or a workspace admin"],
        id="change-by-member-no-goals",
    ),
]


@pytest.mark.parametrize(("steps", "user", "expected"), REFUSED)
async def test_making_oneself_lead_is_refused(
    bot: RunningBot,
    slack: SignedSlack,
    fake_slack: FakeSlack,
    steps: tuple[str, ...],
    user: str,
    expected: list[str],
) -> None:
    """Someone who is not the lead, a goal owner in the channel or an admin cannot take the
    lead role: an ephemeral refusal names who can; the lead, the audit log and DMs stay as
    they were."""
    await arrange(slack, fake_slack, steps)
    before, events = await lead_of(bot), await config_events(bot)
    reply = await run(slack, fake_slack, f"config lead <@{user}>", user=user)
    for fragment in expected:
        assert fragment in reply
    assert "Try: `/goal config`" in reply
    assert await lead_of(bot) == before
    assert await config_events(bot) == events
    assert dms(fake_slack, "U0LI") == []


ALLOWED = [
    pytest.param((), "U0ADMIN", "U0LI", None, id="first-lead-by-admin"),
    pytest.param(("U0ANA: set nps 40",), "U0ANA", "U0LI", None, id="first-lead-by-goal-owner"),
    pytest.param(
        ("U0ANA: set nps 40", "U0ANA: config lead <@U0LI>"),
        "U0ANA",
        "U0BOB",
        "U0LI",
        id="change-by-goal-owner",
    ),
    pytest.param(
        ("U0ADMIN: config lead <@U0LI>",), "U0ADMIN", "U0BOB", "U0LI", id="change-by-admin"
    ),
    pytest.param(
        ("U0ADMIN: config lead <@U0LI>",), "U0LI", "U0BOB", None, id="handed-over-by-the-lead"
    ),
]


@pytest.mark.parametrize(("steps", "user", "new_lead", "told"), ALLOWED)
async def test_the_lead_a_goal_owner_or_an_admin_sets_the_lead(
    bot: RunningBot,
    slack: SignedSlack,
    fake_slack: FakeSlack,
    steps: tuple[str, ...],
    user: str,
    new_lead: str,
    told: str | None,
) -> None:
    """The change is stored and audited with the lead it replaced; a lead replaced by someone
    else gets a DM saying who made whom the lead, and that the escalations stop."""
    await arrange(slack, fake_slack, steps)
    before = await lead_of(bot)
    reply = await run(slack, fake_slack, f"config lead <@{new_lead}>", user=user)
    assert "Settings saved" in reply
    assert await lead_of(bot) == new_lead
    *_, event = await config_events(bot)
    assert event["lead_id"] == new_lead
    assert event.get("previous_lead_id") == before
    if told is None:
        assert before is None or dms(fake_slack, before) == []
    else:
        assert dms(fake_slack, told) == [
            f"<@{user}> made <@{new_lead}> this channel's lead in <#{CHANNEL}>; "
            "you no longer get its escalations."
        ]


async def test_a_refused_dm_is_logged_and_the_change_stands(
    bot: RunningBot,
    slack: SignedSlack,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """If Slack refuses the DM to the replaced lead, the change is kept, the audit log has it
    and the person changing it is answered as usual; the refusal is logged."""
    await run(slack, fake_slack, "config lead <@U0LI>", user="U0ADMIN")
    fake_slack.fail_next(
        "chat.postMessage", status=500, times=3, matching=lambda body: body.get("channel") == "U0LI"
    )
    with caplog.at_level(logging.WARNING, logger="goalpulse"):
        reply = await run(slack, fake_slack, "config lead <@U0BOB>", user="U0ADMIN")
    assert "Settings saved" in reply
    assert await lead_of(bot) == "U0BOB"
    assert (await config_events(bot))[-1]["previous_lead_id"] == "U0LI"
    assert dms(fake_slack, "U0LI") == []
    assert "could not DM U0LI" in caplog.text


async def test_setting_the_same_lead_again_needs_no_rights_and_tells_nobody(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """Naming the current lead changes nothing, so nobody is refused or told."""
    await run(slack, fake_slack, "config lead <@U0LI>", user="U0ADMIN")
    reply = await run(slack, fake_slack, "config lead <@U0LI> digest 08:00", user="U0BOB")
    assert "Settings saved" in reply
    assert await lead_of(bot) == "U0LI"
    assert dms(fake_slack, "U0LI") == []
