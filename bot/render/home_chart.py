"""The Home tab's chart: a menu of the person's goals and, once they pick one, that goal's latest
chart inline (an image of a file goalpulse uploaded) or a line saying why there is none. Pure.
"""

from __future__ import annotations

from typing import Final

from slack_sdk.models.blocks import (
    Block,
    ImageBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.render.block_kit import context_block
from bot.render.lines import cut_line, escaped_line
from jobs.home.model import HomeGoal, HomePage
from jobs.i18n import _

# The menu's action id: bot/home/__init__.py listens for it; an option's value is a goal id.
CHART_ACTION: Final = "home_chart_pick"
CHART_BLOCK: Final = "home_chart"
MAX_CHOICES = 100  # Slack's limit on a static_select's options
CHOICE_CHARS = 75  # and on an option's text
TITLE_CHARS = 100


def chart_blocks(page: HomePage, chart_file: str | None) -> list[Block]:
    """No goals: nothing. Otherwise the menu, then the picked goal's image (`chart_file`) or a
    context line: no values yet to draw, or the chart could not be shown this time."""
    if not page.goals:
        return []
    choices = [_choice(goal) for goal in page.goals[:MAX_CHOICES]]
    picked = page.chart.goal if page.chart is not None else None
    initial = next((o for o in choices if picked and o.value == str(picked.line.goal_id)), None)
    menu = StaticSelectElement(
        action_id=CHART_ACTION,
        placeholder=PlainTextObject(text=_("Pick a goal")),
        options=choices,
        initial_option=initial,
    )
    ask = _("*Chart:* pick one of your goals to see its last 30 days here.")
    blocks: list[Block] = [
        SectionBlock(block_id=CHART_BLOCK, text=MarkdownTextObject(text=ask), accessory=menu)
    ]
    if page.chart is None or picked is None:
        return blocks
    title = picked.line.title
    if chart_file:
        alt = cut_line(chart_alt_text(title), 2000)
        return [*blocks, ImageBlock(slack_file={"id": chart_file}, alt_text=alt)]
    shown = escaped_line(title, TITLE_CHARS)
    if not page.chart.history:
        note = _("No chart of *{title}* yet: it is drawn once the goal has values.")
    else:
        note = _("The chart of *{title}* could not be shown just now; it is tried again later.")
    return [*blocks, context_block(note.format(title=shown))]


def _choice(goal: HomeGoal) -> Option:
    """A goal in the menu: its metric's title and key (titles from metrics.yml stay as typed)."""
    text = cut_line(f"{goal.line.title} ({goal.line.metric_key})", CHOICE_CHARS)
    return Option(value=str(goal.line.goal_id), text=PlainTextObject(text=text))


def chart_alt_text(title: str) -> str:
    """What the picture shows, in words (the image's alt text and the file's title)."""
    return _("Chart of {title}: its last 30 days against its target").format(title=title)
