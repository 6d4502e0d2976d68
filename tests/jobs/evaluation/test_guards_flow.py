"""Guards checked after each evaluation (jobs/evaluation/guards_flow.py), on a real database:
a breach while the goal is on track queues one alert, told once until the guard recovers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from jobs.evaluation.guards_flow import GUARD_ALERT, guard_alert_key
from jobs.evaluation.service import evaluate
from jobs.goals import guardrails as guard_service
from jobs.goals.guardrails import read_guards
from jobs.goals.service import Actor
from jobs.metrics.catalog import load_catalog
from storage import points as point_store
from storage.db import Database
from storage.models import Goal, OutboxMessage
from storage.points import DailyValue
from tests.support.rows import stored

TEAM, CHANNEL, OWNER = "T0001", "C0GROWTH", "U0ANA"
START = date(2026, 11, 23)
CATALOG = load_catalog(Path(__file__).parents[2] / "support" / "metrics.yml")


async def not_admin() -> bool:
    return False


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


async def put(database: Database, metric_key: str, day: date, value: float) -> None:
    async with database.transaction() as session:
        await point_store.upsert_points(
            session=session,
            team_id=TEAM,
            metric_key=metric_key,
            values=[DailyValue(day, value)],
            origin="test",
            now=noon(day),
        )


async def guarded_goal(database: Database, *, baseline: float | None = 0.02) -> int:
    """A goal on aov (target ¥500, higher is better) guarded by complaint_rate (lower is
    better, 10 %), whose latest value when the guard is set is `baseline`."""
    if baseline is not None:
        await put(database, "complaint_rate", START, baseline)
    async with database.transaction() as session:
        goal = await stored(
            session,
            Goal(
                team_id=TEAM,
                channel_id=CHANNEL,
                metric_key="aov",
                target=500.0,
                direction="higher",
                unit="currency",
                owner_id=OWNER,
                created_by=OWNER,
                created_at=noon(START),
                updated_at=noon(START),
            ),
        )
        await guard_service.set_guard(
            session=session,
            catalog=CATALOG,
            team_id=TEAM,
            channel_id=CHANNEL,
            actor=Actor(OWNER, not_admin),
            metric_key="aov",
            guard_metric="complaint_rate",
            threshold=None,
            now=noon(START),
        )
    assert goal.id is not None
    return goal.id


async def day_of(database: Database, day: date, *, aov: float, complaints: float | None) -> str:
    """Store the day's values, evaluate it, and return the goal's band."""
    await put(database, "aov", day, aov)
    if complaints is not None:
        await put(database, "complaint_rate", day, complaints)
    [row] = await evaluate(database=database, day=day, now=noon(day))
    return str(row["band"])


async def alerts(database: Database) -> list[OutboxMessage]:
    async with database.transaction() as session:
        statement = select(OutboxMessage).where(OutboxMessage.kind == GUARD_ALERT)
        return list((await session.exec(statement.order_by(col(OutboxMessage.id)))).all())


async def alerted(database: Database, goal_id: int) -> bool:
    async with database.transaction() as session:
        goal = await session.get(Goal, goal_id)
        assert goal is not None
        [guard] = read_guards(goal.guardrails)
    return guard.alerted


def day(n: int) -> date:
    return START + timedelta(days=n)


async def test_a_breach_while_on_track_is_told_once_until_the_guard_recovers(
    database: Database,
) -> None:
    """2.0% → 2.7% while aov is green: one alert; the same breach the next day: none; back to
    2.0%, then 3.0%: a second one."""
    goal_id = await guarded_goal(database)

    assert await day_of(database, day(1), aov=520, complaints=0.027) == "green"
    [first] = await alerts(database)
    assert first.run_key == guard_alert_key(goal_id, "complaint_rate", day(1))
    assert first.goal_id == goal_id
    assert first.payload["baseline"] == pytest.approx(0.02)
    assert first.payload["value"] == pytest.approx(0.027)
    assert first.payload["change"] == pytest.approx(0.35)
    assert await alerted(database, goal_id)

    await day_of(database, day(2), aov=520, complaints=0.028)
    await day_of(database, day(2), aov=520, complaints=0.028)  # evaluated again: nothing new
    assert len(await alerts(database)) == 1

    await day_of(database, day(3), aov=520, complaints=0.02)
    assert len(await alerts(database)) == 1
    assert not await alerted(database, goal_id)

    await day_of(database, day(4), aov=520, complaints=0.03)
    keys = [row.run_key for row in await alerts(database)]
    assert keys == [
        guard_alert_key(goal_id, "complaint_rate", day(1)),
        guard_alert_key(goal_id, "complaint_rate", day(4)),
    ]


async def test_a_breach_while_the_goal_is_orange_is_not_told_until_it_is_on_track(
    database: Database,
) -> None:
    """aov 20 % under target (orange) with complaints 50 % up: its own escalation speaks, no
    guard alert; back on track with the breach still there: the alert goes then."""
    goal_id = await guarded_goal(database)

    assert await day_of(database, day(1), aov=400, complaints=0.03) == "orange"
    assert await alerts(database) == []
    assert not await alerted(database, goal_id)

    assert await day_of(database, day(2), aov=520, complaints=0.03) == "green"
    [row] = await alerts(database)
    assert row.run_key == guard_alert_key(goal_id, "complaint_rate", day(2))


async def test_a_hover_under_the_clear_line_does_not_tell_again(database: Database) -> None:
    """Alerted at +35 %; at +9 % it is no longer breached but not cleared (over 8 %), so
    +12 % the day after is the same breach: nothing new."""
    goal_id = await guarded_goal(database)
    await day_of(database, day(1), aov=520, complaints=0.027)
    await day_of(database, day(2), aov=520, complaints=0.0218)
    assert await alerted(database, goal_id)
    await day_of(database, day(3), aov=520, complaints=0.0224)
    assert len(await alerts(database)) == 1


async def test_a_guard_without_a_baseline_takes_its_first_value(database: Database) -> None:
    """Set before complaint_rate had any value: the first value is the baseline (no alert),
    and 30 % worse than it later is a breach."""
    goal_id = await guarded_goal(database, baseline=None)
    async with database.transaction() as session:
        goal = await session.get(Goal, goal_id)
        assert goal is not None
        assert read_guards(goal.guardrails)[0].guard.baseline is None

    await day_of(database, day(1), aov=520, complaints=0.05)
    assert await alerts(database) == []
    async with database.transaction() as session:
        goal = await session.get(Goal, goal_id)
        assert goal is not None
        assert read_guards(goal.guardrails)[0].guard.baseline == pytest.approx(0.05)

    await day_of(database, day(2), aov=520, complaints=0.065)
    assert len(await alerts(database)) == 1


async def test_no_value_of_the_guard_metric_breaches_nothing(database: Database) -> None:
    """A guard metric with no value in the lookback is not breached, whatever the goal does."""
    await guarded_goal(database, baseline=None)
    await day_of(database, day(1), aov=520, complaints=None)
    assert await alerts(database) == []
