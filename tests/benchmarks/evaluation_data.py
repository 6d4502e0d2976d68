"""The evaluation benchmark's data: a reproducible mix of goals on shared metric series, their
90 days of points and a week of earlier evaluations, seeded in bulk (raw executemany on SQLite,
COPY on PostgreSQL)."""

from __future__ import annotations

import asyncio
import math
import os
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import insert

from storage import migrate
from storage.db import Database
from storage.models import Goal

GOALS_PER_SERIES = 5  # goals in as many channels share a workspace's metric series
HISTORY_DAYS = 90  # days of points per series, the evaluated day included
EARLIER_DAYS = 7  # days of earlier evaluations seeded before yesterday's
GOALS_PER_WORKSPACE = 1_000
GOALS_PER_CHANNEL = 20
DAY = date(2025, 6, 30)  # the evaluated day; yesterday is evaluated first, as the bot did
NOW = datetime(2025, 6, 30, 7, 0, tzinfo=UTC)
SEED = 20250630

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class World:
    """Goals (ids 1…n) on metric series (GOALS_PER_SERIES goals each, in different channels),
    and the series' points as a (series, days) grid."""

    team: list[str]  # per series
    metric: list[str]  # per series
    values: Floats  # (series, HISTORY_DAYS), oldest day first, the last column is DAY
    kept: npt.NDArray[np.bool_]  # which of those days have a point
    series: npt.NDArray[np.int64]  # per goal: its series
    channel: list[str]  # per goal
    direction: list[str]  # per goal
    target: Floats  # per goal
    edges: Floats  # (goals, 3): yellow, orange, red

    @property
    def goals(self) -> int:
        return len(self.series)

    def days(self) -> list[date]:
        return [DAY - timedelta(days=HISTORY_DAYS - 1 - n) for n in range(HISTORY_DAYS)]


def make_world(goals: int) -> World:
    """Series drifting into every band for their first goal, both directions (and either),
    with noise, streaks and gaps; the other goals on a series aim a little higher or lower."""
    rng = np.random.default_rng(SEED)
    n, days = goals // GOALS_PER_SERIES, HISTORY_DAYS
    workspaces = max(2, goals // GOALS_PER_WORKSPACE)
    per_workspace = math.ceil(goals / workspaces)
    series_per_workspace = per_workspace // GOALS_PER_SERIES
    direction = rng.choice(["higher", "lower", "either"], n, p=[0.55, 0.3, 0.15])
    kind = rng.choice(4, n, p=[0.55, 0.3, 0.13, 0.02])  # counts, rates, small, negative
    target = np.select(
        [kind == 0, kind == 1, kind == 2],
        [
            rng.uniform(1_000, 200_000, n).round(),
            rng.uniform(0.01, 1.0, n).round(3),
            rng.uniform(5, 100, n).round(1),
        ],
        -rng.uniform(1, 50, n).round(1),
    )
    target[rng.random(n) < 0.003] = 0.0  # a configuration error: invalid
    edges = np.tile([0.1, 0.2, 0.3], (n, 1))

    # Adverse deviation over time: from a start level to an end level in a chosen band.
    band = rng.choice(4, n, p=[0.5, 0.18, 0.14, 0.18])
    low = np.select([band == 0, band == 1, band == 2], [edges[:, 0] - 0.2, *edges[:, :2].T])
    low[band == 3] = edges[band == 3, 2]
    high = np.select([band == 0, band == 1, band == 2], [*edges.T])
    high[band == 3] = edges[band == 3, 2] + 0.25
    end = rng.uniform(low, high)
    start = rng.uniform(-0.1, 0.15, n)
    curve = np.linspace(0.0, 1.0, days)[np.newaxis, :] ** rng.uniform(0.5, 3.0, n)[:, np.newaxis]
    noise = rng.normal(0.0, 1.0, (n, days)) * rng.uniform(0.002, 0.03, n)[:, np.newaxis]
    adverse = start[:, np.newaxis] + (end - start)[:, np.newaxis] * curve + noise
    # A declining streak of 3 to 7 days at the end for some series (trend remediation).
    streak = rng.random(n) < 0.15
    length = rng.integers(3, 8, n)
    for one in np.flatnonzero(streak):
        k = int(length[one])
        steps = np.cumsum(rng.uniform(0.004, 0.02, k))
        adverse[one, -k:] = adverse[one, -k - 1] + steps
    # Exactly on a threshold today for a few.
    on_edge = rng.random(n) < 0.02
    adverse[on_edge, -1] = edges[on_edge, rng.integers(0, 3, int(on_edge.sum()))]

    size = np.abs(target)
    size[size == 0] = 100.0
    sign = np.where(direction == "lower", 1.0, -1.0)
    sign[direction == "either"] = rng.choice([-1.0, 1.0], int((direction == "either").sum()))
    values = target[:, np.newaxis] + sign[:, np.newaxis] * adverse * size[:, np.newaxis]
    values = np.where((kind == 0)[:, np.newaxis], values.round(), values.round(6))

    kept = rng.random((n, days)) > 0.03  # missing days
    stale = rng.random(n) < 0.06  # no point since 3 to 10 days: no_data
    for one in np.flatnonzero(stale):
        kept[one, -int(rng.integers(3, 11)) :] = False

    # Goal i: workspace w, its j-th goal, in channel j // 20, on the workspace's series j % S.
    w, j = np.divmod(np.arange(goals), per_workspace)
    on = w * series_per_workspace + j % series_per_workspace
    channel = [f"C{a + 1:04d}{b // GOALS_PER_CHANNEL:04d}" for a, b in zip(w, j, strict=True)]
    first = j < series_per_workspace  # the series' own target; the others aim elsewhere
    scale = np.where(first, 1.0, rng.uniform(0.85, 1.2, goals))
    goal_target = target[on] * scale
    goal_target = np.where(kind[on] == 0, goal_target.round(), goal_target.round(6))
    goal_edges = np.tile([0.1, 0.2, 0.3], (goals, 1))
    custom = rng.random(goals) < 0.2
    tight = custom & (rng.random(goals) < 0.5)
    goal_edges[tight] = [0.05, 0.1, 0.15]
    goal_edges[custom & ~tight] = [0.15, 0.25, 0.4]
    return World(
        team=[f"T{s // series_per_workspace + 1:04d}" for s in range(n)],
        metric=[f"metric_{s % series_per_workspace:04d}" for s in range(n)],
        values=values.astype(np.float64),
        kept=kept,
        series=on.astype(np.int64),
        channel=channel,
        direction=[str(d) for d in direction[on]],
        target=goal_target.astype(np.float64),
        edges=goal_edges,
    )


def goal_rows(world: World) -> list[dict[str, Any]]:
    return [
        {
            "id": i + 1,
            "team_id": world.team[world.series[i]],
            "channel_id": world.channel[i],
            "metric_key": world.metric[world.series[i]],
            "target": float(world.target[i]),
            "direction": world.direction[i],
            "unit": "count",
            "yellow": float(world.edges[i, 0]),
            "orange": float(world.edges[i, 1]),
            "red": float(world.edges[i, 2]),
            "status": "active",
            "created_by": "U0ANA",
            "owner_id": "U0ANA",
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(world.goals)
    ]


def point_records(world: World, *, as_text: bool) -> Iterator[tuple[Any, ...]]:
    """(team_id, metric_key, day, value, origin, recorded_at) for every series' kept point."""
    days: list[Any] = world.days()
    recorded: Any = NOW
    if as_text:  # how SQLAlchemy stores dates and times in SQLite
        days = [d.isoformat() for d in days]
        recorded = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    values = world.values.tolist()
    kept = world.kept.tolist()
    for i in range(len(world.team)):
        team, key, row, keep = world.team[i], world.metric[i], values[i], kept[i]
        for n in range(HISTORY_DAYS):
            if keep[n]:
                yield (team, key, days[n], row[n], "bench", recorded)


def evaluation_records(world: World, *, as_text: bool) -> Iterator[tuple[Any, ...]]:
    """Earlier evaluations (raw bands, no hysteresis) for the EARLIER_DAYS before yesterday."""
    window = slice(HISTORY_DAYS - 2 - EARLIER_DAYS, HISTORY_DAYS - 2)
    days: list[Any] = world.days()[window]
    evaluated: Any = NOW
    if as_text:
        days = [d.isoformat() for d in days]
        evaluated = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    size = np.abs(world.target)
    usable = size > 0
    values = world.values[world.series, window]
    kept = world.kept[world.series, window].tolist()
    with np.errstate(divide="ignore", invalid="ignore"):
        deviation = (values - world.target[:, np.newaxis]) / size[:, np.newaxis]
    direction = np.array(world.direction)
    adverse = np.where((direction == "higher")[:, np.newaxis], -deviation, deviation)
    adverse = np.where((direction == "either")[:, np.newaxis], np.abs(deviation), adverse)
    rank = (np.round(adverse, 9)[:, :, np.newaxis] >= world.edges[:, np.newaxis, :]).sum(axis=2)
    bands = np.array(["green", "yellow", "orange", "red"])[rank].tolist()
    value_rows, deviations, adverses = values.tolist(), deviation.tolist(), adverse.tolist()
    for i in range(world.goals):
        team, target = world.team[world.series[i]], float(world.target[i])
        for n in range(len(days)):
            if usable[i] and kept[i][n]:
                measured = (value_rows[i][n], days[n], target, deviations[i][n], adverses[i][n])
                yield (i + 1, team, days[n], *measured, bands[i][n], 0, evaluated)
            else:
                band = "no_data" if usable[i] else "invalid"
                yield (i + 1, team, days[n], None, None, target, None, None, band, 0, evaluated)


EVALUATION_COLUMNS = (
    "goal_id",
    "team_id",
    "day",
    "value",
    "value_day",
    "target",
    "deviation",
    "adverse",
    "band",
    "consecutive_adverse",
    "evaluated_at",
)
POINT_COLUMNS = ("team_id", "metric_key", "day", "value", "origin", "recorded_at")


async def seed(url: str, world: World) -> None:
    """Schema, goals, points and earlier evaluations, as fast as each database takes them."""
    database = Database(url)
    try:
        await migrate.upgrade(database)
        async with database.transaction() as session:
            connection = await session.connection()
            await connection.execute(insert(Goal), goal_rows(world))
    finally:
        await database.dispose()
    if url.startswith("sqlite"):
        await asyncio.to_thread(_seed_sqlite, url.split(":///", 1)[1], world)
    else:
        await _seed_postgres(url, world)


def _seed_sqlite(path: str, world: World) -> None:
    points = ", ".join("?" * len(POINT_COLUMNS))
    evaluations = ", ".join("?" * len(EVALUATION_COLUMNS))
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        with connection:
            connection.executemany(
                f"INSERT INTO metric_point ({', '.join(POINT_COLUMNS)}) VALUES ({points})",  # noqa: S608
                point_records(world, as_text=True),
            )
            connection.executemany(
                f"INSERT INTO evaluation ({', '.join(EVALUATION_COLUMNS)}) VALUES ({evaluations})",  # noqa: S608
                evaluation_records(world, as_text=True),
            )
        connection.execute("ANALYZE")
    finally:
        connection.close()


async def _seed_postgres(url: str, world: World) -> None:
    import asyncpg

    connection = await asyncpg.connect(plain_dsn(url))
    try:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "metric_point",
                records=point_records(world, as_text=False),
                columns=list(POINT_COLUMNS),
            )
            await connection.copy_records_to_table(
                "evaluation",
                records=evaluation_records(world, as_text=False),
                columns=list(EVALUATION_COLUMNS),
            )
            await connection.execute(
                "SELECT setval(pg_get_serial_sequence('goal', 'id'), (SELECT max(id) FROM goal))"
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def plain_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def create_postgres(admin_url: str) -> str | None:
    """A fresh database on the server; None (with a note) when the server is unreachable."""
    import asyncpg

    name = f"goalpulse_bench_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(plain_dsn(admin_url), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("GOALPULSE_REQUIRE_POSTGRES") == "1":
            raise
        print(f"  evaluation: PostgreSQL skipped, unreachable: {exc}", file=sys.stderr, flush=True)
        return None
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def drop_postgres(admin_url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(plain_dsn(admin_url), timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
