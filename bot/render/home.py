"""A person's Home tab as Block Kit: their goals (as the digest shows them), the chart of the
goal they picked, the open checklist items they may tick, and their channels' goals by band.
Pure; every word is in the locale in force (the publisher sets it).

Slack refuses a Home view of more than 100 blocks: the checklists (what can be done here) come
first within that room, then the goals, worst first, then a line saying how many were left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    CheckboxesElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
)

from bot.constants import CHECKLIST_ACTION, SLASH_COMMAND, checklist_block_id
from bot.render.alert_parts import CHANNEL_ID, MAX_OPTIONS, OPTION_CHARS
from bot.render.block_kit import context_block, section_block
from bot.render.digest import EMOJI, LABELS, band_emoji, full_line
from bot.render.home_chart import chart_blocks
from bot.render.lines import escaped_line, shorten
from bot.render.text import escape_mrkdwn, mention
from bot.render.times import time_left, viewer_time
from jobs.home.model import ChannelCounts, HomeChecklist, HomeGoal, HomePage, Role
from jobs.i18n import N_, _, ngettext

MAX_HOME_BLOCKS = 100  # Slack refuses a Home view with more
TITLE_CHARS = 100
# The channel section lists this many channels; more are counted in one closing line.
MAX_CHANNEL_LINES = 20
# The line under each goal: where it is and the reader's part in it.
ROLE_LINES: Final[dict[Role, str]] = {
    "owner": N_("{channel} · you are its owner"),
    "lead": N_("{channel} · you are its lead"),
    "owner and lead": N_("{channel} · you are its owner and lead"),
}


def home_view(page: HomePage, chart_file: str | None = None) -> dict[str, object]:
    """The `view` for views.publish: a Home view of home_blocks."""
    blocks = home_blocks(page, chart_file)
    return {"type": "home", "blocks": [block.to_dict() for block in blocks]}


def home_blocks(page: HomePage, chart_file: str | None = None) -> list[Block]:
    """Goals, the picked goal's chart (`chart_file`: its uploaded image, if there is one),
    checklist items and channels, at most MAX_HOME_BLOCKS blocks."""
    tail = _channel_blocks(page.channels)
    chart = chart_blocks(page, chart_file)
    # Fixed: two headers, the goals' summary, a divider and the chart; the rest share what is
    # left, the checklists first but leaving the goals room for one section and a "more" line.
    room = MAX_HOME_BLOCKS - len(tail) - len(chart) - 4
    checklists = _checklist_blocks(page, room - min(len(page.goals), 2))
    goals = _goal_blocks(page.goals, room - len(checklists))
    return [
        HeaderBlock(text=_("Your goals")),
        context_block(_summary(page.goals)),
        *chart,
        *goals,
        DividerBlock(),
        HeaderBlock(text=_("Your checklist items")),
        *checklists,
        *tail,
    ]


def _summary(goals: Sequence[HomeGoal]) -> str:
    if not goals:
        return _("You own or lead no goals yet. In a channel, {command} sets one.").format(
            command=f"`{SLASH_COMMAND} set <metric> <target> owner @you`"
        )
    counts: dict[str, int] = {}
    for goal in goals:
        counts[goal.line.band] = counts.get(goal.line.band, 0) + 1
    bands = " · ".join(_band_count(band_emoji(b), b, n) for b, n in counts.items())
    count = ngettext("{n} goal", "{n} goals", len(goals)).format(n=len(goals))
    return _("You own or lead {count}: {bands}").format(count=count, bands=bands)


def _band_count(emoji: str, band: str, n: int) -> str:
    """`:red_circle: 1 red`: how many goals are in a band."""
    label = _(LABELS[band]) if band in LABELS else escape_mrkdwn(band)
    return _("{emoji} {n} {band}").format(emoji=emoji, n=n, band=label)


def _goal_blocks(goals: Sequence[HomeGoal], room: int) -> list[Block]:
    """A section per goal, worst first (as given); past `room`, one line counts the rest."""
    if len(goals) <= room:
        return [section_block(_goal_text(goal)) for goal in goals]
    shown = goals[: max(room - 1, 0)]
    more = _("…and {left} more goals: {command} in each channel shows them.").format(
        left=len(goals) - len(shown), command=f"`{SLASH_COMMAND} list`"
    )
    return [*(section_block(_goal_text(goal)) for goal in shown), context_block(more)]


def _goal_text(goal: HomeGoal) -> str:
    where = _(ROLE_LINES[goal.role]).format(channel=_channel(goal.channel_id))
    return f"{full_line(goal.line)}\n{where}"


def _checklist_blocks(page: HomePage, room: int) -> list[Block]:
    """Per checklist: what it is about and its time left, then its boxes (two blocks)."""
    if not page.checklists:
        return [context_block(_("No open checklist items for you. :tada:"))]
    fits = max((room - 1) // 2, 0) if 2 * len(page.checklists) > room else len(page.checklists)
    blocks: list[Block] = []
    for checklist in page.checklists[:fits]:
        blocks += _one_checklist(checklist, page)
    if left := len(page.checklists) - fits:
        blocks.append(
            context_block(_("…and {left} more checklists: see their threads.").format(left=left))
        )
    return blocks


def _one_checklist(checklist: HomeChecklist, page: HomePage) -> list[Block]:
    count = len(checklist.items)
    about = _(":memo: *{title}* {metric} in {channel}").format(
        title=escaped_line(checklist.title, TITLE_CHARS),
        metric=f"`{escape_mrkdwn(checklist.metric_key)}`",
        channel=_channel(checklist.channel_id),
    )
    state = ngettext(
        "{n} open item · {left} · due {time}", "{n} open items · {left} · due {time}", count
    ).format(
        n=count, left=time_left(checklist.due_at, page.now), time=viewer_time(checklist.due_at)
    )
    tickable = checklist.items[:MAX_OPTIONS]
    options = [
        Option(
            value=item.key,
            text=MarkdownTextObject(text=shorten(item.title, OPTION_CHARS)),
            description=_owner_note(item.owner_id, page.user_id),
        )
        for item in tickable
    ]
    # No initial options: every item shown is open, so a tick is what the click changed.
    element = CheckboxesElement(action_id=CHECKLIST_ACTION, options=options)
    return [
        section_block(f"{about}\n{state}"),
        ActionsBlock(block_id=checklist_block_id(checklist.remediation_id), elements=[element]),
    ]


def _owner_note(owner_id: str, viewer: str) -> MarkdownTextObject | None:
    """Whose item it is, when it is not the viewer's own (an owner or lead sees every item)."""
    if owner_id == viewer:
        return None
    return MarkdownTextObject(text=_("owner {owner}").format(owner=mention(owner_id)))


def _channel_blocks(channels: Sequence[ChannelCounts]) -> list[Block]:
    """A divider, a header and one section: each channel's goals by band."""
    if not channels:
        return []
    lines = [_channel_line(c) for c in channels[:MAX_CHANNEL_LINES]]
    if len(channels) > MAX_CHANNEL_LINES:
        left = len(channels) - MAX_CHANNEL_LINES
        lines.append(_("…and {left} more channels").format(left=left))
    header = HeaderBlock(text=_("Your channels"))
    return [DividerBlock(), header, section_block("\n".join(lines))]


def _channel_line(channel: ChannelCounts) -> str:
    counts = " · ".join(
        _band_count(EMOJI.get(band, band_emoji(band)), band, n) for band, n in channel.counts
    )
    counts = counts or _("no active goals")
    return f"{_channel(channel.channel_id)} · {counts}"


def _channel(channel_id: str) -> str:
    """`<#C…>`, or the id shown inert when it is not one."""
    return f"<#{channel_id}>" if CHANNEL_ID.fullmatch(channel_id) else escape_mrkdwn(channel_id)
