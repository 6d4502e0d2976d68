"""The reality check when a goal is set: how hard its target is, judged by its metric's own
history. Pure.

The pace a target needs (per week, until the due date) is set against the best pace on record:
the largest change over any 4 weeks (two values exactly 28 days apart) in the goal's favourable
direction. Out of reach, it says when the best pace would get there and what it reaches by the
due date instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from storage.models import Direction

WINDOW_DAYS = 28
WINDOW_WEEKS = WINDOW_DAYS / 7
# Days of pace are rounded to this many decimals before rounding up, so that float noise in an
# exact number of days does not add a day.
_DECIMALS = 9


@dataclass(frozen=True)
class RealityCheck:
    """How a target compares with the metric's best 4 weeks; `reason` says why it is not judged."""

    current: float | None  # the latest value on record (None: no history)
    # abs(target - current) per week until due: the favourable change each week must bring.
    needed_per_week: float | None
    # The best 4-week change in the favourable direction, per week (a fall reported positive
    # for lower-is-better); None when no two values lie exactly 28 days apart.
    best_per_week: float | None
    ratio: float | None  # needed / best ("needs 3.2× the best pace on record")
    reachable: bool | None  # ratio <= 1 (None when it cannot be judged)
    suggested_due: date | None  # when the best pace would reach the target (out of reach only)
    suggested_target: float | None  # what the best pace reaches by the due date (out of reach)
    # Why not judged: "no_history", "already_met", "no_due_date", "past_due", "never_improved".
    reason: str | None


def reality_check(
    history: Mapping[date, float] | pd.Series,
    *,
    target: float,
    due: date | None,
    today: date,
    direction: str,
) -> RealityCheck:
    """How reachable `target` by `due` is, judged by `history` (values by day) up to `today`."""
    series = _daily(history, today)
    if series.empty:
        return _unjudged(None, None, None, "no_history")
    current = float(series.iloc[-1])
    sign = _favourable_sign(direction, current=current, target=target)
    best = _best_per_week(series, sign)
    if _met(current, target, direction):
        return _unjudged(current, None, best, "already_met")
    if due is None:
        return _unjudged(current, None, best, "no_due_date")
    weeks_left = (due - today).days / 7
    if weeks_left <= 0:
        return _unjudged(current, None, best, "past_due")
    distance = abs(target - current)
    needed = distance / weeks_left
    if best is None:
        return _unjudged(current, needed, None, "no_history")
    if best <= 0:
        return _unjudged(current, needed, best, "never_improved")
    ratio = needed / best
    reachable = ratio <= 1
    suggested_due = suggested_target = None
    if not reachable:
        days = math.ceil(round(distance / best * 7, _DECIMALS))
        suggested_due = today + timedelta(days=days)
        suggested_target = current + sign * best * weeks_left
    return RealityCheck(
        current=current,
        needed_per_week=needed,
        best_per_week=best,
        ratio=ratio,
        reachable=reachable,
        suggested_due=suggested_due,
        suggested_target=suggested_target,
        reason=None,
    )


def _daily(history: Mapping[date, float] | pd.Series, today: date) -> pd.Series:
    """The history as floats by midnight timestamp, sorted, up to `today`, without gaps' NaNs."""
    raw = history if isinstance(history, pd.Series) else pd.Series(dict(history), dtype=float)
    if raw.empty:
        return pd.Series(dtype=float)
    days = pd.DatetimeIndex(pd.to_datetime(raw.index)).normalize()
    series = pd.Series(raw.to_numpy(dtype=float), index=days).dropna().sort_index()
    series = series[~series.index.duplicated(keep="last")]
    return series[series.index <= pd.Timestamp(today)]


def _best_per_week(series: pd.Series, sign: float) -> float | None:
    """The largest favourable change between two values exactly 28 days apart, per week."""
    days = pd.DatetimeIndex(series.index)
    earlier = series.reindex(days - pd.Timedelta(days=WINDOW_DAYS)).to_numpy()
    changes = (series.to_numpy() - earlier) * sign
    if np.isnan(changes).all():
        return None
    return float(np.nanmax(changes)) / WINDOW_WEEKS


def _favourable_sign(direction: str, *, current: float, target: float) -> float:
    """+1 when rising is good, -1 when falling is; for `either`, towards the target."""
    if direction == Direction.HIGHER.value:
        return 1.0
    if direction == Direction.LOWER.value:
        return -1.0
    if direction == Direction.EITHER.value:
        return -1.0 if target < current else 1.0
    raise ValueError(f"unknown direction {direction!r}")


def _met(current: float, target: float, direction: str) -> bool:
    """Whether `current` already meets `target` (`either`: only exactly)."""
    if direction == Direction.HIGHER.value:
        return current >= target
    if direction == Direction.LOWER.value:
        return current <= target
    return current == target


def _unjudged(
    current: float | None, needed: float | None, best: float | None, reason: str
) -> RealityCheck:
    """A check that cannot judge the target, saying why, with the figures it has."""
    return RealityCheck(
        current=current,
        needed_per_week=needed,
        best_per_week=best,
        ratio=None,
        reachable=None,
        suggested_due=None,
        suggested_target=None,
        reason=reason,
    )
