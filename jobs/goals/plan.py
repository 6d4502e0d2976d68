"""A goal's plan: where its metric should be on any day between a start and a due date. Pure.

A plan runs from (start_day, start_value) to (due, target). In between, its expected value
follows a pace: a straight line (`linear`), a curve that covers more of the way early
(`front-loaded`), or, when milestones are given, straight lines through each milestone in turn.
`target` is the floor the bands are judged against; an optional `stretch` lies beyond it and is
shown only as progress.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any, Literal, get_args

from storage.models import Direction

Pace = Literal["linear", "front-loaded"]
PACES: tuple[str, ...] = get_args(Pace)


@dataclass(frozen=True)
class Milestone:
    """The value a plan expects on one day before its due date."""

    day: date
    value: float


@dataclass(frozen=True)
class Plan:
    """From start_value on start_day to target on due, at a pace or through milestones."""

    start_day: date
    start_value: float
    due: date
    target: float  # the floor: what the bands are judged against
    pace: Pace = "linear"
    milestones: tuple[Milestone, ...] = ()  # strictly between start_day and due, sorted
    stretch: float | None = None

    def __post_init__(self) -> None:
        if self.due <= self.start_day:
            raise ValueError(f"due {self.due} must come after the start {self.start_day}")
        if self.pace not in PACES:
            raise ValueError(f"unknown pace {self.pace!r}; one of {', '.join(PACES)}")
        numbers = [self.start_value, self.target, *(m.value for m in self.milestones)]
        if self.stretch is not None:
            numbers.append(self.stretch)
        if not all(math.isfinite(number) for number in numbers):
            raise ValueError("a plan's values must be finite numbers")
        days = [self.start_day, *(m.day for m in self.milestones), self.due]
        # Strictly increasing days: each milestone inside (start_day, due), none twice.
        if any(later <= earlier for earlier, later in pairwise(days)):
            raise ValueError(
                "milestones must fall strictly between the start and the due date, "
                "in order, one per day"
            )

    def expected(self, day: date) -> float:
        """The plan's value on `day`: start_value before/at start_day, target on/after due.

        Linear: a straight line. Front-loaded: 1-(1-t)**2 of the way at fraction t of the time
        (faster early). Milestones: piecewise-linear through start, each milestone, due/target
        (pace ignored when milestones are given).
        """
        if day <= self.start_day:
            return self.start_value
        if day >= self.due:
            return self.target
        if self.milestones:
            return self._through_milestones(day)
        t = (day - self.start_day).days / (self.due - self.start_day).days
        share = 1.0 - (1.0 - t) ** 2 if self.pace == "front-loaded" else t
        return self.start_value + (self.target - self.start_value) * share

    def _through_milestones(self, day: date) -> float:
        """The value on `day` (strictly inside the plan) on the line between its two points."""
        points = [
            (self.start_day, self.start_value),
            *((m.day, m.value) for m in self.milestones),
            (self.due, self.target),
        ]
        for (day0, value0), (day1, value1) in pairwise(points):
            if day <= day1:
                t = (day - day0).days / (day1 - day0).days
                return value0 + (value1 - value0) * t
        return self.target  # not reached: day < due here

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-safe data (dates as ISO strings); from_dict reads it back."""
        return {
            "start_day": self.start_day.isoformat(),
            "start_value": self.start_value,
            "due": self.due.isoformat(),
            "target": self.target,
            "pace": self.pace,
            "milestones": [{"day": m.day.isoformat(), "value": m.value} for m in self.milestones],
            "stretch": self.stretch,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """The plan to_dict wrote; ValueError (or KeyError) when the data is not one."""
        stretch = data.get("stretch")
        return cls(
            start_day=date.fromisoformat(data["start_day"]),
            start_value=float(data["start_value"]),
            due=date.fromisoformat(data["due"]),
            target=float(data["target"]),
            pace=data.get("pace", "linear"),
            milestones=tuple(
                Milestone(day=date.fromisoformat(m["day"]), value=float(m["value"]))
                for m in data.get("milestones", ())
            ),
            stretch=float(stretch) if stretch is not None else None,
        )


@dataclass(frozen=True)
class PlanStatus:
    """How a goal stands against its plan on one day."""

    day: date
    expected: float
    value: float
    # (value - expected) / |expected|, signed so that negative is behind the plan whichever
    # way is good; for `either` any distance counts as behind. 0.0 when expected == 0.
    gap: float
    # (target - value) per week left until due; None on/after due.
    needed_per_week: float | None
    # Share of the way from start_value to stretch (None without a stretch); not clipped.
    stretch_progress: float | None
    # Share of the way from start_value to target (1.0 = floor reached); not clipped.
    floor_progress: float


def plan_status(plan: Plan, *, day: date, value: float, direction: str) -> PlanStatus:
    """Where `value` on `day` stands against `plan`, for a goal whose good way is `direction`."""
    expected = plan.expected(day)
    days_left = (plan.due - day).days
    return PlanStatus(
        day=day,
        expected=expected,
        value=value,
        gap=_gap(value, expected, direction),
        needed_per_week=(plan.target - value) / (days_left / 7) if days_left > 0 else None,
        stretch_progress=(
            _progress(value, plan.start_value, plan.stretch, direction)
            if plan.stretch is not None
            else None
        ),
        floor_progress=_progress(value, plan.start_value, plan.target, direction),
    )


def linear_plan(
    *,
    start_day: date,
    start_value: float,
    due: date,
    target: float,
    stretch: float | None = None,
) -> Plan:
    """A straight-line plan from start_value on start_day to target on due."""
    return Plan(
        start_day=start_day,
        start_value=start_value,
        due=due,
        target=target,
        stretch=stretch,
    )


def _gap(value: float, expected: float, direction: str) -> float:
    """The signed relative distance from the plan: negative is behind."""
    if expected == 0:
        return 0.0
    gap = (value - expected) / abs(expected)
    if direction == Direction.HIGHER.value:
        return gap
    if direction == Direction.LOWER.value:
        return -gap
    if direction == Direction.EITHER.value:
        return -abs(gap)
    raise ValueError(f"unknown direction {direction!r}")


def _progress(value: float, start: float, end: float, direction: str) -> float:
    """The share of the way from start to end that value has come.

    When the plan asks only to hold its start (end == start), 1.0 if value is there or better
    in `direction`, else 0.0.
    """
    if end != start:
        return (value - start) / (end - start)
    held = {
        Direction.HIGHER.value: value >= end,
        Direction.LOWER.value: value <= end,
        Direction.EITHER.value: value == end,
    }
    if direction not in held:
        raise ValueError(f"unknown direction {direction!r}")
    return 1.0 if held[direction] else 0.0
