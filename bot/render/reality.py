"""The reality check under a `/goal set` reply (jobs/goals/reality.py): the weekly pace the
target needs against the best 4 weeks on record. It warns; it never refuses."""

from __future__ import annotations

import functools
from datetime import date
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Block

from bot.render.block_kit import context_block
from bot.render.figures import metric_value
from bot.render.plan import Shown, signed
from bot.render.times import day_month
from jobs.i18n import _
from jobs.metrics.catalog import Metric
from storage.models import Goal

if TYPE_CHECKING:
    from jobs.goals.reality import RealityCheck


def reality_blocks(check: RealityCheck, goal: Goal, metric: Metric, *, today: date) -> list[Block]:
    """The reality check as the last block of the `/goal set` reply; none when it has nothing
    to say."""
    text = reality_text(
        check,
        target=goal.target,
        due=goal.due_date,
        today=today,
        shown=functools.partial(metric_value, metric),
    )
    return [context_block(text)] if text else []


def reality_text(
    check: RealityCheck, *, target: float, due: date | None, today: date, shown: Shown
) -> str | None:
    """One line on whether the target's pace has been seen before; None when there is
    nothing to say (the due date is today)."""
    if check.reason == "no_due_date":
        return _(
            "Add a due date ({example}) so goalpulse can say whether the pace is enough."
        ).format(example=f"`by {today.year + 1}-03-31`")
    if check.reason == "no_history":
        return _(
            "Not enough history yet to say whether the pace is enough: that takes values "
            "4 weeks apart."
        )
    if check.reason == "already_met" and check.current is not None:
        return _("The latest value, {value}, already meets the target.").format(
            value=shown(check.current)
        )
    # Changes are shown with the sign of the way to the target.
    toward = -1.0 if check.current is not None and target < check.current else 1.0
    needed, best = check.needed_per_week, check.best_per_week
    if needed is None:
        return None
    needs = signed(toward * needed, shown)
    if check.reason == "never_improved" or best is None:
        return _("Needs {change} a week; no 4 weeks on record moved it that way.").format(
            change=needs
        )
    best_pace = signed(toward * best, shown)
    if check.reachable:
        return _("Needs {change} a week; the best 4 weeks on record: {best} a week.").format(
            change=needs, best=best_pace
        )
    text = _(
        "Needs {change} a week; the best 4 weeks on record managed {best} a week "
        "({ratio}× the best pace)."
    ).format(change=needs, best=best_pace, ratio=f"{check.ratio:.1f}")
    if check.suggested_due is not None and check.suggested_target is not None and due:
        text += _(" At that pace: {target} by {due}, or {suggested} by {day}.").format(
            target=shown(target),
            due=day_month(check.suggested_due, today),
            suggested=shown(check.suggested_target),
            day=day_month(due, today),
        )
    return f":warning: {text}"
