"""A goal's plan as stored: the Plan (jobs/goals/plan.py) a Goal row makes, and the rules its
plan settings must pass before they are stored. Pure: no I/O.

A goal has a plan when its start value, start day and due date are all set; its `target` is then
the plan's floor. A stretch target may be set with or without a plan.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from jobs.errors import Code, CommandLine, Part, Typed, UsageError, phrase
from jobs.goals.plan import PACES, Milestone, Plan, PlanStatus, plan_status
from jobs.i18n import _
from jobs.metrics.catalog import Metric
from jobs.metrics.quantities import format_metric_value
from storage.models import Direction, Goal

if TYPE_CHECKING:
    from jobs.goals.service import GoalChange

_T = TypeVar("_T")
# Shows a value in the goal's unit (`150k`, `35%`) inside a refusal.
Shown = Callable[[float], str]


@dataclass(frozen=True)
class PlanFields:
    """A goal's plan settings as they would be stored; None (or no milestones) where unset."""

    target: float
    direction: str
    due: date | None
    start_value: float | None = None
    start_day: date | None = None
    pace: str | None = None
    milestones: tuple[Milestone, ...] = ()
    stretch: float | None = None

    def plan(self) -> Plan | None:
        """The plan when start value, start day and due are all set, else None; ValueError
        when they do not make one (check `plan_problem` first)."""
        if self.start_value is None or self.start_day is None or self.due is None:
            return None
        return Plan(
            start_day=self.start_day,
            start_value=self.start_value,
            due=self.due,
            target=self.target,
            pace="front-loaded" if self.pace == "front-loaded" else "linear",
            milestones=self.milestones,
            stretch=self.stretch,
        )


def plan_problem(fields: PlanFields, *, due_known: bool, shown: Shown) -> tuple[Part, ...] | None:
    """Why these settings cannot be stored, as a message; None when they can.

    `due_known`: the due date is final (the goal as it will be stored), so a plan without one
    is refused; otherwise (a command that may leave a stored due date as it is) it is not.
    """
    return stretch_problem(fields, shown=shown) or start_problem(fields, due_known=due_known)


def stretch_problem(fields: PlanFields, *, shown: Shown) -> tuple[Part, ...] | None:
    """A stretch must lie beyond the target in the goal's good direction."""
    stretch = fields.stretch
    if stretch is None:
        return None
    if fields.direction == Direction.EITHER.value:
        return phrase(
            _("A stretch target needs a goal with a direction: {higher} or {lower}."),
            higher=Code("higher"),
            lower=Code("lower"),
        )
    higher = fields.direction == Direction.HIGHER.value
    if (stretch > fields.target) if higher else (stretch < fields.target):
        return None
    return phrase(
        _(
            "The stretch ({stretch}) must be above the target ({target}): higher is better for "
            "this goal."
        )
        if higher
        else _(
            "The stretch ({stretch}) must be below the target ({target}): lower is better for "
            "this goal."
        ),
        stretch=shown(stretch),
        target=shown(fields.target),
    )


def start_problem(fields: PlanFields, *, due_known: bool) -> tuple[Part, ...] | None:
    """A pace or milestones need a start; a start needs a due date after it; milestones fall
    between the two, one per day."""
    if fields.pace is not None and fields.pace not in PACES:
        return phrase(
            _("{pace} is not a pace; use {linear} or {front_loaded}."),
            pace=Typed(fields.pace),
            linear=Code("linear"),
            front_loaded=Code("front-loaded"),
        )
    if fields.start_value is None or fields.start_day is None:
        if fields.pace is not None or fields.milestones:
            return phrase(
                _("A pace or milestones need the value the plan starts from: add {start}."),
                start=Code("from 100k"),
            )
        return None
    start, due = fields.start_day, fields.due
    if due is None:
        if due_known:
            return phrase(_("A plan needs a due date: add {due}."), due=Code("by YYYY-MM-DD"))
        due = date.max  # checked again once the due date is known
    elif start >= due:
        return phrase(
            _("The plan's start ({start}) must come before the due date ({due})."),
            start=start.isoformat(),
            due=due.isoformat(),
        )
    days = [m.day for m in fields.milestones]
    if any(not start < day < due for day in days) or len(set(days)) < len(days):
        return phrase(
            _(
                "Milestones must fall after the start ({start}) and before the due date "
                "({due}), one per day."
            )
            if due != date.max
            else _(
                "Milestones must fall after the start ({start}) and before the due date, "
                "one per day."
            ),
            start=start.isoformat(),
            due=due.isoformat(),
        )
    return None


def apply_plan(goal: Goal, change: GoalChange, *, metric: Metric, today: date) -> None:
    """Store the change's plan settings on `goal`, whose target, direction and due date are
    already the new ones; UsageError, with `goal`'s plan settings untouched, when they would
    make no plan."""
    stored = fields_of(goal)
    fields = replace(
        stored,
        start_value=_given_or(change.start_value, stored.start_value),
        start_day=_given_or(change.start_date, stored.start_day),
        pace=_given_or(change.pace, stored.pace),
        milestones=_given_or(change.milestones, stored.milestones),
        stretch=_given_or(change.stretch, stored.stretch),
    )
    shown = functools.partial(format_metric_value, metric)
    problem = plan_problem(fields, due_known=True, shown=shown)
    if problem is None:
        try:
            fields.plan()
        except ValueError as exc:
            problem = phrase(_("That plan does not work: {reason}."), reason=str(exc))
    if problem is not None:
        start = example_start(metric, target=fields.target, direction=fields.direction)
        example = plan_example(metric, shown(fields.target), start=start, today=today)
        raise UsageError(*problem, example=example)
    goal.start_value, goal.start_date = fields.start_value, fields.start_day
    goal.pace, goal.stretch = fields.pace, fields.stretch
    goal.milestones = milestones_to_json(fields.milestones)


def _given_or(given: _T | None, kept: _T) -> _T:
    """What a change gives, or what is kept where it gives None ("leave as it is")."""
    return kept if given is None else given


def example_start(metric: Metric, *, target: float, direction: str) -> float:
    """A start value for examples: below the target, or above it when lower is better (never
    past 100% for a percentage)."""
    if direction != Direction.LOWER.value:
        return target * 2 / 3
    if metric.is_percent:
        return min(target * 1.5, (target + _top(metric)) / 2)
    return target * 1.5


def example_stretch(metric: Metric, *, target: float, direction: str) -> float | None:
    """A stretch for examples, beyond the target in the good direction; None when there is
    no room for one (a 100% target) or no direction."""
    if direction == Direction.LOWER.value:
        return target / 2
    if direction == Direction.EITHER.value:
        return None
    stretch = (target + _top(metric)) / 2 if metric.is_percent else target * 1.5
    return stretch if stretch > target else None


def plan_example(metric: Metric, target: str, *, start: float, today: date) -> CommandLine:
    """`set gmv 150k by <next year>-03-31 from 100k on <next year>-01-01`: a plan that parses."""
    year = today.year + 1
    return CommandLine(
        "set",
        metric.key,
        target,
        "by",
        f"{year}-03-31",
        "from",
        format_metric_value(metric, start),
        "on",
        f"{year}-01-01",
    )


def _top(metric: Metric) -> float:
    """The largest value a percentage metric takes in its scale."""
    return 1.0 if metric.scale == "fraction" else 100.0


def fields_of(goal: Goal) -> PlanFields:
    """A stored goal's plan settings."""
    return PlanFields(
        target=goal.target,
        direction=goal.direction,
        due=goal.due_date,
        start_value=goal.start_value,
        start_day=goal.start_date,
        pace=goal.pace,
        milestones=milestones_from_json(goal.milestones),
        stretch=goal.stretch,
    )


def plan_of(goal: Goal) -> Plan | None:
    """The goal's plan, or None without one.

    `set` refuses settings that make no plan, so a stored one is valid; should a row hold one
    that is not, it counts as no plan rather than stopping the evaluation of every goal.
    """
    try:
        return fields_of(goal).plan()
    except ValueError:
        return None


def goal_plan_status(goal: Goal, *, day: date, value: float | None) -> PlanStatus | None:
    """Where `value` on `day` stands against the goal's plan; None without a plan or value."""
    plan = plan_of(goal)
    if plan is None or value is None:
        return None
    return plan_status(plan, day=day, value=value, direction=goal.direction)


def milestones_to_json(milestones: tuple[Milestone, ...]) -> list[dict[str, Any]]:
    """Milestones as the goal's JSON column holds them: `{"day": iso, "value": float}`."""
    return [{"day": m.day.isoformat(), "value": m.value} for m in milestones]


def milestones_from_json(data: list[dict[str, Any]] | None) -> tuple[Milestone, ...]:
    """The milestones a goal's JSON column holds, by day."""
    found = (Milestone(date.fromisoformat(m["day"]), float(m["value"])) for m in data or ())
    return tuple(sorted(found, key=lambda m: m.day))
