"""The *Check in* button on a check-in prompt DM: opens the check-in form.

The click is acked at once; the form opens after (views.open, within the trigger's 3 seconds).
Only the person asked may open it, and not once the check-in was cancelled (its goal paused or
removed) or could not be delivered; anyone else gets an ephemeral refusal. A pulled metric's
form shows its newest stored value to confirm; the submission is bot/views/__init__.py's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.parse import read_click
from bot.constants import CHECKIN_BUTTON, parse_id
from bot.errors import replying_errors
from bot.services import Services, services_of
from bot.views.checkin_modal import CheckinForm, Latest, checkin_modal
from jobs.errors import Code, NotFoundError, PermissionDeniedError, Person, UsageError, phrase
from jobs.i18n import N_, _
from jobs.metrics.catalog import MetricCatalog
from storage import checkins as checkin_store
from storage import goals as goal_store
from storage import points as point_store
from storage.models import CheckinState

# Why a check-in in these states can no longer be answered (translated when raised).
_CLOSED = {
    CheckinState.CANCELLED.value: N_(
        "This check-in was cancelled: its goal was paused or removed; nothing to answer."
    ),
    CheckinState.UNDELIVERABLE.value: N_(
        "This check-in could not be delivered to you, so it was closed; nothing to answer."
    ),
}


def register(app: AsyncApp) -> None:
    """Attach the button's listener."""
    app.action(CHECKIN_BUTTON)(checkin_pressed)


async def checkin_pressed(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """Pressed: acked at once; the check and the form follow in the background."""
    await ack()
    services = services_of(context)
    services.background.spawn(_open_form(services, body, action, client, respond))


async def _open_form(
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
        async with services.database.transaction() as session:
            form = await checkin_form(
                session=session,
                catalog=services.catalog,
                team_id=click.team_id,
                checkin_id=parse_id(action.get("value")),
                user_id=click.user_id,
            )
        await client.views_open(trigger_id=str(body.get("trigger_id")), view=checkin_modal(form))


async def checkin_form(
    *,
    session: AsyncSession,
    catalog: MetricCatalog,
    team_id: str,
    checkin_id: int,
    user_id: str,
) -> CheckinForm:
    """What the form for `user_id` shows; NotFoundError, PermissionDeniedError or UsageError
    when they may not answer this check-in (anything else in the workspace is not found)."""
    checkin = await checkin_store.get_checkin(
        session=session, team_id=team_id, checkin_id=checkin_id
    )
    goal = (
        await goal_store.goal_by_id(session=session, team_id=team_id, goal_id=checkin.goal_id)
        if checkin is not None
        else None
    )
    if checkin is None or checkin.id is None or goal is None:
        raise NotFoundError(_("That check-in is no longer here."))
    if checkin.user_id != user_id:
        raise PermissionDeniedError(
            *phrase(
                _("This check-in was asked of {person}; only they can answer it."),
                person=Person(checkin.user_id),
            )
        )
    if checkin.state in _CLOSED:
        raise UsageError(_(_CLOSED[checkin.state]))
    metric = catalog.get(goal.metric_key)
    if metric is None:
        raise NotFoundError(
            *phrase(
                _("{key} is no longer in metrics.yml, so it cannot be checked in."),
                key=Code(goal.metric_key),
            )
        )
    day = await point_store.latest_day(session=session, team_id=team_id, metric_key=metric.key)
    points = (
        await point_store.points_since(
            session=session, team_id=team_id, metric_keys=[metric.key], since=day
        )
        if day is not None
        else []
    )
    latest = Latest(points[0].day, points[0].value) if points else None
    return CheckinForm(checkin_id=checkin.id, metric=metric, latest=latest, state=checkin.state)
