"""After an evaluation: check each guarded goal's guards and queue the breach alerts.

For every freshly evaluated goal with guardrails (jobs/goals/guardrails.py), each guard metric's
latest value up to the day is judged by check_guards (jobs/evaluation/guardrails.py) against
the goal's new band. A guard's first value sets its baseline when it had none. An `alert`
queues ONE outbox row, kind `guard_alert`, keyed

    guard:{goal id}:{guard metric}:{day}

(sent by jobs/outbox/guard_alerts.py), and `alerted` is stored back in the same transaction as
`(alerted or alert) and not cleared`, so the next evaluation does not tell it again until the
guard has recovered. The goals' rows are locked while this is decided (PostgreSQL), so two
processes evaluating at once, or a `guard` command meanwhile, cannot undo each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.evaluation.guardrails import Guard, GuardCheck, check_guards
from jobs.goals.guardrails import StoredGuard, read_guards, write_guards
from storage import goals as goal_store
from storage import outbox
from storage import points as point_store
from storage.db import Database
from storage.models import Goal, OutboxMessage

GUARD_ALERT = "guard_alert"
# How far back a guard metric's latest value is looked for.
LOOKBACK_DAYS = 35


def guard_alert_key(goal_id: int, guard_metric: str, day: date) -> str:
    """The alert's run key: one per goal, guard metric and evaluated day."""
    return f"guard:{goal_id}:{guard_metric}:{day.isoformat()}"


async def check_guardrails(
    *, database: Database, rows: Sequence[Mapping[str, Any]], day: date, now: datetime
) -> int:
    """Check the guards of the goals in these stored evaluation rows; returns how many alerts
    were queued."""
    bands = {int(row["goal_id"]): str(row["band"]) for row in rows}
    if not bands:
        return 0
    teams = {str(row["team_id"]) for row in rows}
    team_id = next(iter(teams)) if len(teams) == 1 else None
    async with database.transaction() as session:
        found = await goal_store.guarded_goals(session=session, team_id=team_id)
        wanted = [goal.id for goal in found if goal.id in bands]
        if not wanted:
            return 0
        goals = await goal_store.guarded_goals(session=session, goal_ids=wanted, lock=True)
        values = await latest_guard_values(session, goals, day)
        queued: list[OutboxMessage] = []
        for goal in goals:
            assert goal.id is not None
            guards = read_guards(goal.guardrails)
            kept, alerts = judge(guards, values.get(goal.team_id, {}), band=bands[goal.id])
            queued += [_alert_row(goal, stored.guard, check, day, now) for stored, check in alerts]
            if kept != guards:
                goal.guardrails = write_guards(kept)
                await goal_store.save_goal(session=session, goal=goal)
        return await outbox.enqueue(session=session, messages=queued)


def judge(
    guards: Sequence[StoredGuard], values: Mapping[str, float], *, band: str
) -> tuple[list[StoredGuard], list[tuple[StoredGuard, GuardCheck]]]:
    """The guards as they are to be stored (first baselines set, `alerted` updated) and the
    ones to announce, each with its check. Pure."""
    with_baselines = [
        _with_baseline(stored, values.get(stored.guard.metric_key)) for stored in guards
    ]
    checks = check_guards(
        [stored.guard for stored in with_baselines],
        values,
        goal_band=band,
        alerted={stored.guard.metric_key: stored.alerted for stored in with_baselines},
    )
    kept = [
        StoredGuard(stored.guard, alerted=(stored.alerted or check.alert) and not check.cleared)
        for stored, check in zip(with_baselines, checks, strict=True)
    ]
    alerts = [(stored, check) for stored, check in zip(kept, checks, strict=True) if check.alert]
    return kept, alerts


def _with_baseline(stored: StoredGuard, value: float | None) -> StoredGuard:
    """A guard without a baseline takes its metric's first value as one (nothing breaches it
    yet); any other is as it was."""
    if stored.guard.baseline is not None or value is None:
        return stored
    guard = stored.guard
    fresh = Guard(guard.metric_key, guard.direction, guard.threshold, baseline=value)
    return StoredGuard(fresh, alerted=False)


async def latest_guard_values(
    session: AsyncSession, goals: Sequence[Goal], day: date
) -> dict[str, dict[str, float]]:
    """Each workspace's latest value, up to `day`, of its goals' guard metrics."""
    keys: defaultdict[str, set[str]] = defaultdict(set)
    for goal in goals:
        keys[goal.team_id] |= {stored.guard.metric_key for stored in read_guards(goal.guardrails)}
    latest: defaultdict[str, dict[str, tuple[date, float]]] = defaultdict(dict)
    for team_id, metric_keys in keys.items():
        rows = await point_store.point_rows(
            session=session,
            team_ids=[team_id],
            metric_keys=sorted(metric_keys),
            since=day - timedelta(days=LOOKBACK_DAYS),
            until=day,
        )
        for team, key, point_day, value in rows:
            known = latest[team].get(key)
            if known is None or point_day > known[0]:
                latest[team][key] = (point_day, value)
    return {
        team: {key: value for key, (_, value) in found.items()} for team, found in latest.items()
    }


def _alert_row(
    goal: Goal, guard: Guard, check: GuardCheck, day: date, now: datetime
) -> OutboxMessage:
    """The outbox row that tells the goal's owner and lead about one breach."""
    assert goal.id is not None
    return OutboxMessage(
        run_key=guard_alert_key(goal.id, guard.metric_key, day),
        team_id=goal.team_id,
        goal_id=goal.id,
        kind=GUARD_ALERT,
        payload={
            "guard_metric": guard.metric_key,
            "baseline": guard.baseline,
            "value": check.value,
            "change": check.change,
            "threshold": guard.threshold,
            "day": day.isoformat(),
        },
        due_at=now,
        created_at=now,
        result={},
    )
