"""Talking to the running bot the way a person in Slack would, and reading what it stored."""

from __future__ import annotations

from typing import Any

from bot.runtime import RunningBot
from storage import goals as goal_store
from storage.models import Goal
from tests.support.fake_slack import FakeSlack
from tests.support.rows import audit_events
from tests.support.signing import SignedSlack

TEAM, CHANNEL = "T0001", "C0GROWTH"


def reply_text(body: dict[str, Any]) -> str:
    """All the mrkdwn a user would read in a reply."""
    parts = [body.get("text", "")]
    for block in body.get("blocks", []):
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        elif isinstance(text, str):
            parts.append(text)
        parts.extend(f.get("text", "") for f in block.get("fields", []) or [])
        parts.extend(e.get("text", "") for e in block.get("elements", []) or [] if "text" in e)
    return "\n".join(parts)


async def run(slack: SignedSlack, fake_slack: FakeSlack, text: str, **kwargs: str) -> str:
    """Send a command that is answered after the ack; return the reply the user sees."""
    status, ack, tag = await slack.command(text, **kwargs)
    assert status == 200
    assert ack is None, f"expected an empty ack, got {ack}"
    call = await first_reply(fake_slack, tag)
    assert call.accepted
    assert call.body["response_type"] == "ephemeral"
    return reply_text(call.body)


async def replies(fake_slack: FakeSlack, tag: str, count: int = 1) -> list[dict[str, Any]]:
    """Wait for `count` replies through one command's response_url; return their bodies."""
    while len(calls := [c for c in fake_slack.calls_to("response_url") if c.tag == tag]) < count:
        await fake_slack.wait_for(
            "response_url", count=len(fake_slack.calls_to("response_url")) + 1
        )
    return [call.body for call in calls]


async def first_reply(fake_slack: FakeSlack, tag: str) -> Any:
    """The first reply to a command (a goal set on a never-pulled metric gets a second one)."""
    await replies(fake_slack, tag)
    return next(c for c in fake_slack.calls_to("response_url") if c.tag == tag)


async def stored_goals(bot: RunningBot, channel: str = CHANNEL) -> list[Goal]:
    async with bot.services.database.transaction() as session:
        return await goal_store.list_goals(session=session, team_id=TEAM, channel_id=channel)


async def audit_actions(bot: RunningBot) -> list[str]:
    async with bot.services.database.transaction() as session:
        events = await audit_events(session=session, team_id=TEAM)
    return [event.action for event in reversed(events)]
