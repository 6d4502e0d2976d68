"""Escalation and remediation messages as Block Kit: DMs, the remediation parent and checklist,
and the notes posted in a remediation's thread. Pure: `render` turns a message into its
notification text and blocks.

Titles of metrics and checklist items come from workspace configuration typed in Slack, so they
are escaped before they enter mrkdwn; mentions are built only from user ids.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import TypeGuard, assert_never
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    MarkdownTextObject,
    Option,
    SectionBlock,
    UserSelectElement,
)

from bot.constants import (
    ACKNOWLEDGE_ACTION,
    CHECKLIST_ACTION,
    ITEM_OWNER_ACTION,
    RESOLVE_ACTION,
    SNOOZE_ACTION,
    checklist_block_id,
    episode_block_id,
    owner_block_id,
)
from bot.render.blocks import BAND_EMOJI, DIRECTION_WORDS
from bot.render.digest import (
    _USER_ID,
    LABELS,
    _context,
    _cut,
    _day,
    _deviation,
    _reading,
    _section,
    _title,
    _value,
    full_line,
    sparkline,
)
from jobs.alert_model import (
    Acknowledged,
    BandChanged,
    ChecklistView,
    CloseOut,
    EscalationDm,
    LeadAlerted,
    MissingRecipient,
    Outgoing,
    Recovered,
    RemediationParent,
    Reminder,
    Role,
    Snoozed,
)
from jobs.digest_model import GoalLine
from jobs.errors import escape_mrkdwn
from jobs.escalation import EscalationPolicy
from jobs.remediation import DURATION, ChecklistItem

MAX_BLOCKS = 50
MAX_OPTIONS = 10  # Slack's limit for a checkboxes element
OPTION_CHARS = 75  # an option's text
ITEM_CHARS = 200  # an item's title in its section
SUMMARY_CHARS = 2000
MAX_PINGS = EscalationPolicy().max_repeats  # repeats after the first ping, as the playbook says
ROLE_NAMES: dict[Role, str] = {"lead": "lead", "ceo": "CEO"}
TRIGGER_EMOJI = {"orange": BAND_EMOJI["orange"], "red": BAND_EMOJI["red"]}
TREND_EMOJI = ":chart_with_downwards_trend:"
BAND_ORDER = ("green", "yellow", "orange", "red")
DONE, NOT_DONE = ":white_check_mark:", ":white_large_square:"
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,20}")
_SAFE_URL = re.compile(r"https://[^\s<>|]+")


def render(message: Outgoing) -> tuple[str, list[Block]]:
    """The notification text and the blocks for any escalation or remediation message."""
    match message:
        case EscalationDm():
            return escalation_dm(message)
        case RemediationParent():
            return remediation_parent(message)
        case ChecklistView():
            return checklist(message)
        case LeadAlerted():
            return lead_alerted(message)
        case MissingRecipient():
            return missing_recipient(message)
        case BandChanged():
            return band_changed(message)
        case Recovered():
            return recovered(message)
        case Acknowledged():
            return acknowledged(message)
        case Snoozed():
            return snoozed(message)
        case Reminder():
            return reminder(message)
        case CloseOut():
            return close_out(message)
        case _:
            assert_never(message)


# --- DMs ----------------------------------------------------------------------------------


def escalation_dm(dm: EscalationDm) -> tuple[str, list[Block]]:
    """The DM to a lead or the CEO: the numbers, why now, a link, and Acknowledge/Snooze."""
    line = dm.goal
    band = _band(line.band)
    headline = {
        "opened": f"is now {band}",
        "rose": f"rose to {band}",
        "repeat": f"is still {band} — reminder {dm.repeat} of {MAX_PINGS}",
        "overdue": f"is {band} — remediation overdue",
    }[dm.reason]
    blocks: list[Block] = [
        _section(f"{_emoji(line.band)} *{_title(line)}* {headline}\n{_role_line(dm)}"),
        _numbers(line),
    ]
    if link := _link(dm.thread_link, "Open the remediation thread"):
        blocks.append(_section(f":point_right: {link}"))
    if dm.acknowledged_by:
        blocks.append(_context(f"Acknowledged by {mention(dm.acknowledged_by)}"))
    elif dm.reason != "overdue":
        buttons = [_button("Acknowledge", ACKNOWLEDGE_ACTION, str(dm.episode_id), "primary")]
        if dm.snoozed_until is None:
            buttons.append(_button("Snooze 24h", SNOOZE_ACTION, str(dm.episode_id)))
        blocks.append(ActionsBlock(block_id=episode_block_id(dm.episode_id), elements=buttons))
        if dm.snoozed_until is not None:
            blocks.append(_context(f":zzz: Snoozed until {_viewer_time(dm.snoozed_until)}"))
    text = f"{_title(line)} {headline}{_deviation_note(line)}"
    return text, blocks


def _role_line(dm: EscalationDm) -> str:
    where = f" in <#{dm.channel_id}>" if _CHANNEL_ID.fullmatch(dm.channel_id) else ""
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
    value = "no data" if line.value is None else _value(line, line.value)
    if line.value_day is not None and line.value is not None:
        value += f" ({_day(line.value_day)})"
    deviation = _deviation(line.deviation) if _finite(line.deviation) else "—"
    direction = DIRECTION_WORDS.get(line.direction)
    target = _value(line, line.target) + (f" ({direction})" if direction else "")
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
    return SectionBlock(fields=[MarkdownTextObject(text=f) for f in fields])


# --- The remediation thread -----------------------------------------------------------------


def remediation_parent(parent: RemediationParent) -> tuple[str, list[Block]]:
    """The channel message that opens a remediation; its thread holds the checklist."""
    line = parent.goal
    emoji = TRIGGER_EMOJI.get(parent.trigger, TREND_EMOJI)
    blocks: list[Block] = []
    if parent.recovered_at is not None:
        since = local_time(parent.recovered_at, parent.timezone)
        blocks.append(_section(f"{DONE} *Recovered — back in {_band(line.band)}* since {since}"))
    blocks += [
        _section(
            f"{emoji} *Remediation: {_title(line)}*\n"
            f"Opened because {_trigger(parent)}: 72 hours to correct it, "
            "looking at the whole user journey."
        ),
        _section(full_line(line)),
    ]
    when = local_time(parent.due_at, parent.timezone)
    if parent.status == "open":
        blocks.append(_context(f"Due {when} · Checklist in the thread ⤵"))
    else:
        closed = f"Closed: {parent.status}"
        if parent.closed_at is not None:
            closed += f" · {local_time(parent.closed_at, parent.timezone)}"
        blocks.append(_context(closed))
    state = "recovered" if parent.recovered_at else f"{parent.status}, due {when}"
    return f"Remediation: {_title(line)} ({state})", blocks


def _trigger(parent: RemediationParent) -> str:
    """Why it opened, as it was then (the streak today may be longer, or broken)."""
    if parent.trigger in TRIGGER_EMOJI:
        return f"it reached {parent.trigger}"
    moves = parent.trigger_moves
    return f"of {moves} adverse moves in a row" if moves else "of adverse moves in a row"


def checklist(view: ChecklistView) -> tuple[str, list[Block]]:
    """The checklist in the thread: progress, checkboxes, an owner per item and Resolve."""
    line = view.goal
    total = len(view.items)
    progress = f"{view.done}/{total} done"
    is_open = view.status == "open"
    due = f"due {local_time(view.due_at, view.timezone)}"
    status = f"{progress} · {time_left(view.due_at, view.now)} · {due}" if is_open else progress
    blocks: list[Block] = [_section(f":memo: *Checklist · {_title(line)}*\n{status}")]
    # Room for the header, the checkboxes, Resolve (or the closing line) and a "more" note.
    room = MAX_BLOCKS - 4
    shown = view.items[:room]
    if is_open:
        tickable = view.items[:MAX_OPTIONS]
        options = {item.key: _option(item) for item in tickable}
        done = [options[item.key] for item in tickable if item.done]
        element = CheckboxesElement(
            action_id=CHECKLIST_ACTION,
            options=list(options.values()),
            # Slack refuses an empty list of initial options: None leaves the key out.
            initial_options=done or None,
        )
        blocks.append(
            ActionsBlock(block_id=checklist_block_id(view.remediation_id), elements=[element])
        )
    blocks += [_item_section(view, item, interactive=is_open) for item in shown]
    if len(view.items) > len(shown):
        blocks.append(_context(f"…and {len(view.items) - len(shown)} more items."))
    if is_open:
        confirm = ConfirmObject(
            title="Resolve this remediation?",
            text=MarkdownTextObject(
                text=f"This closes the remediation of *{_title(line)}* now, "
                f"with {progress}. Only the goal's owner or lead can do this."
            ),
            confirm="Resolve",
            deny="Cancel",
        )
        resolve = _button("Resolve", RESOLVE_ACTION, str(view.remediation_id), "primary", confirm)
        blocks.append(ActionsBlock(elements=[resolve]))
    else:
        by = f" (by {mention(view.closed_by)})" if view.closed_by else ""
        blocks.append(_context(f"Closed: {view.status}{by}"))
    text = f"Checklist for {_title(line)}: {progress}" + (f", {due}" if is_open else "")
    return text, blocks


def _option(item: ChecklistItem) -> Option:
    return Option(value=item.key, text=MarkdownTextObject(text=_short(item.title, OPTION_CHARS)))


def _item_section(view: ChecklistView, item: ChecklistItem, *, interactive: bool) -> SectionBlock:
    title = escape_mrkdwn(_cut(item.title, ITEM_CHARS))
    if item.done:
        by = f" by {mention(item.done_by)}" if item.done_by else ""
        state = f"{DONE} *{title}* — done{by}"
    else:
        state = f"{NOT_DONE} *{title}*" + ("" if interactive else " — not done")
    text = f"{state}\nowner {mention(item.owner_id)}"
    if not interactive:
        return _section(text)
    owner = UserSelectElement(
        action_id=ITEM_OWNER_ACTION,
        placeholder="Choose an owner",
        initial_user=item.owner_id if _USER_ID.fullmatch(item.owner_id) else None,
    )
    return SectionBlock(
        block_id=owner_block_id(view.remediation_id, item.key),
        text=MarkdownTextObject(text=text),
        accessory=owner,
    )


# --- Thread notes -----------------------------------------------------------------------------


def lead_alerted(note: LeadAlerted) -> tuple[str, list[Block]]:
    """The lead (or CEO) is told by DM; mention them where the work happens.

    The DM may still be waiting for the end of their quiet hours, so this says it is on its
    way rather than that it arrived.
    """
    who = mention(note.user_id) + ("" if note.role == "lead" else " (CEO)")
    text = (
        f"{who} — *{_title(note.goal)}* is {_band(note.goal.band)}; "
        "a DM with the details is on its way"
    )
    return _fallback(text, note.goal), [_section(f":mailbox_with_mail: {text}.")]


def missing_recipient(note: MissingRecipient) -> tuple[str, list[Block]]:
    """Nobody could be told: say who should be configured and the command that does it."""
    command = f"`{escape_mrkdwn(note.command)}`"
    if note.role == "lead":
        text = (
            "No lead is set for this goal or channel, so nobody was told that "
            f"*{_title(note.goal)}* is {_band(note.goal.band)}. Set one with {command}."
        )
    else:
        text = (
            "No CEO is set for this workspace, so nobody was told that "
            f"*{_title(note.goal)}* is {_band(note.goal.band)}. "
            f"An admin can set one with {command}."
        )
    return _fallback(text, note.goal), [_section(f":warning: {text}")]


def band_changed(note: BandChanged) -> tuple[str, list[Block]]:
    """The goal moved between orange and red."""
    verb = "rose" if _rank(note.band) > _rank(note.previous) else "fell"
    arrow = f"{_emoji(note.previous)} → {_emoji(note.band)}"
    text = f"*{_title(note.goal)}* {verb} from {_band(note.previous)} to {_band(note.band)}"
    blocks: list[Block] = [_section(f"{arrow} {text}"), _context(_numbers_line(note.goal))]
    return _fallback(text, note.goal), blocks


def recovered(note: Recovered) -> tuple[str, list[Block]]:
    """The goal is back in green or yellow: the episode is over."""
    text = f"*{_title(note.goal)}* recovered — back in {_band(note.goal.band)}"
    return _fallback(text, note.goal), [
        _section(f"{DONE} {text}. The episode is over."),
        _context(_numbers_line(note.goal)),
    ]


def acknowledged(note: Acknowledged) -> tuple[str, list[Block]]:
    """Someone acknowledged: repeats stop, the deadline does not."""
    text = f"Acknowledged by {mention(note.user_id)} — repeats stopped; the deadline stands"
    return _fallback(text, note.goal), [_section(f":ballot_box_with_check: {text}.")]


def snoozed(note: Snoozed) -> tuple[str, list[Block]]:
    """Someone muted the repeats until a time."""
    until = local_time(note.until, note.timezone)
    text = f"{mention(note.user_id)} snoozed the reminders for *{_title(note.goal)}* until {until}"
    return _fallback(text, note.goal), [_section(f":zzz: {text}. The deadline stands.")]


def reminder(note: Reminder) -> tuple[str, list[Block]]:
    """The +24h/+48h reminder, mentioning each owner of an unchecked item once."""
    owners = " ".join(mention(user) for user in dict.fromkeys(note.owner_ids))
    parts = [f"{note.done}/{note.total} done"]
    if left := _left_at(note.kind):
        parts.append(left)
    parts.append(f"due {local_time(note.due_at, note.timezone)}")
    status = " · ".join(parts)
    text = f"{owners}: {status}" if owners else status
    return (
        f"Checklist reminder for {_title(note.goal)}: {text}",
        [_section(f":alarm_clock: *Checklist reminder · {_title(note.goal)}*\n{text}")],
    )


def _left_at(kind: str) -> str | None:
    hours = {"24h": 24, "48h": 48}.get(kind)
    if hours is None:
        return None
    left = DURATION - timedelta(hours=hours)
    return f"{int(left.total_seconds() // 3600)}h left"


CLOSE_OUT_HEADLINES = {
    "resolved_early": f"{DONE} *Resolved early*",
    "resolved": f"{DONE} *Resolved*",
    "overdue": ":rotating_light: *Overdue*",
}


def close_out(note: CloseOut) -> tuple[str, list[Block]]:
    """The remediation's outcome, a summary and who an overdue one was escalated to."""
    headline = CLOSE_OUT_HEADLINES.get(note.outcome, f"*{escape_mrkdwn(note.outcome)}*")
    by = f" by {mention(note.closed_by)}" if note.closed_by else ""
    first = f"{headline}{by} · remediation of *{_title(note.goal)}* · {note.done}/{note.total} done"
    lines = [first]
    if note.summary.strip():
        lines.append(escape_mrkdwn(note.summary.strip()[:SUMMARY_CHARS]))
    if note.escalated_to:
        people = ", ".join(
            f"{mention(user)} ({ROLE_NAMES[role]})" for role, user in note.escalated_to
        )
        lines.append(f"Escalated to {people}")
    blocks: list[Block] = [_section("\n".join(lines)), _context(_numbers_line(note.goal))]
    outcome = note.outcome.replace("_", " ")
    return f"Remediation of {_title(note.goal)}: {outcome}", blocks


# --- Shared pieces ----------------------------------------------------------------------------


def mention(user_id: str) -> str:
    """`<@U…>` for a user id; anything that is not an id is shown as inert text."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else escape_mrkdwn(user_id)


def local_time(moment: datetime, timezone: str) -> str:
    """`Fri 28 Nov, 09:30 CET`: a moment in a channel's timezone (UTC if it is unknown)."""
    local = _aware(moment).astimezone(_zone(timezone))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {local.tzname()}"


def time_left(due_at: datetime, now: datetime) -> str:
    """`41h left`, `25m left` or `past due`."""
    seconds = (_aware(due_at) - _aware(now)).total_seconds()
    if seconds <= 0:
        return "past due"
    if seconds >= 3600:
        return f"{int(seconds // 3600)}h left"
    return f"{max(1, int(seconds // 60))}m left"


def _viewer_time(moment: datetime) -> str:
    """A time Slack shows in the reader's own timezone, with a UTC fallback."""
    moment = _aware(moment)
    fallback = local_time(moment, "UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _numbers_line(line: GoalLine) -> str:
    """`120k vs 150k · −20.0%`, or why there is no value, as in the digest."""
    return " · ".join(_reading(line))


def _deviation_note(line: GoalLine) -> str:
    return f" ({_deviation(line.deviation)})" if _finite(line.deviation) else ""


def _finite(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def _band(band: str) -> str:
    return LABELS.get(band, escape_mrkdwn(band))


def _emoji(band: str) -> str:
    return BAND_EMOJI.get(band, ":white_circle:")


def _rank(band: str) -> int:
    return BAND_ORDER.index(band) if band in BAND_ORDER else -1


def _link(url: str | None, label: str) -> str | None:
    return f"<{url}|{label}>" if url and _SAFE_URL.fullmatch(url) else None


def _short(text: str, limit: int) -> str:
    """Escaped text of at most `limit` UTF-16 units (how Slack counts), cut before escaping."""
    text = " ".join(text.split())
    cut = len(text)
    while _units(escape_mrkdwn(text[:cut])) + (cut < len(text)) > limit:
        cut -= 1
    return escape_mrkdwn(text[:cut]) + ("…" if cut < len(text) else "")


def _units(text: str) -> int:
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def _fallback(text: str, line: GoalLine) -> str:
    """Notification text: the same words without the bold around the title."""
    return text.replace(f"*{_title(line)}*", _title(line))


def _button(
    text: str,
    action_id: str,
    value: str,
    style: str | None = None,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    return ButtonElement(text=text, action_id=action_id, value=value, style=style, confirm=confirm)
