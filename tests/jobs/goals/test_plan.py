"""A goal's plan: its expected value by day, how a value stands against it, and its storage."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from jobs.goals.plan import Milestone, Plan, linear_plan, plan_status

JAN1, JAN16, JAN31 = date(2025, 1, 1), date(2025, 1, 16), date(2025, 1, 31)
MAR31 = date(2025, 3, 31)

# 100 → 130 over the 30 days of January: +1 a day, 115 on 16 Jan.
SIGNUPS = linear_plan(start_day=JAN1, start_value=100, due=JAN31, target=130)
# Complaints from 5 % down to 2 % over January: 3 % on 21 Jan (20 of 30 days).
COMPLAINTS = linear_plan(start_day=JAN1, start_value=0.05, due=JAN31, target=0.02)
# 100 on 1 Jan through 120 on 31 Jan and 130 on 28 Feb to 150 on 31 Mar.
MILESTONES = Plan(
    start_day=JAN1,
    start_value=100,
    due=MAR31,
    target=150,
    milestones=(Milestone(JAN31, 120), Milestone(date(2025, 2, 28), 130)),
)


@pytest.mark.parametrize(
    ("plan", "day", "expected"),
    [
        pytest.param(SIGNUPS, JAN16, 115, id="linear-mid-way"),
        pytest.param(SIGNUPS, date(2025, 1, 4), 103, id="linear-day-3"),
        pytest.param(SIGNUPS, date(2024, 12, 25), 100, id="before-start"),
        pytest.param(SIGNUPS, JAN1, 100, id="on-start"),
        pytest.param(SIGNUPS, JAN31, 130, id="on-due"),
        pytest.param(SIGNUPS, date(2025, 2, 10), 130, id="after-due"),
        pytest.param(replace(SIGNUPS, pace="front-loaded"), JAN16, 122.5, id="front-loaded-half"),
        # t = 0.1 → 1 - 0.9² = 0.19 of the 30.
        pytest.param(
            replace(SIGNUPS, pace="front-loaded"), date(2025, 1, 4), 105.7, id="front-loaded-t0.1"
        ),
        pytest.param(MILESTONES, JAN16, 110, id="milestones-first-leg"),
        pytest.param(MILESTONES, JAN31, 120, id="milestones-on-milestone"),
        pytest.param(MILESTONES, date(2025, 2, 14), 125, id="milestones-second-leg"),
        # 15 of the 31 days from 130 on 28 Feb to 150 on 31 Mar.
        pytest.param(MILESTONES, date(2025, 3, 15), 130 + 20 * 15 / 31, id="milestones-last-leg"),
        pytest.param(MILESTONES, MAR31, 150, id="milestones-on-due"),
        pytest.param(
            replace(MILESTONES, pace="front-loaded"), JAN16, 110, id="milestones-ignore-pace"
        ),
        pytest.param(COMPLAINTS, date(2025, 1, 21), 0.03, id="lower-is-better"),
    ],
)
def test_expected(plan: Plan, day: date, expected: float) -> None:
    """The plan's value on a day: its start before, its target after, its pace between."""
    assert plan.expected(day) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("plan", "day", "value", "direction", "gap"),
    [
        pytest.param(SIGNUPS, JAN16, 126.5, "higher", 0.1, id="higher-ahead"),
        pytest.param(SIGNUPS, JAN16, 103.5, "higher", -0.1, id="higher-behind"),
        pytest.param(COMPLAINTS, date(2025, 1, 21), 0.027, "lower", 0.1, id="lower-ahead"),
        pytest.param(COMPLAINTS, date(2025, 1, 21), 0.033, "lower", -0.1, id="lower-behind"),
        pytest.param(SIGNUPS, JAN16, 126.5, "either", -0.1, id="either-above-is-behind"),
        pytest.param(SIGNUPS, JAN16, 103.5, "either", -0.1, id="either-below-is-behind"),
        pytest.param(SIGNUPS, JAN16, 115, "higher", 0.0, id="on-plan"),
        pytest.param(
            linear_plan(start_day=JAN1, start_value=0, due=JAN31, target=10),
            JAN1,
            5,
            "higher",
            0.0,
            id="expected-zero",
        ),
    ],
)
def test_gap_is_negative_when_behind(
    plan: Plan, day: date, value: float, direction: str, gap: float
) -> None:
    """The gap to the plan is relative, and negative whenever the goal is behind."""
    assert plan_status(plan, day=day, value=value, direction=direction).gap == pytest.approx(gap)


MAR1_120K = linear_plan(start_day=JAN1, start_value=100_000, due=MAR31, target=150_000)


@pytest.mark.parametrize(
    ("plan", "day", "value", "needed"),
    [
        # 30k to go in the 30 days (30/7 weeks) left: 7k a week.
        pytest.param(MAR1_120K, date(2025, 3, 1), 120_000, 7_000, id="7k-a-week-to-150k"),
        pytest.param(MAR1_120K, date(2025, 3, 24), 149_000, 1_000, id="last-week"),
        # 10k above the target: a fall of 10k / (30/7) = 2,333.33 a week would still meet it.
        pytest.param(MAR1_120K, date(2025, 3, 1), 160_000, -7_000 / 3, id="past-target"),
        # 2 weeks left, 1 point to lose.
        pytest.param(COMPLAINTS, date(2025, 1, 17), 0.03, -0.005, id="lower-is-better"),
        pytest.param(MAR1_120K, MAR31, 120_000, None, id="on-due"),
        pytest.param(MAR1_120K, date(2025, 4, 2), 120_000, None, id="after-due"),
    ],
)
def test_needed_per_week(plan: Plan, day: date, value: float, needed: float | None) -> None:
    """What each week left must bring to reach the target by the due date."""
    status = plan_status(plan, day=day, value=value, direction="higher")
    assert status.needed_per_week == pytest.approx(needed)


@pytest.mark.parametrize(
    ("plan", "value", "direction", "floor", "stretch"),
    [
        pytest.param(replace(SIGNUPS, stretch=160), 115, "higher", 0.5, 0.25, id="half-way"),
        pytest.param(replace(SIGNUPS, stretch=160), 145, "higher", 1.5, 0.75, id="beyond-floor"),
        pytest.param(replace(SIGNUPS, stretch=160), 160, "higher", 2.0, 1.0, id="stretch-met"),
        pytest.param(replace(SIGNUPS, stretch=160), 94, "higher", -0.2, -0.1, id="went-back"),
        pytest.param(SIGNUPS, 145, "higher", 1.5, None, id="no-stretch"),
        pytest.param(replace(COMPLAINTS, stretch=0.01), 0.02, "lower", 1.0, 0.75, id="lower"),
        pytest.param(replace(SIGNUPS, target=100), 101, "higher", 1.0, None, id="hold-held"),
        pytest.param(replace(SIGNUPS, target=100), 99, "higher", 0.0, None, id="hold-missed"),
        pytest.param(replace(SIGNUPS, target=100), 99, "lower", 1.0, None, id="hold-lower-held"),
    ],
)
def test_progress(
    plan: Plan, value: float, direction: str, floor: float, stretch: float | None
) -> None:
    """How far along the way to the floor and to the stretch target a value has come."""
    status = plan_status(plan, day=JAN16, value=value, direction=direction)
    assert status.floor_progress == pytest.approx(floor)
    assert status.stretch_progress == pytest.approx(stretch)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"due": JAN1}, id="due-on-start"),
        pytest.param({"due": date(2024, 12, 1)}, id="due-before-start"),
        pytest.param({"milestones": (Milestone(JAN1, 110),)}, id="milestone-on-start"),
        pytest.param({"milestones": (Milestone(JAN31, 110),)}, id="milestone-on-due"),
        pytest.param({"milestones": (Milestone(date(2025, 2, 3), 110),)}, id="milestone-after"),
        pytest.param(
            {"milestones": (Milestone(date(2025, 1, 20), 120), Milestone(JAN16, 110))},
            id="milestones-unsorted",
        ),
        pytest.param(
            {"milestones": (Milestone(JAN16, 110), Milestone(JAN16, 115))}, id="milestone-twice"
        ),
        pytest.param({"pace": "back-loaded"}, id="unknown-pace"),
        pytest.param({"target": float("nan")}, id="target-not-a-number"),
        pytest.param({"stretch": float("inf")}, id="stretch-infinite"),
    ],
)
def test_bad_plans_raise(changes: dict[str, Any]) -> None:
    """A plan that cannot be followed is refused when it is made."""
    with pytest.raises(ValueError, match=r"."):
        replace(SIGNUPS, **changes)


def test_bad_direction_raises() -> None:
    """A direction the goal cannot have is refused, not read as one it can."""
    with pytest.raises(ValueError, match="direction"):
        plan_status(SIGNUPS, day=JAN16, value=115, direction="sideways")


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param(SIGNUPS, id="linear"),
        pytest.param(replace(MILESTONES, pace="front-loaded", stretch=175.5), id="everything"),
        pytest.param(replace(COMPLAINTS, stretch=0.01), id="lower-with-stretch"),
    ],
)
def test_round_trip_through_json(plan: Plan) -> None:
    """A plan stored as JSON reads back as the same plan."""
    assert Plan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


def test_from_dict_defaults() -> None:
    """Stored data without pace, milestones or stretch reads as a plain linear plan."""
    data = {"start_day": "2025-01-01", "start_value": 100, "due": "2025-01-31", "target": 130}
    assert Plan.from_dict(data) == SIGNUPS


def test_from_dict_refuses_a_bad_plan() -> None:
    """Stored data is checked like any new plan."""
    data = {**SIGNUPS.to_dict(), "due": "2024-12-31"}
    with pytest.raises(ValueError, match="due"):
        Plan.from_dict(data)
