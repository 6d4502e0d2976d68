"""Classify goals for one day: band with hysteresis, trend, forecast, volatility (DESIGN.md §3.2).

Pure and vectorised: no I/O, no clock. Points are sorted once by (goal, day); every per-goal
figure is then either the goal's latest row scattered into place or a grouped sum
(`np.bincount` over positional goal codes), so the cost grows with the points, not the goals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from storage.models import Band, Direction

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

COLUMNS = (
    "goal_id",
    "day",
    "value",
    "value_day",
    "target",
    "deviation",
    "adverse",
    "band",
    "consecutive_adverse",
    "trend_alert",
    "red_in_days",
    "volatility",
)

# Colour bands indexed by rank, mildest first: hysteresis compares ranks.
_COLOURS = np.array(
    [b.value for b in (Band.GREEN, Band.YELLOW, Band.ORANGE, Band.RED)], dtype=object
)
_RED = 3
_HIGHER, _LOWER, _EITHER = 0, 1, 2
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


@dataclass(frozen=True)
class EvaluationPolicy:
    """How goals are judged; the defaults are the playbook's."""

    staleness_days: int = 2  # a value older than day - staleness_days is stale → no_data
    hysteresis: float = 0.02  # adverse margin needed to leave a band downward
    trend_trigger: int = 3  # consecutive adverse moves that raise trend_alert
    forecast_window: int = 14  # days of history for the linear fit
    forecast_horizon: int = 30  # only report red_in_days up to this many days
    volatility_window: int = 30  # days for the coefficient of variation


@dataclass(frozen=True)
class _History:
    """Points up to the day, sorted by (goal, day): goal position, day offset (≤ 0), value."""

    goal: Ints
    offset: Ints
    value: Floats
    latest: Bools  # the goal's latest point


def classify(
    goals: pd.DataFrame,
    points: pd.DataFrame,
    *,
    day: date,
    policy: EvaluationPolicy = EvaluationPolicy(),
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
    direction = _codes(goals["direction"], _DIRECTIONS, "direction")
    previous = _codes(goals["previous_band"], _PREVIOUS, "previous_band", missing=-1)
    history = _history(goal_ids, points, day)

    owner = history.goal[history.latest]
    latest_offset = np.full(count, np.iinfo(np.int64).min, dtype=np.int64)
    latest_offset[owner] = history.offset[history.latest]
    present = latest_offset >= -policy.staleness_days
    value = np.full(count, np.nan)
    value[owner] = history.value[history.latest]
    value[~present] = np.nan

    usable = (target != 0) & np.isfinite(target)
    measured = present & usable
    deviation = np.full(count, np.nan)
    deviation[measured] = (value[measured] - target[measured]) / np.abs(target[measured])
    adverse = _adverse(deviation, direction)

    rank = _raw_rank(adverse, edges)
    relaxed = _raw_rank(adverse + policy.hysteresis, edges)
    rank = np.where(previous >= 0, np.maximum(rank, np.minimum(previous, relaxed)), rank)
    band = _COLOURS[rank]
    band[~present] = Band.NO_DATA.value
    band[~usable] = Band.INVALID.value

    streak = _streaks(history, direction, target, count)
    forecastable = measured & (rank < _RED)
    red_in_days = _red_in_days(
        history, direction, target, edges[:, 2], adverse, forecastable, policy
    )
    volatility = _volatility(history, policy.volatility_window, count)

    value_day = np.full(count, None, dtype=object)
    value_day[present] = (np.datetime64(day, "D") + latest_offset[present]).astype(object)
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
    return pd.DataFrame(columns, columns=list(COLUMNS))


def _codes(
    column: pd.Series[Any], codes: dict[str, int], name: str, missing: int | None = None
) -> Ints:
    """Map labels to codes; blanks get `missing` if given, anything else unknown raises."""
    mapped = column.map(codes)
    unknown = mapped.isna()
    if missing is not None:
        unknown &= column.notna()
    if unknown.any():
        raise ValueError(f"goals: unknown {name} {column[unknown].iloc[0]!r}")
    return np.asarray(mapped.fillna(-1 if missing is None else missing), dtype=np.int64)


def _history(goal_ids: Ints, points: pd.DataFrame, day: date) -> _History:
    """The usable points (known goal, on or before `day`, a value) sorted by goal and day."""
    index = pd.Index(goal_ids)
    if not index.is_unique:
        raise ValueError("goals: goal_id must be unique")
    goal = index.get_indexer(pd.Index(points["goal_id"])).astype(np.int64)
    # Caching pays only for strings: hashing a million date objects costs more than converting.
    days = np.asarray(pd.to_datetime(points["day"], cache=False)).astype("datetime64[D]")
    offset = (days - np.datetime64(day, "D")).astype(np.int64)
    value = points["value"].to_numpy(np.float64)
    keep = (goal >= 0) & ~np.isnat(days) & (offset <= 0) & ~np.isnan(value)
    if not bool(keep.all()):
        goal, offset, value = goal[keep], offset[keep], value[keep]
    if len(goal):
        oldest = int(offset.min())
        span = 1 - oldest
        key = goal * span + (offset - oldest)
        if not bool(np.all(key[1:] > key[:-1])):
            key, order = _sort(key)
            if bool(np.any(key[1:] == key[:-1])):
                raise ValueError("points: more than one value for a goal and day")
            goal, offset = np.divmod(key, span)
            offset += oldest
            value = value[order]
    latest = np.append(goal[1:] != goal[:-1], True) if len(goal) else np.zeros(0, dtype=bool)
    return _History(goal=goal, offset=offset, value=value, latest=latest)


def _sort(key: Ints) -> tuple[Ints, Ints]:
    """`key` sorted, and the row order that sorts it (keys are non-negative)."""
    bits = len(key).bit_length()
    if int(key.max()) >= 1 << (62 - bits):
        order = np.argsort(key)
        return key[order], order
    # np.sort is several times faster than argsort, so carry each row's index in the low bits.
    packed = np.sort((key << bits) | np.arange(len(key), dtype=np.int64))
    return packed >> bits, packed & ((1 << bits) - 1)


def _adverse(deviation: Floats, direction: Ints) -> Floats:
    """The share of the deviation that is bad news for each goal's direction."""
    return np.select(
        [direction == _HIGHER, direction == _LOWER], [-deviation, deviation], np.abs(deviation)
    )


def _raw_rank(adverse: Floats, edges: Floats) -> Ints:
    """0 green … 3 red on half-open bands; NaN ranks green (callers overwrite those)."""
    rounded = np.round(adverse, _DECIMALS)[:, np.newaxis]
    return np.asarray(np.count_nonzero(rounded >= edges, axis=1), dtype=np.int64)


def _streaks(history: _History, direction: Ints, target: Floats, count: int) -> Ints:
    """Adverse day-over-day moves in a row, counted back from each goal's latest point."""
    goal, value = history.goal, history.value
    rows = len(goal)
    follows = np.zeros(rows, dtype=bool)
    worse = np.zeros(rows, dtype=bool)
    if rows > 1:
        follows[1:] = (goal[1:] == goal[:-1]) & (history.offset[1:] - history.offset[:-1] == 1)
        before, after, way = value[:-1], value[1:], direction[goal[1:]]
        away = np.abs(after - target[goal[1:]]) > np.abs(before - target[goal[1:]])
        worse[1:] = np.select(
            [way == _HIGHER, way == _LOWER], [after < before, after > before], away
        )
    # A goal's first row never follows, so the running last break stays inside the goal.
    position = np.arange(rows)
    last_break = np.maximum.accumulate(np.where(follows & worse, -1, position))
    streak = np.zeros(count, dtype=np.int64)
    streak[goal[history.latest]] = (position - last_break)[history.latest]
    return streak


def _red_in_days(
    history: _History,
    direction: Ints,
    target: Floats,
    red: Floats,
    adverse: Floats,
    forecastable: Bools,
    policy: EvaluationPolicy,
) -> Floats:
    """Days until red on a least-squares line of adverse deviation over the forecast window."""
    count = len(target)
    inside = (history.offset > -policy.forecast_window) & forecastable[history.goal]
    goal = history.goal[inside]
    x = history.offset[inside].astype(np.float64)
    y = _adverse((history.value[inside] - target[goal]) / np.abs(target[goal]), direction[goal])
    n = np.bincount(goal, minlength=count)
    with np.errstate(divide="ignore", invalid="ignore"):
        dx = x - (_sums(goal, x, count) / n)[goal]
        dy = y - (_sums(goal, y, count) / n)[goal]
        slope = _sums(goal, dx * dy, count) / _sums(goal, dx * dx, count)
        days = (red - adverse) / slope
    keep = forecastable & (n >= 3) & (slope > 0) & (days > 0) & (days <= policy.forecast_horizon)
    return np.where(keep, days, np.nan)


def _volatility(history: _History, window: int, count: int) -> Floats:
    """Population standard deviation over |mean| of each goal's values in the window."""
    inside = history.offset > -window
    goal, value = history.goal[inside], history.value[inside]
    n = np.bincount(goal, minlength=count)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = _sums(goal, value, count) / n
        spread = value - mean[goal]
        cv = np.sqrt(_sums(goal, spread * spread, count) / n) / np.abs(mean)
    return np.where((n >= 2) & (mean != 0), cv, np.nan)


def _sums(goal: Ints, weights: Floats, count: int) -> Floats:
    """Per-goal sums: a groupby-sum over positional goal codes, added in row order."""
    return np.bincount(goal, weights=weights, minlength=count).astype(np.float64)
