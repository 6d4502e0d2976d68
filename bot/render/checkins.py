"""The check-in DMs as Block Kit: the prompt (and its one reminder) with a *Check in* button,
and the same DM redrawn once answered. Pure.

The goal's title comes from configuration and the notes from the owner's own typing, so both
are escaped before they enter mrkdwn: neither can ping or link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import ActionsBlock, Block, MarkdownTextObject, SectionBlock

from bot.constants import CHECKIN_BUTTON
from bot.render.alert_parts import button
from bot.render.block_kit import context_block, section_block
from bot.render.digest import short_day
from bot.render.figures import goal_title, line_value
from bot.render.goal_notes import confidence_badge
from bot.render.lines import escaped_line, shorten
from bot.render.text import escape_mrkdwn, mention
from bot.render.times import viewer_time
from jobs.checkins.cadence import Cadence
from jobs.digest.model import GoalLine
from jobs.messages import CheckinAnswered, CheckinPrompt
from jobs.metrics.catalog import Metric
from jobs.metrics.quantities import format_metric_value
from storage.models import Checkin, CheckinState

# A note as typed is at most 1000 characters; escaped it may grow, so it is cut to fit a field.
NOTE_CHARS = 1000
BUTTON_TEXT = "Check in"
# A note in `/goal show` is cut shorter than in the DM: several check-ins share one section.
SHOW_NOTE_CHARS = 200


def checkin_block_id(checkin_id: int) -> str:
    """`checkin:7`: the actions block holding the prompt's button."""
    return f"checkin:{checkin_id}"


def checkin_prompt(prompt: CheckinPrompt) -> tuple[str, list[Block]]:
    """ "Time to check in on *GMV*", the latest value and target, and the Check in button."""
    title = goal_title(prompt.goal)
    if prompt.reminder:
        headline = f":alarm_clock: Reminder: time to check in on *{title}*"
        text = f"Reminder: time to check in on {title}"
    else:
        headline = f":memo: Time to check in on *{title}*"
        text = f"Time to check in on {title}"
    form = (
        "The form asks for the latest value, how confident you are, what moved it and any blockers."
        if prompt.manual
        else "The form shows the latest pulled value and asks how confident you are, what moved "
        "it and any blockers."
    )
    blocks: list[Block] = [
        section_block(f"{headline}\n{_latest(prompt.goal, prompt.due_date)}"),
        section_block(form),
        ActionsBlock(
            block_id=checkin_block_id(prompt.checkin_id),
            elements=[
                button(BUTTON_TEXT, CHECKIN_BUTTON, str(prompt.checkin_id), "primary"),
            ],
        ),
        context_block(
            f"You are asked {prompt.cadence}, in your own time zone."
            if prompt.cadence
            else "You are asked on this goal's schedule, in your own time zone."
        ),
    ]
    return text, blocks


def checkin_answered(answer: CheckinAnswered) -> tuple[str, list[Block]]:
    """The prompt redrawn: what was answered, and no button."""
    title = goal_title(answer.goal)
    confidence = confidence_badge(answer.confidence, capitalized=True) if answer.confidence else ""
    late = " (after it was recorded missed)" if answer.late else ""
    headline = f":white_check_mark: Checked in on *{title}*{late}"
    fields = []
    if confidence:
        fields.append(f"*Confidence*\n{confidence}")
    if answer.value is not None:
        fields.append(f"*Value*\n{line_value(answer.goal, answer.value)}")
    blocks: list[Block] = [section_block(headline)]
    if fields:
        blocks.append(SectionBlock(fields=[MarkdownTextObject(text=f) for f in fields]))
    for label, note in (("What moved it", answer.moved), ("Blockers", answer.blockers)):
        if note and note.strip():
            blocks.append(section_block(f"*{label}*\n{shorten(note, NOTE_CHARS)}"))
    blocks.append(context_block(f"Answered {viewer_time(answer.answered_at)}. Thank you!"))
    return f"Checked in on {title}{late}", blocks


def _latest(line: GoalLine, due: date | None) -> str:
    """`Latest: 120k on Mon 24 Nov · target 150k by 31 Dec 2026`, or that there is no value yet."""
    target = f"target {line_value(line, line.target)}"
    if due is not None:
        target += f" by {due.day} {due:%b %Y}"
    if line.value is None:
        return f"No value yet · {target}"
    when = f" on {short_day(line.value_day)}" if line.value_day is not None else ""
    return f"Latest: {line_value(line, line.value)}{when} · {target}"


def recent_checkins_text(checkins: Sequence[Checkin], metric: Metric | None) -> str | None:
    """`/goal show`'s check-ins, newest first: who, when, the confidence and value, and the notes
    as typed (escaped); a missed one says so. None when there are none."""
    if not checkins:
        return None
    lines = [f"*Recent check-ins* ({len(checkins)})"]
    for checkin in checkins:
        parts = [short_day(checkin.day), mention(checkin.user_id)]
        if checkin.state == CheckinState.MISSED.value:
            parts.append("missed")
        else:
            if checkin.confidence:
                parts.append(confidence_badge(checkin.confidence))
            if checkin.value is not None:
                shown = format_metric_value(metric, checkin.value) if metric else None
                parts.append(shown or f"{checkin.value:g}")
            if checkin.late:
                parts.append("late")
        lines.append("• " + " · ".join(parts))
        for label, note in (("What moved it", checkin.moved), ("Blockers", checkin.blockers)):
            if note and note.strip():
                lines.append(f"      {label}: “{escaped_line(note, SHOW_NOTE_CHARS)}”")
    return "\n".join(lines)


def cadence_saved_text(title: str, cadence: Cadence | None, *, owned: bool) -> str:
    """The reply to `/goal checkins`: when the owner is asked now, or that nobody is."""
    name = f"*{escape_mrkdwn(title)}*"
    if cadence is None:
        return f":zzz: Check-ins for {name} are off; any still open are cancelled."
    when = cadence.describe()
    text = f":alarm_clock: Check-ins for {name}: {when}, in each owner's own time zone."
    if not owned:
        text += " The goal has no owner yet, so nobody is asked until it has one."
    return text
