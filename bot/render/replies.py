"""The short replies to `/goal` changes (settings saved, a goal paused or resumed) and the
settings listing of `/goal config`. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from slack_sdk.models.blocks import Block, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.constants import SLASH_COMMAND
from bot.render.block_kit import section_block
from bot.render.blocks import band_name, percent, short_day
from bot.render.digest import band_emoji
from bot.render.figures import metric_value
from bot.render.text import escape_mrkdwn, mention
from jobs.customers.measures import TIER_WORDS
from jobs.escalation.remediation import DEFAULT_ITEMS
from jobs.escalation.treatments import DEFAULT_TREATMENTS, treatment_for
from jobs.goals.channel_settings import (
    MAX_EXTRA_ITEMS,
    ConfigChange,
    EffectiveConfig,
    TreatmentChange,
)
from jobs.goals.language import language_label
from jobs.i18n import N_, _
from jobs.metrics.catalog import Metric
from storage.models import Goal, GoalStatus

# Where a setting's value comes from, as EffectiveConfig names it.
SOURCE_WORDS = {
    "channel": N_("channel"),
    "workspace": N_("workspace"),
    "default": N_("default"),
}
_CEO_HINT = "`/goal config ceo @user`"
_LEAD_HINT = "`/goal config lead @user`"


def config_saved_text(change: ConfigChange) -> str:
    """The reply to a `/goal config` change (said in the language it chose, if it chose one)."""
    if change.treatment is not None:
        return treatment_saved_text(change.treatment)
    if change.language is not None and change.checklist is None:
        return _language_saved_text(change)
    if change.checklist is None:
        return _(":gear: Settings saved.")
    title = f"*{escape_mrkdwn(change.checklist.title)}*"
    if change.checklist.action == "add":
        return _(":gear: Added {title} to the checklist of every new remediation.").format(
            title=title
        )
    return _(":gear: Removed {title} from the checklist of new remediations.").format(title=title)


def _language_saved_text(change: ConfigChange) -> str:
    language = change.language
    assert language is not None
    if language.workspace and language.locale is None:
        return _(":gear: Settings saved. Channels without a language of their own read English.")
    if language.workspace:
        return _(
            ":gear: Settings saved. Channels without a language of their own read {language}."
        ).format(language=language_label(language.locale or "en"))
    if language.locale is None:
        return _(":gear: Settings saved. This channel reads the workspace's language again.")
    return _(":gear: Settings saved. This channel reads {language}.").format(
        language=language_label(language.locale)
    )


def status_text(key: str, status: GoalStatus, *, changed: bool) -> str:
    """The reply to `/goal pause` or `resume`, said once whether it changed anything."""
    code, resume = f"`{key}`", f"`{SLASH_COMMAND} resume {key}`"
    if status is GoalStatus.PAUSED:
        if not changed:
            return _("{key} was already paused. {resume} restarts it.").format(
                key=code, resume=resume
            )
        return _(
            ":double_vertical_bar: Paused {key}: no alerts or digest lines until {resume}."
        ).format(key=code, resume=resume)
    if not changed:
        return _("{key} is already active.").format(key=code)
    return _(":arrow_forward: Resumed {key}.").format(key=code)


def thresholds_text(goal: Goal) -> str:
    """The reply to `/goal thresholds`."""
    return _(
        ":straight_ruler: {key} now alerts at {yellow} (yellow), {orange} (orange) and "
        "{red} (red) off target."
    ).format(
        key=f"`{goal.metric_key}`",
        yellow=percent(goal.yellow),
        orange=percent(goal.orange),
        red=percent(goal.red),
    )


def checkin_text(metric: Metric, value: float, day: date, *, band: str | None) -> str:
    """The reply to `/goal checkin`; `band` is the channel's goal's band after it, if any."""
    text = _(":memo: Recorded {key} = {value} for {day}.").format(
        key=f"`{metric.key}`", value=metric_value(metric, value), day=short_day(day)
    )
    if band is None:
        return text
    return (
        text
        + " "
        + _("This channel's goal is now {band}.").format(
            band=f"{band_emoji(band)} {band_name(band)}"
        )
    )


def _sourced(value: str, source: str) -> str:
    """`09:30 (default)`: a setting's value and where it comes from."""
    return _("{value} ({source})").format(value=value, source=_(SOURCE_WORDS[source]))


def config_blocks(config: EffectiveConfig) -> list[Block]:
    """The settings that apply to this channel and where each comes from."""
    not_set = _("not set — {command}")
    ceo = mention(config.ceo_id) if config.ceo_id else not_set.format(command=_CEO_HINT)
    lead = mention(config.lead_id) if config.lead_id else not_set.format(command=_LEAD_HINT)
    language = f"{language_label(config.language)} (`{config.language}`)"
    return [
        HeaderBlock(text=_("goalpulse settings for this channel")),
        SectionBlock(
            fields=[
                MarkdownTextObject(text=_("*CEO (workspace)*") + f"\n{ceo}"),
                MarkdownTextObject(text=_("*Channel lead*") + f"\n{lead}"),
                MarkdownTextObject(
                    text=_("*Digest time*")
                    + "\n"
                    + _sourced(config.digest_time, config.digest_time_source)
                ),
                MarkdownTextObject(
                    text=_("*Timezone*") + "\n" + _sourced(config.timezone, config.timezone_source)
                ),
                MarkdownTextObject(
                    text=_("*Language*") + "\n" + _sourced(language, config.language_source)
                ),
            ]
        ),
        section_block(_checklist_text(config.checklist_items)),
        section_block(_treatments_text(config.tier_treatments)),
    ]


def _checklist_text(extras: Sequence[str]) -> str:
    """The checklist every remediation gets: the default items, then the workspace's."""
    default = _("_(default)_")
    lines = [f"• {escape_mrkdwn(_(title))} {default}" for title in DEFAULT_ITEMS]
    lines += [f"• {escape_mrkdwn(title)}" for title in extras]
    room = MAX_EXTRA_ITEMS - len(extras)
    add = f'`{SLASH_COMMAND} config checklist add "…"`'
    remove = f'`{SLASH_COMMAND} config checklist remove "…"`'
    if room > 0 and extras:
        hint = _("_Admins can add up to {room} more with {add} or remove one with {remove}._")
    elif room > 0:
        hint = _("_Admins can add up to {room} more with {add}._")
    else:
        hint = _("_Admins can remove one with {remove}._")
    return (
        _("*Remediation checklist (workspace)*")
        + "\n"
        + "\n".join(lines)
        + "\n"
        + hint.format(room=room, add=add, remove=remove)
    )


def _treatments_text(overrides: Mapping[str, str]) -> str:
    """Each customer tier's treatment, marked as the workspace's own or the default."""
    own, default = _("_(workspace)_"), _("_(default)_")
    lines = [
        "• "
        + _("*{tier}:*").format(tier=_(TIER_WORDS[tier]))
        + " "
        + (
            f"{escape_mrkdwn(overrides[tier])} {own}"
            if overrides.get(tier)
            else f"{escape_mrkdwn(_(treatment_for(tier, {})))} {default}"
        )
        for tier in DEFAULT_TREATMENTS
    ]
    return (
        _("*Customer tier treatments (workspace)*")
        + "\n"
        + "\n".join(lines)
        + "\n"
        + _(
            "_A remediation on a metric about a tier starts with its treatment. Admins can change "
            "one with {change}, or put the default back with {reset}._"
        ).format(
            change=f'`{SLASH_COMMAND} config treatment high_value "…"`',
            reset=f"`{SLASH_COMMAND} config treatment high_value reset`",
        )
    )


def treatment_saved_text(change: TreatmentChange) -> str:
    """What `/goal config treatment` changed."""
    words = _(TIER_WORDS[change.tier])
    if change.title is None:
        default = escape_mrkdwn(_(DEFAULT_TREATMENTS[change.tier]))
        return _(":gear: The {tier} treatment is the default again: *{title}*.").format(
            tier=words, title=default
        )
    return _(":gear: New remediations on {tier} metrics start with *{title}*.").format(
        tier=words, title=escape_mrkdwn(change.title)
    )
