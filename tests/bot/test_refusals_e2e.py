"""Bad `/goal` input through the real endpoint: a clear ephemeral answer, nothing stored."""

from __future__ import annotations

import pytest

from bot.runtime import RunningBot
from tests.support.conversation import audit_actions, reply_text, run, stored_goals
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack

# (command text, what the reply must say); all answered in the ack, before any I/O.
PARSE_REFUSALS = [
    ("frobnicate dau", "is not a /goal command"),
    ("set revenue 5", "There is no metric `revenue`"),
    ("set DAU! 5", "is not a metric key"),
    ("set dau", "Give a target for `dau`"),
    ("set dau lots", "`lots` is not a number"),
    ("set dau 0", "A target of 0 cannot measure drift"),
    ("set dau -5", "is negative"),
    ("set dau 30%", "cannot be a percentage"),
    ("set next_day_retention 140%", "is over 100%"),
    ("set dau $5", "not money"),
    ("set dau 150k sideways", "I don't understand `sideways`"),
    ("set dau 150k higher lower", "direction is given twice"),
    ("set dau 150k by", "`by` needs a date"),
    ("set dau 150k by 2026-13-01", "`2026-13-01` is not a date"),
    ("set dau 150k by 2001-01-01", "is in the past"),
    ("set dau 150k owner ana", "`owner` needs an @mention"),
    ("set dau 150k lead", "`lead` needs an @mention of a person, but got nothing"),
    ("set dau 150k owner <!channel>", "&lt;!channel&gt;"),
    ("thresholds dau 30% 20% 10%", "positive and increasing"),
    ("thresholds dau 10% 20%", "Give three percentages"),
    ("thresholds dau 10% x 30%", "`x` is not a percentage"),
    ("thresholds", "Name the metric"),
    ("show", "Name the metric"),
    ("pause dau now", "Unexpected `now`"),
    ("list everything", "Unexpected `everything`"),
    ("config colour blue", "`colour` is not a setting"),
    ("config digest 25:00", "is not a time of day"),
    ("config tz Mars/Olympus", "is not a timezone"),
    ("config ceo bob", "`ceo` needs an @mention"),
    ("<!channel>", "`&lt;!channel&gt;` is not a /goal command"),
    ("set <!here> 5", "&lt;!here&gt;"),
    ("set dau 150k " + "x" * 600, "the limit is 500"),
]

# (command text, user, what the reply must say); refused by a rule that needs the database.
RULE_REFUSALS = [
    ("set dau 1", "U0BOB", "Only the goal's owner, lead or creator"),
    ("remove dau", "U0BOB", "Only the goal's owner, lead or creator"),
    ("thresholds dau 1% 2% 3%", "U0BOB", "Only the goal's owner, lead or creator"),
    ("pause dau", "U0BOB", "Only the goal's owner, lead or creator"),
    ("config ceo <@U0BOB>", "U0BOB", "Only a workspace admin or owner can set the CEO"),
    ("show nps", "U0ANA", "This channel has no goal on `nps`"),
    ("remove aov", "U0ANA", "This channel has no goal on `aov`"),
]


@pytest.fixture
async def existing_goal(bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack) -> None:
    """Ana's goal on dau, which the refusals must leave untouched."""
    await run(slack, fake_slack, "set dau 150k owner <@U0ANA>")
    await bot.services.background.drain()  # its first pull's follow-up too
    fake_slack.reset()


@pytest.mark.parametrize(
    ("text", "expected"), PARSE_REFUSALS, ids=[t.split(" ")[0] + ":" + e for t, e in PARSE_REFUSALS]
)
async def test_malformed_command_is_refused_in_the_ack(
    bot: RunningBot,
    slack: SignedSlack,
    fake_slack: FakeSlack,
    existing_goal: None,
    text: str,
    expected: str,
) -> None:
    """A malformed command gets an ephemeral explanation with a corrected example."""
    before = await stored_goals(bot)
    status, ack, _ = await slack.command(text)
    assert status == 200
    assert ack is not None
    assert ack["response_type"] == "ephemeral"
    reply = reply_text(ack)
    assert expected in reply
    assert "Try: `/goal" in reply
    assert "<!" not in reply
    assert await stored_goals(bot) == before
    assert await audit_actions(bot) == ["goal.create"]
    await bot.services.background.drain()
    assert fake_slack.calls == []


@pytest.mark.parametrize(
    ("text", "user", "expected"), RULE_REFUSALS, ids=[t for t, _, _ in RULE_REFUSALS]
)
async def test_forbidden_or_missing_goal_is_refused(
    bot: RunningBot,
    slack: SignedSlack,
    fake_slack: FakeSlack,
    existing_goal: None,
    text: str,
    user: str,
    expected: str,
) -> None:
    """Rules checked against stored data refuse with an ephemeral reply and change nothing."""
    before = await stored_goals(bot)
    reply = await run(slack, fake_slack, text, user=user)
    assert expected in reply
    assert await stored_goals(bot) == before
    assert await audit_actions(bot) == ["goal.create"]
