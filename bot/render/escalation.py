"""Escalation and remediation messages as Block Kit. Pure: `render` turns any message into its
notification text and blocks; the DMs and the notes posted in a remediation's thread are drawn
here, the thread's parent and checklist in bot/render/remediation.py, the DMs about a failing
source in bot/render/source.py.

Titles of metrics and checklist items come from workspace configuration typed in Slack, so they
are escaped before they enter mrkdwn; mentions are built only from user ids.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import get_args

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    MarkdownTextObject,
    SectionBlock,
)

from bot.constants import (
    ACKNOWLEDGE_ACTION,
    SNOOZE_ACTION,
    episode_block_id,
)
from bot.render.alert_parts import (
    CHANNEL_ID,
    DONE,
    MAX_PINGS,
    aside,
    band_label,
    band_rank,
    button,
    deviation_note,
    done_count,
    due_words,
    fallback_text,
    finite,
    full_stop,
    labelled,
    numbers_line,
    safe_link,
)
from bot.render.block_kit import context_block, section_block
from bot.render.blocks import DIRECTION_WORDS
from bot.render.checkin_summary import checkin_summary
from bot.render.checkins import checkin_answered, checkin_prompt
from bot.render.close_out import close_out
from bot.render.dashboard import benchmark_note
from bot.render.digest import band_emoji, short_day
from bot.render.figures import goal_title, line_value, signed_percent, sparkline
from bot.render.guardrails import guardrail_breached
from bot.render.lines import escaped_line
from bot.render.problems import delivery_problem
from bot.render.remediation import checklist, remediation_parent
from bot.render.self_check import self_check_notice
from bot.render.source import source_notice
from bot.render.text import command_code, mention
from bot.render.times import local_time, time_left, viewer_time
from jobs.digest.model import GoalLine
from jobs.escalation.remediation import DURATION
from jobs.i18n import _
from jobs.messages import (
    Acknowledged,
    BandChanged,
    CheckinAnswered,
    CheckinPrompt,
    ChecklistView,
    CloseOut,
    DeliveryProblem,
    EscalationDm,
    GuardrailBreached,
    HeatmapUnavailable,
    LeadAlerted,
    MissingRecipient,
    Outgoing,
    Recovered,
    RemediationParent,
    Reminder,
    SelfCheckNotice,
    Snoozed,
    SourceNotice,
    WeeklyCheckinSummary,
)


def render(message: Outgoing) -> tuple[str, list[Block]]:
    """The notification text and the blocks for any escalation or remediation message."""
    return _render(message)


@functools.singledispatch
def _render(message: Outgoing) -> tuple[str, list[Block]]:
    """The renderer registered for the message's type; every kind of `Outgoing` has one."""
    raise TypeError(f"no renderer for {type(message).__name__}")


# Messages drawn in modules of their own.
_render.register(RemediationParent, remediation_parent)
_render.register(ChecklistView, checklist)
_render.register(SourceNotice, source_notice)
_render.register(DeliveryProblem, delivery_problem)
_render.register(SelfCheckNotice, self_check_notice)
_render.register(CheckinPrompt, checkin_prompt)
_render.register(CheckinAnswered, checkin_answered)
_render.register(GuardrailBreached, guardrail_breached)
_render.register(WeeklyCheckinSummary, checkin_summary)
_render.register(CloseOut, close_out)


# --- DMs ----------------------------------------------------------------------------------


@_render.register
def escalation_dm(dm: EscalationDm) -> tuple[str, list[Block]]:
    """The DM to a lead or the CEO: the numbers, why now, a link, and Acknowledge/Snooze."""
    line = dm.goal
    title = goal_title(line)
    headline = {
        "opened": _("{title} is now {band}"),
        "rose": _("{title} rose to {band}"),
        "repeat": _("{title} is still {band} — reminder {repeat} of {pings}"),
        "overdue": _("{title} is {band} — remediation overdue"),
    }[dm.reason]
    words = {"band": band_label(line.band), "repeat": dm.repeat, "pings": MAX_PINGS}
    bold = headline.format(title=f"*{title}*", **words)
    blocks: list[Block] = [
        section_block(f"{band_emoji(line.band)} {bold}\n{_role_line(dm)}"),
        _numbers(line),
    ]
    if link := safe_link(dm.thread_link, _("Open the remediation thread")):
        blocks.append(section_block(f":point_right: {link}"))
    if dm.acknowledged_by:
        blocks.append(
            context_block(_("Acknowledged by {user}").format(user=mention(dm.acknowledged_by)))
        )
    elif dm.reason != "overdue":
        buttons = [button(_("Acknowledge"), ACKNOWLEDGE_ACTION, str(dm.episode_id), "primary")]
        if dm.snoozed_until is None:
            buttons.append(button(_("Snooze 24h"), SNOOZE_ACTION, str(dm.episode_id)))
        blocks.append(ActionsBlock(block_id=episode_block_id(dm.episode_id), elements=buttons))
        if dm.snoozed_until is not None:
            until = _("Snoozed until {time}").format(time=viewer_time(dm.snoozed_until))
            blocks.append(context_block(f":zzz: {until}"))
    text = f"{headline.format(title=title, **words)}{deviation_note(line)}"
    return text, blocks


def _role_line(dm: EscalationDm) -> str:
    channel = f"<#{dm.channel_id}>" if CHANNEL_ID.fullmatch(dm.channel_id) else None
    if dm.reason == "overdue":
        if dm.role == "ceo":
            return _(
                "As CEO you are told because its 72-hour remediation ran out of time with the "
                "checklist or the metric unfixed."
            )
        if channel:
            return _(
                "You are the lead for this goal in {channel}: its 72-hour remediation ran out "
                "of time with the checklist or the metric unfixed."
            ).format(channel=channel)
        return _(
            "You are the lead for this goal: its 72-hour remediation ran out of time with the "
            "checklist or the metric unfixed."
        )
    if dm.role == "ceo":
        return _("As CEO you take direct charge of a goal in red, with its lead.")
    if dm.goal.band == "red":
        if channel:
            return _(
                "You are the lead for this goal in {channel}: red puts the CEO in charge, with you."
            ).format(channel=channel)
        return _("You are the lead for this goal: red puts the CEO in charge, with you.")
    if channel:
        return _(
            "You are the lead for this goal in {channel}: orange calls for a task force led by you."
        ).format(channel=channel)
    return _("You are the lead for this goal: orange calls for a task force led by you.")


def _numbers(line: GoalLine) -> SectionBlock:
    value = _("no data") if line.value is None else line_value(line, line.value)
    if line.value_day is not None and line.value is not None:
        value += aside(short_day(line.value_day))
    deviation = signed_percent(line.deviation) if finite(line.deviation) else "—"
    direction = DIRECTION_WORDS.get(line.direction)
    target = line_value(line, line.target)
    if direction:
        target += aside(_(direction))
    trend = sparkline(line.sparkline) or "—"
    if line.consecutive_adverse >= 2:
        moves = _("{count} adverse moves in a row").format(count=line.consecutive_adverse)
        trend += f"\n{moves}"
    if line.red_in_days is not None and line.band != "red" and line.red_in_days >= 0:
        days = max(1, round(line.red_in_days))
        trend += "\n" + _("at this pace, red in ~{days}d").format(days=days)
    fields = [
        labelled(_("Value"), value),
        labelled(_("Target"), target),
        labelled(_("Deviation"), deviation),
        labelled(_("Trend"), trend),
    ]
    if line.benchmark is not None and line.benchmark.gap is not None:
        # A band the benchmark raised says so, or the DM reads "orange" at a small deviation.
        shown = line_value(line, line.benchmark.benchmark)
        fields.append(labelled(_("Benchmark"), benchmark_note(line.benchmark, shown)))
    return SectionBlock(fields=[MarkdownTextObject(text=f) for f in fields])


# --- Thread notes -----------------------------------------------------------------------------


@_render.register
def lead_alerted(note: LeadAlerted) -> tuple[str, list[Block]]:
    """The lead (or CEO) is told by DM; mention them where the work happens.

    The DM may still be waiting for the end of their quiet hours, so this says it is on its
    way rather than that it arrived.
    """
    said = (
        _("{who} — {title} is {band}; a DM with the details is on its way")
        if note.role == "lead"
        else _("{who} (CEO) — {title} is {band}; a DM with the details is on its way")
    )
    text = said.format(
        who=mention(note.user_id),
        title=f"*{goal_title(note.goal)}*",
        band=band_label(note.goal.band),
    )
    return fallback_text(text, note.goal), [section_block(f":mailbox_with_mail: {full_stop(text)}")]


@_render.register
def missing_recipient(note: MissingRecipient) -> tuple[str, list[Block]]:
    """Nobody could be told: say who should be configured and the command that does it."""
    command = command_code(note.command)
    said = (
        _(
            "No lead is set for this goal or channel, so nobody was told that {title} is "
            "{band}. Set one with {command}."
        )
        if note.role == "lead"
        else _(
            "No CEO is set for this workspace, so nobody was told that {title} is {band}. "
            "An admin can set one with {command}."
        )
    )
    text = said.format(
        title=f"*{goal_title(note.goal)}*", band=band_label(note.goal.band), command=command
    )
    return fallback_text(text, note.goal), [section_block(f":warning: {text}")]


@_render.register
def band_changed(note: BandChanged) -> tuple[str, list[Block]]:
    """The goal moved between orange and red."""
    said = (
        _("{title} rose from {previous} to {band}")
        if band_rank(note.band) > band_rank(note.previous)
        else _("{title} fell from {previous} to {band}")
    )
    arrow = f"{band_emoji(note.previous)} → {band_emoji(note.band)}"
    text = said.format(
        title=f"*{goal_title(note.goal)}*",
        previous=band_label(note.previous),
        band=band_label(note.band),
    )
    blocks: list[Block] = [section_block(f"{arrow} {text}"), context_block(numbers_line(note.goal))]
    return fallback_text(text, note.goal), blocks


@_render.register
def recovered(note: Recovered) -> tuple[str, list[Block]]:
    """The goal is back in green or yellow: the episode is over."""
    text = _("{title} recovered — back in {band}").format(
        title=f"*{goal_title(note.goal)}*", band=band_label(note.goal.band)
    )
    over = _("{text}. The episode is over.").format(text=text)
    return fallback_text(text, note.goal), [
        section_block(f"{DONE} {over}"),
        context_block(numbers_line(note.goal)),
    ]


@_render.register
def acknowledged(note: Acknowledged) -> tuple[str, list[Block]]:
    """Someone acknowledged: repeats stop, the deadline does not."""
    text = _("Acknowledged by {user} — repeats stopped; the deadline stands").format(
        user=mention(note.user_id)
    )
    return fallback_text(text, note.goal), [
        section_block(f":ballot_box_with_check: {full_stop(text)}")
    ]


@_render.register
def snoozed(note: Snoozed) -> tuple[str, list[Block]]:
    """Someone muted the repeats until a time."""
    text = _("{user} snoozed the reminders for {title} until {until}").format(
        user=mention(note.user_id),
        title=f"*{goal_title(note.goal)}*",
        until=local_time(note.until, note.timezone),
    )
    stands = _("{text}. The deadline stands.").format(text=text)
    return fallback_text(text, note.goal), [section_block(f":zzz: {stands}")]


@_render.register
def reminder(note: Reminder) -> tuple[str, list[Block]]:
    """The +24h/+48h reminder, mentioning each owner of an unchecked item once."""
    owners = " ".join(mention(user) for user in dict.fromkeys(note.owner_ids))
    parts = [done_count(note.done, note.total)]
    if left := _left_at(note):
        parts.append(left)
    parts.append(due_words(note.due_at, note.timezone))
    status = " · ".join(parts)
    text = _("{owners}: {status}").format(owners=owners, status=status) if owners else status
    title = goal_title(note.goal)
    heading = _("Checklist reminder · {title}").format(title=title)
    return (
        _("Checklist reminder for {title}: {text}").format(title=title, text=text),
        [section_block(f":alarm_clock: *{heading}*\n{text}")],
    )


def _left_at(note: Reminder) -> str | None:
    """The time left at the reminder's planned moment (+24h or +48h), however late it goes."""
    hours = {"24h": 24, "48h": 48}.get(note.kind)
    if hours is None:
        return None
    return time_left(note.due_at, note.due_at - DURATION + timedelta(hours=hours))


# The reason comes from a dataset's error or a scoring failure: one line, cut.
HEATMAP_REASON_CHARS = 300


@_render.register
def heatmap_unavailable(note: HeatmapUnavailable) -> tuple[str, list[Block]]:
    """In place of the customer heatmap: why it could not be drawn."""
    text = _("Customer heatmap unavailable: {reason}").format(
        reason=escaped_line(note.reason, HEATMAP_REASON_CHARS)
    )
    return text, [context_block(f":grey_question: {text}")]


# Every kind of message has its renderer (checked once, on import).
_UNRENDERED = set(get_args(Outgoing)) - set(_render.registry)
assert not _UNRENDERED, f"no renderer for {sorted(kind.__name__ for kind in _UNRENDERED)}"
