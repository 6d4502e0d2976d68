"""Figures as people read them, and a goal's title: the pieces the digest, the dashboard,
escalation messages and `/goal show` share. Sparklines, signed percents and points, a goal's
values."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.render.lines import escaped_line
from jobs.digest.model import GoalLine
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


def line_value(line: GoalLine, value: float) -> str:
    return format_value(line.unit, value, scale=line.scale, currency=line.currency)


def signed_percent(fraction: float) -> str:
    """`−20.0%`, `+4.5%`, with a real minus sign."""
    text = f"{abs(fraction) * 100:.1f}%"
    if text == "0.0%":
        return text
    return f"{MINUS if fraction < 0 else '+'}{text}"


def signed_points(points: float) -> str:
    """`−0.6 pt`, `+1.2 pt`: a change in percentage points, with a real minus sign."""
    text = f"{abs(points):.1f} pt"
    if text == "0.0 pt":
        return text
    return f"{MINUS if points < 0 else '+'}{text}"


def goal_title(line: GoalLine) -> str:
    return escaped_line(line.title, TITLE_CHARS)


def swing_words(volatility: float) -> str:
    """`swings ±18% day to day`: a coefficient of variation as a reader says it."""
    return f"swings ±{whole_percent(volatility).lstrip('+')} day to day"


def whole_percent(fraction: float) -> str:
    """`−17%`, `+4%`: a gap to the nearest percent (to a tenth under 1%), real minus sign."""
    size = abs(fraction) * 100
    text = f"{size:.0f}%" if size >= 0.95 else f"{size:.1f}%"
    if text in ("0%", "0.0%"):
        return "0%"
    return f"{MINUS if fraction < 0 else '+'}{text}"
