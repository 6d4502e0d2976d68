"""The check-in DM as its owner uses it: the DMs that carry a *Check in* button, pressing the
button (a signed block_actions) to open the form, and submitting the form (a signed
view_submission), each through the bot's HTTP endpoint."""

from __future__ import annotations

import json
from typing import Any

from bot.constants import CHECKIN_BUTTON
from bot.views import checkin_modal as form
from tests.support.clicks import block_action, press
from tests.support.signing import SignedSlack
from tests.support.world import TEAM, World


def prompts(world: World, user: str) -> list[dict[str, Any]]:
    """The DMs to `user` that carry a *Check in* button (prompts and reminders), in order."""
    return [m for m in world.dms(user) if CHECKIN_BUTTON in json.dumps(m.get("blocks", []))]


async def open_form(
    world: World, prompt: dict[str, Any], *, owner: str, user: str | None = None
) -> dict[str, Any]:
    """Press the button of a prompt in `owner`'s DM as `user` (the owner by default); returns
    the form Slack opened."""
    user = user or owner
    seen = len(world.slack.calls_to("views.open"))
    channel = world.dm_channel(owner)
    assert channel is not None, f"no DM was opened with {owner}"
    await world.click(
        block_action(
            message=prompt,
            channel=channel,
            user=user,
            action=press(prompt, CHECKIN_BUTTON),
            response_url=world.slack.response_url(f"click-{user}"),
        )
    )
    [call] = world.slack.calls_to("views.open")[seen:]
    assert call.accepted
    assert call.body["trigger_id"].startswith("click."), "opened with the click's trigger"
    view: dict[str, Any] = call.response["view"]
    return view


def form_values(
    *, value: str | None, confidence: str, moved: str | None, blockers: str | None
) -> dict[str, Any]:
    """The form's `state.values` as Slack sends them; no value field when `value` is None."""
    values: dict[str, Any] = {
        form.CONFIDENCE_BLOCK: {
            form.CONFIDENCE_ACTION: {
                "type": "radio_buttons",
                "selected_option": {"value": confidence},
            }
        },
        form.MOVED_BLOCK: {form.MOVED_ACTION: {"type": "plain_text_input", "value": moved}},
        form.BLOCKERS_BLOCK: {
            form.BLOCKERS_ACTION: {"type": "plain_text_input", "value": blockers}
        },
    }
    if value is not None:
        values[form.VALUE_BLOCK] = {form.VALUE_ACTION: {"type": "plain_text_input", "value": value}}
    return values


async def submit_form(
    world: World,
    view: dict[str, Any],
    *,
    user: str,
    value: str | None = None,
    confidence: str = "on_track",
    moved: str | None = None,
    blockers: str | None = None,
) -> dict[str, Any] | None:
    """Submit the form as `user` (a signed view_submission), then let the bots send what it
    queued; returns the ack's body (None when Slack is told to close the form)."""
    values = form_values(value=value, confidence=confidence, moved=moved, blockers=blockers)
    name = user.lower()
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": name, "name": name, "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "trigger_id": "trigger.view",
        "view": {**view, "state": {"values": values}},
        "response_urls": [],
        "is_enterprise_install": False,
    }
    async with SignedSlack(
        bot_url=world.bots[0].url,
        signing_secret=world.signing_secret,
        response_url=world.slack.response_url,
    ) as sender:
        status, ack = await sender.interaction(payload)
    assert status == 200
    await world.settle()
    return ack
