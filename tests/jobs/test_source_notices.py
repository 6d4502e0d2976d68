"""What a pull queues for a source that starts failing or works again: one DM per workspace and
owner, written with the pull's outcome, however often and from however many processes it runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from jobs.metrics.catalog import MetricCatalog, parse_catalog
from jobs.metrics.pull import pull
from jobs.metrics.source_notices import Source, affected_metrics, dataset_sources
from jobs.metrics.sources import SourceFetcher
from storage.db import Database
from storage.models import Goal, OutboxMessage
from tests.jobs.test_pull import TODAY, write_csv
from tests.support.rows import stored

NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
SINCE = NOW.isoformat()


def catalog_in(folder: Path) -> MetricCatalog:
    """dau from a CSV; per_k and per_m computed from it (per_m through per_k); aov apart."""
    write_csv(folder / "dau.csv", [(TODAY - timedelta(days=n), 120_000) for n in range(5)])
    write_csv(folder / "aov.csv", [(TODAY, 100)])
    document = {
        "metrics": {
            "dau": {"source": {"kind": "csv", "path": "dau.csv"}},
            "per_k": {"formula": "dau / 1000"},
            "per_m": {"formula": "per_k / 1000"},
            "aov": {"unit": "currency", "source": {"kind": "csv", "path": "aov.csv"}},
        }
    }
    return parse_catalog(document, path=folder / "metrics.yml")


async def add_goal(
    database: Database,
    team: str,
    channel: str,
    metric: str,
    owner: str | None,
    *,
    created_by: str = "U0SETTER",
    status: str = "active",
) -> int:
    async with database.transaction() as session:
        goal = await stored(
            session,
            Goal(
                team_id=team,
                channel_id=channel,
                metric_key=metric,
                target=1.0,
                direction="higher",
                unit="count",
                owner_id=owner,
                status=status,
                created_by=created_by,
                created_at=NOW,
                updated_at=NOW,
            ),
        )
    assert goal.id is not None
    return goal.id


async def pull_dau(database: Database, catalog: MetricCatalog, folder: Path, now: datetime) -> None:
    fetcher = SourceFetcher(base_dir=folder, env={})
    try:
        await pull(
            database=database,
            fetcher=fetcher,
            catalog=catalog,
            today=TODAY,
            now=now,
            metric_keys=["dau"],
        )
    finally:
        await fetcher.close()


async def queued(database: Database) -> dict[str, int]:
    """Every outbox row's run key, with the goal it hangs on."""
    async with database.transaction() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return {row.run_key: row.goal_id for row in rows}


def test_affected_metrics_follow_formulas_through_formulas(tmp_path: Path) -> None:
    """A source's goals are those on it and on any formula computed from it, at any depth."""
    catalog = catalog_in(tmp_path)
    assert affected_metrics(catalog, "dau") == ["dau", "per_k", "per_m"]
    assert affected_metrics(catalog, "aov") == ["aov"]


async def test_a_failure_queues_one_dm_per_workspace_and_owner_once(
    database: Database, tmp_path: Path
) -> None:
    """Each owner of an active goal on the source (or on a formula from it) gets one row per
    workspace, hung on their oldest such goal; repeated failures queue nothing more."""
    catalog = catalog_in(tmp_path)
    ana_dau = await add_goal(database, "T1", "C1", "dau", "U0ANA")
    await add_goal(database, "T1", "C2", "per_m", "U0ANA")
    li_per_k = await add_goal(database, "T1", "C1", "per_k", None, created_by="U0LI")
    await add_goal(database, "T1", "C1", "per_m", "U0BOB", status="paused")
    await add_goal(database, "T1", "C1", "aov", "U0MEI")
    ana_other = await add_goal(database, "T2", "C9", "per_k", "U0ANA")
    await pull_dau(database, catalog, tmp_path, NOW - timedelta(hours=1))
    assert await queued(database) == {}

    (tmp_path / "dau.csv").unlink()
    for hours in range(3):
        await pull_dau(database, catalog, tmp_path, NOW + timedelta(hours=hours))
    assert await queued(database) == {
        f"source-down:T1:dau:{SINCE}:U0ANA": ana_dau,
        f"source-down:T1:dau:{SINCE}:U0LI": li_per_k,
        f"source-down:T2:dau:{SINCE}:U0ANA": ana_other,
    }


async def test_recovery_is_queued_for_whoever_was_told_and_only_once(
    database: Database, tmp_path: Path
) -> None:
    """The pull that ends a failure queues a recovery row for each failure row, and no more:
    a goal set during the failure was not told, so its owner hears nothing."""
    catalog = catalog_in(tmp_path)
    ana = await add_goal(database, "T1", "C1", "dau", "U0ANA")
    (tmp_path / "dau.csv").unlink()
    await pull_dau(database, catalog, tmp_path, NOW)
    await add_goal(database, "T1", "C1", "per_k", "U0LI")
    catalog = catalog_in(tmp_path)  # the file is back
    later = NOW + timedelta(hours=5)
    for hours in range(2):
        await pull_dau(database, catalog, tmp_path, later + timedelta(hours=hours))
    assert await queued(database) == {
        f"source-down:T1:dau:{SINCE}:U0ANA": ana,
        f"source-up:T1:dau:{SINCE}:U0ANA": ana,
    }

    (tmp_path / "dau.csv").unlink()
    again = later + timedelta(days=1)
    await pull_dau(database, catalog, tmp_path, again)
    assert f"source-down:T1:dau:{again.isoformat()}:U0LI" in await queued(database)


async def test_two_processes_failing_together_queue_each_dm_once(
    database: Database, tmp_path: Path
) -> None:
    """Two processes pulling the same broken source at once: one of them starts the failure."""
    catalog = catalog_in(tmp_path)
    await add_goal(database, "T1", "C1", "dau", "U0ANA")
    (tmp_path / "dau.csv").unlink()
    other = Database(database.url)
    try:
        for hours in range(3):  # the second process's clock runs a second late
            now = NOW + timedelta(hours=hours)
            await asyncio.gather(
                pull_dau(database, catalog, tmp_path, now),
                pull_dau(other, catalog, tmp_path, now + timedelta(seconds=1)),
            )
    finally:
        await other.dispose()
    [down] = await queued(database)
    assert down.startswith("source-down:T1:dau:")


DATASET_CATALOG = parse_catalog(
    {
        "datasets": {
            "orders": {"files": "o.csv", "columns": {"customer": "c", "at": "t", "amount": "a"}},
            "activity": {"files": "a.csv", "columns": {"user": "u", "at": "t"}},
        },
        "metrics": {
            "dau": {"source": {"kind": "dataset", "measure": "dau"}},
            "gmv": {"source": {"kind": "dataset", "measure": "gmv"}},
            "health": {"source": {"kind": "dataset", "measure": "health_index"}},
            "orders": {"source": {"kind": "dataset", "measure": "orders"}},
        },
    },
    path=Path("metrics.yml"),
)
ORDERS = "orders dataset: no csv files match o.csv"
ACTIVITY = "activity dataset: no csv files match a.csv"


@pytest.mark.parametrize(
    ("errors", "sources"),
    [
        pytest.param(
            {"orders": ORDERS, "gmv": ORDERS, "health": ORDERS},
            [Source("dataset-orders", ("gmv", "health", "orders"), ("orders",))],
            id="orders-broken",
        ),
        pytest.param(
            {"dau": ACTIVITY, "health": ACTIVITY, "gmv": ORDERS, "orders": ORDERS},
            [
                Source("dataset-activity", ("dau", "health"), ("activity",)),
                Source("dataset-orders", ("gmv", "orders"), ("orders",)),
            ],
            id="both-broken",
        ),
        pytest.param(
            {"health": ACTIVITY},
            [Source("dataset-orders-activity", ("health",), ("orders", "activity"))],
            id="only-a-metric-of-both",
        ),
        pytest.param(
            {key: "datasets: time zone 'X' is not known" for key in ("dau", "gmv")},
            [Source("dataset-orders-activity", ("dau", "gmv"), ("orders", "activity"))],
            id="one-error-for-all",
        ),
    ],
)
def test_a_dataset_failure_is_one_source(errors: dict[str, str], sources: list[Source]) -> None:
    """Metrics failing with one error are one failure, named by the datasets they all need."""
    assert dataset_sources(DATASET_CATALOG, errors) == sources
