"""Buttons, checkboxes and menus on escalation DMs and remediation checklists.

Every click is acked at once; the change runs after, in a tracked task. A refused or failed click
gets an ephemeral answer (bot.errors) and the message is redrawn from what is stored, so what
people see is always the state of record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.actions import at_risk_list, checkin_button, remove_goal
from bot.actions.parse import (
    Acknowledge,
    Action,
    AssignOwner,
    Click,
    ItemChecked,
    Resolve,
    SetChecked,
    Snooze,
    read_action,
    read_click,
)
from bot.constants import (
    ACKNOWLEDGE_ACTION,
    CHECKLIST_ACTION,
    ITEM_OWNER_ACTION,
    RESOLVE_ACTION,
    SNOOZE_ACTION,
)
from bot.errors import replying_errors
from bot.home.publish import publish_home
from bot.services import Services, services_of, slack_actor
from jobs.escalation import interactions
from jobs.goals.service import Actor
from storage.db import Database


def register(app: AsyncApp) -> None:
    """Attach the click listener to every escalation and remediation element, goal removal's
    listeners, the at-risk list's and the check-in button's."""
    for action_id in (
        CHECKLIST_ACTION,
        ITEM_OWNER_ACTION,
        RESOLVE_ACTION,
        ACKNOWLEDGE_ACTION,
        SNOOZE_ACTION,
    ):
        app.action(action_id)(remediation_click)
    remove_goal.register(app)
    at_risk_list.register(app)
    checkin_button.register(app)


async def remediation_click(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """A checklist box, an item's owner, Resolve, Acknowledge or Snooze: acked at once, then
    read (bot/actions/parse.py) and applied in the background."""
    await ack()
    take_click(services_of(context), body, action, client, respond)


def take_click(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    """After the ack: read the click and carry it out in a tracked task; an error is answered
    to the clicker alone."""

    # A click on someone's Home tab (bot/home/) comes with the view, not a message, and no
    # response_url: an error goes to the app's DM with them, and their page is redrawn after.
    home = (body.get("view") or {}).get("type") == "home"

    async def reply(blocks: Sequence[Block], text: str) -> None:
        if home:
            user_id = (body.get("user") or {}).get("id")
            await client.chat_postMessage(channel=str(user_id), text=text, blocks=blocks)
            return
        await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    async def work() -> None:
        async with replying_errors(reply):
            click = read_click(body)
            try:
                parsed = read_action(action, body.get("message") or body.get("view"))
                await _carry_out(services, click, parsed, slack_actor(client, click.user_id))
            finally:
                if home:
                    await publish_home(services, client, click.team_id, click.user_id)

    services.background.spawn(work())


async def _carry_out(services: Services, click: Click, action: Action, actor: Actor) -> None:
    """Change the state, then send this goal's queued redraws and notes right away."""
    if isinstance(action, SetChecked) and not action.changes:
        return  # the boxes match the message clicked on: nothing to change or redraw
    database, now, engine = services.database, services.clock(), services.engine
    goal_ids: list[int | None] = []
    changed = False
    try:
        match action:
            case SetChecked(remediation_id=rem, changes=changes):
                result = await _set_checked(database, click, rem, changes, actor, now)
            case AssignOwner(remediation_id=rem, item_key=key, owner_id=owner):
                result = await interactions.assign_owner(
                    database=database,
                    team_id=click.team_id,
                    remediation_id=rem,
                    item_key=key,
                    owner_id=owner,
                    actor=actor,
                    now=now,
                )
            case Resolve(remediation_id=rem):
                result = await interactions.resolve(
                    database=database,
                    team_id=click.team_id,
                    remediation_id=rem,
                    actor=actor,
                    now=now,
                )
            case Acknowledge(episode_id=episode) | Snooze(episode_id=episode):
                change = (
                    interactions.acknowledge
                    if isinstance(action, Acknowledge)
                    else interactions.snooze
                )
                result = await change(
                    database=database,
                    team_id=click.team_id,
                    episode_id=episode,
                    actor=actor,
                    now=now,
                )
        goal_ids.append(result.goal_id)
        changed = result.changed
    finally:
        # Slack already shows the click (a ticked box, a picked owner): when nothing changed,
        # refused or not, redraw from the stored state so the message never shows what did not
        # happen.
        if not changed:
            goal_ids.append(await _redraw_clicked(services, click, action))
        for goal_id in dict.fromkeys(g for g in goal_ids if g is not None):
            await engine.flush(goal_id)


async def _set_checked(
    database: Database,
    click: Click,
    remediation_id: int,
    changes: Sequence[ItemChecked],
    actor: Actor,
    now: datetime,
) -> interactions.ActionResult:
    """Tick or untick each box the click changed; other items keep their stored state."""
    results = [
        await interactions.set_checked(
            database=database,
            team_id=click.team_id,
            remediation_id=remediation_id,
            item_key=change.item_key,
            done=change.done,
            actor=actor,
            now=now,
        )
        for change in changes
    ]
    return interactions.ActionResult(
        results[0].goal_id, changed=any(result.changed for result in results)
    )


async def _redraw_clicked(services: Services, click: Click, action: Action) -> int | None:
    now = services.clock()
    if isinstance(action, SetChecked | AssignOwner):
        return await interactions.redraw_checklist(
            database=services.database,
            team_id=click.team_id,
            remediation_id=action.remediation_id,
            click_id=click.click_id,
            now=now,
        )
    if isinstance(action, Acknowledge | Snooze) and click.channel_id and click.message_ts:
        return await interactions.redraw_dm(
            database=services.database,
            team_id=click.team_id,
            episode_id=action.episode_id,
            channel_id=click.channel_id,
            ts=click.message_ts,
            click_id=click.click_id,
            now=now,
        )
    return None
