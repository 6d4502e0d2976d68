"""Figures as people read them, and a goal's title: the pieces the digest, the dashboard,
escalation messages and `/goal show` share. Sparklines, signed percents and points, a goal's
values, days.

This is the one place a value, target, percent or day is formatted for a reader in the
locale in force (jobs/i18n.py): English goes through jobs/metrics/quantities.py exactly as it
always has; Simplified Chinese through jobs/metrics/locale_numbers.py (`1.2万`, `¥5亿`,
`11月30日 周一`). Percents and ratios read the same in both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from bot.render.lines import escaped_line
from jobs.digest.model import GoalLine
from jobs.i18n import EN, _, current_locale
from jobs.metrics.catalog import Metric, Unit
from jobs.metrics.locale_numbers import format_day, format_money, format_number, format_percent
from jobs.metrics.quantities import format_value

TITLE_CHARS = 100
BARS = "▁▂▃▄▅▆▇█"
GAP = "·"
MINUS = "\u2212"


def sparkline(values: Sequence[float | None]) -> str:
    """`▁▂▃▄▅▆▇█` scaled to the series, `·` for a missing day; "" when every day is missing."""
    present = [v for v in values if v is not None and math.isfinite(v)]
    if not present:
        return ""
    low, high = min(present), max(present)

    def bar(value: float | None) -> str:
        if value is None or not math.isfinite(value):
            return GAP
        if high == low:
            return BARS[len(BARS) // 2 - 1]
        return BARS[round((value - low) / (high - low) * (len(BARS) - 1))]

    return "".join(bar(v) for v in values)


def reader_value(unit: str, value: float, *, scale: str = "fraction", currency: str = "$") -> str:
    """A stored value in the locale in force: en `12k`, `$520`, `24.1%`; zh-CN `1.2万`, `¥520`.

    English is `format_value`'s output unchanged; percents and ratios read alike everywhere.
    """
    locale = current_locale()
    if locale == EN or not math.isfinite(value):
        return format_value(unit, value, scale=scale, currency=currency)
    if unit == Unit.COUNT:
        return format_number(value, locale=locale)
    if unit == Unit.CURRENCY:
        return format_money(value, currency, locale=locale)
    if unit == Unit.PERCENT:
        return format_percent(value * 100 if scale == "fraction" else value, locale=locale)
    return format_value(unit, value, scale=scale, currency=currency)


def metric_value(metric: Metric, value: float) -> str:
    """`reader_value` with the metric's own unit settings (format_metric_value, localised)."""
    return reader_value(metric.unit.value, value, scale=metric.scale, currency=metric.currency)


def reader_count(value: float) -> str:
    """A count of things (customers, orders): en `1.2k`, zh-CN `1200`, `1.2万`."""
    return reader_value(Unit.COUNT, value)


def reader_day(day: date) -> str:
    """A day in the locale in force: en `Mon 30 Nov`, zh-CN `11月30日 周一`."""
    return format_day(day, locale=current_locale())


def line_value(line: GoalLine, value: float) -> str:
    return reader_value(line.unit, value, scale=line.scale, currency=line.currency)


def signed_percent(fraction: float) -> str:
    """`−20.0%`, `+4.5%`, with a real minus sign (the same in every locale)."""
    text = f"{abs(fraction) * 100:.1f}%"
    if text == "0.0%":
        return text
    return f"{MINUS if fraction < 0 else '+'}{text}"


def signed_points(points: float) -> str:
    """`−0.6 pt`, `+1.2 pt`: a change in percentage points, with a real minus sign."""
    size = f"{abs(points):.1f}"
    text = _("{points} pt").format(points=size)
    if size == "0.0":
        return text
    return f"{MINUS if points < 0 else '+'}{text}"


def goal_title(line: GoalLine) -> str:
    return escaped_line(line.title, TITLE_CHARS)


def swing_words(volatility: float) -> str:
    """`swings ±18% day to day`: a coefficient of variation as a reader says it."""
    return _("swings ±{percent} day to day").format(percent=whole_percent(volatility).lstrip("+"))


def whole_percent(fraction: float) -> str:
    """`−17%`, `+4%`: a gap to the nearest percent (to a tenth under 1%), real minus sign."""
    size = abs(fraction) * 100
    text = f"{size:.0f}%" if size >= 0.95 else f"{size:.1f}%"
    if text in ("0%", "0.0%"):
        return "0%"
    return f"{MINUS if fraction < 0 else '+'}{text}"
