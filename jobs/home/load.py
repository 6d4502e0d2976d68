"""A person's Home page read from the database: the goals they own or lead (as the digest shows
them), the open checklist items they may tick, and their channels' goals counted by band."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.digest.build import escalation_status, goal_line
from jobs.digest.chart import CHART_DAYS, STATES, worst_first
from jobs.digest.week import Week, week_of_points
from jobs.escalation.remediation import ChecklistItem
from jobs.escalation.rows import items_from_json
from jobs.evaluation.policy import EvaluationPolicy
from jobs.home.model import ChannelCounts, HomeChart, HomeChecklist, HomeGoal, HomePage, Role
from jobs.metrics.catalog import MetricCatalog
from storage import escalation as escalation_store
from storage import evaluations as evaluation_store
from storage import goals as goal_store
from storage import points as point_store
from storage import sources as source_store
from storage.models import Evaluation, Goal, RemediationRow

# Channels counted on the page; a person in more sees the first ones by channel id.
MAX_CHANNELS = 20


async def load_home(
    *,
    session: AsyncSession,
    catalog: MetricCatalog,
    team_id: str,
    user_id: str,
    now: datetime,
    today: date,
    policy: EvaluationPolicy = EvaluationPolicy(),  # noqa: B008 - frozen, shared default
    chart_goal_id: int | None = None,
) -> HomePage:
    """The page as of `now`: goals worst first, checklists soonest due first; with
    `chart_goal_id` (the person's pick) that goal's chart, if it is still one of theirs."""
    goals = await goal_store.person_goals(session=session, team_id=team_id, user_id=user_id)
    by_id = {goal.id: goal for goal in goals if goal.id is not None}
    latest = await evaluation_store.latest_evaluations(session=session, goal_ids=list(by_id))
    weeks = await _weeks(session, team_id, goals, latest, today)
    keys = sorted({goal.metric_key for goal in goals})
    failing = await source_store.failing_sources(session=session, metric_keys=keys)
    found = await escalation_store.open_escalations(
        session=session, team_id=team_id, goal_ids=list(by_id)
    )
    lines = [
        goal_line(
            goal,
            latest.get(goal_id),
            catalog,
            weeks[(goal.metric_key, _day(latest.get(goal_id), today))],
            failing[goal.metric_key].error if goal.metric_key in failing else None,
            policy,
            escalation_status(*found[goal_id], now) if goal_id in found else None,
        )
        for goal_id, goal in by_id.items()
    ]
    home_goals = tuple(
        HomeGoal(by_id[line.goal_id].channel_id, _role(by_id[line.goal_id], user_id), line)
        for line in worst_first(lines)
    )
    remediations = await escalation_store.open_remediations(session=session, team_id=team_id)
    checklists = await _checklists(session, catalog, remediations, user_id, set(by_id))
    channels = await _channels(session, team_id, sorted({g.channel_id for g in goals}))
    picked = next((g for g in home_goals if g.line.goal_id == chart_goal_id), None)
    chart = None
    if picked is not None:
        day = _day(latest.get(picked.line.goal_id), today)
        chart = HomeChart(picked, await _history(session, team_id, picked.line.metric_key, day))
    return HomePage(user_id, now, home_goals, tuple(checklists), tuple(channels), chart)


async def _history(
    session: AsyncSession, team_id: str, metric_key: str, day: date
) -> tuple[tuple[date, float], ...]:
    """The metric's values over the CHART_DAYS days that end on `day`, oldest first."""
    rows = await point_store.point_rows(
        session=session,
        team_ids=[team_id],
        metric_keys=[metric_key],
        since=day - timedelta(days=CHART_DAYS - 1),
        until=day,
    )
    return tuple(sorted((point_day, value) for _, _, point_day, value in rows))


def _day(evaluation: Evaluation | None, today: date) -> date:
    return evaluation.day if evaluation is not None else today


async def _weeks(
    session: AsyncSession,
    team_id: str,
    goals: Sequence[Goal],
    latest: dict[int, Evaluation],
    today: date,
) -> dict[tuple[str, date], Week]:
    """Each goal's sparkline, ending on its latest evaluation's day: one read per such day."""
    wanted: dict[date, set[str]] = {}
    for goal in goals:
        wanted.setdefault(_day(latest.get(goal.id or -1), today), set()).add(goal.metric_key)
    weeks: dict[tuple[str, date], Week] = {}
    for day, keys in wanted.items():
        found = await week_of_points(
            session=session, team_id=team_id, metric_keys=sorted(keys), day=day
        )
        weeks |= {(key, day): week for key, week in found.items()}
    return weeks


def _role(goal: Goal, user_id: str) -> Role:
    if goal.owner_id == user_id and goal.lead_id == user_id:
        return "owner and lead"
    return "owner" if goal.owner_id == user_id else "lead"


async def _checklists(
    session: AsyncSession,
    catalog: MetricCatalog,
    remediations: Sequence[RemediationRow],
    user_id: str,
    own_goals: set[int],
) -> list[HomeChecklist]:
    """The open items the person may tick (jobs/escalation/interactions.py's rule, admins
    aside), per remediation that has any."""
    shown: list[tuple[RemediationRow, tuple[ChecklistItem, ...]]] = []
    for row in remediations:
        runs_it = row.goal_id in own_goals or user_id in (row.owner_id, row.lead_id)
        items = tuple(
            item
            for item in items_from_json(row.items)
            if not item.done and (runs_it or item.owner_id == user_id)
        )
        if items and row.id is not None:
            shown.append((row, items))
    goals = await escalation_store.goals_by_id(
        session=session, goal_ids=sorted({row.goal_id for row, _ in shown})
    )
    checklists = []
    for row, items in shown:
        goal = goals.get(row.goal_id)
        if goal is None:
            continue
        metric = catalog.get(goal.metric_key)
        checklists.append(
            HomeChecklist(
                remediation_id=row.id or 0,
                channel_id=row.channel_id,
                metric_key=goal.metric_key,
                title=metric.title if metric else goal.metric_key,
                due_at=row.due_at,
                items=items,
            )
        )
    return checklists


async def _channels(
    session: AsyncSession, team_id: str, channel_ids: Sequence[str]
) -> list[ChannelCounts]:
    """Each channel's active goals by their latest band (`no_data` if never evaluated)."""
    counted = []
    for channel_id in channel_ids[:MAX_CHANNELS]:
        goals = await goal_store.active_goals(
            session=session, team_id=team_id, channel_id=channel_id
        )
        ids = [goal.id for goal in goals if goal.id is not None]
        latest = await evaluation_store.latest_evaluations(session=session, goal_ids=ids)
        bands = Counter(latest[i].band if i in latest else "no_data" for i in ids)
        order = sorted(bands, key=lambda band: STATES.index(band) if band in STATES else 99)
        counted.append(ChannelCounts(channel_id, tuple((band, bands[band]) for band in order)))
    return counted
