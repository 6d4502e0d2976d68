"""The Remove and Keep buttons under `/goal remove`'s question.

Remove carries the goal's id and when it was set up; the goal is removed only if it is in the
clicker's workspace (and the channel clicked in) and the clicker may change it. The question is
then replaced by what happened; a refusal is answered to the clicker alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.actions.parse import read_click
from bot.constants import parse_id
from bot.errors import replying_errors
from bot.render.blocks import (
    KEEP_GOAL_ACTION,
    REMOVE_GOAL_ACTION,
    goal_kept_blocks,
    goal_removed_blocks,
)
from bot.services import Services, services_of, slack_actor
from jobs.errors import UsageError
from jobs.goals import removal as goal_removal
from jobs.i18n import _


def read_remove_value(value: object) -> tuple[int, int]:
    """(goal id, set up at) from a Remove button's `{id}:{seconds}`; UsageError on garbage."""
    goal_id, _colon, set_up = value.partition(":") if isinstance(value, str) else ("", "", "")
    if not set_up:
        raise UsageError(_("That button is not one goalpulse knows."))
    return parse_id(goal_id), parse_id(set_up)


def register(app: AsyncApp) -> None:
    """Attach the listeners for Remove and Keep."""
    app.action(REMOVE_GOAL_ACTION)(remove_pressed)
    app.action(KEEP_GOAL_ACTION)(keep_pressed)


async def remove_pressed(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """Remove pressed: remove the goal in the background, then replace the question."""
    await ack()
    services = services_of(context)
    services.background.spawn(_remove(services, body, action, client, respond))


async def keep_pressed(ack: AsyncAck, respond: AsyncRespond, context: AsyncBoltContext) -> None:
    """Keep pressed: the question is replaced, nothing else changes."""
    await ack()
    services_of(context).background.spawn(_kept(respond))


async def _remove(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    async def reply(blocks: Sequence[Block], text: str) -> None:
        await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    async with replying_errors(reply):
        click = read_click(body)
        goal_id, set_up = read_remove_value(action.get("value"))
        goal = await goal_removal.remove_goal(
            database=services.database,
            team_id=click.team_id,
            channel_id=click.channel_id,
            goal_id=goal_id,
            set_up=set_up,
            actor=slack_actor(client, click.user_id),
            now=services.clock(),
        )
        await respond(
            text=_("Removed the {key} goal").format(key=goal.metric_key),
            blocks=goal_removed_blocks(goal),
            response_type="ephemeral",
            replace_original=True,
        )


async def _kept(respond: AsyncRespond) -> None:
    await respond(
        text=_("Kept the goal"),
        blocks=goal_kept_blocks(),
        response_type="ephemeral",
        replace_original=True,
    )
