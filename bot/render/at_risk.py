"""The at-risk list in Slack: `/goal show`'s button, the ephemeral note that the list is on its
way, and the DMs that bring it (a CSV), say nobody is at risk, or say why there is no list."""

from __future__ import annotations

from datetime import date

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot.constants import AT_RISK_LIST_ACTION
from bot.render.text import code, escape_mrkdwn
from jobs.goals.at_risk_list import AtRiskList, ListRequest

BUTTON_TEXT = "Customers at risk (CSV)"
PREPARING_TEXT = "Preparing the list of customers at risk… it will arrive in a DM."


def at_risk_button(goal_id: int) -> ActionsBlock:
    """The button that sends the goal's at-risk list to the clicker's DM."""
    return ActionsBlock(
        block_id="at_risk_list",
        elements=[
            ButtonElement(text=BUTTON_TEXT, action_id=AT_RISK_LIST_ACTION, value=str(goal_id))
        ],
    )


def list_title(made: AtRiskList) -> str:
    """The file's title: `at_risk: customers at risk as of 2026-11-25`."""
    return f"{made.request.metric_key}: {_who(made.request, 2)} at risk as of {made.as_of}"


def list_comment(made: AtRiskList) -> str:
    """The DM above the file: how many, on which metric, as of which day."""
    request = made.request
    return (
        f":busts_in_silhouette: *{made.count} {_who(request, made.count)} at risk* on "
        f"{code(request.metric_key)} as of {_day(made.as_of)}, riskiest first. Customer ids "
        "and scores only: keep the file within the team."
    )


def nobody_at_risk_text(request: ListRequest, as_of: date) -> str:
    """The DM when the list is empty: no file."""
    return (
        f":white_check_mark: Nobody is at risk on {code(request.metric_key)} as of "
        f"{_day(as_of)}: there is no list to send."
    )


def list_failed_text(request: ListRequest, reason: str) -> str:
    """The DM when there is no list: one line saying why."""
    return (
        f":warning: Could not make the list of customers at risk on "
        f"{code(request.metric_key)}: {escape_mrkdwn(reason)}."
    )


def undelivered_text(request: ListRequest, error: str) -> str:
    """The clicker's answer when Slack refused the DM or the file."""
    return (
        f":warning: The list of customers at risk on {code(request.metric_key)} could not be "
        f"sent to your DM: Slack answered {code(error)}."
    )


def _who(request: ListRequest, count: int) -> str:
    noun = "customer" if count == 1 else "customers"
    return f"high-value {noun}" if request.measure == "high_value_at_risk" else noun


def _day(day: date) -> str:
    return f"{day:%a %d %b %Y}"
