"""Pure Block Kit renderers for `/goal` replies (`/goal show`: goal_detail.py). Text from users
is escaped before it lands here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
)

from bot.constants import SLASH_COMMAND
from bot.render.block_kit import MAX_BLOCKS, context_block, section_block
from bot.render.digest import band_emoji, band_label
from bot.render.figures import metric_value, reader_day
from bot.render.text import command_code, error_text, escape_mrkdwn, mention
from jobs.errors import GoalpulseError
from jobs.i18n import EN, N_, _, current_locale, ngettext
from jobs.metrics.catalog import Metric, MetricCatalog
from jobs.metrics.first_pull import FirstPull
from storage.models import Evaluation, Goal, GoalStatus

# The buttons under `/goal remove`'s question; Remove's value is `{goal id}:{set up at}`.
REMOVE_GOAL_ACTION = "goal_remove_confirm"
KEEP_GOAL_ACTION = "goal_remove_keep"
# N_-marked: translate with `_(DIRECTION_WORDS[direction])` where shown.
DIRECTION_WORDS = {
    "higher": N_("higher is better"),
    "lower": N_("lower is better"),
    "either": N_("closer is better"),
}
# A plan's pace as `/goal set` confirms it (the words typed stay English).
PACE_WORDS = {"linear": N_("linear"), "front-loaded": N_("front-loaded")}


def short_day(day: date) -> str:
    """A day in a reply: en `Mon 05 Nov` (as always), zh-CN `11月5日 周一`."""
    return f"{day:%a %d %b}" if current_locale() == EN else reader_day(day)


def _value(metric: Metric | None, value: float) -> str:
    """A metric's value in the locale in force; `:g` for a metric no longer in metrics.yml."""
    return metric_value(metric, value) if metric is not None else f"{value:g}"


# `/goal help`: each command as typed (English, in every language) and what it does (N_).
HELP_COMMANDS = (
    (
        "set <metric> <target> [higher|lower|either] [by YYYY-MM-DD] [owner @u] [lead @u]",
        N_("create or update this channel's goal on a metric"),
    ),
    (
        "set <metric> <target> by YYYY-MM-DD from <value> [on YYYY-MM-DD] "
        "[pace front-loaded] [milestone YYYY-MM-DD <value>] [stretch <value>]",
        N_("a plan: the bands follow it from the start value to the target"),
    ),
    ("set", N_("open a form to create a goal")),
    ("list", N_("this channel's goals, with their current band")),
    ("show <metric>", N_("one goal in detail, with its last 14 evaluations")),
    ("checkin <metric> <value> [note]", N_("record today's value of a manual metric")),
    (
        "checkins <metric> daily HH:MM | weekly <day> HH:MM | every N weeks <day> HH:MM | off",
        N_("ask the goal's owner to check in on a schedule, in their own time zone"),
    ),
    ("digest [preview]", N_("post this channel's digest now (or show it only to you)")),
    ("thresholds <metric> <yellow%> <orange%> <red%>", N_("this goal's alert bands")),
    ("pause | resume | remove <metric>", N_("stop, restart or remove a goal (asks first)")),
    (
        "guard <metric> with <metric> [10%] | unguard <metric> <metric>",
        N_("a metric that must not get worse while the goal is pursued"),
    ),
    (
        "config [ceo @u] [lead @u] [digest HH:MM] [tz Area/City]",
        N_("channel and workspace settings"),
    ),
    (
        "config language zh-CN|en|off | config workspace language zh-CN|en",
        N_("the language this channel reads (or every channel without its own: admins)"),
    ),
    (
        'config checklist add|remove "<item>"',
        N_("the workspace's remediation checklist (admins)"),
    ),
    (
        'config treatment <tier> "<text>"|reset',
        N_("a customer tier's treatment, first on its metrics' checklists (admins)"),
    ),
)


def percent(fraction: float) -> str:
    """0.1 → `10%`, 0.125 → `12.5%`."""
    return f"{fraction * 100:.1f}".rstrip("0").rstrip(".") + "%"


def error_blocks(error: GoalpulseError) -> list[Block]:
    """What went wrong, and a corrected example."""
    blocks: list[Block] = [section_block(f":warning: {error_text(error)}")]
    if error.example is not None:
        blocks.append(
            context_block(_("Try: {command}").format(command=command_code(error.example)))
        )
    return blocks


def unexpected_error_blocks() -> list[Block]:
    """Our fault, not the user's: say so, and that nothing was changed."""
    return [
        section_block(
            _(
                ":boom: Something went wrong on our side and nothing was changed. "
                "Please try again in a minute; if it keeps happening, tell your goalpulse admin."
            )
        )
    ]


def notice_blocks(text: str) -> list[Block]:
    """A one-line confirmation."""
    return [section_block(text)]


def help_blocks(catalog: MetricCatalog) -> list[Block]:
    """Usage, with examples."""
    lines = "\n".join(f"`{SLASH_COMMAND} {escape_mrkdwn(c)}` — {_(d)}" for c, d in HELP_COMMANDS)
    metrics = ", ".join(f"`{key}`" for key in catalog.keys[:30]) or _("none yet")
    return [
        HeaderBlock(text=_("goalpulse: team goals on real metrics")),
        section_block(lines),
        section_block(
            _("*Examples*") + "\n" + f"`{SLASH_COMMAND} set dau 150k owner @ana lead @li`\n"
            f"`{SLASH_COMMAND} set next_day_retention 35% by 2027-03-31`\n"
            f"`{SLASH_COMMAND} thresholds dau 5% 15% 25%`\n"
            f"`{SLASH_COMMAND} config language zh-CN`"
        ),
        context_block(_("Metrics you can set goals on: {metrics}").format(metrics=metrics)),
    ]


def measured_value(goal: Goal, metric: Metric | None, evaluation: Evaluation | None) -> str:
    """`120k (−20%)`, or why there is no value."""
    if evaluation is None:
        return _("no data yet")
    if evaluation.band == "invalid":
        return _("target 0 cannot be measured")
    if evaluation.value is None:
        return _("no recent data")
    value = _value(metric, evaluation.value)
    deviation = evaluation.deviation or 0.0
    return f"{value} ({'+' if deviation >= 0 else '−'}{percent(abs(deviation))})"


def _goal_line(goal: Goal, metric: Metric | None, evaluation: Evaluation | None) -> str:
    paused = " " + _("_(paused)_") if goal.status == GoalStatus.PAUSED else ""
    title = escape_mrkdwn(metric.title) if metric else goal.metric_key
    emoji = band_emoji(evaluation.band if evaluation else None)
    details = _("{value} · target {target}, {direction} · owner {owner}").format(
        value=measured_value(goal, metric, evaluation),
        target=_value(metric, goal.target),
        direction=_(DIRECTION_WORDS[goal.direction]),
        owner=mention(goal.owner_id),
    )
    return f"{emoji} *{title}* (`{goal.metric_key}`){paused}\n{details}"


def goal_list_blocks(
    goals: Sequence[Goal],
    catalog: MetricCatalog,
    evaluations: Mapping[int, Evaluation] | None = None,
) -> list[Block]:
    """This channel's goals, one section each, condensed to fit Slack's 50-block limit."""
    if not goals:
        return notice_blocks(
            _(
                "This channel has no goals yet. Set one with {example} or open the form with "
                "{form}."
            ).format(
                example=f"`{SLASH_COMMAND} set dau 150k owner @ana`", form=f"`{SLASH_COMMAND} set`"
            )
        )
    header = HeaderBlock(text=_("Goals in this channel ({count})").format(count=len(goals)))
    room = MAX_BLOCKS - 2
    latest = evaluations or {}
    lines = [
        _goal_line(goal, catalog.get(goal.metric_key), latest.get(goal.id or -1)) for goal in goals
    ]
    if len(lines) <= room:
        return [header, *(section_block(line) for line in lines)]
    # Too many for one section each: pack several per section, under 3000 characters apiece.
    packed: list[Block] = [header]
    chunk = ""
    for line in lines:
        if chunk and len(chunk) + len(line) + 2 > 2900:
            packed.append(section_block(chunk))
            chunk = ""
        chunk = f"{chunk}\n\n{line}" if chunk else line
    packed.append(section_block(chunk))
    return packed[:MAX_BLOCKS]


def goal_saved_blocks(goal: Goal, metric: Metric, *, created: bool) -> list[Block]:
    """Confirmation after `/goal set`."""
    extras = []
    if goal.stretch is not None:
        extras.append(_("stretch {value}").format(value=metric_value(metric, goal.stretch)))
    if goal.due_date:
        extras.append(_("by {day}").format(day=goal.due_date.isoformat()))
    if goal.start_value is not None and goal.start_date is not None:
        count = len(goal.milestones)
        how = (
            ngettext("{n} milestone", "{n} milestones", count).format(n=count)
            if count
            else _(PACE_WORDS.get(goal.pace or "linear", goal.pace or "linear"))
        )
        extras.append(
            _("from {start} on {day} ({how})").format(
                start=metric_value(metric, goal.start_value),
                day=goal.start_date.isoformat(),
                how=how,
            )
        )
    extras.append(_("owner {person}").format(person=mention(goal.owner_id)))
    if goal.lead_id:
        extras.append(_("lead {person}").format(person=mention(goal.lead_id)))
    saved = (
        _(":dart: Created the goal *{title}* ({key}): {target}, {direction}, {extras}.")
        if created
        else _(":dart: Updated the goal *{title}* ({key}): {target}, {direction}, {extras}.")
    )
    return [
        section_block(
            saved.format(
                title=escape_mrkdwn(metric.title),
                key=f"`{goal.metric_key}`",
                target=metric_value(metric, goal.target),
                direction=_(DIRECTION_WORDS[goal.direction]),
                extras=_(", ").join(extras),
            )
        ),
        context_block(
            _("Alerts at {yellow} / {orange} / {red} off target. Change with {command}.").format(
                yellow=percent(goal.yellow),
                orange=percent(goal.orange),
                red=percent(goal.red),
                command=f"`{SLASH_COMMAND} thresholds {goal.metric_key} 10% 20% 30%`",
            )
        ),
    ]


def remove_question_blocks(goal: Goal, metric: Metric | None, value: str) -> list[Block]:
    """`/goal remove`'s question, with Remove (carrying `value`) and Keep."""
    title = escape_mrkdwn(metric.title) if metric else goal.metric_key
    return [
        section_block(
            _(
                ":wastebasket: Remove the goal *{title}* ({key}) from this channel? It leaves "
                "{list} and the digest and is no longer evaluated; its open escalation and "
                "remediation close and their buttons stop working."
            ).format(title=title, key=f"`{goal.metric_key}`", list="`/goal list`")
        ),
        context_block(
            _(
                "Its history is kept: setting a goal on this metric here again brings it back "
                "({command})."
            ).format(command=f"`{SLASH_COMMAND} set {goal.metric_key} <target>`")
        ),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=_("Remove"), action_id=REMOVE_GOAL_ACTION, value=value, style="danger"
                ),
                ButtonElement(text=_("Keep"), action_id=KEEP_GOAL_ACTION, value=value),
            ]
        ),
    ]


def goal_removed_blocks(goal: Goal) -> list[Block]:
    """What the question becomes once Remove was pressed."""
    return notice_blocks(
        _(
            ":wastebasket: Removed the {key} goal from this channel; its history is kept. Set it "
            "again any time with {command}."
        ).format(
            key=f"`{goal.metric_key}`", command=f"`{SLASH_COMMAND} set {goal.metric_key} <target>`"
        )
    )


def goal_kept_blocks() -> list[Block]:
    """What the question becomes once Keep was pressed."""
    return notice_blocks(_(":ok_hand: Kept the goal; nothing was removed."))


def lead_replaced_text(*, actor_id: str, lead_id: str, channel_id: str) -> str:
    """The DM to a channel lead someone replaced."""
    return _(
        "{actor} made {lead} this channel's lead in {channel}; you no longer get its escalations."
    ).format(actor=mention(actor_id), lead=mention(lead_id), channel=f"<#{channel_id}>")


def digest_too_soon_text(
    *,
    posted_at: datetime,
    by: str | None,
    sending: bool,
    next_at: datetime,
    timezone: str,
    minutes: int,
) -> str:
    """Why `/goal digest` did not post again, and from when it may."""
    zone = ZoneInfo(timezone)
    posted, again = posted_at.astimezone(zone), next_at.astimezone(zone)
    if sending:
        last = _("This channel's digest is being posted right now (since {time})").format(
            time=f"{posted:%H:%M}"
        )
    elif by:
        last = _("This channel's digest was posted at {time} by {person}").format(
            time=f"{posted:%H:%M}", person=mention(by)
        )
    else:
        last = _("This channel's digest was posted at {time}").format(time=f"{posted:%H:%M}")
    return _(
        ":hourglass: {last}. {command} posts it at most once every {minutes} minutes; the next "
        "can go out from {time} ({timezone}). {preview} shows it only to you, at any time."
    ).format(
        last=last,
        command=f"`{SLASH_COMMAND} digest`",
        minutes=minutes,
        time=f"{again:%H:%M}",
        timezone=timezone,
        preview=f"`{SLASH_COMMAND} digest preview`",
    )


def first_pull_blocks(outcome: FirstPull, metric: Metric, *, staleness_days: int) -> list[Block]:
    """The follow-up after a goal's first pull: what came back, or what broke."""
    key = f"`{outcome.metric_key}`"
    if outcome.error is not None:
        return [
            section_block(
                _(
                    ":warning: I tried to pull {key} for your new goal, but its source failed: "
                    "{error}"
                ).format(key=key, error=escape_mrkdwn(outcome.error))
            ),
            context_block(
                _(
                    "The goal shows “no data” until the source is fixed. An admin can run "
                    "{check} on the server to test every source."
                ).format(check="`goalpulse check`")
            ),
        ]
    evaluation = outcome.evaluation
    if evaluation is None or evaluation.value is None or evaluation.value_day is None:
        return notice_blocks(
            _(
                ":inbox_tray: Pulled {key} just now, but its source has no value from the last "
                "{days} days, so the goal shows “no data” until one arrives."
            ).format(key=key, days=staleness_days)
        )
    return notice_blocks(
        _(":inbox_tray: Pulled {key} just now: {value} on {day}, {deviation} — {band}.").format(
            key=key,
            value=metric_value(metric, evaluation.value),
            day=short_day(evaluation.value_day),
            deviation=_measured_deviation(evaluation),
            band=f"{band_emoji(evaluation.band)} {band_name(evaluation.band)}",
        )
    )


def band_name(band: str | None) -> str:
    """A band as a reply names it: en the stored word as always (`red`), else its label."""
    return (band or "") if current_locale() == EN else band_label(band)


def _measured_deviation(evaluation: Evaluation) -> str:
    deviation = evaluation.deviation or 0.0
    template = _("{percent} above target") if deviation >= 0 else _("{percent} below target")
    return template.format(percent=percent(abs(deviation)))
