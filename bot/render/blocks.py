"""Pure Block Kit renderers for `/goal` replies (`/goal show`: goal_detail.py). Text from users
is escaped before it lands here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.constants import SLASH_COMMAND
from bot.render.block_kit import MAX_BLOCKS, context_block, section_block
from bot.render.digest import band_emoji
from bot.render.text import command_code, error_text, escape_mrkdwn, mention
from jobs.customers.measures import TIER_WORDS
from jobs.errors import GoalpulseError
from jobs.escalation.remediation import DEFAULT_ITEMS
from jobs.escalation.treatments import DEFAULT_TREATMENTS, treatment_for
from jobs.goals.channel_settings import MAX_EXTRA_ITEMS, EffectiveConfig, TreatmentChange
from jobs.metrics.catalog import Metric, MetricCatalog
from jobs.metrics.first_pull import FirstPull
from jobs.metrics.quantities import format_metric_value
from storage.models import Evaluation, Goal, GoalStatus

# The buttons under `/goal remove`'s question; Remove's value is `{goal id}:{set up at}`.
REMOVE_GOAL_ACTION = "goal_remove_confirm"
KEEP_GOAL_ACTION = "goal_remove_keep"
DIRECTION_WORDS = {
    "higher": "higher is better",
    "lower": "lower is better",
    "either": "closer is better",
}


def percent(fraction: float) -> str:
    """0.1 → `10%`, 0.125 → `12.5%`."""
    return f"{fraction * 100:.1f}".rstrip("0").rstrip(".") + "%"


def error_blocks(error: GoalpulseError) -> list[Block]:
    """What went wrong, and a corrected example."""
    blocks: list[Block] = [section_block(f":warning: {error_text(error)}")]
    if error.example is not None:
        blocks.append(context_block(f"Try: {command_code(error.example)}"))
    return blocks


def unexpected_error_blocks() -> list[Block]:
    """Our fault, not the user's: say so, and that nothing was changed."""
    return [
        section_block(
            ":boom: Something went wrong on our side and nothing was changed. "
            "Please try again in a minute; if it keeps happening, tell your goalpulse admin."
        )
    ]


def notice_blocks(text: str) -> list[Block]:
    """A one-line confirmation."""
    return [section_block(text)]


def help_blocks(catalog: MetricCatalog) -> list[Block]:
    """Usage, with examples."""
    commands = [
        (
            "set <metric> <target> [higher|lower|either] [by YYYY-MM-DD] [owner @u] [lead @u]",
            "create or update this channel's goal on a metric",
        ),
        (
            "set <metric> <target> by YYYY-MM-DD from <value> [on YYYY-MM-DD] "
            "[pace front-loaded] [milestone YYYY-MM-DD <value>] [stretch <value>]",
            "a plan: the bands follow it from the start value to the target",
        ),
        ("set", "open a form to create a goal"),
        ("list", "this channel's goals, with their current band"),
        ("show <metric>", "one goal in detail, with its last 14 evaluations"),
        ("checkin <metric> <value> [note]", "record today's value of a manual metric"),
        (
            "checkins <metric> daily HH:MM | weekly <day> HH:MM | every N weeks <day> HH:MM | off",
            "ask the goal's owner to check in on a schedule, in their own time zone",
        ),
        ("digest [preview]", "post this channel's digest now (or show it only to you)"),
        ("thresholds <metric> <yellow%> <orange%> <red%>", "this goal's alert bands"),
        ("pause | resume | remove <metric>", "stop, restart or remove a goal (asks first)"),
        (
            "guard <metric> with <metric> [10%] | unguard <metric> <metric>",
            "a metric that must not get worse while the goal is pursued",
        ),
        (
            "config [ceo @u] [lead @u] [digest HH:MM] [tz Area/City]",
            "channel and workspace settings",
        ),
        (
            'config checklist add|remove "<item>"',
            "the workspace's remediation checklist (admins)",
        ),
        (
            'config treatment <tier> "<text>"|reset',
            "a customer tier's treatment, first on its metrics' checklists (admins)",
        ),
    ]
    lines = "\n".join(f"`{SLASH_COMMAND} {escape_mrkdwn(c)}` — {d}" for c, d in commands)
    metrics = ", ".join(f"`{key}`" for key in catalog.keys[:30]) or "none yet"
    return [
        HeaderBlock(text="goalpulse: team goals on real metrics"),
        section_block(lines),
        section_block(
            "*Examples*\n"
            f"`{SLASH_COMMAND} set dau 150k owner @ana lead @li`\n"
            f"`{SLASH_COMMAND} set next_day_retention 35% by 2027-03-31`\n"
            f"`{SLASH_COMMAND} thresholds dau 5% 15% 25%`"
        ),
        context_block(f"Metrics you can set goals on: {metrics}"),
    ]


def measured_value(goal: Goal, metric: Metric | None, evaluation: Evaluation | None) -> str:
    """`120k (−20%)`, or why there is no value."""
    if evaluation is None:
        return "no data yet"
    if evaluation.band == "invalid":
        return "target 0 cannot be measured"
    if evaluation.value is None:
        return "no recent data"
    value = format_metric_value(metric, evaluation.value) if metric else f"{evaluation.value:g}"
    deviation = evaluation.deviation or 0.0
    return f"{value} ({'+' if deviation >= 0 else '−'}{percent(abs(deviation))})"


def _goal_line(goal: Goal, metric: Metric | None, evaluation: Evaluation | None) -> str:
    target = format_metric_value(metric, goal.target) if metric else f"{goal.target:g}"
    paused = " _(paused)_" if goal.status == GoalStatus.PAUSED else ""
    title = escape_mrkdwn(metric.title) if metric else goal.metric_key
    emoji = band_emoji(evaluation.band if evaluation else None)
    return (
        f"{emoji} *{title}* (`{goal.metric_key}`){paused}\n"
        f"{measured_value(goal, metric, evaluation)} · target {target}, "
        f"{DIRECTION_WORDS[goal.direction]} · owner {mention(goal.owner_id)}"
    )


def goal_list_blocks(
    goals: Sequence[Goal],
    catalog: MetricCatalog,
    evaluations: Mapping[int, Evaluation] | None = None,
) -> list[Block]:
    """This channel's goals, one section each, condensed to fit Slack's 50-block limit."""
    if not goals:
        return notice_blocks(
            "This channel has no goals yet. "
            f"Set one with `{SLASH_COMMAND} set dau 150k owner @ana` or open the form with "
            f"`{SLASH_COMMAND} set`."
        )
    header = HeaderBlock(text=f"Goals in this channel ({len(goals)})")
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
    verb = "Created" if created else "Updated"
    target = format_metric_value(metric, goal.target)
    extras = []
    if goal.stretch is not None:
        extras.append(f"stretch {format_metric_value(metric, goal.stretch)}")
    if goal.due_date:
        extras.append(f"by {goal.due_date.isoformat()}")
    if goal.start_value is not None and goal.start_date is not None:
        start = format_metric_value(metric, goal.start_value)
        count = len(goal.milestones)
        how = f"{count} milestone{'s' if count != 1 else ''}" if count else goal.pace or "linear"
        extras.append(f"from {start} on {goal.start_date.isoformat()} ({how})")
    extras.append(f"owner {mention(goal.owner_id)}")
    if goal.lead_id:
        extras.append(f"lead {mention(goal.lead_id)}")
    return [
        section_block(
            f":dart: {verb} the goal *{escape_mrkdwn(metric.title)}* (`{goal.metric_key}`): "
            f"{target}, {DIRECTION_WORDS[goal.direction]}, {', '.join(extras)}."
        ),
        context_block(
            f"Alerts at {percent(goal.yellow)} / {percent(goal.orange)} / {percent(goal.red)} "
            f"off target. Change with `{SLASH_COMMAND} thresholds {goal.metric_key} 10% 20% 30%`."
        ),
    ]


def remove_question_blocks(goal: Goal, metric: Metric | None, value: str) -> list[Block]:
    """`/goal remove`'s question, with Remove (carrying `value`) and Keep."""
    title = escape_mrkdwn(metric.title) if metric else goal.metric_key
    return [
        section_block(
            f":wastebasket: Remove the goal *{title}* (`{goal.metric_key}`) from this channel? "
            "It leaves `/goal list` and the digest and is no longer evaluated; its open "
            "escalation and remediation close and their buttons stop working."
        ),
        context_block(
            "Its history is kept: setting a goal on this metric here again brings it back "
            f"(`{SLASH_COMMAND} set {goal.metric_key} <target>`)."
        ),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Remove", action_id=REMOVE_GOAL_ACTION, value=value, style="danger"
                ),
                ButtonElement(text="Keep", action_id=KEEP_GOAL_ACTION, value=value),
            ]
        ),
    ]


def goal_removed_blocks(goal: Goal) -> list[Block]:
    """What the question becomes once Remove was pressed."""
    return notice_blocks(
        f":wastebasket: Removed the `{goal.metric_key}` goal from this channel; its history is "
        f"kept. Set it again any time with `{SLASH_COMMAND} set {goal.metric_key} <target>`."
    )


def goal_kept_blocks() -> list[Block]:
    """What the question becomes once Keep was pressed."""
    return notice_blocks(":ok_hand: Kept the goal; nothing was removed.")


def lead_replaced_text(*, actor_id: str, lead_id: str, channel_id: str) -> str:
    """The DM to a channel lead someone replaced."""
    return (
        f"{mention(actor_id)} made {mention(lead_id)} this channel's lead in <#{channel_id}>; "
        "you no longer get its escalations."
    )


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
        last = f"This channel's digest is being posted right now (since {posted:%H:%M})"
    else:
        who = f" by {mention(by)}" if by else ""
        last = f"This channel's digest was posted at {posted:%H:%M}{who}"
    return (
        f":hourglass: {last}. `{SLASH_COMMAND} digest` posts it at most once every {minutes} "
        f"minutes; the next can go out from {again:%H:%M} ({timezone}). "
        f"`{SLASH_COMMAND} digest preview` shows it only to you, at any time."
    )


def config_blocks(config: EffectiveConfig) -> list[Block]:
    """The settings that apply to this channel and where each comes from."""
    ceo = mention(config.ceo_id) if config.ceo_id else "not set — `/goal config ceo @user`"
    lead = mention(config.lead_id) if config.lead_id else "not set — `/goal config lead @user`"
    return [
        HeaderBlock(text="goalpulse settings for this channel"),
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*CEO (workspace)*\n{ceo}"),
                MarkdownTextObject(text=f"*Channel lead*\n{lead}"),
                MarkdownTextObject(
                    text=f"*Digest time*\n{config.digest_time} ({config.digest_time_source})"
                ),
                MarkdownTextObject(
                    text=f"*Timezone*\n{config.timezone} ({config.timezone_source})"
                ),
            ]
        ),
        section_block(_checklist_text(config.checklist_items)),
        section_block(_treatments_text(config.tier_treatments)),
    ]


def _checklist_text(extras: Sequence[str]) -> str:
    """The checklist every remediation gets: the default items, then the workspace's."""
    lines = [f"• {escape_mrkdwn(title)} _(default)_" for title in DEFAULT_ITEMS]
    lines += [f"• {escape_mrkdwn(title)}" for title in extras]
    room = MAX_EXTRA_ITEMS - len(extras)
    hints = []
    if room > 0:
        hints.append(f'add up to {room} more with `{SLASH_COMMAND} config checklist add "…"`')
    if extras:
        hints.append(f'remove one with `{SLASH_COMMAND} config checklist remove "…"`')
    return (
        "*Remediation checklist (workspace)*\n"
        + "\n".join(lines)
        + f"\n_Admins can {' or '.join(hints)}._"
    )


def _treatments_text(overrides: Mapping[str, str]) -> str:
    """Each customer tier's treatment, marked as the workspace's own or the default."""
    lines = [
        f"• *{TIER_WORDS[tier]}:* {escape_mrkdwn(treatment_for(tier, overrides))} "
        + ("_(workspace)_" if overrides.get(tier) else "_(default)_")
        for tier in DEFAULT_TREATMENTS
    ]
    return (
        "*Customer tier treatments (workspace)*\n"
        + "\n".join(lines)
        + "\n_A remediation on a metric about a tier starts with its treatment. Admins can "
        f'change one with `{SLASH_COMMAND} config treatment high_value "…"`, or put the default '
        f"back with `{SLASH_COMMAND} config treatment high_value reset`._"
    )


def treatment_saved_text(change: TreatmentChange) -> str:
    """What `/goal config treatment` changed."""
    words = TIER_WORDS[change.tier]
    if change.title is None:
        default = escape_mrkdwn(DEFAULT_TREATMENTS[change.tier])
        return f":gear: The {words} treatment is the default again: *{default}*."
    return f":gear: New remediations on {words} metrics start with *{escape_mrkdwn(change.title)}*."


def first_pull_blocks(outcome: FirstPull, metric: Metric, *, staleness_days: int) -> list[Block]:
    """The follow-up after a goal's first pull: what came back, or what broke."""
    key = f"`{outcome.metric_key}`"
    if outcome.error is not None:
        return [
            section_block(
                f":warning: I tried to pull {key} for your new goal, but its source failed: "
                f"{escape_mrkdwn(outcome.error)}"
            ),
            context_block(
                "The goal shows “no data” until the source is fixed. An admin can run "
                "`goalpulse check` on the server to test every source."
            ),
        ]
    evaluation = outcome.evaluation
    if evaluation is None or evaluation.value is None or evaluation.value_day is None:
        return notice_blocks(
            f":inbox_tray: Pulled {key} just now, but its source has no value from the last "
            f"{staleness_days} days, so the goal shows “no data” until one arrives."
        )
    value = format_metric_value(metric, evaluation.value)
    emoji = band_emoji(evaluation.band)
    return notice_blocks(
        f":inbox_tray: Pulled {key} just now: {value} on {evaluation.value_day:%a %d %b}, "
        f"{_measured_deviation(evaluation)} — {emoji} {evaluation.band}."
    )


def _measured_deviation(evaluation: Evaluation) -> str:
    deviation = evaluation.deviation or 0.0
    side = "above" if deviation >= 0 else "below"
    return f"{percent(abs(deviation))} {side} target"
