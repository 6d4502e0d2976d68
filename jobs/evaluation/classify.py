"""Classify goals for one day: band with hysteresis, trend, forecast, volatility.

Pure and vectorised: no I/O, no clock. Points are placed once in a (day, goal) grid (one row
per day, one column per goal; arrays.py); every per-goal figure is then a handful of
whole-array steps across all goals at once: the latest point, runs of adverse moves, and window
sums added day by day, in the order a per-goal loop adds them. Few large temporaries are made,
as each costs more in fresh memory than in arithmetic.

A goal whose metric has an industry benchmark (optional goal columns BENCHMARK_COLUMNS, read
in benchmarks.py) and whose latest value breaches it is raised to at least the benchmark's band,
never lowered. Likewise a measured goal whose owner's latest confidence is off track (optional
goal column CONFIDENCE_COLUMN, read in confidence.py) is raised to at least yellow.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from jobs.evaluation.arrays import Bools, Floats, Grid, Ints, grids, label_codes, usable_points
from jobs.evaluation.benchmarks import goal_benchmarks
from jobs.evaluation.confidence import CONFIDENCE_COLUMN, confidence_floor
from jobs.evaluation.policy import EvaluationPolicy
from storage.models import RESULT_FIELDS, Band, Direction

# What classify returns: the goal and day, what an evaluation stores of them, and whether the
# trend raises an alert (which is not stored).
COLUMNS = ("goal_id", "day", *RESULT_FIELDS, "trend_alert")

# Colour bands indexed by rank, mildest first: hysteresis compares ranks.
_COLOURS = np.array(
    [b.value for b in (Band.GREEN, Band.YELLOW, Band.ORANGE, Band.RED)], dtype=object
)
_RED = 3
_HIGHER, _LOWER, _EITHER = 0, 1, 2
# By direction code, the sign that makes a deviation or a move adverse: higher is better → −,
# lower is better → +; `either` (0 here) takes the magnitude instead, apart.
_ADVERSE_SIGN = np.array([-1.0, 1.0, 0.0])
_DIRECTIONS = {
    Direction.HIGHER.value: _HIGHER,
    Direction.LOWER.value: _LOWER,
    Direction.EITHER.value: _EITHER,
}
_PREVIOUS = {str(colour): rank for rank, colour in enumerate(_COLOURS)} | {
    Band.NO_DATA.value: -1,
    Band.INVALID.value: -1,
}
# Adverse deviations are compared at 9 decimals so that exactly 10 % off is yellow.
_DECIMALS = 9


def classify(
    goals: pd.DataFrame,
    points: pd.DataFrame,
    *,
    day: date,
    policy: EvaluationPolicy = EvaluationPolicy(),  # noqa: B008 - frozen, shared default
) -> pd.DataFrame:
    """One evaluation per goal for `day`, in the goals' order, with the columns in COLUMNS.

    A zero or non-finite target is `invalid`, even without data. Points after `day`, for
    unknown goals or with a NaN value are ignored. Raises ValueError on a repeated goal_id,
    two points for one goal and day, or an unknown direction or previous band.
    """
    count = len(goals)
    goal_ids = goals["goal_id"].to_numpy(np.int64)
    target = goals["target"].to_numpy(np.float64)
    edges = goals[["yellow", "orange", "red"]].to_numpy(np.float64)
    direction = label_codes(goals["direction"], _DIRECTIONS, "direction")
    previous = label_codes(goals["previous_band"], _PREVIOUS, "previous_band", missing=-1)
    benchmarks = goal_benchmarks(goals)
    confident = (
        confidence_floor(goals[CONFIDENCE_COLUMN])
        if CONFIDENCE_COLUMN in goals
        else np.zeros(count, dtype=np.int64)
    )
    usable = (target != 0) & np.isfinite(target)

    latest_offset = np.full(count, np.iinfo(np.int64).min, dtype=np.int64)
    value = np.full(count, np.nan)
    deviation = np.full(count, np.nan)
    adverse = np.full(count, np.nan)
    rank = np.zeros(count, dtype=np.int64)
    streak = np.zeros(count, dtype=np.int64)
    red_in_days = np.full(count, np.nan)
    volatility = np.full(count, np.nan)
    for block, grid in grids(usable_points(goal_ids, points, day), count):
        latest = _latest(grid.present)
        offset = np.where(latest >= 0, latest - (grid.days - 1), np.iinfo(np.int64).min)
        fresh = np.flatnonzero(offset >= -policy.staleness_days)
        latest_value = np.full(len(latest), np.nan)
        latest_value[fresh] = grid.value[latest[fresh], fresh]
        measured = (offset >= -policy.staleness_days) & usable[block]
        judged = _judge(
            latest_value,
            measured,
            target[block],
            edges[block],
            direction[block],
            previous[block],
            policy.hysteresis,
            np.maximum(
                benchmarks.floor(block, latest_value, measured),
                np.where(measured, confident[block], 0),
            ),
        )
        latest_offset[block], value[block] = offset, latest_value
        deviation[block], adverse[block], rank[block] = judged
        streak[block] = _streaks(grid, direction[block], target[block], latest)
        red_in_days[block] = _red_in_days(
            grid,
            direction[block],
            target[block],
            edges[block, 2],
            judged[1],
            measured & (judged[2] < _RED),
            policy,
        )
        volatility[block] = _volatility(grid, policy.volatility_window)

    present = latest_offset >= -policy.staleness_days
    band = _COLOURS[rank]
    band[~present] = Band.NO_DATA.value
    band[~usable] = Band.INVALID.value
    value_day = np.full(count, None, dtype=object)
    if present.any():
        back = -latest_offset[present]
        dates = np.empty(int(back.max()) + 1, dtype=object)
        dates[:] = [day - timedelta(days=n) for n in range(len(dates))]
        value_day[present] = dates[back]
    columns: dict[str, Any] = {
        "goal_id": goal_ids,
        "day": np.full(count, day, dtype=object),
        "value": value,
        "value_day": value_day,
        "target": target,
        "deviation": deviation,
        "adverse": adverse,
        "band": pd.Series(band, dtype="str"),
        "consecutive_adverse": streak,
        "trend_alert": streak >= policy.trend_trigger,
        "red_in_days": red_in_days,
        "volatility": volatility,
    }
    return pd.DataFrame(columns, columns=list(COLUMNS), copy=False)


def _judge(
    value: Floats,
    measured: Bools,
    target: Floats,
    edges: Floats,
    direction: Ints,
    previous: Ints,
    hysteresis: float,
    floor: Ints,
) -> tuple[Floats, Floats, Ints]:
    """Each goal's deviation, its adverse part, and its colour rank after hysteresis, raised
    to `floor` (a breached benchmark's band, yellow when off track) where that is higher."""
    deviation = np.full(len(value), np.nan)
    deviation[measured] = (value[measured] - target[measured]) / np.abs(target[measured])
    adverse = _adverse(deviation, direction)
    rank = _raw_rank(adverse, edges)
    relaxed = _raw_rank(adverse + hysteresis, edges)
    rank = np.where(previous >= 0, np.maximum(rank, np.minimum(previous, relaxed)), rank)
    return deviation, adverse, np.maximum(rank, floor)


def _latest(present: Bools) -> Ints:
    """Each goal's latest row with a point, -1 without one."""
    last = present.shape[0] - 1 - np.argmax(present[::-1], axis=0)
    return np.where(present.any(axis=0), last, -1).astype(np.int64)


def _adverse(deviation: Floats, direction: Ints) -> Floats:
    """The share of the deviation that is bad news for each goal's direction (last axis)."""
    adverse: Floats = deviation * _ADVERSE_SIGN[direction]
    either = direction == _EITHER
    if either.any():
        adverse[..., either] = np.abs(deviation[..., either])
    return adverse


def _raw_rank(adverse: Floats, edges: Floats) -> Ints:
    """0 green … 3 red on half-open bands; NaN ranks green (callers overwrite those)."""
    rounded = np.round(adverse, _DECIMALS)[:, np.newaxis]
    return np.asarray(np.count_nonzero(rounded >= edges, axis=1), dtype=np.int64)


def _streaks(grid: Grid, direction: Ints, target: Floats, latest: Ints) -> Ints:
    """Adverse day-over-day moves in a row, counted back from each goal's latest point."""
    value, present = grid.value, grid.present
    count = value.shape[1]
    streak = np.zeros(count, dtype=np.int64)
    if grid.days < 2:
        return streak
    # worse[r]: a point on days r and r + 1, and the move between them is adverse.
    with np.errstate(invalid="ignore"):
        # Higher is better: a fall; lower is better: a rise (the sign of the difference).
        moved = value[1:] - value[:-1]
        moved *= _ADVERSE_SIGN[direction]
        worse = moved > 0
        either = np.flatnonzero(direction == _EITHER)
        if len(either):  # either way: further from the target than the day before
            gap = np.abs(value[:, either] - target[either])
            worse[:, either] = gap[1:] > gap[:-1]
    worse &= present[1:]
    worse &= present[:-1]
    # Adverse moves in a row up to each day (never more than the days, hence the small type).
    runs = np.zeros(value.shape, dtype=np.min_scalar_type(-grid.days))
    for row in range(1, grid.days):
        np.add(runs[row - 1], 1, out=runs[row])
        runs[row] *= worse[row - 1]
    found = np.flatnonzero(latest >= 0)
    streak[found] = runs[latest[found], found]
    return streak


def _red_in_days(
    grid: Grid,
    direction: Ints,
    target: Floats,
    red: Floats,
    adverse: Floats,
    forecastable: Bools,
    policy: EvaluationPolicy,
) -> Floats:
    """Days until red on a least-squares line of adverse deviation over the forecast window."""
    first = max(0, grid.days - policy.forecast_window)
    value, present = grid.value[first:], grid.present[first:]
    x = np.arange(first - grid.days + 1, 1)  # each row's day offset
    n = np.zeros(value.shape[1], dtype=np.int64)
    x_sum = np.zeros(value.shape[1], dtype=np.int64)  # whole days: exact in any order
    for offset, row in zip(x, present, strict=True):
        n += row
        x_sum += offset * row
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        y = value - target  # then the adverse deviation, in place
        y /= np.abs(target)
        either = np.flatnonzero(direction == _EITHER)
        magnitude = np.abs(y[:, either])
        y *= _ADVERSE_SIGN[direction]
        y[:, either] = magnitude
        y *= present
        dx = x.astype(np.float64)[:, np.newaxis] - x_sum / n
        dx *= present
        y -= _sums(y) / n
        y *= dx  # (x - x̄)(y - ȳ), 0 on days without a point
        dx *= dx
        slope = _sums(y) / _sums(dx)
        days = (red - adverse) / slope
    keep = forecastable & (n >= 3) & (slope > 0) & (days > 0) & (days <= policy.forecast_horizon)
    return np.where(keep, days, np.nan)


def _volatility(grid: Grid, window: int) -> Floats:
    """Population standard deviation over |mean| of each goal's values in the window."""
    first = max(0, grid.days - window)
    value, present = grid.value[first:], grid.present[first:]
    n = np.count_nonzero(present, axis=0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean = _sums(value) / n  # days without a point hold 0.0
        spread = value - mean
        spread *= present
        spread *= spread
        cv = np.sqrt(_sums(spread) / n) / np.abs(mean)
    return np.where((n >= 2) & (mean != 0), cv, np.nan)


def _sums(terms: Floats) -> Floats:
    """Each goal's sum of its terms (0.0 on days without a point), day by day, oldest first.

    Added row after row, in the order the per-goal reference adds (a plain `sum` may add in
    pairs, depending on the array's shape), and adding 0.0 changes no sum.
    """
    total = terms[0].copy() if len(terms) else np.zeros(terms.shape[1])
    for row in terms[1:]:
        total += row
    return total
