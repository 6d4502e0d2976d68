"""Dataset metrics end to end: orders and activity as files (CSV and Parquet) or PostgreSQL
tables; goals set on built-in measures through `/goal` get their bands from the first pull; the
scheduler's one datasets job recomputes the late window; a broken dataset is told to its goals'
owners while the other metrics go on."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pandas as pd
import pytest

from bot.cli import main
from bot.settings import Settings
from jobs.scheduler import DATASETS_JOB
from storage import points as point_store
from storage import sources as source_store
from storage.db import Database
from tests.conftest import (
    BOT_TOKEN,
    SIGNING_SECRET,
    _create_postgres_database,
    _drop_postgres_database,
)
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.world import TEAM, World, text_of

START = datetime.combine(datetime.now(UTC).date(), dt_time(9), tzinfo=UTC)  # 10:00 in Berlin
TODAY = START.astimezone(ZoneInfo("Europe/Berlin")).date()
HISTORY = 40  # days of data before today
COHORT = [f"new{n:02}" for n in range(20)]  # first active 7 days ago; 3 of them came back
REGULARS = ["reg0", "reg1"]  # active and buying every day


def moment(day: date, hour: int) -> datetime:
    """A naive UTC timestamp, as exports hold them."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).replace(tzinfo=None)


def activity_rows() -> list[tuple[str, datetime]]:
    rows = [(user, moment(TODAY - timedelta(days=7), 10)) for user in COHORT]
    rows += [(user, moment(TODAY - timedelta(days=2), 10)) for user in COHORT[:3]]
    for n in range(HISTORY + 1):
        rows += [(user, moment(TODAY - timedelta(days=n), 9)) for user in REGULARS]
    return rows


def order_rows() -> list[tuple[str, str, datetime, float, str]]:
    """Two ¥100 orders a day; today also a refunded ¥1,000 one, which counts nowhere."""
    rows = [
        (f"o{n}-{user}", user, moment(TODAY - timedelta(days=n), 8), 100.0, "paid")
        for n in range(HISTORY + 1)
        for user in REGULARS
    ]
    return [*rows, ("refund", "reg0", moment(TODAY, 8), 1000.0, "refunded")]


ORDER_COLUMNS = ["order_id", "customer_id", "placed_at", "total", "status"]
ACTIVITY_COLUMNS = ["user_id", "seen_at"]
COLUMNS = """
    columns: {customer: customer_id, at: placed_at, amount: total, order_id: order_id,
              status: status}
"""
METRICS = """
  activity:
    {activity}
    columns: {{user: user_id, at: seen_at}}
metrics:
  retention_7d:
    title: 7-day retention
    source: {{kind: dataset, measure: retention_7d}}
  orders:
    title: Orders
    source: {{kind: dataset, measure: orders}}
  aov_30d:
    title: 30-day AOV
    currency: "¥"
    source: {{kind: dataset, measure: aov_30d}}
  active_rate_30d:
    source: {{kind: dataset, measure: active_rate_30d}}
  health:
    unit: currency
    currency: "¥"
    formula: active_rate_30d * retention_7d * aov_30d
  visits:
    source: {{kind: csv, path: visits.csv}}
"""


class Shop:
    """The orders and activity datasets, where a test can add a row or break the orders."""

    def __init__(self, folder: Path, postgres: tuple[str, str] | None) -> None:
        self.folder = folder
        self.postgres = postgres  # (asyncpg URL, database name) for the PostgreSQL variant
        self.added: list[tuple[str, str, datetime, float, str]] = []

    def metrics_yml(self) -> str:
        if self.postgres is None:
            orders, activity = "files: orders.csv", "files: activity.parquet"
        else:
            url = self.postgres[0].replace("+asyncpg", "")
            orders = f"sql: {{url: '{url}', table: orders}}"
            activity = f"sql: {{url: '{url}', table: activity}}"
        body = METRICS.format(activity=activity)
        return f"datasets:\n  orders:\n    {orders}\n{COLUMNS}{body}"

    async def write(self) -> None:
        rows = "".join(f"{TODAY - timedelta(days=n)},{1000 + n}\n" for n in range(10))
        (self.folder / "visits.csv").write_text("day,value\n" + rows, encoding="utf-8")
        if self.postgres is None:
            pd.DataFrame(activity_rows(), columns=ACTIVITY_COLUMNS).to_parquet(
                self.folder / "activity.parquet"
            )
            self._write_orders(order_rows())
            return
        async with self._connection() as connection:
            await connection.execute(
                "create table orders (order_id text, customer_id text, placed_at timestamp,"
                " total double precision, status text);"
                "create table activity (user_id text, seen_at timestamp)"
            )
            await connection.executemany("insert into orders values ($1,$2,$3,$4,$5)", order_rows())
            await connection.executemany("insert into activity values ($1,$2)", activity_rows())

    async def add_order(self, order_id: str, day: date) -> None:
        row = (order_id, "reg0", moment(day, 8), 100.0, "paid")
        if self.postgres is None:
            self.added.append(row)
            self._write_orders([*order_rows(), *self.added])
            return
        async with self._connection() as connection:
            await connection.execute("insert into orders values ($1,$2,$3,$4,$5)", *row)

    async def break_orders(self) -> None:
        if self.postgres is None:
            (self.folder / "orders.csv").unlink()
            return
        async with self._connection() as connection:
            await connection.execute("drop table orders")

    def _write_orders(self, rows: list[tuple[str, str, datetime, float, str]]) -> None:
        pd.DataFrame(rows, columns=ORDER_COLUMNS).to_csv(self.folder / "orders.csv", index=False)

    def _connection(self) -> _Connect:
        assert self.postgres is not None
        return _Connect(self.postgres[0].replace("+asyncpg", ""))


class _Connect:
    """`async with`: one asyncpg connection to the shop's database."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def __aenter__(self) -> asyncpg.Connection:
        self.connection = await asyncpg.connect(self.url, timeout=5)
        return self.connection

    async def __aexit__(self, *_: object) -> None:
        await self.connection.close()


@pytest.fixture(params=["files", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def shop(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Shop]:
    """The datasets as a CSV and a Parquet file, or as two tables in a PostgreSQL database."""
    postgres = await _create_postgres_database() if request.param == "postgresql" else None
    shop = Shop(tmp_path, postgres)
    await shop.write()
    yield shop
    if postgres is not None:
        await _drop_postgres_database(postgres[1])


@pytest.fixture
def metrics_path(tmp_path: Path, shop: Shop) -> Path:
    path = tmp_path / "metrics.yml"
    path.write_text(shop.metrics_yml(), encoding="utf-8")
    return path


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot with its real scheduler, on the shop's datasets."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start()
    yield world
    await world.stop()
    await world.database.dispose()


async def point(world: World, metric: str, day: date) -> float | None:
    async with world.database.transaction() as session:
        rows = await point_store.points_since(
            session=session, team_id=TEAM, metric_keys=[metric], since=day
        )
    return next((p.value for p in rows if p.day == day), None)


async def first_day(world: World, metric: str) -> date:
    async with world.database.transaction() as session:
        rows = await point_store.points_since(
            session=session, team_id=TEAM, metric_keys=[metric], since=date(2000, 1, 1)
        )
    return rows[0].day


async def run_datasets_job(world: World) -> None:
    """Make the scheduler run its datasets job now, and wait until the pull is recorded."""
    scheduler = world.bots[0].scheduler
    assert scheduler is not None
    job = scheduler.scheduler.get_job(DATASETS_JOB)
    assert job is not None
    assert str(job.trigger).startswith("cron[")  # the datasets' own cron, 0 6 * * *
    pulls = sorted(job.id for job in scheduler.scheduler.get_jobs() if job.id.startswith("pull:"))
    assert pulls == [DATASETS_JOB, "pull:visits"]  # not one job per dataset metric
    job.modify(next_run_time=datetime.now(tz=scheduler.scheduler.timezone))
    deadline = time.monotonic() + 20
    while True:
        async with world.database.transaction() as session:
            status = await source_store.status_of(session=session, metric_key="orders")
        if status is not None and status.last_attempt_at == world.clock():
            break
        assert time.monotonic() < deadline, "the datasets job did not run"
        await asyncio.sleep(world.tick)
    await world.settle()


async def test_a_goal_on_a_built_in_measure_gets_its_band_at_once(world: World) -> None:
    """`/goal set retention_7d 20%`: 3 of 20 new users came back, 15%, orange; history stored."""
    await world.say("set retention_7d 20%")
    await world.settle()

    follow_up = world.ephemeral_replies()[-1]
    assert "Pulled `retention_7d` just now: 15%" in follow_up
    assert "25% below target" in follow_up
    assert "orange" in follow_up
    assert await point(world, "aov_30d", TODAY) == pytest.approx(100.0)  # the refund left out
    assert await point(world, "health", TODAY) is not None  # the formula on dataset metrics
    assert await first_day(world, "orders") <= TODAY - timedelta(days=HISTORY)


async def test_the_scheduled_pull_recomputes_only_the_late_window(world: World, shop: Shop) -> None:
    """A row arriving for yesterday changes yesterday; one for ten days ago waits for no one."""
    await world.say("set orders 2")
    await world.settle()
    yesterday, old = TODAY - timedelta(days=1), TODAY - timedelta(days=10)
    assert await point(world, "orders", yesterday) == 2
    await shop.add_order("late", yesterday)
    await shop.add_order("too-late", old)

    world.clock.advance(timedelta(hours=1))
    await run_datasets_job(world)

    assert await point(world, "orders", yesterday) == 3
    assert await point(world, "orders", old) == 2


async def test_a_broken_dataset_is_told_and_the_rest_go_on(world: World, shop: Shop) -> None:
    """Orders gone: its goal's owner hears once; activity measures and the CSV metric still pull."""
    await world.say("set orders 2")
    await world.say("set visits 1000")
    await world.settle()
    await shop.break_orders()

    world.clock.advance(timedelta(hours=1))
    results = {r.metric_key: r for r in await world.bots[0].services.engine.pull()}
    await world.settle()

    assert results["orders"].error is not None
    assert results["aov_30d"].error is not None
    assert results["retention_7d"].error is None
    assert results["visits"].error is None
    [dm] = world.dms("U0ANA")
    assert "Orders" in text_of(dm)
    assert "goalpulse check" in text_of(dm)
    async with world.database.transaction() as session:
        failing = await source_store.failing_sources(
            session=session, metric_keys=["orders", "retention_7d", "visits"]
        )
    assert set(failing) == {"orders"}


async def test_check_reads_each_dataset_once(
    shop: Shop,
    database: Database,
    database_url: str,
    fake_slack: FakeSlack,
    metrics_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`goalpulse check`: a line per dataset (days with rows, the latest); its metrics follow."""
    await shop.break_orders()
    monkeypatch.chdir(metrics_path.parent)  # no .env from the repository
    for name in ("SLACK_APP_TOKEN", "PORT", "GOALPULSE_SLACK_POSTS_PER_SECOND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GOALPULSE_METRICS", str(metrics_path))
    monkeypatch.setenv("GOALPULSE_TIMEZONE", "Europe/Berlin")

    status = await asyncio.to_thread(main, ["check"])

    out = capsys.readouterr().out
    lines = {
        check: (state, detail)
        for check, state, detail in (
            re.split(r"\s{2,}", line, maxsplit=2) for line in out.split("\n\n")[0].splitlines()
        )
    }
    assert status == 1
    assert lines["dataset orders"][0] == "FAIL"
    assert "orders" in lines["dataset orders"][1]
    assert lines["dataset activity"] == (
        "OK",
        f"activity on {HISTORY + 1} of 90 days, latest {TODAY.isoformat()} (today)",
    )
    assert lines["metric retention_7d"] == ("OK", "dataset measure retention_7d, from activity")
    assert lines["metric orders"] == ("SKIP", "dataset measure orders, from orders (orders failed)")
    assert lines["metric health"][0] == "SKIP"
    assert lines["metric visits"][0] == "OK"
    assert "1 csv" not in lines["metrics.yml"][1]
    assert "4 dataset" in lines["metrics.yml"][1]
