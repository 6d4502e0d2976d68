"""Goal services: the rules behind `/goal set`, `thresholds`, `pause`, `resume`, `remove`.

Callers pass the session (their transaction) and `now`; a refused change raises before anything
is written, so nothing is ever half-stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.errors import NotFoundError, PermissionDeniedError, UsageError, quoted
from jobs.metrics import Metric, MetricCatalog
from storage import audit
from storage import goals as goal_store
from storage.models import Direction, Goal, GoalStatus


@dataclass(frozen=True)
class Actor:
    """Who is asking. `is_admin` is asked only when the answer matters (it may call Slack)."""

    user_id: str
    is_admin: Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class GoalChange:
    """What `/goal set` (or the goal modal) asks for; None means "leave as it is"."""

    metric_key: str
    target: float
    direction: Direction | None = None
    due_date: date | None = None
    owner_id: str | None = None
    lead_id: str | None = None


@dataclass(frozen=True)
class Thresholds:
    """Adverse-deviation band edges as fractions: yellow < orange < red."""

    yellow: float
    orange: float
    red: float

    def __post_init__(self) -> None:
        if not 0 < self.yellow < self.orange < self.red:
            raise UsageError(
                "Thresholds must be positive and increasing: yellow, then a larger orange, "
                "then a larger red.",
                example="/goal thresholds <metric> 10% 20% 30%",
            )


def require_metric(catalog: MetricCatalog, key: str) -> Metric:
    """The metric named `key`, or NotFoundError listing the ones that exist."""
    metric = catalog.get(key)
    if metric is None:
        known = ", ".join(f"`{k}`" for k in catalog.keys[:15])
        raise NotFoundError(
            f"There is no metric {quoted(key)} in metrics.yml. Known metrics: {known}.",
            example=f"/goal set {catalog.keys[0]} 150k" if catalog.keys else None,
        )
    return metric


async def set_goal(
    *,
    session: AsyncSession,
    catalog: MetricCatalog,
    team_id: str,
    channel_id: str,
    actor: Actor,
    change: GoalChange,
    now: datetime,
) -> tuple[Goal, bool]:
    """Create the channel's goal on a metric, or update it; returns (goal, created)."""
    metric = require_metric(catalog, change.metric_key)
    goal = await goal_store.get_goal(
        session=session, team_id=team_id, channel_id=channel_id, metric_key=change.metric_key
    )
    created = goal is None
    if goal is None:
        goal = Goal(
            team_id=team_id,
            channel_id=channel_id,
            metric_key=metric.key,
            target=change.target,
            direction=(change.direction or Direction(metric.direction)).value,
            unit=metric.unit.value,
            owner_id=change.owner_id or actor.user_id,
            created_by=actor.user_id,
            created_at=now,
            updated_at=now,
        )
    else:
        await _require_editor(goal, actor)
    before = {} if created else _snapshot(goal)
    goal.target = change.target
    if change.direction is not None:
        goal.direction = change.direction.value
    if change.due_date is not None:
        goal.due_date = change.due_date
    if change.owner_id is not None:
        goal.owner_id = change.owner_id
    if change.lead_id is not None:
        goal.lead_id = change.lead_id
    goal.updated_at = now
    await goal_store.save_goal(session=session, goal=goal)
    await _audit(session, goal, actor, "goal.create" if created else "goal.update", before, now)
    return goal, created


async def set_thresholds(
    *,
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    actor: Actor,
    metric_key: str,
    thresholds: Thresholds,
    now: datetime,
) -> Goal:
    """Give one goal its own band edges."""
    goal = await _editable_goal(session, team_id, channel_id, metric_key, actor)
    before = _snapshot(goal)
    goal.yellow, goal.orange, goal.red = thresholds.yellow, thresholds.orange, thresholds.red
    goal.updated_at = now
    await goal_store.save_goal(session=session, goal=goal)
    await _audit(session, goal, actor, "goal.thresholds", before, now)
    return goal


async def set_status(
    *,
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    actor: Actor,
    metric_key: str,
    status: GoalStatus,
    now: datetime,
) -> tuple[Goal, bool]:
    """Pause or resume a goal; returns (goal, changed)."""
    goal = await _editable_goal(session, team_id, channel_id, metric_key, actor)
    if goal.status == status.value:
        return goal, False
    before = _snapshot(goal)
    goal.status = status.value
    goal.updated_at = now
    await goal_store.save_goal(session=session, goal=goal)
    action = "goal.pause" if status is GoalStatus.PAUSED else "goal.resume"
    await _audit(session, goal, actor, action, before, now)
    return goal, True


async def remove_goal(
    *,
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    actor: Actor,
    metric_key: str,
    now: datetime,
) -> Goal:
    """Delete a goal (the audit log keeps what it was)."""
    goal = await _editable_goal(session, team_id, channel_id, metric_key, actor)
    before = _snapshot(goal)
    await goal_store.delete_goal(session=session, goal=goal)
    await _audit(session, goal, actor, "goal.remove", before, now)
    return goal


async def find_goal(
    *, session: AsyncSession, team_id: str, channel_id: str, metric_key: str
) -> Goal:
    """The channel's goal on a metric, or NotFoundError with a way forward."""
    goal = await goal_store.get_goal(
        session=session, team_id=team_id, channel_id=channel_id, metric_key=metric_key
    )
    if goal is None:
        raise NotFoundError(
            f"This channel has no goal on {quoted(metric_key)}. "
            "`/goal list` shows the ones it has.",
            example=f"/goal set {metric_key} 150k",
        )
    return goal


async def _editable_goal(
    session: AsyncSession, team_id: str, channel_id: str, metric_key: str, actor: Actor
) -> Goal:
    goal = await find_goal(
        session=session, team_id=team_id, channel_id=channel_id, metric_key=metric_key
    )
    await _require_editor(goal, actor)
    return goal


async def _require_editor(goal: Goal, actor: Actor) -> None:
    people = {goal.owner_id, goal.lead_id, goal.created_by}
    if actor.user_id in people or await actor.is_admin():
        return
    named = sorted(p for p in people if p)
    raise PermissionDeniedError(
        f"Only the goal's owner, lead or creator ({', '.join(f'<@{p}>' for p in named)}) "
        f"or a workspace admin can change the `{goal.metric_key}` goal.",
    )


def _snapshot(goal: Goal) -> dict[str, Any]:
    return goal.model_dump(mode="json", exclude={"id", "created_at", "updated_at"})


async def _audit(
    session: AsyncSession,
    goal: Goal,
    actor: Actor,
    action: str,
    before: dict[str, Any],
    now: datetime,
) -> None:
    after = _snapshot(goal) if action != "goal.remove" else {}
    changed = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    await audit.record_event(
        session=session,
        team_id=goal.team_id,
        channel_id=goal.channel_id,
        actor_id=actor.user_id,
        action=action,
        subject=goal.metric_key,
        details={"changed": changed} if action != "goal.remove" else {"removed": before},
        at=now,
    )
