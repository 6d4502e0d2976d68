"""Which days a pull of the datasets recomputes, and dataset metrics kept out of the fetcher."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from jobs.customers.datasets import Datasets
from jobs.customers.pull import first_day
from jobs.metrics.catalog import parse_catalog
from jobs.metrics.sources import SourceFetcher

TODAY = date(2026, 11, 25)
DATASETS = Datasets.model_validate(
    {
        "activity": {"files": "events.csv", "columns": {"user": "u", "at": "t"}},
        "history_days": 90,
        "late_days": 3,
    }
)


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


@pytest.mark.parametrize(
    ("latest", "since"),
    [
        pytest.param([], ago(3), id="no-workspace-yet"),
        pytest.param([None], ago(89), id="first-pull-history"),
        pytest.param([ago(0), None], ago(89), id="a-metric-never-stored"),
        pytest.param([ago(0), ago(0)], ago(3), id="pulled-today"),
        pytest.param([ago(1)], ago(3), id="pulled-yesterday"),
        pytest.param([ago(0), ago(10)], ago(12), id="after-a-gap"),
        pytest.param([ago(200)], ago(89), id="gap-longer-than-history"),
    ],
)
def test_the_window_a_pull_recomputes(latest: list[date | None], since: date) -> None:
    """History on a first pull; the late days and today after; a gap reaches back to cover it."""
    assert first_day(DATASETS, today=TODAY, latest=latest) == since


async def test_the_fetcher_refuses_a_dataset_metric(tmp_path: Path) -> None:
    """A dataset metric is computed with the datasets, never fetched on its own."""
    catalog = parse_catalog(
        {
            "datasets": {"activity": {"files": "events.csv", "columns": {"user": "u", "at": "t"}}},
            "metrics": {"dau": {"source": {"kind": "dataset", "measure": "dau"}}},
        },
        path=tmp_path / "metrics.yml",
    )
    metric = catalog.get("dau")
    assert metric is not None
    fetcher = SourceFetcher(base_dir=tmp_path, env={})
    with pytest.raises(ValueError, match=r"^dau is computed from the datasets"):
        await fetcher.fetch(metric, since=TODAY)
    await fetcher.close()
