"""The reality check under a `/goal set` reply (jobs/goals/reality.py): the weekly pace the
target needs against the best 4 weeks on record. It warns; it never refuses."""

from __future__ import annotations

import functools
from datetime import date

from slack_sdk.models.blocks import Block

from bot.render.block_kit import context_block
from bot.render.plan import Shown, day_month, signed
from jobs.goals.reality import RealityCheck
from jobs.metrics.catalog import Metric
from jobs.metrics.quantities import format_metric_value
from storage.models import Goal


def reality_blocks(check: RealityCheck, goal: Goal, metric: Metric, *, today: date) -> list[Block]:
    """The reality check as the last block of the `/goal set` reply; none when it has nothing
    to say."""
    text = reality_text(
        check,
        target=goal.target,
        due=goal.due_date,
        today=today,
        shown=functools.partial(format_metric_value, metric),
    )
    return [context_block(text)] if text else []


def reality_text(
    check: RealityCheck, *, target: float, due: date | None, today: date, shown: Shown
) -> str | None:
    """One line on whether the target's pace has been seen before; None when there is
    nothing to say (the due date is today)."""
    if check.reason == "no_due_date":
        return (
            f"Add a due date (`by {today.year + 1}-03-31`) so goalpulse can say whether the "
            "pace is enough."
        )
    if check.reason == "no_history":
        return (
            "Not enough history yet to say whether the pace is enough: that takes values "
            "4 weeks apart."
        )
    if check.reason == "already_met" and check.current is not None:
        return f"The latest value, {shown(check.current)}, already meets the target."
    # Changes are shown with the sign of the way to the target.
    toward = -1.0 if check.current is not None and target < check.current else 1.0
    needed, best = check.needed_per_week, check.best_per_week
    if needed is None:
        return None
    needs = f"Needs {signed(toward * needed, shown)} a week"
    if check.reason == "never_improved" or best is None:
        return f"{needs}; no 4 weeks on record moved it that way."
    best_pace = f"{signed(toward * best, shown)} a week"
    if check.reachable:
        return f"{needs}; the best 4 weeks on record: {best_pace}."
    text = (
        f":warning: {needs}; the best 4 weeks on record managed {best_pace} "
        f"({check.ratio:.1f}× the best pace)."
    )
    if check.suggested_due is not None and check.suggested_target is not None and due:
        text += (
            f" At that pace: {shown(target)} by {day_month(check.suggested_due, today)}, "
            f"or {shown(check.suggested_target)} by {day_month(due, today)}."
        )
    return text
