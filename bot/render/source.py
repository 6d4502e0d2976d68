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
from jobs.i18n import _, ngettext
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
        error = inert_line(notice.error or _("unknown error"), ERROR_CHARS)
        text = _(
            "The source of {title} is failing: {error}. "
            "Run `{command}` on the server to diagnose it."
        ).format(title=title, error=error, command=CHECK_COMMAND)
        blocks: list[Block] = [
            section_block(
                _(
                    ":warning: *{title}* (`{key}`) cannot be pulled: its source has been failing "
                    "since {since}."
                ).format(title=title, key=key, since=viewer_time(notice.failing_since))
                + f"\n`{error}`"
            ),
        ]
        if goals := _goals(notice.goals):
            blocks.append(
                section_block(
                    _("Your goals on it are not measured meanwhile: {goals}").format(goals=goals)
                )
            )
        blocks.append(context_block(_see_what_is_wrong()))
        return text, blocks
    text = _("The source of {title} works again; its goals are measured again.").format(title=title)
    blocks = [
        section_block(
            _(
                "{done} *{title}* (`{key}`) is pulled again: its source works again as of "
                "{recovered} (it was failing from {since})."
            ).format(
                done=DONE,
                title=title,
                key=key,
                recovered=viewer_time(notice.recovered_at),
                since=viewer_time(notice.failing_since),
            )
        ),
    ]
    if goals := _goals(notice.goals):
        blocks.append(
            section_block(_("Your goals on it are measured again: {goals}").format(goals=goals))
        )
    return text, blocks


def _see_what_is_wrong() -> str:
    return _("To see what is wrong, run `{command}` where goalpulse runs.").format(
        command=CHECK_COMMAND
    )


def _dataset_notice(notice: SourceNotice) -> tuple[str, list[Block]]:
    """The same DMs about customer datasets: one DM for every metric computed from them."""
    names = [inert_line(name, TITLE_CHARS) for name in notice.datasets]
    n = len(names)
    joiner = _(" and ")
    plain = ngettext("{names} dataset", "{names} datasets", n).format(names=joiner.join(names))
    bold = ngettext("{names} dataset", "{names} datasets", n).format(
        names=joiner.join(f"*{name}*" for name in names)
    )
    metrics = _list([f"*{inert_line(title, TITLE_CHARS)}*" for title in notice.metrics])
    goals = _goals(notice.goals)
    if notice.recovered_at is None:
        error = inert_line(notice.error or _("unknown error"), ERROR_CHARS)
        text = _(
            "The {datasets} cannot be read: {error}. Run `{command}` on the server to diagnose it."
        ).format(datasets=plain, error=error, command=CHECK_COMMAND)
        blocks: list[Block] = [
            section_block(
                _(
                    ":warning: The {datasets} cannot be read (failing since {since}), "
                    "so {metrics} cannot be pulled."
                ).format(datasets=bold, since=viewer_time(notice.failing_since), metrics=metrics)
                + f"\n`{error}`"
            ),
        ]
        if goals:
            blocks.append(
                section_block(
                    ngettext(
                        "Your goals on it are not measured meanwhile: {goals}",
                        "Your goals on them are not measured meanwhile: {goals}",
                        n,
                    ).format(goals=goals)
                )
            )
        blocks.append(context_block(_see_what_is_wrong()))
        return text, blocks
    text = ngettext(
        "The {datasets} can be read again; the goals on it are measured again.",
        "The {datasets} can be read again; the goals on them are measured again.",
        n,
    ).format(datasets=plain)
    blocks = [
        section_block(
            _(
                "{done} The {datasets} can be read again as of {recovered} "
                "(failing from {since}): {metrics} are pulled again."
            ).format(
                done=DONE,
                datasets=bold,
                recovered=viewer_time(notice.recovered_at),
                since=viewer_time(notice.failing_since),
                metrics=metrics,
            )
        ),
    ]
    if goals:
        blocks.append(
            section_block(
                ngettext(
                    "Your goals on it are measured again: {goals}",
                    "Your goals on them are measured again: {goals}",
                    n,
                ).format(goals=goals)
            )
        )
    return text, blocks


def _goals(goals: tuple[AffectedGoal, ...]) -> str:
    """`*Title* in <#C…>`, for each goal; a formula goal says it is computed from the source."""
    parts = []
    for goal in goals:
        title = f"*{inert_line(goal.title, TITLE_CHARS)}*"
        if CHANNEL_ID.fullmatch(goal.channel_id):
            channel = f"<#{goal.channel_id}>"
            part = (
                _("{title} in {channel} (computed from it)")
                if goal.derived
                else _("{title} in {channel}")
            ).format(title=title, channel=channel)
        else:
            part = _("{title} (computed from it)").format(title=title) if goal.derived else title
        parts.append(part)
    return _list(parts)


def _list(parts: list[str]) -> str:
    """The parts joined with commas, the first MAX_GOALS of them and how many more."""
    shown = parts[:MAX_GOALS]
    if len(parts) > MAX_GOALS:
        shown.append(_("{count} more").format(count=len(parts) - MAX_GOALS))
    return ", ".join(shown)
