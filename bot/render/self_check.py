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
from jobs.i18n import _, ngettext
from jobs.messages import SelfCheckNotice


def self_check_notice(notice: SelfCheckNotice) -> tuple[str, list[Block]]:
    """What is wrong, since when, and where the operator should look."""
    if notice.problem == "outbox":
        waiting = notice.waiting
        text = ngettext(
            "goalpulse has {count} message waiting to go out for more than "
            "10 minutes: Slack may be slow, or sending is stuck.",
            "goalpulse has {count} messages waiting to go out for more than "
            "10 minutes: Slack may be slow, or sending is stuck.",
            waiting,
        ).format(count=waiting)
        blocks: list[Block] = [
            section_block(
                ngettext(
                    ":hourglass: As of {seen}, *{count} message* (DMs, thread posts, reminders) "
                    "had been waiting to go out, the oldest since {since}. "
                    "They go out as soon as sending works again.",
                    ":hourglass: As of {seen}, *{count} messages* (DMs, thread posts, reminders) "
                    "had been waiting to go out, the oldest since {since}. "
                    "They go out as soon as sending works again.",
                    waiting,
                ).format(
                    seen=viewer_time(notice.seen_at),
                    count=waiting,
                    since=viewer_time(notice.since),
                )
            ),
            context_block(
                _(
                    "Whoever runs goalpulse can look at its logs and at "
                    "`goalpulse_outbox_oldest_due_seconds` on /metrics. "
                    "I tell the workspace's admins once a day while this lasts."
                )
            ),
        ]
        return text, blocks
    title = inert_line(notice.title or notice.metric_key or _("a metric"), TITLE_CHARS)
    key = inert_line(notice.metric_key or "", TITLE_CHARS)
    error = inert_line(notice.error or _("unknown error"), ERROR_CHARS)
    text = _("The source of {title} has been failing for more than a day: {error}").format(
        title=title, error=error
    )
    blocks = [
        section_block(
            _(
                ":warning: *{title}* (`{key}`) has not been pulled since its source started "
                "failing {since}, so goals on it are not measured."
            ).format(title=title, key=key, since=viewer_time(notice.since))
            + f"\n`{error}`"
        ),
        context_block(
            _(
                "Whoever runs goalpulse can run `{command}` there to see what is wrong. "
                "I tell the workspace's admins once a day while this lasts."
            ).format(command=CHECK_COMMAND)
        ),
    ]
    return text, blocks
