"""The user-health dashboard under a digest, and benchmark notes: the index and its trend,
its factors, AOV volatility, each benchmark gap, or a `health_index` formula's inputs."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.render.figures import (
    TITLE_CHARS,
    goal_title,
    line_value,
    reader_value,
    signed_percent,
    sparkline,
    whole_percent,
)
from bot.render.lines import escaped_line
from bot.render.text import escape_mrkdwn
from jobs.digest.model import BenchmarkGap, GoalLine, HealthIndex, Reading
from jobs.i18n import N_, _, ngettext

# The dashboard's words for the health index's factors (jobs.customers.measures.HEALTH_FACTORS),
# in English: `_` them where they are shown.
FACTOR_WORDS = {
    "active_rate_30d": N_("the 30-day active rate"),
    "retention_7d": N_("the 7-day retention"),
    "aov_30d": N_("the 30-day AOV"),
}
MAX_BENCHMARKS = 10  # benchmark gaps listed in the dashboard; the rest are counted


def health_text(health: HealthIndex, lines: Sequence[GoalLine]) -> str:
    """A formula's index (its inputs in `components`), else the measure-based dashboard."""
    return _formula_health_text(health, lines) if health.components else dashboard_text(health)


def benchmark_note(gap: BenchmarkGap, benchmark: str) -> str:
    """`benchmark 35% (−17%)` (`benchmark` is its value as shown); a breach, which raises the
    goal's band, says so: `:warning: below benchmark 35% (−17%)`."""
    if gap.gap is None:
        text = _("above benchmark {benchmark}") if gap.breached else _("benchmark {benchmark}")
        text = text.format(benchmark=benchmark)
    else:
        if not gap.breached:
            text = _("benchmark {benchmark} ({gap})")
        elif gap.gap < 0:
            text = _("below benchmark {benchmark} ({gap})")
        else:
            text = _("above benchmark {benchmark} ({gap})")
        text = text.format(benchmark=benchmark, gap=whole_percent(gap.gap))
    return f":warning: {text}" if gap.breached else text


def dashboard_text(health: HealthIndex) -> str:
    """The measure-based dashboard: the index and its trend, its factors with their
    week-over-week change, AOV volatility in words, each benchmark gap, and what is missing.

    `*User health index* ¥7.41 · ▃▅▆█ · −3.2% w/w`
    `30-day active rate 29% (−1.5% w/w) × 7-day retention 21.1% (+0.4% w/w) × 30-day AOV ¥178`
    `AOV swings ±18% day to day`
    `:warning: Active rate 29% · below benchmark 35% (−17%)`
    """
    index = health.index
    value = _reading_value(index) if index is not None else _("not computed")
    first = _("*User health index* {value}").format(value=value)
    if spark := sparkline(health.sparkline):
        first += f" · {spark}"
    if index is not None and index.change_wow is not None:
        first += " · " + _("{change} w/w").format(change=signed_percent(index.change_wow))
    lines = [first]
    if health.factors:
        lines.append(" × ".join(_factor(reading) for reading in health.factors))
    if health.aov_volatility is not None and math.isfinite(health.aov_volatility):
        swing = whole_percent(health.aov_volatility).lstrip("+")
        lines.append(_("AOV swings ±{percent} day to day").format(percent=swing))
    lines += [_benchmark_line(reading) for reading in health.benchmarks[:MAX_BENCHMARKS]]
    if len(health.benchmarks) > MAX_BENCHMARKS:
        more = len(health.benchmarks) - MAX_BENCHMARKS
        lines.append(
            ngettext("…and {count} more benchmark", "…and {count} more benchmarks", more).format(
                count=more
            )
        )
    if health.undeclared:
        missing = ", ".join(
            _("{factor} (`{key}`)").format(
                factor=_(FACTOR_WORDS[name]) if name in FACTOR_WORDS else name,
                key=escape_mrkdwn(name),
            )
            for name in health.undeclared
        )
        lines.append(_("_No metric in metrics.yml computes {missing}._").format(missing=missing))
    return "\n".join(lines)


def _reading_value(reading: Reading) -> str:
    if reading.value is None or not math.isfinite(reading.value):
        return _("no data")
    return reader_value(reading.unit, reading.value, scale=reading.scale, currency=reading.currency)


def _factor(reading: Reading) -> str:
    """`30-day active rate 29% (−1.5% w/w)`."""
    text = f"{escaped_line(reading.title, TITLE_CHARS)} {_reading_value(reading)}"
    if reading.change_wow is not None and math.isfinite(reading.change_wow):
        text += _(" ({change} w/w)").format(change=signed_percent(reading.change_wow))
    return text


def _benchmark_line(reading: Reading) -> str:
    """`Active rate 29% · benchmark 35% (−17%)`, with `:warning:` and the side when breached."""
    gap = reading.benchmark
    assert gap is not None, "only metrics with a benchmark are listed"
    shown = reader_value(
        reading.unit, gap.benchmark, scale=reading.scale, currency=reading.currency
    )
    note = benchmark_note(gap, shown)
    title = escaped_line(reading.title, TITLE_CHARS)
    if note.startswith(":warning: "):
        return f":warning: {title} {_reading_value(reading)} · {note.removeprefix(':warning: ')}"
    return f"{title} {_reading_value(reading)} · {note}"


def _formula_health_text(health: HealthIndex, lines: Sequence[GoalLine]) -> str:
    """A `health_index` formula metric's value, sparkline and inputs."""
    by_key = {line.metric_key: line for line in lines}
    value = _("no data") if health.value is None else reader_value("ratio", health.value)
    first = _("*User health index* {value}").format(value=value)
    if spark := sparkline(health.sparkline):
        first += f" · {spark}"
    parts = []
    for key, component in list(health.components.items())[:10]:
        line = by_key.get(key)
        label = goal_title(line) if line else f"`{escape_mrkdwn(key[:64])}`"
        shown = (
            _("no data")
            if component is None
            else line_value(line, component)
            if line
            else f"{component:g}"
        )
        parts.append(f"{label} {shown}")
    return f"{first}\n{' × '.join(parts)}" if parts else first
