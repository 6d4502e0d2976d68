"""The at-risk list in Slack: `/goal show`'s button, the ephemeral note that the list is on its
way, and the DMs that bring it (a CSV), say nobody is at risk, or say why there is no list."""

from __future__ import annotations

from datetime import date

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot.constants import AT_RISK_LIST_ACTION
from bot.render.text import code, escape_mrkdwn
from bot.render.times import day_with_year
from jobs.goals.at_risk_list import AtRiskList, ListRequest
from jobs.i18n import N_, _, ngettext

# Translated where shown (at_risk_button, preparing_text).
BUTTON_TEXT = N_("Customers at risk (CSV)")
PREPARING_TEXT = N_("Preparing the list of customers at risk… it will arrive in a DM.")


def preparing_text() -> str:
    """The ephemeral note that the list is on its way, in the locale in force."""
    return _(PREPARING_TEXT)


def at_risk_button(goal_id: int) -> ActionsBlock:
    """The button that sends the goal's at-risk list to the clicker's DM."""
    return ActionsBlock(
        block_id="at_risk_list",
        elements=[
            ButtonElement(text=_(BUTTON_TEXT), action_id=AT_RISK_LIST_ACTION, value=str(goal_id))
        ],
    )


def list_title(made: AtRiskList) -> str:
    """The file's title: `at_risk: customers at risk as of 2026-11-25`."""
    said = (
        _("{key}: high-value customers at risk as of {day}")
        if _high_value(made.request)
        else _("{key}: customers at risk as of {day}")
    )
    return said.format(key=made.request.metric_key, day=made.as_of)


def list_comment(made: AtRiskList) -> str:
    """The DM above the file: how many, on which metric, as of which day."""
    request = made.request
    said = (
        ngettext(
            "*{count} high-value customer at risk* on {key} as of {day}, riskiest first. "
            "Customer ids and scores only: keep the file within the team.",
            "*{count} high-value customers at risk* on {key} as of {day}, riskiest first. "
            "Customer ids and scores only: keep the file within the team.",
            made.count,
        )
        if _high_value(request)
        else ngettext(
            "*{count} customer at risk* on {key} as of {day}, riskiest first. "
            "Customer ids and scores only: keep the file within the team.",
            "*{count} customers at risk* on {key} as of {day}, riskiest first. "
            "Customer ids and scores only: keep the file within the team.",
            made.count,
        )
    )
    text = said.format(
        count=made.count, key=code(request.metric_key), day=day_with_year(made.as_of)
    )
    return f":busts_in_silhouette: {text}"


def nobody_at_risk_text(request: ListRequest, as_of: date) -> str:
    """The DM when the list is empty: no file."""
    text = _("Nobody is at risk on {key} as of {day}: there is no list to send.").format(
        key=code(request.metric_key), day=day_with_year(as_of)
    )
    return f":white_check_mark: {text}"


def list_failed_text(request: ListRequest, reason: str) -> str:
    """The DM when there is no list: one line saying why."""
    text = _("Could not make the list of customers at risk on {key}: {reason}.").format(
        key=code(request.metric_key), reason=escape_mrkdwn(reason)
    )
    return f":warning: {text}"


def undelivered_text(request: ListRequest, error: str) -> str:
    """The clicker's answer when Slack refused the DM or the file."""
    text = _(
        "The list of customers at risk on {key} could not be sent to your DM: Slack answered "
        "{error}."
    ).format(key=code(request.metric_key), error=code(error))
    return f":warning: {text}"


def _high_value(request: ListRequest) -> bool:
    return request.measure == "high_value_at_risk"
