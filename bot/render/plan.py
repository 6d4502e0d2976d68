"""A goal's plan and stretch as people read them, for the digest and `/goal show`:
`4% behind plan, needs +3.1k a week to make 150k by 31 Mar`, `112% of floor · 70% of the way
to the 800M stretch`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date

from bot.render.figures import MINUS, line_value, whole_percent
from jobs.digest.model import GoalLine
from jobs.goals.goal_plan import goal_plan_status, plan_of
from jobs.goals.plan import PlanStatus
from jobs.metrics.catalog import Metric
from jobs.metrics.quantities import format_metric_value
from storage.models import Direction, Evaluation, Goal

# Shows a value in the goal's unit: `150k`, `35%`, `¥520`.
Shown = Callable[[float], str]


def plan_notes(line: GoalLine) -> list[str]:
    """The digest's words on a goal's plan and stretch; none for a goal with neither."""
    return plan_words(
        line.plan,
        value=line.value,
        target=line.target,
        stretch=line.stretch,
        due=line.due_date,
        direction=line.direction,
        shown=functools.partial(line_value, line),
    )


def plan_words(
    status: PlanStatus | None,
    *,
    value: float | None,
    target: float,
    stretch: float | None,
    due: date | None,
    direction: str,
    shown: Shown,
) -> list[str]:
    """Behind or ahead of plan and the pace still needed (with a plan); the share of the floor
    reached and of the way to the stretch (with a stretch)."""
    words = []
    if status is not None:
        words.append(against_plan(status, target=target, due=due, direction=direction, shown=shown))
    if stretch is not None and value is not None:
        words += _progress(
            status, value=value, target=target, stretch=stretch, direction=direction, shown=shown
        )
    return words


def against_plan(
    status: PlanStatus, *, target: float, due: date | None, direction: str, shown: Shown
) -> str:
    """`4% behind plan, needs +3.1k a week to make 150k by 31 Mar`; the pace only while the
    target is still to be reached and the due date to come."""
    size = whole_percent(abs(status.gap)).lstrip("+")
    if size == "0%":
        text = "on plan"
    else:
        text = f"{size} {'behind' if status.gap < 0 else 'ahead of'} plan"
    needed = status.needed_per_week
    if needed is not None and due is not None and _still_to_go(needed, direction):
        text += (
            f", needs {signed(needed, shown)} a week to make {shown(target)} "
            f"by {day_month(due, status.day)}"
        )
    return text


def plan_detail(goal: Goal, metric: Metric | None, latest: Evaluation | None) -> str | None:
    """`/goal show`'s plan section: the plan itself, then where the goal stands against it and
    its stretch; None for a goal with neither a plan nor a stretch."""
    plan = plan_of(goal)
    if plan is None and goal.stretch is None:
        return None

    def shown(value: float) -> str:
        return format_metric_value(metric, value) if metric else f"{value:g}"

    lines = []
    if plan is not None:
        count = len(plan.milestones)
        how = f"through {count} milestone{'s' if count != 1 else ''}" if count else plan.pace
        lines.append(
            f"*Plan* {shown(plan.start_value)} on {day_month(plan.start_day, plan.due)} → "
            f"{shown(plan.target)} by {day_month(plan.due, plan.start_day)} ({how})"
        )
    if goal.stretch is not None:
        lines.append(f"*Stretch* {shown(goal.stretch)}")
    value = latest.value if latest is not None else None
    status = goal_plan_status(goal, day=latest.day, value=value) if latest is not None else None
    if status is not None:
        lines.append(f"{shown(status.expected)} expected on {day_month(status.day, status.day)}")
    words = plan_words(
        status,
        value=value,
        target=goal.target,
        stretch=goal.stretch,
        due=goal.due_date,
        direction=goal.direction,
        shown=shown,
    )
    text = " · ".join(lines)
    return f"{text}\n{' · '.join(words)}" if words else text


def signed(change: float, shown: Shown) -> str:
    """`+3.1k`, `−0.3%`: a change in the goal's unit, with a real minus sign."""
    return f"{MINUS if change < 0 else '+'}{shown(abs(change))}"


def day_month(day: date, near: date) -> str:
    """`31 Mar`, with the year when it is not `near`'s: `14 Jun 2028`."""
    text = f"{day.day} {day:%b}"
    return text if day.year == near.year else f"{text} {day.year}"


def _still_to_go(needed: float, direction: str) -> bool:
    """Whether a weekly change of `needed` still moves towards the target (not yet met)."""
    if direction == Direction.HIGHER.value:
        return needed > 0
    if direction == Direction.LOWER.value:
        return needed < 0
    return needed != 0


def _progress(
    status: PlanStatus | None,
    *,
    value: float,
    target: float,
    stretch: float,
    direction: str,
    shown: Shown,
) -> list[str]:
    """`112% of floor`, `70% of the way to the 800M stretch`: from the plan's start, or from 0
    without a plan (then only where higher is better: a fall has no 0 to count from)."""
    if status is not None and status.stretch_progress is not None:
        floor, beyond = status.floor_progress, status.stretch_progress
    elif direction == Direction.HIGHER.value and target > 0 and stretch > 0:
        floor, beyond = value / target, value / stretch
    else:
        return []
    if beyond >= 1:
        return [f"{_share(floor)} of floor", f"past the {shown(stretch)} stretch"]
    return [
        f"{_share(floor)} of floor",
        f"{_share(beyond)} of the way to the {shown(stretch)} stretch",
    ]


def _share(fraction: float) -> str:
    """`70%`: a share of the way, never below 0."""
    return f"{max(fraction, 0.0) * 100:.0f}%"
