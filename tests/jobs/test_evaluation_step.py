"""The evaluate step on SQLite and PostgreSQL: the right goals, their own points, stored once."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.evaluation.classify import EvaluationPolicy
from jobs.evaluation.service import evaluate
from storage import evaluations as evaluation_store
from storage import points as point_store
from storage.db import Database
from storage.models import RESULT_FIELDS, Evaluation, Goal
from storage.points import DailyValue
from tests.jobs.reference_evaluation import reference_classify

DAY = date(2025, 6, 30)
NOW = datetime(2025, 6, 30, 7, 0, tzinfo=UTC)
POLICY = EvaluationPolicy()
STORED = RESULT_FIELDS

# (team, channel, metric, target, direction, status, previous band on DAY - 2)
GOALS = [
    ("T1", "C1", "dau", 1000.0, "higher", "active", None),
    ("T1", "C1", "churn", 0.02, "lower", "active", "red"),
    ("T1", "C1", "nps", 40.0, "either", "active", "orange"),
    ("T1", "C2", "dau", 1200.0, "higher", "active", "yellow"),  # shares T1's dau series
    ("T1", "C2", "paused", 10.0, "higher", "paused", None),
    ("T1", "C2", "empty", 10.0, "higher", "active", None),  # no points at all
    ("T1", "C3", "zero", 0.0, "higher", "active", None),
    ("T2", "C1", "dau", 1000.0, "higher", "active", "red"),  # T2's own dau series
    ("T2", "C9", "stale", 50.0, "lower", "active", None),
]


def series(rng: random.Random, metric: str, team: str) -> list[DailyValue]:
    """About 60 days of a drifting value with gaps; 'stale' stops five days early."""
    base = {"dau": 950.0 if team == "T1" else 600.0, "churn": 0.023, "nps": 36.0}.get(metric, 9.0)
    last = 5 if metric == "stale" else 0
    values = []
    value = base
    for ago in range(60, last - 1, -1):
        value *= 1 + rng.gauss(-0.003, 0.01)
        if rng.random() < 0.1:
            continue
        values.append(DailyValue(DAY - timedelta(days=ago), round(value, 4)))
    return values


async def seed(database: Database) -> dict[int, tuple[Any, ...]]:
    """The goals above, their points, and earlier evaluations; goals by id."""
    rng = random.Random(7)
    async with database.transaction() as session:
        for team, channel, metric, target, direction, status, _ in GOALS:
            await session.exec(
                insert(Goal).values(
                    team_id=team,
                    channel_id=channel,
                    metric_key=metric,
                    target=target,
                    direction=direction,
                    unit="count",
                    status=status,
                    created_by="U1",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        for team, metric in sorted({(g[0], g[2]) for g in GOALS if g[2] != "empty"}):
            await point_store.upsert_points(
                session=session,
                team_id=team,
                metric_key=metric,
                values=series(rng, metric, team),
                origin="test",
                now=NOW,
            )
        goals = (await session.exec(select(Goal).order_by(col(Goal.id)))).all()
        by_id = {}
        for goal, spec in zip(goals, GOALS, strict=True):
            assert goal.id is not None
            by_id[goal.id] = spec
            if spec[6] is not None:  # an older band, then the one hysteresis must use
                for ago, band in ((9, "green"), (2, spec[6])):
                    await session.exec(
                        insert(Evaluation).values(
                            goal_id=goal.id,
                            team_id=spec[0],
                            day=DAY - timedelta(days=ago),
                            target=spec[3],
                            band=band,
                            evaluated_at=NOW,
                        )
                    )
    return by_id


async def expected(
    database: Database, by_id: dict[int, tuple[Any, ...]], day: date
) -> dict[int, dict[str, Any]]:
    """What the per-goal reference says for every active goal, from the stored points."""
    results = {}
    async with database.transaction() as session:
        for goal_id, (team, _, metric, target, direction, status, previous) in by_id.items():
            if status != "active":
                continue
            points = await point_store.points_since(
                session=session, team_id=team, metric_keys=[metric], since=day - timedelta(35)
            )
            goal = {
                "goal_id": goal_id,
                "target": target,
                "direction": direction,
                "yellow": 0.1,
                "orange": 0.2,
                "red": 0.3,
                "previous_band": previous,
            }
            history = [(p.day, p.value) for p in points if p.day <= day]
            results[goal_id] = reference_classify(goal, history, day=day, policy=POLICY)
    return results


def same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    return bool(left == right)


def stored_as(want: dict[str, Any]) -> dict[str, Any]:
    """The reference's result as the step stores it: NaN as None."""
    return {
        key: None if isinstance(want[key], float) and math.isnan(want[key]) else want[key]
        for key in STORED
    }


async def stored(database: Database, day: date) -> dict[int, dict[str, Any]]:
    async with database.transaction() as session:
        rows = (await session.exec(select(Evaluation).where(Evaluation.day == day))).all()
    return {row.goal_id: {key: getattr(row, key) for key in STORED} for row in rows}


async def test_every_active_goal_is_stored_as_the_rules_say(database: Database) -> None:
    """Each active goal on its own workspace's series, with hysteresis from its latest band."""
    by_id = await seed(database)
    want = await expected(database, by_id, DAY)
    rows = await evaluate(database=database, day=DAY, now=NOW)

    assert [row["goal_id"] for row in rows] == sorted(want)
    for row in rows:
        assert row["day"] == DAY
        assert row["team_id"] == by_id[row["goal_id"]][0]
        assert row["evaluated_at"] == NOW
        reference = stored_as(want[row["goal_id"]])
        wrong = {k: (row[k], reference[k]) for k in STORED if not same(row[k], reference[k])}
        assert not wrong, (by_id[row["goal_id"]], wrong)
    saved = await stored(database, DAY)
    assert saved == {row["goal_id"]: {k: row[k] for k in STORED} for row in rows}
    bands = {by_id[row["goal_id"]][:3]: row["band"] for row in rows}
    assert bands[("T1", "C2", "empty")] == "no_data"
    assert bands[("T2", "C9", "stale")] == "no_data"
    assert bands[("T1", "C3", "zero")] == "invalid"
    assert {row["band"] for row in rows} >= {"green", "no_data", "invalid"}


async def test_rerunning_a_day_changes_nothing(database: Database) -> None:
    """The second run of a day overwrites its rows with the same results, adds none."""
    await seed(database)
    first = await evaluate(database=database, day=DAY, now=NOW)
    before = await stored(database, DAY)
    second = await evaluate(database=database, day=DAY, now=NOW + timedelta(hours=1))
    assert [{k: r[k] for k in STORED} for r in first] == [{k: r[k] for k in STORED} for r in second]
    assert await stored(database, DAY) == before


async def test_narrowed_to_a_workspace_a_channel_or_metrics(database: Database) -> None:
    """Only the asked goals are evaluated and stored."""
    by_id = await seed(database)

    def ids(**wanted: str) -> list[int]:
        fields = {"team": 0, "channel": 1, "metric": 2}
        return [
            goal_id
            for goal_id, spec in by_id.items()
            if spec[5] == "active" and all(spec[fields[k]] == v for k, v in wanted.items())
        ]

    team = await evaluate(database=database, day=DAY, now=NOW, team_id="T2")
    assert [row["goal_id"] for row in team] == ids(team="T2")
    channel = await evaluate(database=database, day=DAY, now=NOW, team_id="T1", channel_id="C2")
    assert [row["goal_id"] for row in channel] == ids(team="T1", channel="C2")
    metric = await evaluate(database=database, day=DAY, now=NOW, metric_keys=["dau"])
    assert [row["goal_id"] for row in metric] == ids(metric="dau")
    none = await evaluate(database=database, day=DAY, now=NOW, metric_keys=["unknown"])
    assert none == []
    assert set(await stored(database, DAY)) == set(ids(team="T2")) | set(
        ids(team="T1", channel="C2")
    ) | set(ids(metric="dau"))


async def previous_bands(
    *, session: AsyncSession, goal_ids: list[int], before: date
) -> dict[int, str]:
    """Each goal's band on its latest evaluated day before `before`, by the rule
    goals_to_evaluate uses (storage/evaluations.py `band_before`), for any goal status."""
    statement = select(col(Goal.id), evaluation_store.band_before(before)).where(
        col(Goal.id).in_(goal_ids)
    )
    rows = (await session.exec(statement)).all()
    return {goal_id: band for goal_id, band in rows if goal_id is not None and band is not None}


async def test_previous_bands_are_the_latest_before_the_day(database: Database) -> None:
    """Hysteresis reads each goal's band on its latest evaluated day before the one evaluated."""
    by_id = await seed(database)
    async with database.transaction() as session:
        bands = await previous_bands(session=session, goal_ids=list(by_id), before=DAY)
        before_old = await previous_bands(
            session=session, goal_ids=list(by_id), before=DAY - timedelta(days=5)
        )
        goals = await evaluation_store.goals_to_evaluate(session=session, before=DAY)
    assert bands == {goal_id: spec[6] for goal_id, spec in by_id.items() if spec[6] is not None}
    assert before_old == dict.fromkeys(bands, "green")
    assert {g[0]: g[8] for g in goals} == {
        goal_id: spec[6] for goal_id, spec in by_id.items() if spec[5] == "active"
    }
