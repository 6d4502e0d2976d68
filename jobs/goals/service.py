"""Goal services: the rules behind the `set`, `thresholds`, `pause`, `resume`, `remove` commands.

Callers pass the session (their transaction) and `now`; a refused change raises before anything
is written, so nothing is ever half-stored. Removing a goal keeps its row and history (status
`removed`); setting a goal on that metric in the channel again brings the row back as new.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.checkins.transitions import cancel_open
from jobs.errors import (
    Code,
    CommandLine,
    NotFoundError,
    PermissionDeniedError,
    Person,
    Typed,
    UsageError,
    joined,
    phrase,
)
from jobs.goals.goal_plan import apply_plan
from jobs.goals.plan import Milestone
from jobs.goals.red_start import red_start_refusal
from jobs.i18n import _
from jobs.metrics.catalog import Metric, MetricCatalog
from storage import audit, outbox, workspace
from storage import escalation as escalation_store
from storage import goals as goal_store
from storage import points as point_store
from storage.models import Direction, Goal, GoalStatus

# Re-reads after losing a race with an evaluation or a click while removing a goal.
ATTEMPTS = 3
# A removed goal's open remediation closes with this status and summary.
# Adverse deviations are compared at 9 decimals, as evaluation does (jobs/evaluation/classify.py).
_DECIMALS = 9


@dataclass(frozen=True)
class Actor:
    """Who is asking. `is_admin` is asked only when the answer matters (it may call Slack)."""

    user_id: str
    is_admin: Callable[[], Awaitable[bool]]


def remembering(actor: Actor) -> Actor:
    """The same person, with Slack asked at most once whether they are an admin."""
    answers: list[bool] = []

    async def is_admin() -> bool:
        if not answers:
            answers.append(await actor.is_admin())
        return answers[0]

    return Actor(user_id=actor.user_id, is_admin=is_admin)


@dataclass(frozen=True)
class GoalChange:
    """What the `set` command (or the goal modal) asks for; None means "leave as it is"."""

    metric_key: str
    target: float
    direction: Direction | None = None
    due_date: date | None = None
    owner_id: str | None = None
    lead_id: str | None = None
    # The plan (jobs/goals/goal_plan.py): where the metric starts, at what pace or through
    # which milestones it should reach the target by the due date, and a stretch beyond it.
    start_value: float | None = None
    start_date: date | None = None
    pace: str | None = None
    milestones: tuple[Milestone, ...] | None = None
    stretch: float | None = None


@dataclass(frozen=True)
class Thresholds:
    """Adverse-deviation band edges as fractions: yellow < orange < red."""

    yellow: float
    orange: float
    red: float

    def __post_init__(self) -> None:
        if not 0 < self.yellow < self.orange < self.red:
            raise UsageError(
                _(
                    "Thresholds must be positive and increasing: yellow, then a larger orange, "
                    "then a larger red."
                ),
                example=CommandLine("thresholds", "<metric>", "10%", "20%", "30%"),
            )


def require_metric(catalog: MetricCatalog, key: str) -> Metric:
    """The metric named `key`, or NotFoundError listing the ones that exist."""
    metric = catalog.get(key)
    if metric is None:
        raise NotFoundError(
            *phrase(
                _("There is no metric {key} in metrics.yml. Known metrics: {known}."),
                key=Typed(key),
                known=joined(Code(k) for k in catalog.keys[:15]),
            ),
            example=CommandLine("set", catalog.keys[0], "150k") if catalog.keys else None,
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
    """Create the channel's goal on a metric, or update it; returns (goal, created).

    A removed goal on the metric is brought back as a new one (its row and history kept). A
    target that would start the goal in red at the metric's latest value needs the rights of
    `_require_red_setter`.
    """
    metric = require_metric(catalog, change.metric_key)
    actor = remembering(actor)
    stored = await goal_store.get_goal(
        session=session,
        team_id=team_id,
        channel_id=channel_id,
        metric_key=change.metric_key,
        include_removed=True,
    )
    existing = stored if stored is not None and stored.status != GoalStatus.REMOVED else None
    fresh = Goal(
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
    if existing is not None:
        await require_editor(existing, actor)
    judged = existing or fresh
    direction = change.direction.value if change.direction is not None else judged.direction
    if existing is None or (change.target, direction) != (existing.target, existing.direction):
        await _require_red_setter(
            session,
            metric=metric,
            team_id=team_id,
            channel_id=channel_id,
            goal=existing,
            actor=actor,
            target=change.target,
            direction=Direction(direction),
            red=judged.red,
        )
    created = existing is None
    before = {} if existing is None else snapshot(existing)
    goal = existing or stored or fresh
    if goal is stored and existing is None:  # removed: the same row, set up as a new goal
        goal.sqlmodel_update(fresh.model_dump(exclude={"id"}))
    goal.target = change.target
    if change.direction is not None:
        goal.direction = change.direction.value
    if change.due_date is not None:
        goal.due_date = change.due_date
    if change.owner_id is not None:
        goal.owner_id = change.owner_id
    if change.lead_id is not None:
        goal.lead_id = change.lead_id
    apply_plan(goal, change, metric=metric, today=now.date())
    goal.updated_at = now
    await goal_store.save_goal(session=session, goal=goal)
    extra = {"restored": True} if stored is not None and created else {}
    action = "goal.create" if created else "goal.update"
    await audit_change(session, goal, actor, action, before, now, extra=extra)
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
    goal = await editable_goal(session, team_id, channel_id, metric_key, actor)
    before = snapshot(goal)
    goal.yellow, goal.orange, goal.red = thresholds.yellow, thresholds.orange, thresholds.red
    goal.updated_at = now
    await goal_store.save_goal(session=session, goal=goal)
    await audit_change(session, goal, actor, "goal.thresholds", before, now)
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
    goal = await editable_goal(session, team_id, channel_id, metric_key, actor)
    if goal.status == status.value:
        return goal, False
    before = snapshot(goal)
    goal.status = status.value
    goal.updated_at = now
    if status is GoalStatus.PAUSED:
        goal.paused_at = now  # its queued messages wait (storage/outbox.due skips them)
        if goal.id is not None:  # nobody is asked to check in on a paused goal
            await cancel_open(session=session, team_id=goal.team_id, goal_id=goal.id, now=now)
    elif goal.paused_at is not None and goal.id is not None:
        # Time stood still for it: the remediation's deadline and the queue move on as much.
        paused_for = now - goal.paused_at
        await outbox.postpone_goal(session=session, goal_id=goal.id, by=paused_for)
        await escalation_store.extend_open_remediations(
            session=session, goal_id=goal.id, by=paused_for
        )
        goal.paused_at = None
    await goal_store.save_goal(session=session, goal=goal)
    action = "goal.pause" if status is GoalStatus.PAUSED else "goal.resume"
    await audit_change(session, goal, actor, action, before, now)
    return goal, True


def starts_red(value: float, *, target: float, direction: Direction, red: float) -> bool:
    """Whether `value` is red against this target by evaluation's rule: the adverse deviation
    (direction-aware) at or past the red edge, compared at 9 decimals; no hysteresis."""
    if target == 0 or not math.isfinite(target) or not math.isfinite(value):
        return False
    deviation = (value - target) / abs(target)
    if direction is Direction.EITHER:
        adverse = abs(deviation)
    else:
        adverse = -deviation if direction is Direction.HIGHER else deviation
    return round(adverse, _DECIMALS) >= red


async def _require_red_setter(
    session: AsyncSession,
    *,
    metric: Metric,
    team_id: str,
    channel_id: str,
    goal: Goal | None,
    actor: Actor,
    target: float,
    direction: Direction,
    red: float,
) -> None:
    """A target that starts the goal in red at the metric's latest stored value (and so pages
    the CEO) may be set only by the channel lead, the goal's existing owner or lead, or a
    workspace admin."""
    latest = await _latest_value(session, team_id, metric.key)
    if latest is None:
        return
    day, value = latest
    if not starts_red(value, target=target, direction=direction, red=red):
        return
    channel = await workspace.get_channel_settings(
        session=session, team_id=team_id, channel_id=channel_id
    )
    lead = channel.lead_id if channel else None
    people = sorted({p for p in (goal.owner_id, goal.lead_id) if p}) if goal else []
    if actor.user_id in {lead, *people} or await actor.is_admin():
        return
    raise red_start_refusal(metric, day=day, value=value, target=target, lead=lead, people=people)


async def _latest_value(
    session: AsyncSession, team_id: str, metric_key: str
) -> tuple[date, float] | None:
    """The workspace's newest stored value of the metric, with its day; None without one."""
    day = await point_store.latest_day(session=session, team_id=team_id, metric_key=metric_key)
    if day is None:
        return None
    points = await point_store.points_since(
        session=session, team_id=team_id, metric_keys=[metric_key], since=day
    )
    return (day, points[0].value) if points else None


async def find_goal(
    *, session: AsyncSession, team_id: str, channel_id: str, metric_key: str
) -> Goal:
    """The channel's goal on a metric, or NotFoundError with a way forward."""
    goal = await goal_store.get_goal(
        session=session, team_id=team_id, channel_id=channel_id, metric_key=metric_key
    )
    if goal is None:
        raise NotFoundError(
            *phrase(
                _("This channel has no goal on {key}. {list} shows the ones it has."),
                key=Typed(metric_key),
                list=CommandLine("list"),
            ),
            example=CommandLine("set", metric_key, "150k"),
        )
    return goal


async def editable_goal(
    session: AsyncSession, team_id: str, channel_id: str, metric_key: str, actor: Actor
) -> Goal:
    goal = await find_goal(
        session=session, team_id=team_id, channel_id=channel_id, metric_key=metric_key
    )
    await require_editor(goal, actor)
    return goal


async def require_editor(goal: Goal, actor: Actor) -> None:
    people = {goal.owner_id, goal.lead_id, goal.created_by}
    if actor.user_id in people or await actor.is_admin():
        return
    named = sorted(p for p in people if p)
    raise PermissionDeniedError(
        *phrase(
            _(
                "Only the goal's owner, lead or creator ({people}) or a workspace admin can "
                "change the {key} goal."
            ),
            people=joined(Person(p) for p in named),
            key=Code(goal.metric_key),
        )
    )


def snapshot(goal: Goal) -> dict[str, Any]:
    return goal.model_dump(mode="json", exclude={"id", "created_at", "updated_at"})


async def audit_change(
    session: AsyncSession,
    goal: Goal,
    actor: Actor,
    action: str,
    before: dict[str, Any],
    now: datetime,
    *,
    extra: dict[str, Any] | None = None,
) -> None:
    if action == "goal.remove":
        details: dict[str, Any] = {"removed": before}
    else:
        after = snapshot(goal)
        details = {
            "changed": {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        }
    await audit.record_event(
        session=session,
        team_id=goal.team_id,
        channel_id=goal.channel_id,
        actor_id=actor.user_id,
        action=action,
        subject=goal.metric_key,
        details=details | (extra or {}),
        at=now,
    )
