"""Modal submissions: validate in the ack (errors go back into the form), store after."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands.first_pull import follow_up_first_pull
from bot.commands.handlers import Where, execute
from bot.commands.parse import SetGoal
from bot.constants import CHECKIN_MODAL, GOAL_MODAL_CALLBACK
from bot.errors import replying_errors
from bot.services import Services, services_of, slack_actor
from bot.views.checkin_modal import CheckinAnswer, read_checkin_submission
from bot.views.goal_modal import read_submission
from jobs.checkins import service as checkin_service
from jobs.goals.service import GoalChange
from jobs.i18n import _


def register(app: AsyncApp) -> None:
    """Attach the goal form's and the check-in form's submission listeners."""
    app.view(GOAL_MODAL_CALLBACK)(goal_modal_submitted)
    app.view(CHECKIN_MODAL)(checkin_modal_submitted)


async def goal_modal_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """The goal form submitted: a bad field raises before the ack (bot.errors puts it back into
    the form); a valid goal is acked, then saved in the background."""
    services = services_of(context)
    channel_id, change = read_submission(view, catalog=services.catalog, today=services.today())
    await ack()
    user_id = body["user"]["id"]
    team_id = body["team"]["id"] if body.get("team") else body["user"]["team_id"]
    where = Where(team_id=team_id, channel_id=channel_id)
    services.background.spawn(save_goal(services, client, where, user_id, change))


async def save_goal(
    services: Services, client: AsyncWebClient, where: Where, user_id: str, change: GoalChange
) -> None:
    """Store the submitted goal and tell its author in the channel (only they see it); a first
    pull follows; an error becomes the reply."""

    async def reply(blocks: Sequence[Block], text: str) -> None:
        await client.chat_postEphemeral(
            channel=where.channel_id, user=user_id, text=text, blocks=blocks
        )

    async with replying_errors(reply):
        blocks = await execute(
            SetGoal(change),
            services=services,
            where=where,
            actor=slack_actor(client, user_id),
        )
        await reply(blocks, _("Goal saved"))
        await follow_up_first_pull(
            services=services, where=where, metric_key=change.metric_key, reply=reply
        )


async def checkin_modal_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """The check-in form submitted: a bad field raises before the ack (back into the form);
    a valid answer closes the form and is recorded in the background."""
    services = services_of(context)
    answer = read_checkin_submission(view, catalog=services.catalog)
    await ack()
    user_id = body["user"]["id"]
    team_id = body["team"]["id"] if body.get("team") else body["user"]["team_id"]
    services.background.spawn(record_checkin_answer(services, client, team_id, user_id, answer))


async def record_checkin_answer(
    services: Services, client: AsyncWebClient, team_id: str, user_id: str, answer: CheckinAnswer
) -> None:
    """Record the answer, evaluate its goal at once (an answer can change its band) and send
    the prompt's redraw; a refusal or failure is told to the submitter by DM."""

    async def reply(blocks: Sequence[Block], text: str) -> None:
        await client.chat_postMessage(channel=user_id, text=text, blocks=blocks)

    async with replying_errors(reply):
        checkin = await checkin_service.record_answer(
            database=services.database,
            team_id=team_id,
            checkin_id=answer.checkin_id,
            user_id=user_id,
            value=answer.value,
            confidence=answer.confidence,
            moved=answer.moved,
            blockers=answer.blockers,
            now=services.clock(),
            catalog=services.catalog,
        )
        await services.engine.evaluate_goals(team_id=team_id, metric_keys=[answer.metric_key])
        await services.engine.flush(checkin.goal_id)
