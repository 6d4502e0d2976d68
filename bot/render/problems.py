"""The notice telling a lead (or owner) what to fix when Slack refuses goalpulse for good. Pure."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.constants import SLASH_COMMAND
from bot.render.block_kit import context_block, section_block
from bot.render.text import escape_mrkdwn
from jobs.i18n import N_, _
from jobs.messages import DeliveryProblem


def _reassign() -> str:
    return _("{lead} or {owner}").format(
        lead=f"`{SLASH_COMMAND} config lead @someone`",
        owner=f"`{SLASH_COMMAND} set <metric> <target> owner @someone`",
    )


# What each of Slack's refusals means for a person, and what they can do about it: English,
# `_` where shown, then `.format(where=, who=, reassign=_REASSIGN)`.
FIXES = {
    "not_in_channel": N_(
        "I am not a member of {where}: invite me with `/invite @goalpulse` there."
    ),
    "channel_not_found": N_(
        "I cannot see {where}: if it is private, invite me with "
        "`/invite @goalpulse`; if it was deleted, remove its goals."
    ),
    "is_archived": N_(
        "{where} is archived: unarchive it, or set the goals again in another channel."
    ),
    "user_not_found": N_(
        "{who} is not in this workspace any more: set someone else with {reassign}."
    ),
    "account_inactive": N_("{who}'s account is deactivated: set someone else with {reassign}."),
    "cannot_dm_bot": N_("{who} is a bot, which I cannot message: set a person instead."),
    "message_not_found": N_("a message I keep up to date was deleted; new ones will follow."),
    "missing_scope": N_(
        "my token lacks a permission: reinstall the app from manifest.yml "
        "(`goalpulse check` names the missing scope)."
    ),
    "token_revoked": N_("my token was revoked: reinstall the app and update SLACK_BOT_TOKEN."),
}


def _target(target: str | None) -> tuple[str, str]:
    """(where, who): the target as a channel link and as a mention."""
    if target and target[:1] in ("C", "G", "D"):
        return f"<#{target}>", _("someone")
    if target and target[:1] in ("U", "W"):
        return _("a DM"), f"<@{target}>"
    return _("the channel"), _("someone")


def delivery_problem(notice: DeliveryProblem) -> tuple[str, list[Block]]:
    """What failed, why in Slack's own word, and what to do about it."""
    where, who = _target(notice.target)
    reason = escape_mrkdwn(notice.reason)
    metric = escape_mrkdwn(notice.metric_key)
    fix = FIXES.get(notice.reason)
    if fix is None:
        fix = (
            _("Slack answered `{reason}`, and kept failing until I gave up.")
            if not notice.permanent
            else _("Slack answered `{reason}`; `goalpulse check` on the server may say more.")
        ).format(reason=reason)
    else:
        fix = _(fix).format(where=where, who=who, reassign=_reassign())
    channel = f"<#{notice.channel_id}>"
    text = _("goalpulse could not deliver a message about {metric} in {channel}: {fix}").format(
        metric=metric, channel=channel, fix=fix
    )
    blocks: list[Block] = [
        section_block(
            _(
                ":no_entry_sign: I could not deliver a message about `{metric}` "
                "for {channel}. {fix}"
            ).format(metric=metric, channel=channel, fix=fix)
        ),
        context_block(
            _(
                "Slack said `{reason}`. I tell you once a day while it lasts; "
                "the goal's other messages still go out where they can."
            ).format(reason=reason)
        ),
    ]
    return text, blocks
