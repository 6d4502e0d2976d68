"""Build the escalation messages (jobs.messages) from what is stored, at the time of sending."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.digest.build import SPARKLINE_DAYS, goal_line
from jobs.digest.model import GoalLine
from jobs.escalation import rows
from jobs.messages import ChecklistView, RemediationParent
from jobs.metrics.catalog import MetricCatalog
from storage import evaluations as evaluation_store
from storage import points as point_store
from storage import sources as source_store
from storage import workspace
from storage.models import Goal, RemediationRow


async def load_goal_line(
    *,
    session: AsyncSession,
    catalog: MetricCatalog,
    goal: Goal,
    trend_trigger: int,
    today: date,
) -> GoalLine:
    """The goal as of its latest evaluation, with a week of values for the trend."""
    goal_id = goal.id or 0
    latest = await evaluation_store.latest_evaluations(session=session, goal_ids=[goal_id])
    evaluation = latest.get(goal_id)
    day = evaluation.day if evaluation else today
    points = await point_store.point_rows(
        session=session,
        team_ids=[goal.team_id],
        metric_keys=[goal.metric_key],
        since=day - timedelta(days=SPARKLINE_DAYS - 1),
        until=day,
    )
    history = {point_day: value for _, _, point_day, value in points}
    failing = await source_store.failing_sources(session=session, metric_keys=[goal.metric_key])
    error = failing[goal.metric_key].error if goal.metric_key in failing else None
    return goal_line(goal, evaluation, catalog, history, day, error, trend_trigger)


async def channel_timezone(
    *, session: AsyncSession, team_id: str, channel_id: str, default: str
) -> str:
    """The channel's timezone, else the workspace's, else the deployment's."""
    channel = await workspace.get_channel_settings(
        session=session, team_id=team_id, channel_id=channel_id
    )
    if channel and channel.timezone:
        return channel.timezone
    settings = await workspace.get_workspace_settings(session=session, team_id=team_id)
    return (settings and settings.timezone) or default


def parent_view(
    row: RemediationRow,
    goal: GoalLine,
    *,
    timezone: str,
    recovered_at: datetime | None,
    trend_trigger: int,
) -> RemediationParent:
    """The remediation's parent message."""
    assert row.id is not None
    return RemediationParent(
        goal=goal,
        remediation_id=row.id,
        trigger=row.trigger,
        opened_at=row.opened_at,
        due_at=row.due_at,
        status=row.status,  # type: ignore[arg-type]  # stored from the same Literal
        timezone=timezone,
        recovered_at=recovered_at,
        closed_at=row.closed_at,
        trigger_moves=trend_trigger if row.trigger == "trend" else None,
    )


def checklist_view(
    row: RemediationRow, goal: GoalLine, *, timezone: str, now: datetime
) -> ChecklistView:
    """The checklist message, exactly as stored."""
    assert row.id is not None
    return ChecklistView(
        goal=goal,
        remediation_id=row.id,
        items=rows.items_from_json(row.items),
        due_at=row.due_at,
        status=row.status,  # type: ignore[arg-type]
        timezone=timezone,
        now=now,
        closed_by=row.closed_by,
    )
