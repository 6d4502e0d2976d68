"""What an outbox message is about, read fresh when it is sent (the goal's numbers, its
remediation and episode), and the escalation messages (jobs.messages) built from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.context import EngineContext
from jobs.digest.build import goal_line
from jobs.digest.model import GoalLine
from jobs.digest.week import week_of_points
from jobs.escalation import rows
from jobs.evaluation.policy import EvaluationPolicy
from jobs.messages import ChecklistView, RemediationParent
from jobs.metrics.catalog import MetricCatalog
from storage import escalation as escalation_store
from storage import evaluations as evaluation_store
from storage import outbox, workspace
from storage import sources as source_store
from storage.models import EpisodeRow, Goal, OutboxMessage, RemediationRow


async def load_goal_line(
    *,
    session: AsyncSession,
    catalog: MetricCatalog,
    goal: Goal,
    policy: EvaluationPolicy,
    today: date,
) -> GoalLine:
    """The goal as of its latest evaluation, with a week of values for the trend."""
    goal_id = goal.id or 0
    latest = await evaluation_store.latest_evaluations(session=session, goal_ids=[goal_id])
    evaluation = latest.get(goal_id)
    day = evaluation.day if evaluation else today
    weeks = await week_of_points(
        session=session, team_id=goal.team_id, metric_keys=[goal.metric_key], day=day
    )
    failing = await source_store.failing_sources(session=session, metric_keys=[goal.metric_key])
    error = failing[goal.metric_key].error if goal.metric_key in failing else None
    return goal_line(goal, evaluation, catalog, weeks[goal.metric_key], error, policy)


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
    policy: EvaluationPolicy,
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
        trigger_moves=policy.trend_trigger if row.trigger == "trend" else None,
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


@dataclass
class Subject:
    """Everything one message is about, read fresh when it is sent."""

    goal: Goal
    line: GoalLine
    timezone: str
    remediation: RemediationRow | None
    episode: EpisodeRow | None


async def load_subject(
    context: EngineContext, policy: EvaluationPolicy, message: OutboxMessage
) -> Subject | None:
    """What `message` is about, as it is now; None when its goal is gone (or another team's)."""
    async with context.database.transaction() as session:
        goal = (
            await escalation_store.goals_by_id(session=session, goal_ids=[message.goal_id])
        ).get(message.goal_id)
        if goal is None or goal.team_id != message.team_id:
            return None
        line = await load_goal_line(
            session=session,
            catalog=context.catalog,
            goal=goal,
            policy=policy,
            today=context.today(),
        )
        timezone = await channel_timezone(
            session=session,
            team_id=goal.team_id,
            channel_id=goal.channel_id,
            default=context.timezone,
        )
        remediation = (
            await escalation_store.get_remediation(
                session=session, team_id=goal.team_id, remediation_id=message.remediation_id
            )
            if message.remediation_id is not None
            else None
        )
        episode = (
            await escalation_store.get_episode(
                session=session, team_id=goal.team_id, episode_id=message.episode_id
            )
            if message.episode_id is not None
            else None
        )
        if remediation is not None and episode is None:
            episode = await escalation_store.episode_for_remediation(
                session=session, remediation_id=remediation.id or 0
            )
    return Subject(goal, line, timezone, remediation, episode)


async def thread_message_failed(context: EngineContext, remediation_id: int, what: str) -> bool:
    """Whether the remediation thread's parent or checklist message failed for good."""
    async with context.database.transaction() as session:
        row = await outbox.by_run_key(
            session=session, run_key=f"remediation:{remediation_id}:{what}"
        )
    return row is not None and row.state == "failed"
