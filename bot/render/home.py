"""A person's Home tab as Block Kit: their goals (as the digest shows them), the open checklist
items they may tick, and their channels' goals by band. Pure.

Slack refuses a Home view of more than 100 blocks: the checklists (what can be done here) come
first within that room, then the goals, worst first, then a line saying how many were left out.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from bot.render.lines import escaped_line, shorten
from bot.render.text import escape_mrkdwn, mention
from bot.render.times import time_left, viewer_time
from jobs.home.model import ChannelCounts, HomeChecklist, HomeGoal, HomePage
from jobs.i18n import _, ngettext

MAX_HOME_BLOCKS = 100  # Slack refuses a Home view with more
TITLE_CHARS = 100
# The channel section lists this many channels; more are counted in one closing line.
MAX_CHANNEL_LINES = 20


def home_view(page: HomePage) -> dict[str, object]:
    """The `view` for views.publish: a Home view of home_blocks."""
    return {"type": "home", "blocks": [block.to_dict() for block in home_blocks(page)]}


def home_blocks(page: HomePage) -> list[Block]:
    """Checklist items, goals and channels, at most MAX_HOME_BLOCKS blocks."""
    tail = _channel_blocks(page.channels)
    # Fixed: two headers, the goals' summary and a divider; the rest share what is left, the
    # checklists first but leaving the goals room for one section and a "more" line.
    room = MAX_HOME_BLOCKS - len(tail) - 4
    checklists = _checklist_blocks(page, room - min(len(page.goals), 2))
    goals = _goal_blocks(page.goals, room - len(checklists))
    return [
        HeaderBlock(text="Your goals"),
        context_block(_summary(page.goals)),
        *goals,
        DividerBlock(),
        HeaderBlock(text="Your checklist items"),
        *checklists,
        *tail,
    ]


def _summary(goals: Sequence[HomeGoal]) -> str:
    if not goals:
        return (
            "You own or lead no goals yet. In a channel, "
            f"`{SLASH_COMMAND} set <metric> <target> owner @you` sets one."
        )
    counts: dict[str, int] = {}
    for goal in goals:
        counts[goal.line.band] = counts.get(goal.line.band, 0) + 1
    bands = " · ".join(
        f"{band_emoji(b)} {n} {LABELS.get(b, escape_mrkdwn(b))}" for b, n in counts.items()
    )
    count = ngettext("{n} goal", "{n} goals", len(goals)).format(n=len(goals))
    return _("You own or lead {count}: {bands}").format(count=count, bands=bands)


def _goal_blocks(goals: Sequence[HomeGoal], room: int) -> list[Block]:
    """A section per goal, worst first (as given); past `room`, one line counts the rest."""
    if len(goals) <= room:
        return [section_block(_goal_text(goal)) for goal in goals]
    shown = goals[: max(room - 1, 0)]
    left = len(goals) - len(shown)
    more = f"…and {left} more goals: `{SLASH_COMMAND} list` in each channel shows them."
    return [*(section_block(_goal_text(goal)) for goal in shown), context_block(more)]


def _goal_text(goal: HomeGoal) -> str:
    where = _channel(goal.channel_id)
    return f"{full_line(goal.line)}\n{where} · you are its {goal.role}"


def _checklist_blocks(page: HomePage, room: int) -> list[Block]:
    """Per checklist: what it is about and its time left, then its boxes (two blocks)."""
    if not page.checklists:
        return [context_block("No open checklist items for you. :tada:")]
    fits = max((room - 1) // 2, 0) if 2 * len(page.checklists) > room else len(page.checklists)
    blocks: list[Block] = []
    for checklist in page.checklists[:fits]:
        blocks += _one_checklist(checklist, page)
    if left := len(page.checklists) - fits:
        blocks.append(context_block(f"…and {left} more checklists: see their threads."))
    return blocks


def _one_checklist(checklist: HomeChecklist, page: HomePage) -> list[Block]:
    title = escaped_line(checklist.title, TITLE_CHARS)
    left = time_left(checklist.due_at, page.now)
    count = len(checklist.items)
    head = (
        f":memo: *{title}* `{escape_mrkdwn(checklist.metric_key)}` in "
        f"{_channel(checklist.channel_id)}\n{count} open item{'s' if count != 1 else ''} · "
        f"{left} · due {viewer_time(checklist.due_at)}"
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
        section_block(head),
        ActionsBlock(block_id=checklist_block_id(checklist.remediation_id), elements=[element]),
    ]


def _owner_note(owner_id: str, viewer: str) -> MarkdownTextObject | None:
    """Whose item it is, when it is not the viewer's own (an owner or lead sees every item)."""
    if owner_id == viewer:
        return None
    return MarkdownTextObject(text=f"owner {mention(owner_id)}")


def _channel_blocks(channels: Sequence[ChannelCounts]) -> list[Block]:
    """A divider, a header and one section: each channel's goals by band."""
    if not channels:
        return []
    lines = [_channel_line(c) for c in channels[:MAX_CHANNEL_LINES]]
    if len(channels) > MAX_CHANNEL_LINES:
        lines.append(f"…and {len(channels) - MAX_CHANNEL_LINES} more channels")
    return [DividerBlock(), HeaderBlock(text="Your channels"), section_block("\n".join(lines))]


def _channel_line(channel: ChannelCounts) -> str:
    counts = " · ".join(
        f"{EMOJI.get(band, band_emoji(band))} {n} {LABELS.get(band, escape_mrkdwn(band))}"
        for band, n in channel.counts
    )
    return f"{_channel(channel.channel_id)} · {counts or 'no active goals'}"


def _channel(channel_id: str) -> str:
    """`<#C…>`, or the id shown inert when it is not one."""
    return f"<#{channel_id}>" if CHANNEL_ID.fullmatch(channel_id) else escape_mrkdwn(channel_id)
