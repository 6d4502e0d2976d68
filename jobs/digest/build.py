"""Daily digests: which are due (pure), and building one channel's digest from stored data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.digest.dashboard import benchmark_gap, channel_health, dashboard_keys
from jobs.digest.model import ChannelDigest, EscalationStatus, GoalLine
from jobs.digest.owner_notes import with_owner_notes
from jobs.digest.tiers import tier_line
from jobs.digest.week import Week, week_ending
from jobs.evaluation.policy import EvaluationPolicy
from jobs.goals.channel_settings import DEFAULT_DIGEST_TIME
from jobs.goals.goal_plan import goal_plan_status
from jobs.metrics.catalog import MetricCatalog
from jobs.metrics.sources.errors import failure_kind
from storage import escalation as escalation_store
from storage import evaluations as evaluation_store
from storage import goals as goal_store
from storage import points as point_store
from storage import sources as source_store
from storage import workspace
from storage.models import (
    ChannelSettings,
    EpisodeRow,
    Evaluation,
    Goal,
    RemediationRow,
    WorkspaceSettings,
)

CHART_DAYS = 30


@dataclass(frozen=True)
class ChannelSchedule:
    """When a channel wants its digest."""

    team_id: str
    channel_id: str
    digest_time: str
    timezone: str


@dataclass(frozen=True)
class DueDigest:
    """A digest that should be posted now."""

    team_id: str
    channel_id: str
    local_date: date
    timezone: str
    due_at: datetime

    @property
    def run_key(self) -> str:
        return digest_run_key(self.team_id, self.channel_id, self.local_date)


def digest_run_key(team_id: str, channel_id: str, local_date: date) -> str:
    """The unique key that makes a channel's digest for a local date happen once."""
    return f"digest:{team_id}:{channel_id}:{local_date.isoformat()}"


def due_digests(
    schedules: list[ChannelSchedule], *, now: datetime, grace: timedelta
) -> list[DueDigest]:
    """Digests whose local time has come and is at most `grace` ago (pure; `now` is UTC)."""
    due = []
    for schedule in schedules:
        zone = ZoneInfo(schedule.timezone)
        local_now = now.astimezone(zone)
        hour, minute = (int(part) for part in schedule.digest_time.split(":"))
        # Today's slot, or yesterday's if it is still within the grace window (midnight wrap).
        for local_date in (local_now.date(), local_now.date() - timedelta(days=1)):
            due_at = datetime.combine(local_date, time(hour, minute), tzinfo=zone)
            if due_at <= now < due_at + grace:
                due.append(
                    DueDigest(
                        team_id=schedule.team_id,
                        channel_id=schedule.channel_id,
                        local_date=local_date,
                        timezone=schedule.timezone,
                        due_at=due_at,
                    )
                )
                break
    return due


def schedules_for(
    goals: list[Goal],
    channels: dict[tuple[str, str], ChannelSettings],
    workspaces: dict[str, WorkspaceSettings],
    *,
    default_timezone: str,
) -> list[ChannelSchedule]:
    """One schedule per channel with active goals: channel setting, else workspace, else default."""
    result = []
    for team_id, channel_id in sorted({(g.team_id, g.channel_id) for g in goals}):
        channel = channels.get((team_id, channel_id))
        ws = workspaces.get(team_id)
        result.append(
            ChannelSchedule(
                team_id=team_id,
                channel_id=channel_id,
                digest_time=(channel and channel.digest_time)
                or (ws and ws.digest_time)
                or DEFAULT_DIGEST_TIME,
                timezone=(channel and channel.timezone) or (ws and ws.timezone) or default_timezone,
            )
        )
    return result


async def load_schedules(*, session: AsyncSession, default_timezone: str) -> list[ChannelSchedule]:
    """Every channel with active goals, with its digest time and timezone."""
    goals = await goal_store.active_goals(session=session)
    channels = await workspace.all_channel_settings(session=session)
    workspaces = await workspace.all_workspace_settings(session=session)
    return schedules_for(goals, channels, workspaces, default_timezone=default_timezone)


async def build_digest(
    *,
    session: AsyncSession,
    catalog: MetricCatalog,
    team_id: str,
    channel_id: str,
    local_date: date,
    timezone: str,
    day: date,
    policy: EvaluationPolicy = EvaluationPolicy(),  # noqa: B008 - frozen, shared default
    now: datetime | None = None,
) -> ChannelDigest | None:
    """Assemble a channel's digest from its goals' evaluations for `day` and recent points.

    Given `now`, each goal's open episode and remediation are shown too, with the time left.
    """
    built = await build_digests(
        session=session,
        catalog=catalog,
        team_id=team_id,
        wanted=[(channel_id, local_date, timezone)],
        day=day,
        policy=policy,
        now=now,
    )
    return built.get(channel_id)


async def build_digests(
    *,
    session: AsyncSession,
    catalog: MetricCatalog,
    team_id: str,
    wanted: Sequence[tuple[str, date, str]],
    day: date,
    policy: EvaluationPolicy = EvaluationPolicy(),  # noqa: B008 - frozen, shared default
    now: datetime | None = None,
) -> dict[str, ChannelDigest]:
    """`build_digest` for several channels of one workspace, each (channel, local date,
    timezone), with one set of reads for them all; a channel with no active goal is absent."""
    places = {channel_id: (local_date, zone) for channel_id, local_date, zone in wanted}
    goals = [
        goal
        for goal in await goal_store.active_goals(session=session, team_id=team_id)
        if goal.channel_id in places
    ]
    if not goals:
        return {}
    goal_ids = [g.id for g in goals if g.id is not None]
    evaluations = await evaluation_store.evaluations_on(session=session, goal_ids=goal_ids, day=day)
    keys_of: dict[str, list[str]] = {}
    for goal in goals:
        keys_of.setdefault(goal.channel_id, [])
        if goal.metric_key not in keys_of[goal.channel_id]:
            keys_of[goal.channel_id].append(goal.metric_key)
    wanted_of = {
        channel_id: set(keys) | dashboard_keys(catalog, sorted(keys))
        for channel_id, keys in keys_of.items()
    }
    metric_keys = sorted({g.metric_key for g in goals})
    rows = await point_store.point_rows(
        session=session,
        team_ids=[team_id],
        metric_keys=sorted(set().union(*wanted_of.values())),
        since=day - timedelta(days=CHART_DAYS - 1),
        until=day,
    )
    shared: dict[str, dict[date, float]] = defaultdict(dict)
    for _, key, point_day, value in rows:
        shared[key][point_day] = value
    failing = await source_store.failing_sources(session=session, metric_keys=metric_keys)
    statuses: dict[int, EscalationStatus | None] = {}
    if now is not None:
        found = await escalation_store.open_escalations(
            session=session, team_id=team_id, goal_ids=goal_ids
        )
        statuses = {goal_id: escalation_status(*pair, now) for goal_id, pair in found.items()}
    histories: dict[str, dict[str, dict[date, float]]] = {}
    lines: list[GoalLine] = []
    for goal in goals:
        history = histories.setdefault(
            goal.channel_id,
            defaultdict(dict, {k: v for k, v in shared.items() if k in wanted_of[goal.channel_id]}),
        )
        lines.append(
            goal_line(
                goal,
                evaluations.get(goal.id or -1),
                catalog,
                week_ending(history[goal.metric_key], day),
                failing[goal.metric_key].error if goal.metric_key in failing else None,
                policy,
                statuses.get(goal.id or -1),
            )
        )
    noted = await with_owner_notes(
        session=session, team_id=team_id, goals=goals, lines=lines, day=day
    )
    built = {}
    for channel_id, keys in keys_of.items():
        local_date, zone = places[channel_id]
        history = histories[channel_id]
        channel_keys = sorted(keys)
        built[channel_id] = ChannelDigest(
            team_id=team_id,
            channel_id=channel_id,
            local_date=local_date,
            timezone=zone,
            lines=tuple(
                line
                for line, goal in zip(noted, goals, strict=True)
                if goal.channel_id == channel_id
            ),
            health=channel_health(
                catalog, channel_keys, history, day=day, staleness_days=policy.staleness_days
            ),
            history={key: tuple(sorted(values.items())) for key, values in history.items()},
            tiers=tier_line(
                catalog, channel_keys, history, day=day, staleness_days=policy.staleness_days
            ),
        )
    return built


def goal_line(
    goal: Goal,
    evaluation: Evaluation | None,
    catalog: MetricCatalog,
    week: Week,
    source_error: str | None,
    policy: EvaluationPolicy,
    escalation: EscalationStatus | None = None,
) -> GoalLine:
    """One goal as the digest (and every escalation message) shows it, `week` its sparkline.

    `source_error` is the stored failure line; the goal line keeps only its kind (`HTTP 500`,
    `timed out`), since what a source answered may hold anything and channels see this.
    """
    metric = catalog.get(goal.metric_key)
    value = evaluation.value if evaluation else None
    return GoalLine(
        goal_id=goal.id or 0,
        metric_key=goal.metric_key,
        title=metric.title if metric else goal.metric_key,
        unit=goal.unit,
        scale=metric.scale if metric else "fraction",
        currency=metric.currency if metric else "$",
        direction=goal.direction,
        band=evaluation.band if evaluation else "no_data",
        value=evaluation.value if evaluation else None,
        value_day=evaluation.value_day if evaluation else None,
        target=goal.target,
        deviation=evaluation.deviation if evaluation else None,
        sparkline=week,
        consecutive_adverse=evaluation.consecutive_adverse if evaluation else 0,
        trend_alert=bool(evaluation and evaluation.consecutive_adverse >= policy.trend_trigger),
        red_in_days=evaluation.red_in_days if evaluation else None,
        owner_id=goal.owner_id,
        source_error=failure_kind(source_error) if source_error else None,
        escalation=escalation,
        benchmark=benchmark_gap(metric.benchmark if metric else None, value),
        plan=goal_plan_status(goal, day=evaluation.day, value=value) if evaluation else None,
        stretch=goal.stretch,
        due_date=goal.due_date,
    )


def escalation_status(
    episode: EpisodeRow | None, remediation: RemediationRow | None, now: datetime
) -> EscalationStatus | None:
    """What the digest and the `show` command say about a goal's open episode and remediation."""
    if episode is None and remediation is None:
        return None
    items = remediation.items if remediation is not None else []
    due_at = remediation.due_at if remediation is not None else None
    return EscalationStatus(
        episode_band=episode.current_band if episode is not None else None,
        acknowledged_by=episode.acknowledged_by if episode is not None else None,
        remediation_id=remediation.id if remediation is not None else None,
        done=sum(1 for item in items if item.get("done_at")),
        total=len(items),
        due_at=due_at,
        time_left=max(due_at - now, timedelta(0)) if due_at is not None else None,
    )


async def goal_escalation(
    *, session: AsyncSession, team_id: str, goal_id: int, now: datetime
) -> EscalationStatus | None:
    """One goal's open episode and remediation as of `now` (for the `show` command)."""
    found = await escalation_store.open_escalations(
        session=session, team_id=team_id, goal_ids=[goal_id]
    )
    return escalation_status(*found[goal_id], now) if goal_id in found else None
