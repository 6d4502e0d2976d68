"""The weekly check-in summary, posted in the thread of a channel's first digest of the next
week: each goal's check-ins (who, the confidence and its change, the value, what moved it and
the blockers, quoted with the person's name) and the check-ins missed. Pure.

Notes are typed by people, so each is cut to one line and escaped: it can neither ping nor link.
Slack's limits (50 blocks, 3000 characters a section) are kept by packing goals into sections
and saying how many were left out.
"""

from __future__ import annotations

from datetime import date

from slack_sdk.models.blocks import Block

from bot.render.block_kit import MAX_BLOCKS, context_block, section_block
from bot.render.figures import reader_day, reader_value
from bot.render.goal_notes import confidence_badge, confidence_label
from bot.render.lines import escaped_line, inert_line
from bot.render.text import mention
from jobs.i18n import _, ngettext
from jobs.messages import CheckinEntry, GoalWeek, WeeklyCheckinSummary

NOTE_CHARS = 300
TITLE_CHARS = 100
SECTION_CHARS = 2900


def checkin_summary(summary: WeeklyCheckinSummary) -> tuple[str, list[Block]]:
    """The notification text and blocks: a heading, then one section per goal (packed)."""
    answered = sum(len(goal.answered) for goal in summary.goals)
    missed = sum(len(goal.missed) for goal in summary.goals)
    week = summary.first.isocalendar().week
    span = f"{_day(summary.first)} – {_day(summary.last)}"
    text = _("Check-ins for week {week} ({span}): {answered} answered, {missed} missed").format(
        week=week, span=span, answered=answered, missed=missed
    )
    heading = _("*Check-ins for week {week}* ({span})").format(week=week, span=span)
    blocks: list[Block] = [section_block(f":clipboard: {heading}")]
    sections = _pack([_goal_text(goal) for goal in summary.goals])
    room = MAX_BLOCKS - len(blocks) - 2  # the count of goals left out, the totals
    blocks += [section_block(section) for section in sections[:room]]
    if len(sections) > room:
        left = sum(section.count("\n\n") + 1 for section in sections[room:])
        blocks.append(
            context_block(
                ngettext("…and {count} more goal", "…and {count} more goals", left).format(
                    count=left
                )
            )
        )
    blocks.append(
        context_block(
            _("{answered} answered · {missed} missed").format(answered=answered, missed=missed)
        )
    )
    return text, blocks


def _goal_text(goal: GoalWeek) -> str:
    lines = [f"*{inert_line(goal.title, TITLE_CHARS)}* `{inert_line(goal.metric_key, 64)}`"]
    lines += [line for entry in goal.answered for line in _entry_lines(goal, entry)]
    if goal.missed:
        missed = ", ".join(
            _("{who} ({day})").format(who=mention(m.user_id), day=_day(m.day)) for m in goal.missed
        )
        lines.append(_("Missed: {who}").format(who=missed))
    return "\n".join(lines)


def _entry_lines(goal: GoalWeek, entry: CheckinEntry) -> list[str]:
    """`• <@U…> · Mon 24 Nov · 🔴 off track (was on track) · 152k`, then its quoted notes."""
    who = mention(entry.user_id)
    parts = [f"• {who}", _day(entry.day)]
    if entry.confidence is not None:
        shown = confidence_badge(entry.confidence)
        if entry.previous is not None and entry.previous != entry.confidence:
            shown += _(" (was {confidence})").format(confidence=confidence_label(entry.previous))
        parts.append(shown)
    if entry.value is not None:
        parts.append(reader_value(goal.unit, entry.value, scale=goal.scale, currency=goal.currency))
    if entry.late:
        parts.append(_("late"))
    lines = [" · ".join(parts)]
    quotes = (
        (_(">What moved it ({who}): “{note}”"), entry.moved),
        (_(">Blockers ({who}): “{note}”"), entry.blockers),
    )
    for quote, note in quotes:
        if note and note.strip():
            lines.append(quote.format(who=who, note=escaped_line(note, NOTE_CHARS)))
    return lines


def _pack(entries: list[str]) -> list[str]:
    """Goals joined into as few sections as fit, in order; a goal too long alone is cut."""
    sections: list[str] = []
    chunk = ""
    for entry in entries:
        entry = entry if len(entry) <= SECTION_CHARS else _cut(entry)
        if chunk and len(chunk) + 2 + len(entry) > SECTION_CHARS:
            sections.append(chunk)
            chunk = ""
        chunk = f"{chunk}\n\n{entry}" if chunk else entry
    if chunk:
        sections.append(chunk)
    return sections


def _cut(entry: str) -> str:
    """Whole lines of a goal's entry that fit in a section, and how many were left out."""
    kept: list[str] = []
    lines = entry.split("\n")
    for line in lines:
        if sum(len(k) + 1 for k in kept) + len(line) > SECTION_CHARS - 40:
            break
        kept.append(line)
    left = len(lines) - len(kept)
    more = ngettext("…and {count} more line", "…and {count} more lines", left).format(count=left)
    return "\n".join([*kept, more])


def _day(day: date) -> str:
    return reader_day(day)
