"""The check-in DMs as Block Kit: the prompt (and its one reminder) with a *Check in* button,
and the same DM redrawn once answered. Pure.

The goal's title comes from configuration and the notes from the owner's own typing, so both
are escaped before they enter mrkdwn: neither can ping or link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from babel.dates import get_day_names
from slack_sdk.models.blocks import ActionsBlock, Block, MarkdownTextObject, SectionBlock

from bot.constants import CHECKIN_BUTTON
from bot.render.alert_parts import button, labelled
from bot.render.block_kit import context_block, section_block
from bot.render.digest import short_day
from bot.render.figures import goal_title, line_value, metric_value
from bot.render.goal_notes import confidence_badge
from bot.render.lines import escaped_line, shorten
from bot.render.text import escape_mrkdwn, mention
from bot.render.times import day_month, viewer_time
from jobs.checkins.cadence import Cadence
from jobs.digest.model import GoalLine
from jobs.i18n import EN, N_, _, current_locale
from jobs.messages import CheckinAnswered, CheckinPrompt
from jobs.metrics.catalog import Metric
from storage.models import Checkin, CheckinState

# A note as typed is at most 1000 characters; escaped it may grow, so it is cut to fit a field.
NOTE_CHARS = 1000
# Translated where shown.
BUTTON_TEXT = N_("Check in")
# A note in `/goal show` is cut shorter than in the DM: several check-ins share one section.
SHOW_NOTE_CHARS = 200
MOVED, BLOCKERS = N_("What moved it"), N_("Blockers")


def checkin_block_id(checkin_id: int) -> str:
    """`checkin:7`: the actions block holding the prompt's button."""
    return f"checkin:{checkin_id}"


def cadence_words(cadence: Cadence) -> str:
    """`every 2 weeks on Monday at 10:00` (`每 2 周的星期一 10:00`), in the locale in force."""
    clock = cadence.at.strftime("%H:%M")
    if cadence.every == "day":
        return _("every day at {time}").format(time=clock)
    locale = "en" if current_locale() == EN else "zh_CN"
    day = get_day_names("wide", locale=locale)[cadence.weekday]
    if cadence.weeks == 1:
        return _("every {weekday} at {time}").format(weekday=day, time=clock)
    return _("every {weeks} weeks on {weekday} at {time}").format(
        weeks=cadence.weeks, weekday=day, time=clock
    )


def checkin_prompt(prompt: CheckinPrompt) -> tuple[str, list[Block]]:
    """ "Time to check in on *GMV*", the latest value and target, and the Check in button."""
    title = goal_title(prompt.goal)
    said = (
        _("Reminder: time to check in on {title}")
        if prompt.reminder
        else _("Time to check in on {title}")
    )
    emoji = ":alarm_clock:" if prompt.reminder else ":memo:"
    headline = f"{emoji} {said.format(title=f'*{title}*')}"
    text = said.format(title=title)
    form = (
        _(
            "The form asks for the latest value, how confident you are, what moved it and any "
            "blockers."
        )
        if prompt.manual
        else _(
            "The form shows the latest pulled value and asks how confident you are, what moved "
            "it and any blockers."
        )
    )
    blocks: list[Block] = [
        section_block(f"{headline}\n{_latest(prompt.goal, prompt.due_date)}"),
        section_block(form),
        ActionsBlock(
            block_id=checkin_block_id(prompt.checkin_id),
            elements=[
                button(_(BUTTON_TEXT), CHECKIN_BUTTON, str(prompt.checkin_id), "primary"),
            ],
        ),
        context_block(
            _("You are asked {cadence}, in your own time zone.").format(
                cadence=cadence_words(prompt.cadence)
            )
            if prompt.cadence
            else _("You are asked on this goal's schedule, in your own time zone.")
        ),
    ]
    return text, blocks


def checkin_answered(answer: CheckinAnswered) -> tuple[str, list[Block]]:
    """The prompt redrawn: what was answered, and no button."""
    title = goal_title(answer.goal)
    confidence = confidence_badge(answer.confidence, capitalized=True) if answer.confidence else ""
    said = (
        _("Checked in on {title} (after it was recorded missed)")
        if answer.late
        else _("Checked in on {title}")
    )
    headline = f":white_check_mark: {said.format(title=f'*{title}*')}"
    fields = []
    if confidence:
        fields.append(labelled(_("Confidence"), confidence))
    if answer.value is not None:
        fields.append(labelled(_("Value"), line_value(answer.goal, answer.value)))
    blocks: list[Block] = [section_block(headline)]
    if fields:
        blocks.append(SectionBlock(fields=[MarkdownTextObject(text=f) for f in fields]))
    for label, note in ((MOVED, answer.moved), (BLOCKERS, answer.blockers)):
        if note and note.strip():
            blocks.append(section_block(labelled(_(label), shorten(note, NOTE_CHARS))))
    thanks = _("Answered {time}. Thank you!").format(time=viewer_time(answer.answered_at))
    blocks.append(context_block(thanks))
    return said.format(title=title), blocks


def _latest(line: GoalLine, due: date | None) -> str:
    """`Latest: 120k on Mon 24 Nov · target 150k by 31 Dec 2026`, or that there is no value yet."""
    shown = line_value(line, line.target)
    if due is not None:
        target = _("target {target} by {day}").format(target=shown, day=_month_year_day(due))
    else:
        target = _("target {target}").format(target=shown)
    if line.value is None:
        return _("No value yet · {target}").format(target=target)
    value = line_value(line, line.value)
    if line.value_day is not None:
        return _("Latest: {value} on {day} · {target}").format(
            value=value, day=short_day(line.value_day), target=target
        )
    return _("Latest: {value} · {target}").format(value=value, target=target)


def _month_year_day(day: date) -> str:
    """`31 Dec 2026` (`2026年12月31日`)."""
    return day_month(day, date(day.year - 1, 1, 1))


def recent_checkins_text(checkins: Sequence[Checkin], metric: Metric | None) -> str | None:
    """`/goal show`'s check-ins, newest first: who, when, the confidence and value, and the notes
    as typed (escaped); a missed one says so. None when there are none."""
    if not checkins:
        return None
    lines = [_("*Recent check-ins* ({count})").format(count=len(checkins))]
    for checkin in checkins:
        parts = [short_day(checkin.day), mention(checkin.user_id)]
        if checkin.state == CheckinState.MISSED.value:
            parts.append(_("missed"))
        else:
            if checkin.confidence:
                parts.append(confidence_badge(checkin.confidence))
            if checkin.value is not None:
                shown = metric_value(metric, checkin.value) if metric else None
                parts.append(shown or f"{checkin.value:g}")
            if checkin.late:
                parts.append(_("late"))
        lines.append("• " + " · ".join(parts))
        for label, note in ((MOVED, checkin.moved), (BLOCKERS, checkin.blockers)):
            if note and note.strip():
                said = _("{label}: “{note}”").format(
                    label=_(label), note=escaped_line(note, SHOW_NOTE_CHARS)
                )
                lines.append(f"      {said}")
    return "\n".join(lines)


def cadence_saved_text(title: str, cadence: Cadence | None, *, owned: bool) -> str:
    """The reply to `/goal checkins`: when the owner is asked now, or that nobody is."""
    name = f"*{escape_mrkdwn(title)}*"
    if cadence is None:
        said = _("Check-ins for {title} are off; any still open are cancelled.")
        return f":zzz: {said.format(title=name)}"
    when = cadence_words(cadence)
    if owned:
        said = _("Check-ins for {title}: {when}, in each owner's own time zone.")
    else:
        said = _(
            "Check-ins for {title}: {when}, in each owner's own time zone. The goal has no "
            "owner yet, so nobody is asked until it has one."
        )
    return f":alarm_clock: {said.format(title=name, when=when)}"
