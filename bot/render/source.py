"""The DMs telling a goal owner that a metric's source is failing, or works again, or that a
customer dataset cannot be read, or can again. Pure.

The metric's title comes from metrics.yml and the error from the source (a file's contents, a
server's reply), so both are escaped before they enter mrkdwn: neither can ping or link.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.render.alert_parts import CHANNEL_ID, DONE
from bot.render.block_kit import context_block, section_block
from bot.render.lines import inert_line
from bot.render.times import viewer_time
from jobs.messages import AffectedGoal, SourceNotice

CHECK_COMMAND = "goalpulse check"
TITLE_CHARS = 80
ERROR_CHARS = 500
MAX_GOALS = 10


def source_notice(notice: SourceNotice) -> tuple[str, list[Block]]:
    """The failure DM (the error and how to diagnose it), or the recovery DM."""
    if notice.datasets:
        return _dataset_notice(notice)
    title = inert_line(notice.title, TITLE_CHARS)
    key = inert_line(notice.metric_key, TITLE_CHARS)
    if notice.recovered_at is None:
        error = inert_line(notice.error or "unknown error", ERROR_CHARS)
        text = (
            f"The source of {title} is failing: {error}. "
            f"Run `{CHECK_COMMAND}` on the server to diagnose it."
        )
        blocks: list[Block] = [
            section_block(
                f":warning: *{title}* (`{key}`) cannot be pulled: its source has been failing "
                f"since {viewer_time(notice.failing_since)}.\n`{error}`"
            ),
        ]
        if goals := _goals(notice.goals):
            blocks.append(section_block(f"Your goals on it are not measured meanwhile: {goals}"))
        blocks.append(
            context_block(f"To see what is wrong, run `{CHECK_COMMAND}` where goalpulse runs.")
        )
        return text, blocks
    text = f"The source of {title} works again; its goals are measured again."
    blocks = [
        section_block(
            f"{DONE} *{title}* (`{key}`) is pulled again: its source works again as of "
            f"{viewer_time(notice.recovered_at)} (it was failing from "
            f"{viewer_time(notice.failing_since)})."
        ),
    ]
    if goals := _goals(notice.goals):
        blocks.append(section_block(f"Your goals on it are measured again: {goals}"))
    return text, blocks


def _dataset_notice(notice: SourceNotice) -> tuple[str, list[Block]]:
    """The same DMs about customer datasets: one DM for every metric computed from them."""
    names = [inert_line(name, TITLE_CHARS) for name in notice.datasets]
    noun = "dataset" if len(names) == 1 else "datasets"
    plain = f"{' and '.join(names)} {noun}"
    bold = f"{' and '.join(f'*{name}*' for name in names)} {noun}"
    it = "it" if len(names) == 1 else "them"
    metrics = _list([f"*{inert_line(title, TITLE_CHARS)}*" for title in notice.metrics])
    goals = _goals(notice.goals)
    if notice.recovered_at is None:
        error = inert_line(notice.error or "unknown error", ERROR_CHARS)
        text = (
            f"The {plain} cannot be read: {error}. "
            f"Run `{CHECK_COMMAND}` on the server to diagnose it."
        )
        blocks: list[Block] = [
            section_block(
                f":warning: The {bold} cannot be read (failing since "
                f"{viewer_time(notice.failing_since)}), so {metrics} cannot be pulled.\n`{error}`"
            ),
        ]
        if goals:
            blocks.append(section_block(f"Your goals on {it} are not measured meanwhile: {goals}"))
        blocks.append(
            context_block(f"To see what is wrong, run `{CHECK_COMMAND}` where goalpulse runs.")
        )
        return text, blocks
    text = f"The {plain} can be read again; the goals on {it} are measured again."
    blocks = [
        section_block(
            f"{DONE} The {bold} can be read again as of {viewer_time(notice.recovered_at)} "
            f"(failing from {viewer_time(notice.failing_since)}): {metrics} are pulled again."
        ),
    ]
    if goals:
        blocks.append(section_block(f"Your goals on {it} are measured again: {goals}"))
    return text, blocks


def _goals(goals: tuple[AffectedGoal, ...]) -> str:
    """`*Title* in <#C…>`, for each goal; a formula goal says it is computed from the source."""
    parts = []
    for goal in goals:
        part = f"*{inert_line(goal.title, TITLE_CHARS)}*"
        if CHANNEL_ID.fullmatch(goal.channel_id):
            part += f" in <#{goal.channel_id}>"
        if goal.derived:
            part += " (computed from it)"
        parts.append(part)
    return _list(parts)


def _list(parts: list[str]) -> str:
    """The parts joined with commas, the first MAX_GOALS of them and how many more."""
    shown = parts[:MAX_GOALS]
    if len(parts) > MAX_GOALS:
        shown.append(f"{len(parts) - MAX_GOALS} more")
    return ", ".join(shown)
