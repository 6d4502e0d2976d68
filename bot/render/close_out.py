"""The close-out note in a remediation's thread: its outcome, the stored summary in the
reader's words, and who an overdue one was escalated to. Pure."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.render.alert_parts import (
    DONE,
    SUMMARY_CHARS,
    done_count,
    listed,
    numbers_line,
    role_name,
    status_word,
)
from bot.render.block_kit import context_block, section_block
from bot.render.figures import goal_title
from bot.render.text import escape_mrkdwn, mention
from jobs.escalation.remediation import summary_facts
from jobs.i18n import N_, _
from jobs.messages import CloseOut

# Translated where shown.
CLOSE_OUT_HEADLINES = {
    "resolved_early": (DONE, N_("Resolved early")),
    "resolved": (DONE, N_("Resolved")),
    "overdue": (":rotating_light:", N_("Overdue")),
}


def close_out(note: CloseOut) -> tuple[str, list[Block]]:
    """The remediation's outcome, a summary and who an overdue one was escalated to."""
    if note.outcome in CLOSE_OUT_HEADLINES:
        emoji, word = CLOSE_OUT_HEADLINES[note.outcome]
        said = _(word)
        headline = f"{emoji} *{said}*"
    else:
        headline = f"*{escape_mrkdwn(note.outcome)}*"
    title = goal_title(note.goal)
    done = done_count(note.done, note.total)
    if note.closed_by:
        first = _("{headline} by {user} · remediation of {title} · {done}").format(
            headline=headline, user=mention(note.closed_by), title=f"*{title}*", done=done
        )
    else:
        first = _("{headline} · remediation of {title} · {done}").format(
            headline=headline, title=f"*{title}*", done=done
        )
    lines = [first]
    if summary := close_out_summary(note.summary):
        lines.append(summary)
    if note.escalated_to:
        people = listed(
            [
                _("{person} ({role})").format(person=mention(user), role=role_name(role))
                for role, user in note.escalated_to
            ]
        )
        lines.append(_("Escalated to {people}").format(people=people))
    blocks: list[Block] = [section_block("\n".join(lines)), context_block(numbers_line(note.goal))]
    text = _("Remediation of {title}: {outcome}").format(
        title=title, outcome=status_word(note.outcome)
    )
    return text, blocks


def close_out_summary(summary: str) -> str:
    """The stored summary in the reader's words (one jobs/escalation/remediation.py wrote),
    else as stored, escaped and cut."""
    facts = summary_facts(summary)
    if facts is None:
        return escape_mrkdwn(summary.strip()[:SUMMARY_CHARS])
    said = (
        _("{outcome}: {done}/{total} items done; metric still adverse.")
        if facts.metric_adverse
        else _("{outcome}: {done}/{total} items done; metric no longer adverse.")
    )
    headline = CLOSE_OUT_HEADLINES[facts.outcome][1]
    return said.format(outcome=_(headline), done=facts.done, total=facts.total)
