"""A goal's plan and stretch as people read them, for the digest and `/goal show`:
`4% behind plan, needs +3.1k a week to make 150k by 31 Mar`, `112% of floor · 70% of the way
to the 800M stretch`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date

from bot.render.figures import MINUS, line_value, metric_value, whole_percent
from bot.render.times import day_month
from jobs.digest.model import GoalLine
from jobs.goals.goal_plan import goal_plan_status, plan_of
from jobs.goals.plan import PlanStatus
from jobs.i18n import N_, _, ngettext
from jobs.metrics.catalog import Metric
from storage.models import Direction, Evaluation, Goal

# Shows a value in the goal's unit: `150k`, `35%`, `¥520`.
Shown = Callable[[float], str]
# A plan's pace (jobs/goals/plan.py PACES) in words; translated where shown.
PACE_WORDS = {"linear": N_("linear"), "front-loaded": N_("front-loaded")}


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
        text = _("on plan")
    elif status.gap < 0:
        text = _("{size} behind plan").format(size=size)
    else:
        text = _("{size} ahead of plan").format(size=size)
    needed = status.needed_per_week
    if needed is not None and due is not None and _still_to_go(needed, direction):
        text = _("{status}, needs {change} a week to make {target} by {day}").format(
            status=text,
            change=signed(needed, shown),
            target=shown(target),
            day=day_month(due, status.day),
        )
    return text


def plan_detail(goal: Goal, metric: Metric | None, latest: Evaluation | None) -> str | None:
    """`/goal show`'s plan section: the plan itself, then where the goal stands against it and
    its stretch; None for a goal with neither a plan nor a stretch."""
    plan = plan_of(goal)
    if plan is None and goal.stretch is None:
        return None

    def shown(value: float) -> str:
        return metric_value(metric, value) if metric else f"{value:g}"

    lines = []
    if plan is not None:
        count = len(plan.milestones)
        how = (
            ngettext("through {count} milestone", "through {count} milestones", count).format(
                count=count
            )
            if count
            else _(PACE_WORDS.get(plan.pace, plan.pace))
        )
        lines.append(
            _("*Plan* {start} on {start_day} → {target} by {due} ({how})").format(
                start=shown(plan.start_value),
                start_day=day_month(plan.start_day, plan.due),
                target=shown(plan.target),
                due=day_month(plan.due, plan.start_day),
                how=how,
            )
        )
    if goal.stretch is not None:
        lines.append(_("*Stretch* {value}").format(value=shown(goal.stretch)))
    value = latest.value if latest is not None else None
    status = goal_plan_status(goal, day=latest.day, value=value) if latest is not None else None
    if status is not None:
        lines.append(
            _("{value} expected on {day}").format(
                value=shown(status.expected), day=day_month(status.day, status.day)
            )
        )
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
    of_floor = _("{share} of floor").format(share=_share(floor))
    if beyond >= 1:
        return [of_floor, _("past the {stretch} stretch").format(stretch=shown(stretch))]
    return [
        of_floor,
        _("{share} of the way to the {stretch} stretch").format(
            share=_share(beyond), stretch=shown(stretch)
        ),
    ]


def _share(fraction: float) -> str:
    """`70%`: a share of the way, never below 0."""
    return f"{max(fraction, 0.0) * 100:.0f}%"
