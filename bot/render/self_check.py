"""The DM telling a workspace admin that goalpulse itself needs looking at. Pure.

The metric's title comes from metrics.yml and the error from the source, so both are made
inert before they enter mrkdwn, as in bot/render/source.py.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.render.block_kit import context_block, section_block
from bot.render.lines import inert_line
from bot.render.source import CHECK_COMMAND, ERROR_CHARS, TITLE_CHARS
from bot.render.times import viewer_time
from jobs.messages import SelfCheckNotice

ONCE_A_DAY = "I tell the workspace's admins once a day while this lasts."


def self_check_notice(notice: SelfCheckNotice) -> tuple[str, list[Block]]:
    """What is wrong, since when, and where the operator should look."""
    if notice.problem == "outbox":
        messages = "message" if notice.waiting == 1 else "messages"
        text = (
            f"goalpulse has {notice.waiting} {messages} waiting to go out for more than "
            "10 minutes: Slack may be slow, or sending is stuck."
        )
        blocks: list[Block] = [
            section_block(
                f":hourglass: As of {viewer_time(notice.seen_at)}, *{notice.waiting} {messages}* "
                f"(DMs, thread posts, reminders) had been waiting to go out, the oldest since "
                f"{viewer_time(notice.since)}. They go out as soon as sending works again."
            ),
            context_block(
                "Whoever runs goalpulse can look at its logs and at "
                f"`goalpulse_outbox_oldest_due_seconds` on /metrics. {ONCE_A_DAY}"
            ),
        ]
        return text, blocks
    title = inert_line(notice.title or notice.metric_key or "a metric", TITLE_CHARS)
    key = inert_line(notice.metric_key or "", TITLE_CHARS)
    error = inert_line(notice.error or "unknown error", ERROR_CHARS)
    text = f"The source of {title} has been failing for more than a day: {error}"
    blocks = [
        section_block(
            f":warning: *{title}* (`{key}`) has not been pulled since its source started "
            f"failing {viewer_time(notice.since)}, so goals on it are not measured.\n`{error}`"
        ),
        context_block(
            f"Whoever runs goalpulse can run `{CHECK_COMMAND}` there to see what is wrong. "
            + ONCE_A_DAY
        ),
    ]
    return text, blocks
