"""Pulling metrics into the database: good sources are stored even when another one is broken."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from jobs.digest.build import build_digest
from jobs.evaluation.service import evaluate
from jobs.goals.service import Actor, GoalChange, set_goal
from jobs.metrics.catalog import MetricCatalog, parse_catalog
from jobs.metrics.pull import pull
from jobs.metrics.sources import SourceFetcher
from jobs.metrics.sources.errors import failure_kind
from storage import points as point_store
from storage import sources as source_store
from storage.db import Database

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
TEAM = "T1"


async def _yes() -> bool:
    return True


def write_csv(path: Path, rows: list[tuple[date, object]]) -> None:
    path.write_text("day,value\n" + "".join(f"{d.isoformat()},{v}\n" for d, v in rows))


def catalog_in(folder: Path, broken: str) -> MetricCatalog:
    days = [TODAY - timedelta(days=n) for n in range(9, -1, -1)]
    write_csv(folder / "dau.csv", [(d, 120_000) for d in days])
    write_csv(folder / "active.csv", [(d, 0.5) for d in days])
    write_csv(folder / "retention.csv", [(d, 0.2) for d in days])
    write_csv(folder / "aov.csv", [(d, 100) for d in days])
    write_csv(folder / "broken.csv", [(d, "n/a" if broken == "garbage" else 1) for d in days])
    broken_source = {
        "garbage": {"kind": "csv", "path": "broken.csv"},
        "missing-file": {"kind": "csv", "path": "nowhere.csv"},
        "missing-column": {"kind": "csv", "path": "broken.csv", "value_column": "rate"},
        "unreachable-http": {"kind": "http", "url": "http://127.0.0.1:9/api", "timeout_seconds": 1},
    }[broken]
    document = {
        "metrics": {
            "dau": {"source": {"kind": "csv", "path": "dau.csv"}},
            "conversion_rate": {"unit": "percent", "source": broken_source},
            "active_rate_30d": {"unit": "percent", "source": {"kind": "csv", "path": "active.csv"}},
            "retention_7d": {"unit": "percent", "source": {"kind": "csv", "path": "retention.csv"}},
            "aov": {"unit": "currency", "source": {"kind": "csv", "path": "aov.csv"}},
            "health_index": {"unit": "ratio", "formula": "active_rate_30d * retention_7d * aov"},
        }
    }
    return parse_catalog(document, path=folder / "metrics.yml")


@pytest.mark.parametrize(
    "broken", ["garbage", "missing-file", "missing-column", "unreachable-http"]
)
async def test_broken_source_is_recorded_and_others_carry_on(
    database: Database, tmp_path: Path, broken: str
) -> None:
    """A broken source is a recorded failure shown in the digest; the other metrics are stored."""
    catalog = catalog_in(tmp_path, broken)
    async with database.transaction() as session:
        for key, target in (
            ("dau", 150_000.0),
            ("conversion_rate", 0.03),
            ("aov", 100.0),
            ("active_rate_30d", 0.5),
            ("retention_7d", 0.2),
        ):
            await set_goal(
                session=session,
                catalog=catalog,
                team_id=TEAM,
                channel_id="C1",
                actor=Actor("U1", _yes),
                change=GoalChange(key, target),
                now=NOW,
            )
    fetcher = SourceFetcher(base_dir=tmp_path, env={})
    try:
        results = await pull(
            database=database, fetcher=fetcher, catalog=catalog, today=TODAY, now=NOW
        )
    finally:
        await fetcher.close()
    by_key = {r.metric_key: r for r in results}
    assert by_key["conversion_rate"].error is not None
    assert by_key["conversion_rate"].error.startswith("conversion_rate:")
    assert by_key["dau"].days == 10
    assert by_key["health_index"].days == 10
    await evaluate(database=database, day=TODAY, now=NOW)
    async with database.transaction() as session:
        failing = await source_store.failing_sources(
            session=session, metric_keys=["conversion_rate", "dau"]
        )
        health = await point_store.points_since(
            session=session, team_id=TEAM, metric_keys=["health_index"], since=TODAY
        )
        digest = await build_digest(
            session=session,
            catalog=catalog,
            team_id=TEAM,
            channel_id="C1",
            local_date=TODAY,
            timezone="UTC",
            day=TODAY,
        )
    assert set(failing) == {"conversion_rate"}
    assert health[0].value == pytest.approx(0.5 * 0.2 * 100)
    assert digest is not None
    lines = {line.metric_key: line for line in digest.lines}
    assert lines["dau"].band == "orange"
    assert lines["aov"].band == "green"
    # The digest names the failure's kind; the full line stays in source_status for admins.
    assert lines["conversion_rate"].source_error == failure_kind(by_key["conversion_rate"].error)
    assert lines["conversion_rate"].band == "no_data"
    assert digest.health is not None
    assert digest.health.value == pytest.approx(10.0)


async def test_a_fixed_source_clears_its_failure(database: Database, tmp_path: Path) -> None:
    """Once the source works again, the failure is cleared."""
    catalog = catalog_in(tmp_path, "garbage")
    async with database.transaction() as session:
        await set_goal(
            session=session,
            catalog=catalog,
            team_id=TEAM,
            channel_id="C1",
            actor=Actor("U1", _yes),
            change=GoalChange("conversion_rate", 0.03),
            now=NOW,
        )
    fetcher = SourceFetcher(base_dir=tmp_path, env={})
    try:
        first = await pull(
            database=database,
            fetcher=fetcher,
            catalog=catalog,
            today=TODAY,
            now=NOW,
            metric_keys=["conversion_rate"],
        )
        write_csv(tmp_path / "broken.csv", [(TODAY, 0.03)])
        second = await pull(
            database=database,
            fetcher=fetcher,
            catalog=catalog,
            today=TODAY,
            now=NOW,
            metric_keys=["conversion_rate"],
        )
    finally:
        await fetcher.close()
    assert first[0].new_failure
    assert second[0].error is None
    async with database.transaction() as session:
        assert (
            await source_store.failing_sources(session=session, metric_keys=["conversion_rate"])
            == {}
        )
