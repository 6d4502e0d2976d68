"""`/goal`: parse and answer in the ack when no I/O is needed, else ack first and work after."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackClientError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands.charts import send_goal_chart
from bot.commands.first_pull import Reply, follow_up_first_pull
from bot.commands.handlers import Tell, Where, execute
from bot.commands.parse import (
    Command,
    OpenGoalModal,
    SetGoal,
    ShowGoal,
    ShowHelp,
    parse_command,
)
from bot.constants import SLASH_COMMAND
from bot.errors import replying_errors
from bot.render.blocks import help_blocks
from bot.services import Services, services_of, slack_actor
from bot.views.goal_modal import goal_modal
from jobs.i18n import _

log = logging.getLogger("goalpulse")


def register(app: AsyncApp) -> None:
    """Attach the `/goal` listener."""
    app.command(SLASH_COMMAND)(goal_command)


async def goal_command(
    ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """`/goal …`: help is answered in the ack; anything else is acked, then done in the
    background and answered through the command's response_url."""
    services = services_of(context)
    # A parse error raises here, before the ack; bot.errors answers it in the HTTP response.
    parsed = parse_command(
        command.get("text", ""), catalog=services.catalog, today=services.today()
    )
    if isinstance(parsed, ShowHelp):
        blocks = help_blocks(services.catalog)
        text = _("How to use {command}").format(command=SLASH_COMMAND)
        await ack(response_type="ephemeral", text=text, blocks=blocks)
        return
    await ack()
    services.background.spawn(answer_command(parsed, command, client, services))


async def answer_command(
    parsed: Command, command: dict[str, Any], client: AsyncWebClient, services: Services
) -> None:
    """The work after the ack: open the goal form, or run the command and reply with what it
    did (a chart or a first pull follows); an error becomes the reply."""
    reply = response_url_reply(services, command["response_url"])
    async with replying_errors(reply):
        if isinstance(parsed, OpenGoalModal):
            view = goal_modal(
                catalog=services.catalog,
                channel_id=command["channel_id"],
                user_id=command["user_id"],
            )
            await client.views_open(trigger_id=command["trigger_id"], view=view)
            return
        where = Where(team_id=command["team_id"], channel_id=command["channel_id"])
        blocks = await execute(
            parsed,
            services=services,
            where=where,
            actor=slack_actor(client, command["user_id"]),
            tell=direct_message(client),
        )
        await reply(blocks, _fallback(blocks))
        if isinstance(parsed, ShowGoal):
            await send_goal_chart(
                services=services,
                client=client,
                where=where,
                user_id=command["user_id"],
                metric_key=parsed.metric_key,
            )
        if isinstance(parsed, SetGoal):
            await follow_up_first_pull(
                services=services, where=where, metric_key=parsed.change.metric_key, reply=reply
            )


def response_url_reply(services: Services, response_url: str) -> Reply:
    """An ephemeral reply to the person who typed the command."""

    async def reply(blocks: Sequence[Block], text: str) -> None:
        await services.reply_to(response_url, blocks, text)

    return reply


def direct_message(client: AsyncWebClient) -> Tell:
    """A DM sent at once (chat.postMessage to the user id opens the IM); a refusal is logged."""

    async def tell(user_id: str, text: str) -> None:
        try:
            await client.chat_postMessage(channel=user_id, text=text)
        except (TimeoutError, SlackClientError, aiohttp.ClientError) as exc:
            log.warning("could not DM %s: %s", user_id, exc)

    return tell


def _fallback(blocks: Sequence[Block]) -> str:
    """Notification text: the first section's text, shortened."""
    for block in blocks:
        text = getattr(getattr(block, "text", None), "text", None)
        if isinstance(text, str):
            return text[:150]
    return "goalpulse"
