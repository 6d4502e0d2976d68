"""Evaluation: 20,000 goals with 90 days of points each, on SQLite and on PostgreSQL.

Each database is seeded with goals across several workspaces and channels (each goal on its
own metric, so 1.8 million points), a mix of every band, declining streaks, missing days,
stale series, both directions, and 88 days of earlier evaluations (the history the hysteresis
query reads). Seeding is bulk (raw executemany on SQLite, COPY on PostgreSQL) and not measured.

The measuring runs in a child process that plays the bot process: it imports the bot's
modules, evaluates yesterday (as the bot did, which also gives today's previous bands), then
times the whole `jobs.evaluation.service.evaluate` step for today (read, classify, store) and the
`classify` call inside it, and reports its peak resident memory (VmHWM). A last pass captures
the frames the step hands to `classify`; they are classified six more times (the figure is the
median of the seven runs).

The baseline is the per-goal Python reference (`tests/jobs/reference_evaluation.py`) run here
on those same frames: gathering each goal's points, then the rules goal by goal (the median of
three runs). It must agree with `classify` on every goal, or the benchmark fails. Both are
single-threaded; their CPU times are printed beside the wall times the figures use.

    python -m tests.benchmarks.evaluation [--size full|tiny] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import pickle
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import insert

from jobs.evaluation.classify import COLUMNS
from storage import migrate
from storage.db import Database
from storage.models import Goal
from tests.benchmarks.report import Figure, Size

SIZES = {Size.FULL: 20_000, Size.TINY: 200}  # goals
HISTORY_DAYS = 90  # days of points per goal, the evaluated day included
GOALS_PER_WORKSPACE = 1_000
GOALS_PER_CHANNEL = 20
CLASSIFY_RUNS = 7  # the classification figure is the median of this many runs
BASELINE_RUNS = 3  # and the per-goal baseline's, of this many
DAY = date(2025, 6, 30)  # the evaluated day; yesterday is evaluated first, as the bot did
NOW = datetime(2025, 6, 30, 7, 0, tzinfo=UTC)
SEED = 20250630
ROOT = Path(__file__).resolve().parents[2]
COMPARED = COLUMNS  # every column classify returns

Floats = npt.NDArray[np.float64]


# --------------------------------------------------------------------------------------------
# The data: a reproducible mix of goals and their 90 days of points.


@dataclass(frozen=True)
class World:
    """Goals (ids 1…n, one metric series each) and their points as an (n, days) grid."""

    team: list[str]
    channel: list[str]
    metric: list[str]
    direction: list[str]
    target: Floats
    edges: Floats  # (n, 3): yellow, orange, red
    values: Floats  # (n, HISTORY_DAYS), oldest day first, the last column is DAY
    kept: npt.NDArray[np.bool_]  # which of those days have a point

    @property
    def goals(self) -> int:
        return len(self.team)

    def days(self) -> list[date]:
        return [DAY - timedelta(days=HISTORY_DAYS - 1 - n) for n in range(HISTORY_DAYS)]


def make_world(goals: int) -> World:
    """Goals in every band, both directions (and either), with noise, streaks and gaps."""
    rng = np.random.default_rng(SEED)
    n, days = goals, HISTORY_DAYS
    workspaces = max(2, goals // GOALS_PER_WORKSPACE)
    per_workspace = math.ceil(goals / workspaces)
    team, channel, metric = [], [], []
    for i in range(n):
        w, j = divmod(i, per_workspace)
        team.append(f"T{w + 1:04d}")
        channel.append(f"C{w + 1:04d}{j // GOALS_PER_CHANNEL:04d}")
        metric.append(f"metric_{j:04d}")
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
    custom = rng.random(n) < 0.2
    tight = custom & (rng.random(n) < 0.5)
    edges[tight] = [0.05, 0.1, 0.15]
    edges[custom & ~tight] = [0.15, 0.25, 0.4]

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
    # A declining streak of 3 to 7 days at the end for some goals (trend remediation).
    streak = rng.random(n) < 0.15
    length = rng.integers(3, 8, n)
    for goal in np.flatnonzero(streak):
        k = int(length[goal])
        steps = np.cumsum(rng.uniform(0.004, 0.02, k))
        adverse[goal, -k:] = adverse[goal, -k - 1] + steps
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
    for goal in np.flatnonzero(stale):
        kept[goal, -int(rng.integers(3, 11)) :] = False
    return World(
        team=team,
        channel=channel,
        metric=metric,
        direction=[str(d) for d in direction],
        target=target.astype(np.float64),
        edges=edges,
        values=values.astype(np.float64),
        kept=kept,
    )


def goal_rows(world: World) -> list[dict[str, Any]]:
    return [
        {
            "id": i + 1,
            "team_id": world.team[i],
            "channel_id": world.channel[i],
            "metric_key": world.metric[i],
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
    """(team_id, metric_key, day, value, origin, recorded_at) for every kept point."""
    days: list[Any] = world.days()
    recorded: Any = NOW
    if as_text:  # how SQLAlchemy stores dates and times in SQLite
        days = [d.isoformat() for d in days]
        recorded = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    values = world.values.tolist()
    kept = world.kept.tolist()
    for i in range(world.goals):
        team, key, row, keep = world.team[i], world.metric[i], values[i], kept[i]
        for n in range(HISTORY_DAYS):
            if keep[n]:
                yield (team, key, days[n], row[n], "bench", recorded)


def evaluation_records(world: World, *, as_text: bool) -> Iterator[tuple[Any, ...]]:
    """Earlier evaluations (raw bands, no hysteresis) for every day before yesterday."""
    days: list[Any] = world.days()
    evaluated: Any = NOW
    if as_text:
        days = [d.isoformat() for d in days]
        evaluated = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    size = np.abs(world.target)
    usable = size > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        deviation = (world.values - world.target[:, np.newaxis]) / size[:, np.newaxis]
    direction = np.array(world.direction)
    adverse = np.where((direction == "higher")[:, np.newaxis], -deviation, deviation)
    adverse = np.where((direction == "either")[:, np.newaxis], np.abs(deviation), adverse)
    rank = (np.round(adverse, 9)[:, :, np.newaxis] >= world.edges[:, np.newaxis, :]).sum(axis=2)
    colours = np.array(["green", "yellow", "orange", "red"])[rank]
    values, deviations, adverses = world.values.tolist(), deviation.tolist(), adverse.tolist()
    bands, kept = colours.tolist(), world.kept.tolist()
    for i in range(world.goals):
        team, target = world.team[i], float(world.target[i])
        for n in range(HISTORY_DAYS - 2):
            if usable[i] and kept[i][n]:
                measured = (values[i][n], days[n], target, deviations[i][n], adverses[i][n])
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

    connection = await asyncpg.connect(_plain_dsn(url))
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


def _plain_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


# --------------------------------------------------------------------------------------------
# The child: the bot process, measured.


async def child(url: str, frames_path: Path) -> dict[str, Any]:
    """Evaluate yesterday, then today (measured), then capture the frames `classify` gets."""
    import bot.runtime  # noqa: F401 - the bot's modules, so the memory baseline is the bot's
    from jobs.evaluation import service as step
    from jobs.evaluation.classify import classify

    timings: list[tuple[float, float]] = []  # (wall, CPU) seconds of each classify call
    captured: dict[str, Any] = {}
    capturing = False

    def observed(goals: pd.DataFrame, points: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
        """classify as the step calls it, timed; its inputs and result kept when asked."""
        started, cpu = time.perf_counter(), time.thread_time()
        result = classify(goals, points, **kwargs)
        timings.append((time.perf_counter() - started, time.thread_time() - cpu))
        if capturing:
            captured.update(goals=goals, points=points, kwargs=kwargs, result=result)
        return result

    database = Database(url)
    try:
        with _replaced(step, "classify", observed):
            started = time.perf_counter()
            await step.evaluate(database=database, day=DAY - timedelta(days=1), now=NOW)
            yesterday = time.perf_counter() - started
            started = time.perf_counter()
            rows = await step.evaluate(database=database, day=DAY, now=NOW)
            elapsed = time.perf_counter() - started
            peak_mb = peak_rss_mb()
            runs = [timings[-1]]
            capturing = True
            await step.evaluate(database=database, day=DAY, now=NOW)
    finally:
        await database.dispose()
    for _ in range(CLASSIFY_RUNS - 1):
        started, cpu = time.perf_counter(), time.thread_time()
        classify(captured["goals"], captured["points"], **captured["kwargs"])
        runs.append((time.perf_counter() - started, time.thread_time() - cpu))
    with frames_path.open("wb") as out:
        pickle.dump(captured, out, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "rows": len(rows),
        "yesterday_s": yesterday,
        "step_s": elapsed,
        "classify_s": [wall for wall, _ in runs],
        "classify_cpu_s": [cpu for _, cpu in runs],
        "peak_rss_mb": peak_mb,
        "bands": dict(Counter(row["band"] for row in rows)),
    }


@contextmanager
def _replaced(module: Any, name: str, value: Any) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MB.

    Not getrusage's ru_maxrss: Linux carries that across exec, so a child forked from a big
    harness would report the harness's size.
    """
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str, folder: Path) -> dict[str, Any]:
    """Run the child on the seeded database; its JSON report plus the captured frames."""
    frames = folder / f"frames-{uuid.uuid4().hex[:8]}.pickle"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.benchmarks.evaluation",
        "--child",
        url,
        "--frames",
        str(frames),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the measuring process failed (exit {process.returncode})")
    report: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    with frames.open("rb") as saved:
        report["frames"] = pickle.load(saved)  # noqa: S301 - written by our own child
    frames.unlink()
    return report


# --------------------------------------------------------------------------------------------
# The baseline: the plain per-goal reference, which must agree on every goal.


@dataclass(frozen=True)
class Baseline:
    """Seconds the per-goal Python baseline took: grouping the points by goal, then the rules
    (wall time), and both together in CPU time."""

    grouping: float
    rules: float
    cpu: float

    @property
    def total(self) -> float:
        return self.grouping + self.rules


def baseline(frames: dict[str, Any]) -> Baseline:
    """The per-goal reference on the frames the step gave `classify`; raises on any disagreement.

    Timed (the median of BASELINE_RUNS runs): what a per-goal implementation does from the
    same rows, i.e. gather each goal's points, then apply the rules goal by goal. Not timed:
    turning the frames' columns into Python values (dates, floats, dicts).
    """
    from tests.jobs.reference_evaluation import reference_classify

    goals: list[dict[str, Any]] = frames["goals"].to_dict("records")
    points: pd.DataFrame = frames["points"]
    kwargs: dict[str, Any] = frames["kwargs"]
    rows = list(
        zip(
            points["goal_id"].tolist(),
            pd.to_datetime(points["day"]).dt.date.tolist(),
            points["value"].tolist(),
            strict=True,
        )
    )
    runs: list[tuple[float, float, float]] = []
    for _ in range(BASELINE_RUNS):
        gc.collect()
        started, cpu = time.perf_counter(), time.thread_time()
        histories: dict[int, list[tuple[date, float]]] = {}
        for goal_id, day, value in rows:
            history = histories.get(goal_id)
            if history is None:
                history = histories[goal_id] = []
            history.append((day, value))
        grouped = time.perf_counter()
        expected = [
            reference_classify(goal, histories.get(goal["goal_id"], []), **kwargs) for goal in goals
        ]
        runs.append((grouped - started, time.perf_counter() - grouped, time.thread_time() - cpu))

    got = frames["result"].to_dict("records")
    if len(got) != len(expected):
        raise AssertionError(f"classify returned {len(got)} rows for {len(expected)} goals")
    mismatches = []
    for ours, want in zip(got, expected, strict=True):
        ours = {key: _plain(value) for key, value in ours.items()}
        wrong = [key for key in COMPARED if not same(ours[key], want[key])]
        if wrong:
            mismatches.append((want["goal_id"], {k: (ours[k], want[k]) for k in wrong}))
    if mismatches:
        raise AssertionError(
            f"classify disagrees with the per-goal reference on {len(mismatches)} of "
            f"{len(expected)} goals, e.g. {mismatches[:3]}"
        )
    walls = [grouping + rules for grouping, rules, _ in runs]
    grouping, rules, _ = runs[walls.index(statistics.median(walls))]  # (an odd number of runs)
    return Baseline(grouping, rules, cpu=statistics.median(cpu for _, _, cpu in runs))


def same(left: Any, right: Any) -> bool:
    """As in tests/jobs/test_evaluate.py: floats close (rel 1e-9, abs 1e-12), NaN equals NaN."""
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    return bool(left == right) and type(left) is type(right)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------------------------
# The run.


async def run(size: Size, *, postgres_url: str | None) -> list[Figure]:
    """Figures for the evaluate step, classification alone (beside the reference) and memory."""
    goals = SIZES[size]
    judged = size is Size.FULL
    world = make_world(goals)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        targets = [("sqlite", f"sqlite+aiosqlite:///{root / 'evaluation.db'}")]
        database_name = None
        if postgres_url:
            database_name = await _create_postgres(postgres_url)
            if database_name is not None:
                base = postgres_url.rsplit("/", 1)[0]
                targets.append(("postgresql", f"{base}/{database_name}"))
        try:
            for dialect, url in targets:
                started = time.perf_counter()
                await seed(url, world)
                seeded = time.perf_counter() - started
                report = await measure(url, root)
                _note(f"{dialect}: seeded in {seeded:.0f} s; {_describe(report)}")
                figures += _figures(dialect, goals, report, judged=judged)
        finally:
            if database_name is not None and postgres_url:
                await _drop_postgres(postgres_url, database_name)
    return figures


def _figures(dialect: str, goals: int, report: dict[str, Any], *, judged: bool) -> list[Figure]:
    classify_s = statistics.median(report["classify_s"])
    classify_cpu = statistics.median(report["classify_cpu_s"])
    reference = baseline(report.pop("frames"))
    _note(
        f"{dialect}: classify {_ms(report['classify_s'])}; per-goal Python "
        f"{reference.total:.3f} s (grouping {reference.grouping:.3f} s, "
        f"rules {reference.rules:.3f} s), agrees on all {report['rows']:,} goals; "
        f"in CPU time: classify {classify_cpu * 1000:.0f} ms, per-goal {reference.cpu:.3f} s, "
        f"{reference.cpu / classify_cpu:.1f}×"
    )
    label = f"{goals / 1000:g}k" if goals >= 1000 else str(goals)
    return [
        Figure(
            "evaluation",
            f"evaluate step (read, classify, store) — {dialect}",
            report["step_s"],
            "s",
            target="< 10 s",
            limit=10,
            judged=judged,
        ),
        Figure(
            "evaluation",
            f"classification alone — {dialect}",
            classify_s,
            "s",
            "per-goal Python",
            reference.total,
            target="< 1 s",
            limit=1,
            judged=judged,
        ),
        Figure(
            "evaluation",
            f"classification speed-up over per-goal Python — {dialect}",
            reference.total / classify_s,
            "×",
            target="≥ 20×",
            limit=20,
            higher_is_better=True,
            judged=judged,
        ),
        Figure(
            "memory",
            f"peak RSS, evaluation of {label} goals ({dialect})",
            report["peak_rss_mb"],
            "MB",
            target="< 300 MB",
            limit=300,
            judged=judged,
        ),
    ]


def _ms(seconds: list[float]) -> str:
    return "runs " + ", ".join(f"{s * 1000:.0f}" for s in seconds) + " ms"


def _describe(report: dict[str, Any]) -> str:
    bands = ", ".join(f"{band} {count:,}" for band, count in sorted(report["bands"].items()))
    return f"yesterday's evaluation {report['yesterday_s']:.1f} s; bands today: {bands}"


def _note(text: str) -> None:
    print(f"  evaluation: {text}", file=sys.stderr, flush=True)


async def _create_postgres(admin_url: str) -> str | None:
    """A fresh database on the server; None (with a note) when the server is unreachable."""
    import asyncpg

    name = f"goalpulse_bench_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(_plain_dsn(admin_url), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("GOALPULSE_REQUIRE_POSTGRES") == "1":
            raise
        _note(f"PostgreSQL skipped, unreachable: {exc}")
        return None
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def _drop_postgres(admin_url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(_plain_dsn(admin_url), timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=[s.value for s in Size], default=Size.FULL.value)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "GOALPULSE_BENCH_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
        help="an admin URL; a database is created and dropped on it ('' to skip)",
    )
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--frames", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.frames))))
        return
    from tests.benchmarks.report import table

    print(table(asyncio.run(run(Size(args.size), postgres_url=args.postgres_url or None))))


if __name__ == "__main__":
    main()
