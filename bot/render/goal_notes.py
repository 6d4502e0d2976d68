"""What the owner said and how the guards stand, in a few words beside a goal: the digest's
notes, and the confidence labels the weekly check-in summary shares. Pure."""

from __future__ import annotations

from bot.render.figures import whole_percent
from bot.render.lines import inert_line
from jobs.digest.model import GoalLine, GuardStatus
from jobs.i18n import N_, _

# The one place a confidence gets its words and its colour (digest, DMs, form, summary).
# English; `confidence_label` says them in the reader's language.
CONFIDENCE_LABELS = {
    "on_track": N_("on track"),
    "at_risk": N_("at risk"),
    "off_track": N_("off track"),
}
CONFIDENCE_EMOJI = {
    "on_track": ":large_green_circle:",
    "at_risk": ":large_yellow_circle:",
    "off_track": ":red_circle:",
}
KEY_CHARS = 64


def confidence_label(confidence: str | None) -> str:
    """`off track`; an unknown value is shown inert, None as "no confidence"."""
    if confidence is None:
        return _("no confidence")
    label = CONFIDENCE_LABELS.get(confidence)
    return _(label) if label else inert_line(confidence, 20)


def confidence_badge(confidence: str, *, capitalized: bool = False) -> str:
    """`:red_circle: off track` (`Off track` capitalized): the label behind its colour, white
    when unknown."""
    label = confidence_label(confidence)
    label = label[:1].upper() + label[1:] if capitalized else label
    return f"{CONFIDENCE_EMOJI.get(confidence, ':white_circle:')} {label}"


def owner_notes(line: GoalLine) -> list[str]:
    """`Owner: off track — raised to yellow` or `Owner: at risk` (the latest confidence given
    within a week), then `check-in missed` when the latest check-in was missed."""
    notes = []
    if line.confidence is not None:
        note = (
            _("Owner: {confidence} — raised to yellow")
            if line.raised_by_owner
            else _("Owner: {confidence}")
        )
        notes.append(note.format(confidence=confidence_label(line.confidence)))
    if line.checkin_missed:
        notes.append(_("check-in missed"))
    return notes


def guard_note(status: GuardStatus) -> str:
    """`Guard `complaint_rate` +35% (breached)`; without a value to compare, `not measured yet`."""
    key = f"`{inert_line(status.metric_key, KEY_CHARS)}`"
    if status.change is None:
        return _("Guard {key} not measured yet").format(key=key)
    note = _("Guard {key} {change} (breached)") if status.breached else _("Guard {key} {change}")
    return note.format(key=key, change=whole_percent(status.change))


def goal_notes(line: GoalLine) -> list[str]:
    """The owner's word, then each guard, for a goal's line in the digest."""
    return owner_notes(line) + [guard_note(status) for status in line.guards]


def short_goal_notes(line: GoalLine) -> list[str]:
    """The same in as few words as tell it, for condensed digests: `raised by owner`,
    `check-in missed`, `guard breached`."""
    notes = []
    if line.raised_by_owner:
        notes.append(_("raised by owner"))
    if line.checkin_missed:
        notes.append(_("check-in missed"))
    if any(status.breached for status in line.guards):
        notes.append(_("guard breached"))
    return notes
