"""Guardrails on a goal: the rules behind `guard` and `unguard`, and the stored form.

A goal's `guardrails` column holds one entry per guard metric: Guard.to_dict()
(jobs/evaluation/guardrails.py) plus `alerted`, whether the current breach was announced. The
baseline is the guard metric's latest stored value when the guard is set; without one yet it is
None, and the first evaluation that finds a value sets it (jobs/evaluation/guards_flow.py).
Who may change a goal's guards is who may change its thresholds (jobs/goals/service.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.errors import Code, CommandLine, NotFoundError, UsageError, joined, phrase
from jobs.evaluation.guardrails import DEFAULT_GUARD_THRESHOLD, Guard
from jobs.goals.service import Actor, audit_change, editable_goal, require_metric, snapshot
from jobs.i18n import _, ngettext
from jobs.metrics.catalog import MetricCatalog
from storage import goals as goal_store
from storage import points as point_store
from storage.models import Goal

log = logging.getLogger("goalpulse.guardrails")

# A goal's guards are read on every evaluation and shown on its digest line: keep them few.
MAX_GUARDS = 5


@dataclass(frozen=True)
class StoredGuard:
    """One guard as a goal stores it: the guard and whether its current breach was told."""

    guard: Guard
    alerted: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON entry in Goal.guardrails."""
        return self.guard.to_dict() | {"alerted": self.alerted}


@dataclass(frozen=True)
class GuardSet:
    """What `set_guard` did: the goal, its new guard, and whether it replaced an older one."""

    goal: Goal
    guard: Guard
    replaced: bool


def read_guards(entries: Sequence[Any]) -> list[StoredGuard]:
    """A goal's stored guards, in order; an entry that cannot be read is logged and left out
    (it never breaches, and the next `guard` of its metric replaces it)."""
    guards = []
    for entry in entries:
        try:
            guard = Guard.from_dict(entry)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("unreadable guardrail %r: %s", entry, exc)
            continue
        guards.append(StoredGuard(guard, alerted=bool(entry.get("alerted", False))))
    return guards


def write_guards(guards: Sequence[StoredGuard]) -> list[dict[str, Any]]:
    """Guards as Goal.guardrails stores them (a new list, so the change is saved)."""
    return [stored.to_dict() for stored in guards]


async def set_guard(
    *,
    session: AsyncSession,
    catalog: MetricCatalog,
    team_id: str,
    channel_id: str,
    actor: Actor,
    metric_key: str,
    guard_metric: str,
    threshold: float | None,
    now: datetime,
) -> GuardSet:
    """Guard the channel's goal on `metric_key` with `guard_metric`; guarding it again replaces
    the guard (a new threshold and baseline, its breach not told yet)."""
    metric = require_metric(catalog, guard_metric)
    if guard_metric == metric_key:
        raise UsageError(
            *phrase(
                _("{key} cannot guard its own goal: name another metric that must not get worse."),
                key=Code(metric_key),
            )
        )
    goal = await _locked(session, team_id, channel_id, metric_key, actor)
    guards = read_guards(goal.guardrails)
    others = [stored for stored in guards if stored.guard.metric_key != guard_metric]
    if len(others) >= MAX_GUARDS:
        raise UsageError(
            *phrase(
                ngettext(
                    "A goal has at most {n} guard; {key} has {guards}. Remove one first.",
                    "A goal has at most {n} guards; {key} has {guards}. Remove one first.",
                    MAX_GUARDS,
                ),
                n=str(MAX_GUARDS),
                key=Code(metric_key),
                guards=joined(Code(stored.guard.metric_key) for stored in others),
            ),
            example=CommandLine("unguard", metric_key, others[0].guard.metric_key),
        )
    guard = Guard(
        metric_key=guard_metric,
        direction=metric.direction,
        threshold=DEFAULT_GUARD_THRESHOLD if threshold is None else threshold,
        baseline=await latest_value(session, team_id=team_id, metric_key=guard_metric),
    )
    before = snapshot(goal)
    goal.guardrails = write_guards([*others, StoredGuard(guard)])
    goal.updated_at = now
    await goal_store.save_goal(session=session, goal=goal)
    await audit_change(session, goal, actor, "goal.guard", before, now)
    return GuardSet(goal, guard, replaced=len(others) < len(guards))


async def remove_guard(
    *,
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    actor: Actor,
    metric_key: str,
    guard_metric: str,
    now: datetime,
) -> Goal:
    """Take `guard_metric` off the goal's guards; NotFoundError when it is not one of them."""
    goal = await _locked(session, team_id, channel_id, metric_key, actor)
    guards = read_guards(goal.guardrails)
    kept = [stored for stored in guards if stored.guard.metric_key != guard_metric]
    if len(kept) == len(guards):
        raise NotFoundError(
            *phrase(
                _("{guard} does not guard the {key} goal (its guards: {guards}).")
                if guards
                else _("{guard} does not guard the {key} goal (it has no guards)."),
                guard=Code(guard_metric),
                key=Code(metric_key),
                guards=joined(Code(stored.guard.metric_key) for stored in guards),
            ),
            example=CommandLine("guard", metric_key, "with", guard_metric, "10%"),
        )
    before = snapshot(goal)
    goal.guardrails = write_guards(kept)
    goal.updated_at = now
    await goal_store.save_goal(session=session, goal=goal)
    await audit_change(session, goal, actor, "goal.unguard", before, now)
    return goal


async def latest_value(session: AsyncSession, *, team_id: str, metric_key: str) -> float | None:
    """The workspace's newest stored value of the metric; None without one."""
    day = await point_store.latest_day(session=session, team_id=team_id, metric_key=metric_key)
    if day is None:
        return None
    points = await point_store.points_since(
        session=session, team_id=team_id, metric_keys=[metric_key], since=day
    )
    return points[0].value if points else None


async def _locked(
    session: AsyncSession, team_id: str, channel_id: str, metric_key: str, actor: Actor
) -> Goal:
    """The goal its editor may change, its row locked (PostgreSQL) so an evaluation storing
    `alerted` at the same moment does not overwrite the change, nor this change it."""
    goal = await editable_goal(session, team_id, channel_id, metric_key, actor)
    await session.refresh(goal, with_for_update=True)
    return goal
