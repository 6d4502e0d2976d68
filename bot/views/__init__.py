"""Modal submissions: validate in the ack (errors go back into the form), store after."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands.first_pull import follow_up_first_pull
from bot.commands.handlers import Where, execute
from bot.commands.parse import SetGoal
from bot.constants import GOAL_MODAL_CALLBACK
from bot.errors import replying_errors
from bot.services import Services, slack_actor
from bot.views.goal_modal import read_submission


def register(app: AsyncApp, services: Services) -> None:
    """Attach the goal form's submission listener."""

    @app.view(GOAL_MODAL_CALLBACK)
    async def goal_modal_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        channel_id, change = read_submission(view, catalog=services.catalog, today=services.today())
        await ack()
        user_id = body["user"]["id"]
        team_id = body["team"]["id"] if body.get("team") else body["user"]["team_id"]

        async def reply(blocks: Sequence[Block], text: str) -> None:
            await client.chat_postEphemeral(
                channel=channel_id, user=user_id, text=text, blocks=blocks
            )

        async def work() -> None:
            async with replying_errors(reply):
                where = Where(team_id=team_id, channel_id=channel_id)
                blocks = await execute(
                    SetGoal(change),
                    services=services,
                    where=where,
                    actor=slack_actor(client, user_id),
                )
                await reply(blocks, "Goal saved")
                await follow_up_first_pull(
                    services=services, where=where, metric_key=change.metric_key, reply=reply
                )

        services.background.spawn(work())
