"""`/goal show`: one goal in full, its benchmark and volatility, and its last evaluations."""

from __future__ import annotations

from collections.abc import Sequence
from math import isfinite

from slack_sdk.models.blocks import Block, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.render.at_risk import at_risk_button
from bot.render.block_kit import context_block, section_block
from bot.render.blocks import DIRECTION_WORDS, measured_value, percent
from bot.render.checkins import recent_checkins_text
from bot.render.digest import band_emoji, escalation_note
from bot.render.figures import swing_words, whole_percent
from bot.render.guardrails import guards_text
from bot.render.plan import plan_detail
from bot.render.text import escape_mrkdwn, mention
from jobs.customers.scored import AT_RISK_MEASURES
from jobs.digest.dashboard import benchmark_gap
from jobs.digest.model import EscalationStatus
from jobs.metrics.catalog import Metric
from jobs.metrics.quantities import format_metric_value
from storage.models import Checkin, Evaluation, Goal


def goal_detail_blocks(
    goal: Goal,
    metric: Metric | None,
    history: Sequence[Evaluation] = (),
    sparkline: str = "",
    escalation: EscalationStatus | None = None,
    checkins: Sequence[Checkin] = (),
) -> list[Block]:
    """One goal in full: now, any open episode/remediation, its guardrails and recent
    check-ins, the last evaluations, settings; on an at-risk measure, the button that sends the
    customers at risk as a CSV."""
    title = escape_mrkdwn(metric.title) if metric else goal.metric_key
    target = format_metric_value(metric, goal.target) if metric else f"{goal.target:g}"
    due = goal.due_date.isoformat() if goal.due_date else "no due date"
    latest = history[-1] if history else None
    fields = [
        f"*Now*\n{band_emoji(latest.band if latest else None)} "
        f"{measured_value(goal, metric, latest)}",
        f"*Target*\n{target} ({DIRECTION_WORDS[goal.direction]})",
        f"*Owner*\n{mention(goal.owner_id)}",
        f"*Lead*\n{mention(goal.lead_id)}",
        f"*Bands*\n:large_yellow_circle: {percent(goal.yellow)} · :large_orange_circle: "
        f"{percent(goal.orange)} · :red_circle: {percent(goal.red)}",
        f"*Due · status*\n{due} · {goal.status}",
    ]
    if metric is not None and (benchmark := _benchmark_field(metric, latest)):
        fields.append(benchmark)
    if latest is not None and latest.volatility is not None and isfinite(latest.volatility):
        fields.append(f"*Volatility (30 days)*\n{swing_words(latest.volatility)}")
    blocks: list[Block] = [
        HeaderBlock(text=f"{(metric.title if metric else goal.metric_key)[:140]}"),
        SectionBlock(fields=[MarkdownTextObject(text=f) for f in fields]),
    ]
    if plan := plan_detail(goal, metric, latest):
        blocks.append(section_block(plan))
    if escalation is not None:
        blocks.append(section_block(escalation_note(escalation)))
    if guards := guards_text(goal.guardrails):
        blocks.append(section_block(guards))
    if recent := recent_checkins_text(checkins, metric):
        blocks.append(section_block(recent))
    blocks += _history_blocks(history, sparkline)
    if metric is not None and metric.measure in AT_RISK_MEASURES and goal.id is not None:
        blocks.append(at_risk_button(goal.id))
    blocks.append(
        context_block(
            f"`{goal.metric_key}` · {title} · created by "
            f"{mention(goal.created_by)} on {goal.created_at:%Y-%m-%d}"
        )
    )
    return blocks


def _history_blocks(history: Sequence[Evaluation], sparkline: str) -> list[Block]:
    """The last evaluations' bands and the week's sparkline, then a run of adverse days and
    the forecast when the latest evaluation has them."""
    if not history:
        return []
    latest = history[-1]
    bands = "".join(band_emoji(e.band) for e in history)
    trend = f"  `{sparkline}`" if sparkline else ""
    blocks: list[Block] = [
        section_block(
            f"*Last {len(history)} evaluations* ({history[0].day:%d %b} → "
            f"{latest.day:%d %b}){trend}\n{bands}"
        )
    ]
    if latest.consecutive_adverse >= 3:
        blocks.append(
            section_block(
                f":chart_with_downwards_trend: {latest.consecutive_adverse} adverse days in a row."
            )
        )
    if latest.red_in_days:
        blocks.append(
            section_block(f":hourglass: At this pace, red in ~{latest.red_in_days:.0f} days.")
        )
    return blocks


def _benchmark_field(metric: Metric, latest: Evaluation | None) -> str | None:
    """`*Benchmark*` 35% · now −17%, and what its warning does: the field `/goal show` adds."""
    if metric.benchmark is None:
        return None
    benchmark = metric.benchmark
    gap = benchmark_gap(benchmark, latest.value if latest else None)
    text = f"*Benchmark*\n{format_metric_value(metric, benchmark.value)}"
    if gap is not None and gap.gap is not None:
        text += f" · now {whole_percent(gap.gap)}"
    warns = []
    if benchmark.warn_below is not None:
        warns.append(f"{percent(benchmark.warn_below)} under")
    if benchmark.warn_above is not None:
        warns.append(f"{percent(benchmark.warn_above)} over")
    if not warns:
        return text
    if gap is not None and gap.breached:
        return f"{text}\n:warning: more than {' or '.join(warns)}: at least {benchmark.band}"
    return f"{text}\nmore than {' or '.join(warns)} makes the goal {benchmark.band}"
