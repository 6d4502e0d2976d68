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
    ROLE_NAMES,
    SUMMARY_CHARS,
    band_label,
    band_rank,
    button,
    deviation_note,
    fallback_text,
    finite,
    numbers_line,
    safe_link,
)
from bot.render.block_kit import context_block, section_block
from bot.render.blocks import DIRECTION_WORDS
from bot.render.checkin_summary import checkin_summary
from bot.render.checkins import checkin_answered, checkin_prompt
from bot.render.dashboard import benchmark_note
from bot.render.digest import band_emoji, short_day
from bot.render.figures import goal_title, line_value, signed_percent, sparkline
from bot.render.guardrails import guardrail_breached
from bot.render.lines import escaped_line
from bot.render.problems import delivery_problem
from bot.render.remediation import checklist, remediation_parent
from bot.render.self_check import self_check_notice
from bot.render.source import source_notice
from bot.render.text import command_code, escape_mrkdwn, mention
from bot.render.times import local_time, time_left, viewer_time
from jobs.digest.model import GoalLine
from jobs.escalation.remediation import DURATION
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


# --- DMs ----------------------------------------------------------------------------------


@_render.register
def escalation_dm(dm: EscalationDm) -> tuple[str, list[Block]]:
    """The DM to a lead or the CEO: the numbers, why now, a link, and Acknowledge/Snooze."""
    line = dm.goal
    band = band_label(line.band)
    headline = {
        "opened": f"is now {band}",
        "rose": f"rose to {band}",
        "repeat": f"is still {band} — reminder {dm.repeat} of {MAX_PINGS}",
        "overdue": f"is {band} — remediation overdue",
    }[dm.reason]
    blocks: list[Block] = [
        section_block(f"{band_emoji(line.band)} *{goal_title(line)}* {headline}\n{_role_line(dm)}"),
        _numbers(line),
    ]
    if link := safe_link(dm.thread_link, "Open the remediation thread"):
        blocks.append(section_block(f":point_right: {link}"))
    if dm.acknowledged_by:
        blocks.append(context_block(f"Acknowledged by {mention(dm.acknowledged_by)}"))
    elif dm.reason != "overdue":
        buttons = [button("Acknowledge", ACKNOWLEDGE_ACTION, str(dm.episode_id), "primary")]
        if dm.snoozed_until is None:
            buttons.append(button("Snooze 24h", SNOOZE_ACTION, str(dm.episode_id)))
        blocks.append(ActionsBlock(block_id=episode_block_id(dm.episode_id), elements=buttons))
        if dm.snoozed_until is not None:
            blocks.append(context_block(f":zzz: Snoozed until {viewer_time(dm.snoozed_until)}"))
    text = f"{goal_title(line)} {headline}{deviation_note(line)}"
    return text, blocks


def _role_line(dm: EscalationDm) -> str:
    where = f" in <#{dm.channel_id}>" if CHANNEL_ID.fullmatch(dm.channel_id) else ""
    if dm.reason == "overdue":
        done = "its 72-hour remediation ran out of time with the checklist or the metric unfixed"
        if dm.role == "ceo":
            return f"As CEO you are told because {done}."
        return f"You are the lead for this goal{where}: {done}."
    if dm.role == "ceo":
        return "As CEO you take direct charge of a goal in red, with its lead."
    if dm.goal.band == "red":
        return f"You are the lead for this goal{where}: red puts the CEO in charge, with you."
    return f"You are the lead for this goal{where}: orange calls for a task force led by you."


def _numbers(line: GoalLine) -> SectionBlock:
    value = "no data" if line.value is None else line_value(line, line.value)
    if line.value_day is not None and line.value is not None:
        value += f" ({short_day(line.value_day)})"
    deviation = signed_percent(line.deviation) if finite(line.deviation) else "—"
    direction = DIRECTION_WORDS.get(line.direction)
    target = line_value(line, line.target) + (f" ({direction})" if direction else "")
    trend = sparkline(line.sparkline) or "—"
    if line.consecutive_adverse >= 2:
        trend += f"\n{line.consecutive_adverse} adverse moves in a row"
    if line.red_in_days is not None and line.band != "red" and line.red_in_days >= 0:
        trend += f"\nat this pace, red in ~{max(1, round(line.red_in_days))}d"
    fields = [
        f"*Value*\n{value}",
        f"*Target*\n{target}",
        f"*Deviation*\n{deviation}",
        f"*Trend*\n{trend}",
    ]
    if line.benchmark is not None and line.benchmark.gap is not None:
        # A band the benchmark raised says so, or the DM reads "orange" at a small deviation.
        shown = line_value(line, line.benchmark.benchmark)
        fields.append(f"*Benchmark*\n{benchmark_note(line.benchmark, shown)}")
    return SectionBlock(fields=[MarkdownTextObject(text=f) for f in fields])


# --- Thread notes -----------------------------------------------------------------------------


@_render.register
def lead_alerted(note: LeadAlerted) -> tuple[str, list[Block]]:
    """The lead (or CEO) is told by DM; mention them where the work happens.

    The DM may still be waiting for the end of their quiet hours, so this says it is on its
    way rather than that it arrived.
    """
    who = mention(note.user_id) + ("" if note.role == "lead" else " (CEO)")
    text = (
        f"{who} — *{goal_title(note.goal)}* is {band_label(note.goal.band)}; "
        "a DM with the details is on its way"
    )
    return fallback_text(text, note.goal), [section_block(f":mailbox_with_mail: {text}.")]


@_render.register
def missing_recipient(note: MissingRecipient) -> tuple[str, list[Block]]:
    """Nobody could be told: say who should be configured and the command that does it."""
    command = command_code(note.command)
    if note.role == "lead":
        text = (
            "No lead is set for this goal or channel, so nobody was told that "
            f"*{goal_title(note.goal)}* is {band_label(note.goal.band)}. Set one with {command}."
        )
    else:
        text = (
            "No CEO is set for this workspace, so nobody was told that "
            f"*{goal_title(note.goal)}* is {band_label(note.goal.band)}. "
            f"An admin can set one with {command}."
        )
    return fallback_text(text, note.goal), [section_block(f":warning: {text}")]


@_render.register
def band_changed(note: BandChanged) -> tuple[str, list[Block]]:
    """The goal moved between orange and red."""
    verb = "rose" if band_rank(note.band) > band_rank(note.previous) else "fell"
    arrow = f"{band_emoji(note.previous)} → {band_emoji(note.band)}"
    change = f"from {band_label(note.previous)} to {band_label(note.band)}"
    text = f"*{goal_title(note.goal)}* {verb} {change}"
    blocks: list[Block] = [section_block(f"{arrow} {text}"), context_block(numbers_line(note.goal))]
    return fallback_text(text, note.goal), blocks


@_render.register
def recovered(note: Recovered) -> tuple[str, list[Block]]:
    """The goal is back in green or yellow: the episode is over."""
    text = f"*{goal_title(note.goal)}* recovered — back in {band_label(note.goal.band)}"
    return fallback_text(text, note.goal), [
        section_block(f"{DONE} {text}. The episode is over."),
        context_block(numbers_line(note.goal)),
    ]


@_render.register
def acknowledged(note: Acknowledged) -> tuple[str, list[Block]]:
    """Someone acknowledged: repeats stop, the deadline does not."""
    text = f"Acknowledged by {mention(note.user_id)} — repeats stopped; the deadline stands"
    return fallback_text(text, note.goal), [section_block(f":ballot_box_with_check: {text}.")]


@_render.register
def snoozed(note: Snoozed) -> tuple[str, list[Block]]:
    """Someone muted the repeats until a time."""
    until = local_time(note.until, note.timezone)
    text = (
        f"{mention(note.user_id)} snoozed the reminders for *{goal_title(note.goal)}* until {until}"
    )
    return fallback_text(text, note.goal), [section_block(f":zzz: {text}. The deadline stands.")]


@_render.register
def reminder(note: Reminder) -> tuple[str, list[Block]]:
    """The +24h/+48h reminder, mentioning each owner of an unchecked item once."""
    owners = " ".join(mention(user) for user in dict.fromkeys(note.owner_ids))
    parts = [f"{note.done}/{note.total} done"]
    if left := _left_at(note):
        parts.append(left)
    parts.append(f"due {local_time(note.due_at, note.timezone)}")
    status = " · ".join(parts)
    text = f"{owners}: {status}" if owners else status
    return (
        f"Checklist reminder for {goal_title(note.goal)}: {text}",
        [section_block(f":alarm_clock: *Checklist reminder · {goal_title(note.goal)}*\n{text}")],
    )


def _left_at(note: Reminder) -> str | None:
    """The time left at the reminder's planned moment (+24h or +48h), however late it goes."""
    hours = {"24h": 24, "48h": 48}.get(note.kind)
    if hours is None:
        return None
    return time_left(note.due_at, note.due_at - DURATION + timedelta(hours=hours))


CLOSE_OUT_HEADLINES = {
    "resolved_early": f"{DONE} *Resolved early*",
    "resolved": f"{DONE} *Resolved*",
    "overdue": ":rotating_light: *Overdue*",
}


@_render.register
def close_out(note: CloseOut) -> tuple[str, list[Block]]:
    """The remediation's outcome, a summary and who an overdue one was escalated to."""
    headline = CLOSE_OUT_HEADLINES.get(note.outcome, f"*{escape_mrkdwn(note.outcome)}*")
    by = f" by {mention(note.closed_by)}" if note.closed_by else ""
    first = (
        f"{headline}{by} · remediation of *{goal_title(note.goal)}* · {note.done}/{note.total} done"
    )
    lines = [first]
    if note.summary.strip():
        lines.append(escape_mrkdwn(note.summary.strip()[:SUMMARY_CHARS]))
    if note.escalated_to:
        people = ", ".join(
            f"{mention(user)} ({ROLE_NAMES[role]})" for role, user in note.escalated_to
        )
        lines.append(f"Escalated to {people}")
    blocks: list[Block] = [section_block("\n".join(lines)), context_block(numbers_line(note.goal))]
    outcome = note.outcome.replace("_", " ")
    return f"Remediation of {goal_title(note.goal)}: {outcome}", blocks


# The reason comes from a dataset's error or a scoring failure: one line, cut.
HEATMAP_REASON_CHARS = 300


@_render.register
def heatmap_unavailable(note: HeatmapUnavailable) -> tuple[str, list[Block]]:
    """In place of the customer heatmap: why it could not be drawn."""
    text = f"Customer heatmap unavailable: {escaped_line(note.reason, HEATMAP_REASON_CHARS)}"
    return text, [context_block(f":grey_question: {text}")]


# Every kind of message has its renderer (checked once, on import).
_UNRENDERED = set(get_args(Outgoing)) - set(_render.registry)
assert not _UNRENDERED, f"no renderer for {sorted(kind.__name__ for kind in _UNRENDERED)}"
