"""Guardrails: metrics that must not get worse while a goal is pursued. Pure.

A goal on `gmv` may be guarded by `complaint_rate`. Each guard compares its metric's latest
value with the value it had when the guard was set; an adverse change of at least the guard's
threshold breaches it. A breach while the goal is on track (green) is announced once; the next
announcement waits until the guard has cleared (adverse under 80 % of the threshold) and then
breaches again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from storage.models import Band, Direction

DEFAULT_GUARD_THRESHOLD = 0.10
# A guard clears, re-arming its alert, once its adverse change falls under this share of the
# threshold: a value hovering on the threshold does not alert again and again.
CLEAR_SHARE = 0.8
# Adverse changes are compared at 9 decimals so that exactly 10 % worse breaches a 10 % guard.
_DECIMALS = 9
_DIRECTIONS = frozenset(d.value for d in Direction)


@dataclass(frozen=True)
class Guard:
    """A guardrail metric of one goal, and the value it is held to."""

    metric_key: str
    direction: str  # the guard metric's own better direction: higher, lower or either
    threshold: float  # the adverse relative change that breaches, e.g. 0.10 = 10 % worse
    baseline: float | None  # its value when the guard was set; None: not known, never breaches

    def __post_init__(self) -> None:
        if not self.metric_key:
            raise ValueError("guard: metric_key must not be blank")
        if self.direction not in _DIRECTIONS:
            raise ValueError(f"guard: unknown direction {self.direction!r}")
        if not (math.isfinite(self.threshold) and self.threshold > 0):
            raise ValueError(f"guard: threshold must be above 0, not {self.threshold!r}")
        if self.baseline is not None and not math.isfinite(self.baseline):
            raise ValueError(f"guard: baseline must be a number, not {self.baseline!r}")

    def to_dict(self) -> dict[str, Any]:
        """The guard as plain JSON-ready data; from_dict reads it back."""
        return {
            "metric_key": self.metric_key,
            "direction": self.direction,
            "threshold": self.threshold,
            "baseline": self.baseline,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Guard:
        """A guard from to_dict's data; a missing threshold is the default, a missing baseline
        unknown. Raises ValueError (or KeyError without metric_key or direction)."""
        baseline = data.get("baseline")
        return cls(
            metric_key=str(data["metric_key"]),
            direction=str(data["direction"]),
            threshold=float(data.get("threshold", DEFAULT_GUARD_THRESHOLD)),
            baseline=None if baseline is None else float(baseline),
        )


@dataclass(frozen=True)
class GuardCheck:
    """One guard judged against its metric's latest value."""

    metric_key: str
    value: float | None
    change: float | None  # signed change relative to the baseline: (value − baseline) / |baseline|
    adverse: float | None  # the change in the bad direction, ≥ 0 is worse (either: |change|)
    breached: bool  # adverse ≥ threshold
    alert: bool  # breached, the goal on track, and this breach not announced yet
    cleared: bool  # announced before, and now adverse < threshold × CLEAR_SHARE: re-armed


def check_guard(guard: Guard, *, value: float | None, goal_band: str, alerted: bool) -> GuardCheck:
    """The guard's check for `value`, given the goal's band and whether this breach was
    already announced. The caller stores `alerted = (alerted or alert) and not cleared`.

    No value (None or NaN) or no baseline (None or 0) breaches nothing and clears nothing.
    """
    known = value is not None and math.isfinite(value)
    baseline = guard.baseline
    if not known or baseline is None or baseline == 0:
        return GuardCheck(
            guard.metric_key,
            value if known else None,
            change=None,
            adverse=None,
            breached=False,
            alert=False,
            cleared=False,
        )
    assert value is not None  # known
    change = (value - baseline) / abs(baseline)
    adverse = _adverse(change, guard.direction)
    rounded = round(adverse, _DECIMALS)
    breached = rounded >= round(guard.threshold, _DECIMALS)
    on_track = goal_band == Band.GREEN.value
    return GuardCheck(
        guard.metric_key,
        value,
        change=change,
        adverse=adverse,
        breached=breached,
        alert=breached and on_track and not alerted,
        cleared=alerted and rounded < round(guard.threshold * CLEAR_SHARE, _DECIMALS),
    )


def check_guards(
    guards: Sequence[Guard],
    values: Mapping[str, float | None],
    *,
    goal_band: str,
    alerted: Mapping[str, bool],
) -> list[GuardCheck]:
    """Each guard's check, in the guards' order; a metric missing from `values` has no value,
    one missing from `alerted` was not announced. Raises ValueError on a metric guarded twice."""
    keys = [guard.metric_key for guard in guards]
    if len(set(keys)) != len(keys):
        raise ValueError("guards: a metric is guarded at most once per goal")
    return [
        check_guard(
            guard,
            value=values.get(guard.metric_key),
            goal_band=goal_band,
            alerted=alerted.get(guard.metric_key, False),
        )
        for guard in guards
    ]


def _adverse(change: float, direction: str) -> float:
    """The share of `change` that is bad news: a fall when higher is better, a rise when lower
    is better, either way when either is."""
    if direction == Direction.HIGHER.value:
        return -change
    if direction == Direction.LOWER.value:
        return change
    return abs(change)
