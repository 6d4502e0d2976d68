"""classify's inputs as arrays: goal labels as codes, the usable points, and the (day, goal)
grid they are placed in (one row per day, one column per goal). Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

_NAT = int(np.iinfo(np.int64).min)  # NaT's ticks, whatever the unit
_TICKS_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
_EPOCH = date(1970, 1, 1)
_LOOKUP_TABLE = 1 << 20  # goal ids below this (or 8× the goals) are looked up in a table
_MAX_CELLS = 1 << 24  # days × goals in one grid (the step's 36 days × 20,000 goals: 720,000)


@dataclass(frozen=True)
class Points:
    """The usable points (known goal, on or before the day, a value), in the input's order."""

    goal: Ints  # the goal's position among the goals
    ticks: Ints  # the day as datetime64 ticks
    value: Floats
    end: int  # the first tick after the evaluated day
    per_day: int  # ticks in a day
    days: int  # from the oldest point's day to the evaluated day, both included


@dataclass(frozen=True)
class Grid:
    """Points by day and goal: row 0 the oldest day, the last row the evaluated day."""

    value: Floats  # 0.0 where the goal has no point that day
    present: Bools  # as a factor (1 or 0), it drops the days without a point from a sum

    @property
    def days(self) -> int:
        return int(self.value.shape[0])


def label_codes(
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


def usable_points(goal_ids: Ints, points: pd.DataFrame, day: date) -> Points:
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
    return Points(goal=goal, ticks=ticks, value=value, end=end, per_day=per_day, days=days)


def grids(points: Points, count: int) -> Iterator[tuple[slice | Ints, Grid]]:
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
        yield idle, Grid(value=nothing, present=nothing.astype(bool))
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


def _grid(goal: Ints, ticks: Ints, value: Floats, count: int, days: int, points: Points) -> Grid:
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
    return Grid(value=cells.reshape(days, count), present=present.reshape(days, count))


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
