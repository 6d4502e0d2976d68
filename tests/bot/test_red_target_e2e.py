"""A target that would put the metric's latest value in red at once (and so page the CEO) may
be set only by the channel lead, the goal's owner or lead, or a workspace admin: by command and
by form, through the real endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.runtime import RunningBot
from storage import points as point_store
from storage.points import DailyValue
from tests.bot.test_goal_modal_e2e import form, open_form, submission
from tests.support.conversation import TEAM, reply_text, run, stored_goals
from tests.support.fake_slack import FakeSlack
from tests.support.rows import audit_events
from tests.support.signing import SignedSlack

REFUSAL = "would start this goal in red and page the CEO"


async def seed_dau(bot: RunningBot, value: float = 120_000) -> None:
    """A week of daily active users at `value`, yesterday's the latest."""
    yesterday = bot.services.today() - timedelta(days=1)
    async with bot.services.database.transaction() as session:
        await point_store.upsert_points(
            session=session,
            team_id=TEAM,
            metric_key="dau",
            values=[DailyValue(yesterday - timedelta(days=n), value) for n in range(7)],
            origin="test",
            now=bot.services.clock(),
        )


async def audit_actions(bot: RunningBot) -> list[str]:
    async with bot.services.database.transaction() as session:
        events = await audit_events(session=session, team_id=TEAM)
    return [event.action for event in reversed(events)]


# Li, channel lead then, set a red goal owned by Bob; the lead is someone else now.
LEAD_HANDED_ON = (
    "U0ADMIN: config lead <@U0LI>",
    "U0LI: set dau 1M owner <@U0BOB>",
    "U0ADMIN: config lead <@U0ADMIN>",
)
# (steps run first as `user: command`, who sets, the command, refused?)
CASES = [
    pytest.param((), "U0BOB", "set dau 1M", True, id="member-creates-red-higher"),
    pytest.param((), "U0BOB", "set dau 50k lower", True, id="member-creates-red-lower"),
    pytest.param((), "U0BOB", "set dau 80k either", True, id="member-creates-red-either"),
    pytest.param((), "U0BOB", "set dau 160k", False, id="member-creates-orange"),
    pytest.param((), "U0BOB", "set dau 171k", False, id="member-just-short-of-red"),
    pytest.param((), "U0BOB", "set dau 150k lower", False, id="member-creates-green-lower"),
    pytest.param((), "U0ADMIN", "set dau 1M", False, id="admin-creates-red"),
    pytest.param(("U0ADMIN: config lead <@U0LI>",), "U0LI", "set dau 1M", False, id="channel-lead"),
    pytest.param(
        ("U0ADMIN: config lead <@U0LI>",), "U0BOB", "set dau 1M", True, id="not-the-channel-lead"
    ),
    pytest.param(("U0BOB: set dau 130k",), "U0BOB", "set dau 1M", False, id="goal-owner"),
    pytest.param(
        ("U0BOB: set dau 130k lead <@U0LI>",), "U0LI", "set dau 1M", False, id="goal-lead"
    ),
    pytest.param(
        ("U0ANA: set dau 130k owner <@U0BOB>",),
        "U0ANA",
        "set dau 1M",
        True,
        id="goal-creator-not-owner",
    ),
    pytest.param(
        LEAD_HANDED_ON,
        "U0LI",
        "set dau 1M by 2031-01-01",
        False,
        id="creator-keeps-the-red-target",
    ),
    pytest.param(LEAD_HANDED_ON, "U0LI", "set dau 2M", True, id="creator-moves-the-red-target"),
]


@pytest.mark.parametrize(("steps", "user", "text", "refused"), CASES)
async def test_who_may_set_a_target_that_starts_red(
    bot: RunningBot,
    slack: SignedSlack,
    fake_slack: FakeSlack,
    steps: tuple[str, ...],
    user: str,
    text: str,
    refused: bool,
) -> None:
    """With DAU at 120k, a target 30% or more adverse (direction-aware) is refused to anyone
    but the channel lead, the goal's owner or lead and admins, with the latest value and who
    may set it; nothing is stored. Other targets, and unchanged ones, go through."""
    await seed_dau(bot)
    for step in steps:
        setter, _, command = step.partition(": ")
        await run(slack, fake_slack, command, user=setter)
    before, events = await stored_goals(bot), await audit_actions(bot)
    reply = await run(slack, fake_slack, text, user=user)
    if not refused:
        assert "the goal *Daily active users*" in reply
        return
    assert REFUSAL in reply
    assert "The latest `dau` value is 120k" in reply
    assert "or a workspace admin can set it" in reply
    assert "Try: `/goal set dau 120k`" in reply
    assert await stored_goals(bot) == before
    assert await audit_actions(bot) == events


async def test_the_refusal_names_who_may_set_it(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """The refusal names the channel lead and the goal's owner and lead."""
    await seed_dau(bot)
    await run(slack, fake_slack, "config lead <@U0LI>", user="U0ADMIN")
    await run(slack, fake_slack, "set dau 130k lead <@U0ADMIN>", user="U0BOB")
    await run(slack, fake_slack, "set dau 130k owner <@U0ANA>", user="U0BOB")
    reply = await run(slack, fake_slack, "set dau 1M", user="U0BOB")
    assert REFUSAL in reply
    assert "the channel lead (<@U0LI>)" in reply
    assert "the goal's owner or lead (<@U0ADMIN>, <@U0ANA>)" in reply


async def test_without_a_stored_value_any_target_may_be_set(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """A metric with no value stored yet cannot start red: anyone may set any target."""
    assert "Created the goal" in await run(slack, fake_slack, "set nps 90", user="U0BOB")


@pytest.mark.parametrize(
    ("user", "refused"),
    [pytest.param("U0BOB", True, id="member"), pytest.param("U0ADMIN", False, id="admin")],
)
async def test_the_form_follows_the_same_rule(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, user: str, refused: bool
) -> None:
    """A form asking for a target that starts red is refused to a member, saved for an admin."""
    await seed_dau(bot)
    view = await open_form(slack, fake_slack)
    status, ack = await slack.interaction(submission(view, form("dau", "1M"), user=user))
    assert status == 200
    assert ack is None
    [call] = await fake_slack.wait_for("chat.postEphemeral")
    text = reply_text(call.body)
    assert (REFUSAL in text) is refused
    assert ("Created the goal" in text) is not refused
    assert bool(await stored_goals(bot)) is not refused
