"""A plain, one-goal-at-a-time evaluation: the baseline for `jobs.evaluation.classify`.

Deliberately loops and no pandas, so it reads like the rules; it shares no code with
`jobs.evaluation.classify` beyond the policy settings.
"""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta
from typing import Any

from jobs.evaluation.classify import EvaluationPolicy
from storage.models import Band

NAN = float("nan")
COLOURS = [Band.GREEN.value, Band.YELLOW.value, Band.ORANGE.value, Band.RED.value]


def reference_classify(
    goal: dict[str, Any],
    points: list[tuple[date, float]],
    *,
    day: date,
    policy: EvaluationPolicy,
) -> dict[str, Any]:
    """Evaluate one goal on `day` from its (day, value) points, in any order."""
    target = float(goal["target"])
    direction = str(goal["direction"])
    if direction not in ("higher", "lower", "either"):
        raise ValueError(f"unknown direction {direction!r}")
    history = sorted((d, float(v)) for d, v in points if d <= day and not math.isnan(v))
    for (d0, _), (d1, _) in itertools.pairwise(history):
        if d0 == d1:
            raise ValueError(f"two values on {d0}")
    usable_target = target != 0 and math.isfinite(target)

    value: float | None = None
    value_day: date | None = None
    if history and history[-1][0] >= day - timedelta(days=policy.staleness_days):
        value_day, value = history[-1]

    deviation = NAN
    adverse = NAN
    if value is not None and usable_target:
        deviation = (value - target) / abs(target)
        adverse = adverse_part(deviation, direction)

    if not usable_target:
        band = Band.INVALID.value
    elif value is None:
        band = Band.NO_DATA.value
    else:
        rank = raw_rank(adverse, goal)
        previous = goal.get("previous_band")
        if isinstance(previous, str) and previous not in (*COLOURS, "no_data", "invalid"):
            raise ValueError(f"unknown previous band {previous!r}")
        if isinstance(previous, str) and previous in COLOURS:
            relaxed = raw_rank(adverse + policy.hysteresis, goal)
            rank = max(rank, min(COLOURS.index(previous), relaxed))
        if benchmark_breached(goal, value):
            rank = max(rank, COLOURS.index(goal["benchmark_band"]))
        band = COLOURS[rank]

    streak = 0
    for i in range(len(history) - 1, 0, -1):
        (d0, v0), (d1, v1) = history[i - 1], history[i]
        if (d1 - d0).days != 1 or not adverse_move(direction, target, v0, v1):
            break
        streak += 1

    red_in_days = NAN
    if value is not None and usable_target and band != Band.RED.value:
        first_day = day - timedelta(days=policy.forecast_window - 1)
        xs: list[float] = []
        ys: list[float] = []
        for d, v in history:
            if d >= first_day:
                xs.append(float((d - day).days))
                ys.append(adverse_part((v - target) / abs(target), direction))
        if len(xs) >= 3:
            slope = least_squares_slope(xs, ys)
            if slope > 0:
                days = (float(goal["red"]) - adverse) / slope
                if 0 < days <= policy.forecast_horizon:
                    red_in_days = days

    first_day = day - timedelta(days=policy.volatility_window - 1)
    recent = [v for d, v in history if d >= first_day]
    volatility = coefficient_of_variation(recent)

    return {
        "goal_id": goal["goal_id"],
        "day": day,
        "value": NAN if value is None else value,
        "value_day": value_day,
        "target": target,
        "deviation": deviation,
        "adverse": adverse,
        "band": band,
        "consecutive_adverse": streak,
        "trend_alert": streak >= policy.trend_trigger,
        "red_in_days": red_in_days,
        "volatility": volatility,
    }


def benchmark_breached(goal: dict[str, Any], value: float) -> bool:
    """Whether the value is further from the goal's benchmark (if it has one) than its warning
    allows: under benchmark × (1 − warn_below), or over benchmark × (1 + warn_above)."""
    band = goal.get("benchmark_band")
    if not isinstance(band, str) or band not in COLOURS:
        return False
    benchmark = float(goal["benchmark"])
    below = goal.get("benchmark_below")
    above = goal.get("benchmark_above")
    if below is not None and not math.isnan(below) and value < benchmark * (1 - below):
        return True
    return above is not None and not math.isnan(above) and value > benchmark * (1 + above)


def adverse_part(deviation: float, direction: str) -> float:
    """The share of the deviation that is bad news for this direction."""
    if direction == "higher":
        return -deviation
    if direction == "lower":
        return deviation
    return abs(deviation)


def raw_rank(adverse: float, goal: dict[str, Any]) -> int:
    """0 green, 1 yellow, 2 orange, 3 red; bands are half-open, compared at 9 decimals."""
    rounded = round(adverse, 9)
    if rounded >= goal["red"]:
        return 3
    if rounded >= goal["orange"]:
        return 2
    if rounded >= goal["yellow"]:
        return 1
    return 0


def adverse_move(direction: str, target: float, before: float, after: float) -> bool:
    """Whether going from `before` to `after` is strictly worse for this direction."""
    if direction == "higher":
        return after < before
    if direction == "lower":
        return after > before
    return abs(after - target) > abs(before - target)


def least_squares_slope(xs: list[float], ys: list[float]) -> float:
    """Slope of the ordinary least-squares line through the points."""
    x_total = 0.0
    y_total = 0.0
    for x, y in zip(xs, ys, strict=True):
        x_total += x
        y_total += y
    x_mean = x_total / len(xs)
    y_mean = y_total / len(ys)
    covariance = 0.0
    spread = 0.0
    for x, y in zip(xs, ys, strict=True):
        covariance += (x - x_mean) * (y - y_mean)
        spread += (x - x_mean) * (x - x_mean)
    return covariance / spread


def coefficient_of_variation(values: list[float]) -> float:
    """Population standard deviation over |mean|; NaN below two values or at a zero mean."""
    if len(values) < 2:
        return NAN
    total = 0.0
    for v in values:
        total += v
    mean = total / len(values)
    if mean == 0:
        return NAN
    squares = 0.0
    for v in values:
        squares += (v - mean) * (v - mean)
    return math.sqrt(squares / len(values)) / abs(mean)
