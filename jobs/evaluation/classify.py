"""Classify goals for one day: band with hysteresis, trend, forecast, volatility.

Pure and vectorised: no I/O, no clock. Points are placed once in a (day, goal) grid (one row
per day, one column per goal); every per-goal figure is then a handful of whole-array steps
across all goals at once: the latest point, runs of adverse moves, and window sums added day
by day, in the order a per-goal loop adds them. Few large temporaries are made, as each costs
more in fresh memory than in arithmetic.

A goal whose metric has an industry benchmark (optional goal columns BENCHMARK_COLUMNS) and
whose latest value breaches it is raised to at least the benchmark's band, never lowered.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from storage.models import RESULT_FIELDS, Band, Direction

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

# What classify returns: the goal and day, what an evaluation stores of them, and whether the
# trend raises an alert (which is not stored).
COLUMNS = ("goal_id", "day", *RESULT_FIELDS, "trend_alert")
# Optional goal columns: the metric's benchmark value, its warn_below and warn_above fractions
# (NaN when not set) and the band a breach raises the goal to (blank: no benchmark).
BENCHMARK_COLUMNS = ("benchmark", "benchmark_below", "benchmark_above", "benchmark_band")

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
_RAISED_TO = {Band.YELLOW.value: 1, Band.ORANGE.value: 2, Band.RED.value: 3}
# Adverse deviations are compared at 9 decimals so that exactly 10 % off is yellow.
_DECIMALS = 9
_NAT = int(np.iinfo(np.int64).min)  # NaT's ticks, whatever the unit
_TICKS_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
_EPOCH = date(1970, 1, 1)
_LOOKUP_TABLE = 1 << 20  # goal ids below this (or 8× the goals) are looked up in a table
_MAX_CELLS = 1 << 24  # days × goals in one grid (the step's 36 days × 20,000 goals: 720,000)


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
class _Benchmarks:
    """Each goal's benchmark: NaN value and bounds and a zero rank where it has none."""

    value: Floats
    below: Floats
    above: Floats
    rank: Ints  # the colour rank a breach raises the goal to

    def floor(self, block: slice | Ints, latest: Floats, measured: Bools) -> Ints:
        """The rank each measured goal in `block` is raised to: 0 unless its value breaches.

        The same comparisons as `Benchmark.breached`: under value × (1 − below) or over
        value × (1 + above), exactly (a NaN bound or value never breaches).
        """
        value, below, above = self.value[block], self.below[block], self.above[block]
        breached = (latest < value * (1 - below)) | (latest > value * (1 + above))
        return np.where(measured & breached, self.rank[block], 0)


@dataclass(frozen=True)
class _Points:
    """The usable points (known goal, on or before the day, a value), in the input's order."""

    goal: Ints  # the goal's position among the goals
    ticks: Ints  # the day as datetime64 ticks
    value: Floats
    end: int  # the first tick after the evaluated day
    per_day: int  # ticks in a day
    days: int  # from the oldest point's day to the evaluated day, both included


@dataclass(frozen=True)
class _Grid:
    """Points by day and goal: row 0 the oldest day, the last row the evaluated day."""

    value: Floats  # 0.0 where the goal has no point that day
    present: Bools  # as a factor (1 or 0), it drops the days without a point from a sum

    @property
    def days(self) -> int:
        return int(self.value.shape[0])


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
    benchmarks = _benchmarks(goals)
    usable = (target != 0) & np.isfinite(target)

    latest_offset = np.full(count, np.iinfo(np.int64).min, dtype=np.int64)
    value = np.full(count, np.nan)
    deviation = np.full(count, np.nan)
    adverse = np.full(count, np.nan)
    rank = np.zeros(count, dtype=np.int64)
    streak = np.zeros(count, dtype=np.int64)
    red_in_days = np.full(count, np.nan)
    volatility = np.full(count, np.nan)
    for block, grid in _grids(_points(goal_ids, points, day), count):
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
            benchmarks.floor(block, latest_value, measured),
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
    to `floor` (a breached benchmark's band) where that is higher."""
    deviation = np.full(len(value), np.nan)
    deviation[measured] = (value[measured] - target[measured]) / np.abs(target[measured])
    adverse = _adverse(deviation, direction)
    rank = _raw_rank(adverse, edges)
    relaxed = _raw_rank(adverse + hysteresis, edges)
    rank = np.where(previous >= 0, np.maximum(rank, np.minimum(previous, relaxed)), rank)
    return deviation, adverse, np.maximum(rank, floor)


def _benchmarks(goals: pd.DataFrame) -> _Benchmarks:
    """The goals' benchmarks from BENCHMARK_COLUMNS; none for a frame without them."""
    count = len(goals)
    if "benchmark" not in goals:
        nothing = np.full(count, np.nan)
        return _Benchmarks(nothing, nothing, nothing, np.zeros(count, dtype=np.int64))
    value, below, above = (goals[name].to_numpy(np.float64) for name in BENCHMARK_COLUMNS[:3])
    rank = _codes(goals["benchmark_band"], _RAISED_TO, "benchmark_band", missing=0)
    return _Benchmarks(value=value, below=below, above=above, rank=rank)


def _codes(
    column: pd.Series[Any], codes: dict[str, int], name: str, missing: int | None = None
) -> Ints:
    """Map labels to codes; blanks get `missing` if given, anything else unknown raises."""
    labels, uniques = pd.factorize(column.to_numpy(dtype=object))  # blanks are labelled -1
    unknown = [label for label in uniques if label not in codes]
    if unknown:
        raise ValueError(f"goals: unknown {name} {unknown[0]!r}")
    if missing is None and bool((labels < 0).any()):
        raise ValueError(f"goals: unknown {name} {column.iloc[int(np.argmax(labels < 0))]!r}")
    blank = -1 if missing is None else missing
    table = np.array([codes[label] for label in uniques] + [blank], dtype=np.int64)
    return table[labels]


def _points(goal_ids: Ints, points: pd.DataFrame, day: date) -> _Points:
    """The usable points: a known goal, a day up to `day`, a value."""
    index = pd.Index(goal_ids)
    if not index.is_unique:
        raise ValueError("goals: goal_id must be unique")
    goal = _positions(goal_ids, index, points["goal_id"])
    stamps = _stamps(points["day"])
    value = points["value"].to_numpy(np.float64)
    unit, _ = np.datetime_data(stamps.dtype)
    ticks = stamps.view(np.int64)
    per_day = _TICKS_PER_DAY[unit]
    end = ((day - _EPOCH).days + 1) * per_day  # the day after, 00:00
    first = int(ticks.min()) if len(ticks) else end - 1
    # Usually every point is usable; whole-array minima and sums say so without masks.
    if len(goal) and (
        first == _NAT  # NaT is the smallest tick
        or int(ticks.max()) >= end
        or int(goal.min()) < 0
        or np.isnan(value.min())  # the minimum of values with a NaN is NaN
    ):
        keep = (ticks != _NAT) & (ticks < end) & (goal >= 0) & ~np.isnan(value)
        goal, ticks, value = goal[keep], ticks[keep], value[keep]
        first = int(ticks.min()) if len(ticks) else end - 1
    days = (end - 1 - first) // per_day + 1
    return _Points(goal=goal, ticks=ticks, value=value, end=end, per_day=per_day, days=days)


def _grids(points: _Points, count: int) -> Iterator[tuple[slice | Ints, _Grid]]:
    """The goals (all, or blocks of them) and their points as a day-by-goal grid.

    A grid has a row per day back to its oldest point. All goals share one, unless a few old
    points would make that too large: then goals go in blocks of similar history length,
    each block's grid kept under _MAX_CELLS (a single goal's history is never split).
    """
    if points.days * count <= _MAX_CELLS:
        grid = _grid(points.goal, points.ticks, points.value, count, points.days, points)
        del points  # the per-point arrays' memory is reused by the steps that follow
        yield slice(None), grid
        return
    order = np.argsort(points.goal, kind="stable")
    goal, ticks, value = points.goal[order], points.ticks[order], points.value[order]
    starts = np.flatnonzero(np.append(True, goal[1:] != goal[:-1]))
    owners = goal[starts]
    spans = (points.end - 1 - np.minimum.reduceat(ticks, starts)) // points.per_day + 1
    idle = np.setdiff1d(np.arange(count), owners)  # goals without a point
    if len(idle):
        nothing = np.zeros((1, len(idle)))
        yield idle, _Grid(value=nothing, present=nothing.astype(bool))
    by_span = np.argsort(spans, kind="stable")
    first = 0
    while first < len(by_span):
        last = first + 1  # spans ascend, so a block's rows are its last goal's span
        while last < len(by_span) and spans[by_span[last]] * (last + 1 - first) <= _MAX_CELLS:
            last += 1
        members = owners[by_span[first:last]]
        column = np.full(count, -1, dtype=np.int64)
        column[members] = np.arange(len(members))
        rows = np.flatnonzero(column[goal] >= 0)
        block_days = int(spans[by_span[last - 1]])
        block = _grid(
            column[goal[rows]], ticks[rows], value[rows], len(members), block_days, points
        )
        yield members, block
        first = last


def _grid(goal: Ints, ticks: Ints, value: Floats, count: int, days: int, points: _Points) -> _Grid:
    """Points placed by day and goal: `days` rows ending on the evaluated day, `count` goals."""
    cell = ticks - (points.end - days * points.per_day)  # ticks since the first row's day …
    cell //= points.per_day  # … its row …
    cell *= count
    cell += goal  # … and the goal's column
    cells = np.zeros(days * count)
    cells[cell] = value
    present = np.zeros(days * count, dtype=bool)
    present[cell] = True
    if int(np.count_nonzero(present)) != len(value):  # two points landed on one cell
        raise ValueError("points: more than one value for a goal and day")
    return _Grid(value=cells.reshape(days, count), present=present.reshape(days, count))


def _positions(goal_ids: Ints, index: pd.Index[Any], ids: pd.Series[Any]) -> Ints:
    """Each point's goal position (its row in the goals), -1 for unknown goals.

    Goal ids are database keys, small and dense: a lookup table answers in one gather.
    """
    if (
        len(ids)
        and len(goal_ids)
        and isinstance(ids.dtype, np.dtype)
        and ids.dtype.kind in "iu"
        and int(goal_ids.min()) >= 0
        and int(goal_ids.max()) < max(_LOOKUP_TABLE, 8 * len(goal_ids))
    ):
        values = ids.to_numpy(np.int64)
        table = np.full(int(goal_ids.max()) + 1, -1, dtype=np.int64)
        table[goal_ids] = np.arange(len(goal_ids))
        if int(values.min()) >= 0 and int(values.max()) < len(table):
            return np.asarray(table[values], dtype=np.int64)
        known = (values >= 0) & (values < len(table))
        goal = np.full(len(values), -1, dtype=np.int64)
        goal[known] = table[values[known]]
        return goal
    return index.get_indexer(pd.Index(ids)).astype(np.int64)


def _stamps(days: pd.Series[Any]) -> npt.NDArray[np.datetime64]:
    """The points' days as datetime64 in seconds or finer (NaT where there is none)."""
    if isinstance(days.dtype, np.dtype) and days.dtype.kind == "M":
        stamps = days.to_numpy()
    else:
        # Caching pays only for strings: hashing a million dates costs more than converting.
        stamps = np.asarray(pd.to_datetime(days, cache=False))
    unit, step = np.datetime_data(stamps.dtype) if stamps.dtype.kind == "M" else ("", 0)
    if unit not in _TICKS_PER_DAY or step != 1:
        stamps = stamps.astype("datetime64[s]")
    return stamps


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


def _streaks(grid: _Grid, direction: Ints, target: Floats, latest: Ints) -> Ints:
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
    grid: _Grid,
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


def _volatility(grid: _Grid, window: int) -> Floats:
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
