"""`/goal` end to end: signed requests to the real HTTP endpoint, replies via the fake Slack."""

from __future__ import annotations

from typing import Any

from bot.runtime import RunningBot
from storage import audit
from storage import goals as goal_store
from storage.models import Goal
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack


def reply_text(body: dict[str, Any]) -> str:
    """All the mrkdwn a user would read in a reply."""
    parts = [body.get("text", "")]
    for block in body.get("blocks", []):
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        parts.extend(f.get("text", "") for f in block.get("fields", []) or [])
        parts.extend(e.get("text", "") for e in block.get("elements", []) or [] if "text" in e)
    return "\n".join(parts)


async def run(slack: SignedSlack, fake_slack: FakeSlack, text: str, **kwargs: str) -> str:
    """Send a command that is answered after the ack; return the reply the user sees."""
    status, ack, tag = await slack.command(text, **kwargs)
    assert status == 200
    assert ack is None, f"expected an empty ack, got {ack}"
    calls = await fake_slack.wait_for("response_url", count=1 + _replies_before(fake_slack, tag))
    [call] = [c for c in calls if c.tag == tag]
    assert call.body["response_type"] == "ephemeral"
    return reply_text(call.body)


def _replies_before(fake_slack: FakeSlack, tag: str) -> int:
    return len([c for c in fake_slack.calls_to("response_url") if c.tag != tag])


async def stored_goals(bot: RunningBot, channel: str = "C0GROWTH") -> list[Goal]:
    async with bot.services.database.transaction() as session:
        return await goal_store.list_goals(session=session, team_id="T0001", channel_id=channel)


async def test_set_creates_a_goal_and_replies(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """`/goal set` stores the goal with the parsed target and people, and confirms it."""
    text = await run(
        slack, fake_slack, "set dau 150k by 2030-01-31 owner <@U0ANA|ana> lead <@U0LI|li>"
    )
    assert "Created the goal *Daily active users*" in text
    assert "150k" in text
    [goal] = await stored_goals(bot)
    assert (goal.metric_key, goal.target, goal.owner_id, goal.lead_id) == (
        "dau",
        150000,
        "U0ANA",
        "U0LI",
    )
    assert str(goal.due_date) == "2030-01-31"
    async with bot.services.database.transaction() as session:
        [event] = await audit.list_events(session=session, team_id="T0001")
    assert (event.action, event.actor_id, event.subject) == ("goal.create", "U0ANA", "dau")
