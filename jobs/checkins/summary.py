"""A channel's week of check-ins, as the weekly summary shows it: per goal, who answered (the
confidence and how it changed, the value, what moved it, the blockers) and who missed.

`summarize` is pure; `load_summary` reads what it needs for one channel and week.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.messages import CheckinEntry, GoalWeek, MissedCheckin, WeeklyCheckinSummary
from jobs.metrics.catalog import MetricCatalog
from storage import checkins as checkin_store
from storage import escalation as escalation_store
from storage.models import Checkin, CheckinState, Goal, GoalStatus

# How far before the week a goal's previous confidence is looked for.
BEFORE_DAYS = 28


@dataclass(frozen=True)
class GoalHeading:
    """What the summary says about a goal besides its check-ins."""

    goal_id: int
    metric_key: str
    title: str
    unit: str
    scale: str
    currency: str


def iso_week(day: date) -> str:
    """`2026-W48`: the ISO week a day is in."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_of(day: date) -> tuple[date, date]:
    """The Monday and Sunday of the ISO week a day is in."""
    monday = day - timedelta(days=day.isoweekday() - 1)
    return monday, monday + timedelta(days=6)


def summarize(
    *,
    channel_id: str,
    first: date,
    last: date,
    headings: Mapping[int, GoalHeading],
    checkins: Sequence[Checkin],
    before: Mapping[int, str],
) -> WeeklyCheckinSummary | None:
    """The summary of `checkins` (the channel's, first ≤ day ≤ last) for the goals in
    `headings`, in metric-key order; `before` is each goal's last confidence before the week.
    Open, undeliverable and cancelled check-ins are left out; None when nothing is left. Pure.
    """
    answered: dict[int, list[CheckinEntry]] = {}
    missed: dict[int, list[MissedCheckin]] = {}
    previous = dict(before)
    for checkin in sorted(checkins, key=lambda c: (c.day, c.id or 0)):
        goal_id = checkin.goal_id
        if goal_id not in headings or not first <= checkin.day <= last:
            continue
        if checkin.state == CheckinState.ANSWERED:
            answered.setdefault(goal_id, []).append(
                CheckinEntry(
                    user_id=checkin.user_id,
                    day=checkin.day,
                    confidence=checkin.confidence,
                    previous=previous.get(goal_id),
                    value=checkin.value,
                    moved=checkin.moved,
                    blockers=checkin.blockers,
                    late=checkin.late,
                )
            )
            if checkin.confidence is not None:
                previous[goal_id] = checkin.confidence
        elif checkin.state == CheckinState.MISSED:
            missed.setdefault(goal_id, []).append(MissedCheckin(checkin.user_id, checkin.day))
    told = sorted(set(answered) | set(missed), key=lambda g: (headings[g].metric_key, g))
    if not told:
        return None
    weeks = tuple(
        GoalWeek(
            goal_id=goal_id,
            metric_key=headings[goal_id].metric_key,
            title=headings[goal_id].title,
            unit=headings[goal_id].unit,
            scale=headings[goal_id].scale,
            currency=headings[goal_id].currency,
            answered=tuple(answered.get(goal_id, ())),
            missed=tuple(missed.get(goal_id, ())),
        )
        for goal_id in told
    )
    return WeeklyCheckinSummary(
        channel_id=channel_id, week=iso_week(first), first=first, last=last, goals=weeks
    )


def heading(goal: Goal, catalog: MetricCatalog) -> GoalHeading:
    """A goal's heading, its title and unit settings from its metric."""
    metric = catalog.get(goal.metric_key)
    return GoalHeading(
        goal_id=goal.id or 0,
        metric_key=goal.metric_key,
        title=metric.title if metric is not None else goal.metric_key,
        unit=goal.unit,
        scale=metric.scale if metric is not None else "fraction",
        currency=metric.currency if metric is not None else "$",
    )


async def load_summary(
    *,
    session: AsyncSession,
    catalog: MetricCatalog,
    team_id: str,
    channel_id: str,
    first: date,
    last: date,
) -> WeeklyCheckinSummary | None:
    """The channel's summary for first..last as stored now; None without a check-in to show.
    A goal since removed (or moved to another workspace) is left out."""
    week = await checkin_store.checkins_between(
        session=session, team_id=team_id, channel_id=channel_id, first=first, last=last
    )
    if not week:
        return None
    earlier = await checkin_store.checkins_between(
        session=session,
        team_id=team_id,
        channel_id=channel_id,
        first=first - timedelta(days=BEFORE_DAYS),
        last=first - timedelta(days=1),
    )
    goals = await escalation_store.goals_by_id(
        session=session, goal_ids=sorted({checkin.goal_id for checkin in week})
    )
    headings = {
        goal_id: heading(goal, catalog)
        for goal_id, goal in goals.items()
        if goal.team_id == team_id and goal.status != GoalStatus.REMOVED
    }
    return summarize(
        channel_id=channel_id,
        first=first,
        last=last,
        headings=headings,
        checkins=week,
        before=last_confidences(earlier),
    )


def last_confidences(checkins: Sequence[Checkin]) -> dict[int, str]:
    """Each goal's confidence from its newest answered check-in among these. Pure."""
    found: dict[int, str] = {}
    for checkin in sorted(checkins, key=lambda c: (c.day, c.id or 0)):
        if checkin.state == CheckinState.ANSWERED and checkin.confidence is not None:
            found[checkin.goal_id] = checkin.confidence
    return found
