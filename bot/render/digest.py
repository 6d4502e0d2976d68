"""A channel's daily digest as Block Kit: one line per goal, worst first, condensed to fit,
then the user-health dashboard (dashboard.py) and the customer-tier line (tiers.py).

Slack refuses a message with more than 50 blocks or a section over 3000 characters, so long
digests degrade step by step: every goal in its own section; then the goals that need attention
packed several to a section, with on-track goals summarised; then shorter lines for the least
urgent of them; and only as a last resort a count of the ones left out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from itertools import pairwise

from slack_sdk.models.blocks import Block, HeaderBlock

from bot.render.block_kit import MAX_BLOCKS, context_block, section_block
from bot.render.dashboard import benchmark_note, health_text
from bot.render.figures import goal_title, line_value, reader_day, signed_percent, sparkline
from bot.render.goal_notes import goal_notes, short_goal_notes
from bot.render.lines import escaped_line
from bot.render.plan import plan_notes
from bot.render.text import escape_mrkdwn, mention
from bot.render.tiers import tier_text
from bot.render.times import time_left
from jobs.digest.chart import STATES, display_state, worst_first
from jobs.digest.model import ChannelDigest, EscalationStatus, GoalLine
from jobs.i18n import N_, _, ngettext

# Under Slack's 3000: it may count some characters (astral emoji in titles) twice.
SECTION_CHARS = 2900
CONTEXT_CHARS = 1900
ERROR_CHARS = 200

EMOJI = {
    "red": ":red_circle:",
    "orange": ":large_orange_circle:",
    "yellow": ":large_yellow_circle:",
    "no_data": ":white_circle:",
    "invalid": ":warning:",
    "failing": ":warning:",
    "green": ":large_green_circle:",
}
# English; `band_label` (or `_(LABELS[state])`) says them in the reader's language.
LABELS = {
    "red": N_("red"),
    "orange": N_("orange"),
    "yellow": N_("yellow"),
    "no_data": N_("no data"),
    "invalid": N_("config error"),
    "failing": N_("source failing"),
    "green": N_("green"),
}
# The playbook's response to each level.
RESPONSES = {
    "yellow": N_("routine review"),
    "orange": N_("task force"),
    "red": N_("CEO in charge"),
}
OPEN = N_("open")


def band_label(band: str | None) -> str:
    """A band or display state's name in the locale in force (`red`, `红色`)."""
    return _(LABELS.get(band or "", LABELS["no_data"]))


def band_emoji(band: str | None) -> str:
    """The one emoji for a band or display state; a white circle for anything else."""
    return EMOJI.get(band or "", EMOJI["no_data"])


def digest_text(digest: ChannelDigest) -> str:
    """The notification fallback: `Goal health for 2026-11-25: 1 red, 2 orange, 3 green`."""
    counts = _counts(digest.lines)
    summary = ", ".join(_band_count(s, n) for s, n in counts) or _("no goals")
    return _("Goal health for {date}: {summary}").format(
        date=digest.local_date.isoformat(), summary=summary
    )


def _band_count(state: str, count: int) -> str:
    """`2 red` (English), `红色 2 个`."""
    return _("{count} {band}").format(count=count, band=band_label(state))


def digest_blocks(digest: ChannelDigest) -> list[Block]:
    """Header, band counts, one line per goal (worst first), then the health index and the
    customer tiers."""
    lines = worst_first(digest.lines)
    summary = " · ".join(f"{EMOJI[s]} {_band_count(s, n)}" for s, n in _counts(lines))
    blocks: list[Block] = [
        HeaderBlock(text=_("Goal health · {day}").format(day=short_day(digest.local_date))),
        context_block(summary or _("No goals in this channel yet.")),
    ]
    tail = [section_block(health_text(digest.health, lines))] if digest.health else []
    if digest.tiers is not None:
        tail.append(section_block(tier_text(digest.tiers)))
    room = MAX_BLOCKS - len(blocks) - len(tail)
    if len(lines) <= room:
        blocks += [section_block(full_line(line)) for line in lines]
    else:
        urgent = [line for line in lines if _needs_attention(line)]
        on_track = [line for line in lines if not _needs_attention(line)]
        blocks += _fit(urgent, room - (1 if on_track else 0))
        if on_track:
            blocks.append(context_block(_on_track_note(on_track, alone=not urgent)))
    return blocks + tail


def full_line(line: GoalLine) -> str:
    """A goal's two-line entry: reading on the first line, what to do about it on the second."""
    state = display_state(line)
    first = [f"{EMOJI[state]} *{goal_title(line)}* `{escape_mrkdwn(line.metric_key)}`"]
    first += reading_parts(line)
    if spark := sparkline(line.sparkline):
        first.append(spark)
    second = [*plan_notes(line), *_notes(line, state)]
    if line.source_error:
        second.append(_("source failing: {error}").format(error=_error(line.source_error)))
    if owner := _owner(line):
        second.append(_("owner {owner}").format(owner=owner))
    second += goal_notes(line)
    text = " · ".join(first)
    if second:
        text += f"\n{' · '.join(second)}"
    if line.escalation is not None:
        text += f"\n{escalation_note(line.escalation)}"
    return text


def escalation_note(status: EscalationStatus) -> str:
    """A goal's open episode and remediation in one line, for the digest and `/goal show`.

    `:rotating_light: Escalated (red) · acknowledged by <@U…> · Remediation 1/3 done · 41h left`
    """
    parts = []
    if status.episode_band:
        band = _(LABELS.get(status.episode_band, OPEN))
        parts.append(_("Escalated ({band})").format(band=band))
        if status.acknowledged_by:
            who = mention(status.acknowledged_by, otherwise="")
            parts.append(_("acknowledged by {who}").format(who=who) if who else _("acknowledged"))
        else:
            parts.append(_("not acknowledged"))
    if status.remediation_id is not None:
        parts.append(
            _("Remediation {done}/{total} done").format(done=status.done, total=status.total)
        )
        if left := _left(status):
            parts.append(left)
    emoji = ":rotating_light:" if status.episode_band else ":clipboard:"
    return f"{emoji} {' · '.join(parts)}"


def _left(status: EscalationStatus) -> str | None:
    """The remediation's time left as of when the status was taken (`41h left`, `past due`)."""
    if status.due_at is None or status.time_left is None:
        return None
    # time_left is what was left then, so the status was taken at due_at − time_left.
    return time_left(status.due_at, status.due_at - status.time_left)


def _escalation_tag(status: EscalationStatus) -> str:
    """The short form for condensed digests: `:rotating_light: 1/3 · 41h left`."""
    emoji = ":rotating_light:" if status.episode_band else ":clipboard:"
    if status.remediation_id is None:
        return emoji
    left = _left(status)
    return f"{emoji} {status.done}/{status.total}" + (f" · {left}" if left else "")


def _compact_line(line: GoalLine) -> str:
    state = display_state(line)
    parts = reading_parts(line)
    if line.source_error:
        parts.append(_(LABELS["failing"]))
    if owner := _owner(line):
        parts.append(owner)
    parts += short_goal_notes(line)
    if line.escalation is not None:
        parts.append(_escalation_tag(line.escalation))
    return f"{EMOJI[state]} `{escape_mrkdwn(line.metric_key)}` {' · '.join(parts)}"


def _dense_line(line: GoalLine) -> str:
    state = display_state(line)
    shown = band_label(state)
    if state in RESPONSES and line.deviation is not None and math.isfinite(line.deviation):
        shown = signed_percent(line.deviation)
    return f"{EMOJI[state]} `{escape_mrkdwn(line.metric_key)}` {shown}"


LEVELS: tuple[Callable[[GoalLine], str], ...] = (full_line, _compact_line, _dense_line)


def _fit(lines: Sequence[GoalLine], room: int) -> list[Block]:
    """Sections for `lines` within `room` blocks: the worst in full, the rest shorter."""
    if not lines:
        return []
    rendered = [[level(line) for line in lines] for level in LEVELS]
    for fine, coarse in pairwise(rendered):
        if len(_pack(coarse)) > room:
            continue
        # Next-fit packing never needs fewer sections for longer entries, so bisect for the
        # most goals that can keep the finer line.
        low, high = 0, len(lines)
        while low < high:
            middle = (low + high + 1) // 2
            if len(_pack(fine[:middle] + coarse[middle:])) <= room:
                low = middle
            else:
                high = middle - 1
        return [section_block(text) for text in _pack(fine[:low] + coarse[low:])]
    # Even the shortest lines are too many: show the worst, and say plainly what is left out.
    sections = _pack(rendered[-1])[: room - 1]
    left = len(lines) - sum(text.count("\n") + 1 for text in sections)  # a line per goal
    return [
        *(section_block(text) for text in sections),
        context_block(
            ngettext(
                ":warning: …and {count} more goal that needs attention: see `/goal list`.",
                ":warning: …and {count} more goals that need attention: see `/goal list`.",
                left,
            ).format(count=left)
        ),
    ]


def _pack(entries: Sequence[str]) -> list[str]:
    """Entries joined into as few sections as fit, in order; multi-line ones get a blank line."""
    sections: list[str] = []
    chunk = ""
    for entry in entries:
        gap = "\n\n" if "\n" in entry else "\n"
        if chunk and len(chunk) + len(gap) + len(entry) > SECTION_CHARS:
            sections.append(chunk)
            chunk = ""
        chunk = f"{chunk}{gap}{entry}" if chunk else entry
    if chunk:
        sections.append(chunk)
    return sections


def _needs_attention(line: GoalLine) -> bool:
    return display_state(line) != "green" or line.trend_alert or line.escalation is not None


def _on_track_note(lines: Sequence[GoalLine], *, alone: bool) -> str:
    """`…and 57 more on track: `a`, `b`, … and 20 more`, listing as many keys as fit."""
    n = len(lines)
    head = (
        ngettext("All {count} goal on track:", "All {count} goals on track:", n)
        if alone
        else ngettext("…and {count} more on track:", "…and {count} more on track:", n)
    )
    text = f"{EMOJI['green']} {head.format(count=n)} "
    keys: list[str] = []
    # Leave room for "and 500 more" after the keys that fit.
    budget = CONTEXT_CHARS - len(text) - 20
    for line in lines:
        key = f"`{escape_mrkdwn(line.metric_key)}`"
        budget -= len(key) + 2
        if budget < 0:
            break
        keys.append(key)
    more = len(lines) - len(keys)
    rest = " " + _("and {count} more").format(count=more) if more else ""
    return text + ", ".join(keys) + rest


def reading_parts(line: GoalLine) -> list[str]:
    """Value vs target and deviation, or why there is no value to show."""
    target = line_value(line, line.target)
    state = display_state(line)
    if state == "invalid":
        if line.target == 0:
            return [_("target is 0, so drift can't be measured: set a new target")]
        return [_("can't be evaluated: check the goal's settings")]
    if state == "no_data" or line.value is None:
        since = (
            _("no data since {day}").format(day=short_day(line.value_day))
            if line.value_day
            else _("no data yet")
        )
        return [since, _("target {target}").format(target=target)]
    parts = [_("{value} vs {target}").format(value=line_value(line, line.value), target=target)]
    # With a plan the deviation is from the plan's value for the day: plan_notes says it.
    if line.plan is None and line.deviation is not None and math.isfinite(line.deviation):
        parts.append(signed_percent(line.deviation))
    if line.benchmark is not None and line.benchmark.gap is not None:
        parts.append(benchmark_note(line.benchmark, line_value(line, line.benchmark.benchmark)))
    return parts


def _notes(line: GoalLine, state: str) -> list[str]:
    notes = []
    if line.trend_alert:
        days = line.consecutive_adverse
        if line.direction == "higher":
            trend = ngettext("↘ {days} day down", "↘ {days} days down", days)
        elif line.direction == "lower":
            trend = ngettext("↗ {days} day up", "↗ {days} days up", days)
        else:
            trend = ngettext(
                "{days} day drifting from target", "{days} days drifting from target", days
            )
        notes.append(trend.format(days=days))
    if line.red_in_days is not None and state != "red" and line.red_in_days >= 0:
        days = max(1, round(line.red_in_days))
        notes.append(
            ngettext(
                "at this pace, red in ~{days} day", "at this pace, red in ~{days} days", days
            ).format(days=days)
        )
    if state in RESPONSES:
        notes.append(_(RESPONSES[state]))
    return notes


def _counts(lines: Sequence[GoalLine]) -> list[tuple[str, int]]:
    counts = Counter(display_state(line) for line in lines)
    return [(state, counts[state]) for state in STATES if counts[state]]


def _error(kind: str) -> str:
    """A source's kind of failure (jobs/metrics/sources/errors.py KINDS), in the reader's words."""
    return escaped_line(_(kind), ERROR_CHARS)


def _owner(line: GoalLine) -> str | None:
    """The owner's mention; None without a well-formed user id, so nothing odd reaches Slack."""
    return mention(line.owner_id, otherwise="") or None


def short_day(day: date) -> str:
    """`Mon 30 Nov`, `11月30日 周一`: a day in the locale in force (bot/render/figures.py)."""
    return reader_day(day)
