"""`/goal show`: one goal in full, its benchmark and volatility, and its last evaluations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from math import isfinite

from slack_sdk.models.blocks import Block, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.render.at_risk import at_risk_button
from bot.render.block_kit import context_block, section_block
from bot.render.blocks import DIRECTION_WORDS, band_name, measured_value, percent
from bot.render.checkins import recent_checkins_text
from bot.render.digest import band_emoji, escalation_note
from bot.render.figures import metric_value, swing_words, whole_percent
from bot.render.guardrails import guards_text
from bot.render.plan import plan_detail
from bot.render.text import escape_mrkdwn, mention
from jobs.customers.measures import AT_RISK_MEASURES
from jobs.digest.dashboard import benchmark_gap
from jobs.digest.model import EscalationStatus
from jobs.i18n import EN, N_, _, current_locale
from jobs.metrics.catalog import Metric
from storage.models import Checkin, Evaluation, Goal

# A goal's status as `/goal show` names it.
STATUS_WORDS = {"active": N_("active"), "paused": N_("paused")}


def _short(day: date) -> str:
    """`05 Nov` in English (as always), `11月5日` in Chinese."""
    return f"{day:%d %b}" if current_locale() == EN else f"{day.month}月{day.day}日"


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
    target = metric_value(metric, goal.target) if metric else f"{goal.target:g}"
    due = goal.due_date.isoformat() if goal.due_date else _("no due date")
    latest = history[-1] if history else None
    status = _(STATUS_WORDS.get(str(goal.status), str(goal.status)))
    fields = [
        _("*Now*") + f"\n{band_emoji(latest.band if latest else None)} "
        f"{measured_value(goal, metric, latest)}",
        _("*Target*") + f"\n{target} ({_(DIRECTION_WORDS[goal.direction])})",
        _("*Owner*") + f"\n{mention(goal.owner_id)}",
        _("*Lead*") + f"\n{mention(goal.lead_id)}",
        _("*Bands*") + f"\n:large_yellow_circle: {percent(goal.yellow)} · :large_orange_circle: "
        f"{percent(goal.orange)} · :red_circle: {percent(goal.red)}",
        _("*Due · status*") + f"\n{due} · {status}",
    ]
    if metric is not None and (benchmark := _benchmark_field(metric, latest)):
        fields.append(benchmark)
    if latest is not None and latest.volatility is not None and isfinite(latest.volatility):
        fields.append(_("*Volatility (30 days)*") + f"\n{swing_words(latest.volatility)}")
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
            _("{key} · {title} · created by {person} on {day}").format(
                key=f"`{goal.metric_key}`",
                title=title,
                person=mention(goal.created_by),
                day=f"{goal.created_at:%Y-%m-%d}",
            )
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
            _("*Last {count} evaluations* ({first} → {last})").format(
                count=len(history), first=_short(history[0].day), last=_short(latest.day)
            )
            + f"{trend}\n{bands}"
        )
    ]
    if latest.consecutive_adverse >= 3:
        blocks.append(
            section_block(
                _(":chart_with_downwards_trend: {days} adverse days in a row.").format(
                    days=latest.consecutive_adverse
                )
            )
        )
    if latest.red_in_days:
        blocks.append(
            section_block(
                _(":hourglass: At this pace, red in ~{days} days.").format(
                    days=f"{latest.red_in_days:.0f}"
                )
            )
        )
    return blocks


def _benchmark_field(metric: Metric, latest: Evaluation | None) -> str | None:
    """`*Benchmark*` 35% · now −17%, and what its warning does: the field `/goal show` adds."""
    if metric.benchmark is None:
        return None
    benchmark = metric.benchmark
    gap = benchmark_gap(benchmark, latest.value if latest else None)
    text = _("*Benchmark*") + f"\n{metric_value(metric, benchmark.value)}"
    if gap is not None and gap.gap is not None:
        text += " · " + _("now {gap}").format(gap=whole_percent(gap.gap))
    below, above = benchmark.warn_below, benchmark.warn_above
    if below is not None and above is not None:
        warns = _("more than {below} under or {above} over").format(
            below=percent(below), above=percent(above)
        )
    elif below is not None:
        warns = _("more than {below} under").format(below=percent(below))
    elif above is not None:
        warns = _("more than {above} over").format(above=percent(above))
    else:
        return text
    band = band_name(benchmark.band)
    if gap is not None and gap.breached:
        return f"{text}\n" + _(":warning: {warns}: at least {band}").format(warns=warns, band=band)
    return f"{text}\n" + _("{warns} makes the goal {band}").format(warns=warns, band=band)
