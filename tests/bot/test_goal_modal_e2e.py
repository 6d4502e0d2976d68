"""The goal form: `/goal set` opens it, a signed view_submission stores the goal."""

from __future__ import annotations

import json
from typing import Any

from bot import constants as ids
from bot.runtime import RunningBot
from tests.support.conversation import CHANNEL, TEAM, reply_text, stored_goals
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack


def submission(
    view: dict[str, Any], values: dict[str, dict[str, Any]], user: str
) -> dict[str, Any]:
    """A view_submission payload as Slack sends it for the opened view and these inputs."""
    state: dict[str, dict[str, Any]] = {}
    for block_id, (action_id, value) in values.items():
        state[block_id] = {action_id: value}
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": "ana", "name": "ana", "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "trigger_id": "trigger.view",
        "view": {**view, "team_id": TEAM, "state": {"values": state}},
        "response_urls": [],
        "is_enterprise_install": False,
    }


def form(metric: str, target: str, **extra: tuple[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        ids.GOAL_MODAL_METRIC_BLOCK: (
            ids.GOAL_MODAL_METRIC_ACTION,
            {"type": "static_select", "selected_option": {"value": metric}},
        ),
        ids.GOAL_MODAL_TARGET_BLOCK: (
            ids.GOAL_MODAL_TARGET_ACTION,
            {"type": "plain_text_input", "value": target},
        ),
        ids.GOAL_MODAL_OWNER_BLOCK: (
            ids.GOAL_MODAL_OWNER_ACTION,
            {"type": "users_select", "selected_user": "U0ANA"},
        ),
    }
    values.update(extra)
    return values


async def open_form(slack: SignedSlack, fake_slack: FakeSlack) -> dict[str, Any]:
    status, ack, _ = await slack.command("set")
    assert status == 200
    assert ack is None
    [call] = await fake_slack.wait_for("views.open")
    assert call.accepted
    assert call.body["trigger_id"].startswith("trigger.")
    view: dict[str, Any] = call.body["view"]
    return call.response["view"] if isinstance(call.response, dict) else view


async def test_set_without_arguments_opens_the_form(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """The form lists the metrics, preselects the caller as owner and remembers the channel."""
    view = await open_form(slack, fake_slack)
    assert view["callback_id"] == ids.GOAL_MODAL_CALLBACK
    assert json.loads(view["private_metadata"]) == {"channel_id": CHANNEL}
    metric_block = next(b for b in view["blocks"] if b["block_id"] == ids.GOAL_MODAL_METRIC_BLOCK)
    options = [o["value"] for o in metric_block["element"]["options"]]
    assert options == ["aov", "complaint_rate", "dau", "next_day_retention", "nps"]
    owner_block = next(b for b in view["blocks"] if b["block_id"] == ids.GOAL_MODAL_OWNER_BLOCK)
    assert owner_block["element"]["initial_user"] == "U0ANA"


async def test_submitting_the_form_stores_the_goal(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """A valid submission closes the form, stores the goal and confirms it to the submitter."""
    view = await open_form(slack, fake_slack)
    values = form(
        "next_day_retention",
        "35%",
        **{
            ids.GOAL_MODAL_DUE_BLOCK: (
                ids.GOAL_MODAL_DUE_ACTION,
                {"type": "datepicker", "selected_date": "2030-03-31"},
            ),
            ids.GOAL_MODAL_LEAD_BLOCK: (
                ids.GOAL_MODAL_LEAD_ACTION,
                {"type": "users_select", "selected_user": "U0LI"},
            ),
        },
    )
    status, ack = await slack.interaction(submission(view, values, user="U0ANA"))
    assert status == 200
    assert ack is None
    [call] = await fake_slack.wait_for("chat.postEphemeral")
    assert (call.body["channel"], call.body["user"]) == (CHANNEL, "U0ANA")
    assert "Created the goal *Next-day retention*" in reply_text(call.body)
    [goal] = await stored_goals(bot)
    assert (goal.metric_key, goal.target, goal.lead_id) == ("next_day_retention", 0.35, "U0LI")
    assert str(goal.due_date) == "2030-03-31"


async def test_invalid_submission_keeps_the_form_open_with_field_errors(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """A bad target and a past due date are shown on their fields; nothing is stored."""
    view = await open_form(slack, fake_slack)
    values = form(
        "dau",
        "lots",
        **{
            ids.GOAL_MODAL_DUE_BLOCK: (
                ids.GOAL_MODAL_DUE_ACTION,
                {"type": "datepicker", "selected_date": "2001-01-01"},
            )
        },
    )
    status, ack = await slack.interaction(submission(view, values, user="U0ANA"))
    assert status == 200
    assert ack is not None
    assert ack["response_action"] == "errors"
    assert set(ack["errors"]) == {ids.GOAL_MODAL_TARGET_BLOCK, ids.GOAL_MODAL_DUE_BLOCK}
    assert "Not a number" in ack["errors"][ids.GOAL_MODAL_TARGET_BLOCK]
    assert await stored_goals(bot) == []
    assert fake_slack.calls_to("chat.postEphemeral") == []
