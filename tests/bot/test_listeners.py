"""A listener is a plain module-level function: called alone with Bolt's arguments, a real
Services in its context and the fake Slack behind its client, it answers as it does over HTTP."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import constants as ids
from bot.commands import goal_command
from bot.runtime import RunningBot
from bot.views import goal_modal_submitted
from bot.views.goal_modal import goal_modal
from tests.conftest import BOT_TOKEN
from tests.support.conversation import CHANNEL, TEAM, reply_text, stored_goals
from tests.support.fake_slack import FakeSlack


class RecordingAck:
    """Bolt's `ack`, keeping what each call was given."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def context_of(bot: RunningBot) -> AsyncBoltContext:
    """The context Bolt hands a listener once the services middleware has run."""
    return AsyncBoltContext({"services": bot.services})


async def test_goal_help_is_answered_in_the_ack(bot: RunningBot, fake_slack: FakeSlack) -> None:
    """`/goal help` through `goal_command` alone: one ephemeral ack with the usage."""
    ack = RecordingAck()
    command = {"text": "help", "team_id": TEAM, "channel_id": CHANNEL, "user_id": "U0ANA"}
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    called_before = len(fake_slack.calls)
    await goal_command(ack=ack, command=command, client=client, context=context_of(bot))
    [answer] = ack.calls
    assert answer["response_type"] == "ephemeral"
    body = reply_text({"text": answer["text"], "blocks": [b.to_dict() for b in answer["blocks"]]})
    assert "/goal set &lt;metric&gt; &lt;target&gt;" in body
    assert "`dau`" in body
    assert len(fake_slack.calls) == called_before  # nothing else was sent


async def test_a_submitted_goal_form_is_acked_then_saved(
    bot: RunningBot, fake_slack: FakeSlack
) -> None:
    """The goal form through `goal_modal_submitted` alone: an empty ack, then the goal is
    stored and its author is told in the channel."""
    ack = RecordingAck()
    view = goal_modal(catalog=bot.services.catalog, channel_id=CHANNEL, user_id="U0ANA").to_dict()
    view["state"] = {
        "values": {
            ids.GOAL_MODAL_METRIC_BLOCK: {
                ids.GOAL_MODAL_METRIC_ACTION: {"selected_option": {"value": "dau"}}
            },
            ids.GOAL_MODAL_TARGET_BLOCK: {ids.GOAL_MODAL_TARGET_ACTION: {"value": "150k"}},
            ids.GOAL_MODAL_OWNER_BLOCK: {ids.GOAL_MODAL_OWNER_ACTION: {"selected_user": "U0ANA"}},
        }
    }
    body = {"team": {"id": TEAM}, "user": {"id": "U0ANA", "team_id": TEAM}, "view": view}
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    await goal_modal_submitted(
        ack=ack, body=body, view=view, client=client, context=context_of(bot)
    )
    await bot.services.background.drain()
    assert ack.calls == [{}]
    [goal] = await stored_goals(bot)
    assert (goal.metric_key, goal.target, goal.owner_id) == ("dau", 150_000, "U0ANA")
    saved = fake_slack.calls_to("chat.postEphemeral")[0].body
    assert (saved["channel"], saved["user"], saved["text"]) == (CHANNEL, "U0ANA", "Goal saved")
