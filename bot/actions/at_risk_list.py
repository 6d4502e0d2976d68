"""The "Customers at risk (CSV)" button under `/goal show` of a goal on an at-risk measure.

The click is acked at once. Only the goal's lead, its owner or a workspace admin gets the list
(jobs/goals/at_risk_list.py); anyone else gets an ephemeral refusal and nothing else happens.
Whoever may is told the list is on its way; it is computed after, then sent to their DM: the
CSV, a note that nobody is at risk, or one line saying why there is no list.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.actions.parse import read_click
from bot.constants import AT_RISK_LIST_ACTION, parse_id
from bot.errors import replying_errors
from bot.render import at_risk as render
from bot.render.blocks import notice_blocks
from bot.services import Services, services_of, slack_actor
from jobs.goals import at_risk_list as lists
from jobs.goals.at_risk_list import ListRequest, ListUnavailable

log = logging.getLogger("goalpulse")


def register(app: AsyncApp) -> None:
    """Attach the button's listener."""
    app.action(AT_RISK_LIST_ACTION)(at_risk_pressed)


async def at_risk_pressed(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """Pressed: acked at once; the check, the list and the DM run in the background."""
    await ack()
    services = services_of(context)
    services.background.spawn(_answer(services, body, action, client, respond))


async def _answer(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    allowed = await _allowed(services, body, action, client, respond)
    if allowed is None:
        return
    request, user_id = allowed
    try:
        await _send_list(services, client, user_id, request)
    except SlackApiError as exc:  # the DM or the upload refused: the clicker hears why
        error = str(exc.response.get("error") or "an error")
        log.warning("at-risk list of %s not delivered: %s", request.metric_key, error)
        text = render.undelivered_text(request, error)
        await respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:  # the list itself never reaches a log line: only Slack's side fails here
        log.exception("could not send the at-risk list of %s to %s", request.metric_key, user_id)


async def _allowed(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> tuple[ListRequest, str] | None:
    """(the request, the clicker) once the clicker may have the list and is told it is on its
    way; None after a refusal, answered to the clicker alone."""

    async def reply(blocks: Sequence[Block], text: str) -> None:
        await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    allowed: tuple[ListRequest, str] | None = None
    async with replying_errors(reply):
        click = read_click(body)
        async with services.database.transaction() as session:
            request = await lists.list_request(
                session=session,
                catalog=services.catalog,
                team_id=click.team_id,
                channel_id=click.channel_id,
                goal_id=parse_id(action.get("value")),
                actor=slack_actor(client, click.user_id),
            )
        await reply(notice_blocks(render.PREPARING_TEXT), render.PREPARING_TEXT)
        allowed = (request, click.user_id)
    return allowed


async def _send_list(
    services: Services, client: AsyncWebClient, user_id: str, request: ListRequest
) -> None:
    """Compute the list, then DM it: the file, that nobody is at risk, or why there is none."""
    fetcher, as_of = services.engine.fetcher, services.today()
    try:
        made = await lists.at_risk_list(
            request,
            services.catalog.datasets,
            as_of=as_of,
            timezone=services.timezone,
            base_dir=fetcher.base_dir,
            env=fetcher.env,
        )
    except ListUnavailable as exc:
        text = render.list_failed_text(request, exc.reason)
        await client.chat_postMessage(channel=await _dm(client, user_id), text=text)
        return
    channel = await _dm(client, user_id)
    if not made.count:
        text = render.nobody_at_risk_text(request, as_of)
        await client.chat_postMessage(channel=channel, text=text)
        return
    await client.files_upload_v2(
        channel=channel,
        content=made.csv(),
        filename=made.file_name,
        title=render.list_title(made),
        initial_comment=render.list_comment(made),
    )


async def _dm(client: AsyncWebClient, user_id: str) -> str:
    """The id of the bot's DM with the user (conversations.open)."""
    opened = await client.conversations_open(users=user_id)
    return str(opened["channel"]["id"])
