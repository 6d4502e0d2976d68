"""What the digest says beside a goal besides its numbers: its owner's latest check-in (the
confidence, whether an off-track answer raised the band, or a missed check-in) and how its
guard metrics stand against the values they were set at."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.digest.model import GoalLine, GuardStatus
from jobs.evaluation.guardrails import check_guard
from jobs.evaluation.guards_flow import latest_guard_values
from jobs.goals.guardrails import read_guards
from storage import checkins as checkin_store
from storage.models import Band, CheckinState, Direction, Goal

# A check-in older than this says nothing in the digest (as it no longer raises the band:
# jobs/evaluation/service.py CONFIDENCE_DAYS).
CHECKIN_DAYS = 7
# Deviations are compared at 9 decimals, as evaluation does (jobs/evaluation/classify.py).
_DECIMALS = 9


async def with_owner_notes(
    *,
    session: AsyncSession,
    team_id: str,
    goals: Sequence[Goal],
    lines: Sequence[GoalLine],
    day: date,
) -> tuple[GoalLine, ...]:
    """The lines with their owners' check-ins and their guards filled in."""
    goal_ids = [goal.id for goal in goals if goal.id is not None]
    since = day - timedelta(days=CHECKIN_DAYS)
    confidences = await checkin_store.latest_confidences(
        session=session, team_id=team_id, goal_ids=goal_ids, since=since
    )
    latest = await checkin_store.latest_checkins(
        session=session, team_id=team_id, goal_ids=goal_ids, since=since
    )
    by_id = {goal.id: goal for goal in goals}
    guarded = [goal for goal in goals if goal.guardrails]
    values = (await latest_guard_values(session, guarded, day)).get(team_id, {})
    noted = []
    for line in lines:
        goal = by_id.get(line.goal_id)
        confidence = confidences.get(line.goal_id)
        checkin = latest.get(line.goal_id)
        noted.append(
            replace(
                line,
                confidence=confidence,
                checkin_missed=checkin is not None and checkin.state == CheckinState.MISSED,
                raised_by_owner=goal is not None and raised_by_owner(line, goal, confidence),
                guards=guard_statuses(goal, line.band, values) if goal is not None else (),
            )
        )
    return tuple(noted)


def raised_by_owner(line: GoalLine, goal: Goal, confidence: str | None) -> bool:
    """Whether the owner's off-track answer alone made the goal yellow: its numbers are inside
    the yellow edge and no breached benchmark raised it."""
    if confidence != "off_track" or line.band != Band.YELLOW.value:
        return False
    if line.benchmark is not None and line.benchmark.breached:
        return False
    deviation = line.deviation
    if deviation is None or not math.isfinite(deviation):
        return False
    adverse = {
        Direction.HIGHER.value: -deviation,
        Direction.LOWER.value: deviation,
    }.get(line.direction, abs(deviation))
    return round(adverse, _DECIMALS) < round(goal.yellow, _DECIMALS)


def guard_statuses(goal: Goal, band: str, values: dict[str, float]) -> tuple[GuardStatus, ...]:
    """Each of the goal's guards against its metric's latest value. Pure."""
    statuses = []
    for stored in read_guards(goal.guardrails):
        check = check_guard(
            stored.guard,
            value=values.get(stored.guard.metric_key),
            goal_band=band,
            alerted=stored.alerted,
        )
        statuses.append(GuardStatus(check.metric_key, check.change, check.breached))
    return tuple(statuses)
