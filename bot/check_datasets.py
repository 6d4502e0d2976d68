"""`goalpulse check`'s customer datasets: each dataset declared under `datasets:` in
metrics.yml is read once (its days with rows and the latest), and each dataset metric is fine
when the datasets its measure needs are."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from bot.check_table import FAIL, OK, SKIP, Line, how_old, plural
from jobs.customers.compute import compute_measures
from jobs.customers.datasets import Datasets
from jobs.customers.measures import MEASURES
from jobs.metrics.catalog import MetricCatalog
from jobs.metrics.sources import SourceError, SourceFetcher

# The measure a dataset's check computes: a count of its rows on each day.
_PROBES = {"orders": "orders", "activity": "dau"}


async def check_datasets(
    datasets: Datasets, fetcher: SourceFetcher, today: date, timezone: str
) -> dict[str, Line]:
    """Each declared dataset read once over its history: the days with rows, the latest."""
    since = today - timedelta(days=datasets.history_days - 1)
    lines = {}
    for name, probe in _PROBES.items():
        if getattr(datasets, name) is None:
            continue
        alone = datasets.model_copy(update={other: None for other in _PROBES if other != name})
        try:
            frame = await compute_measures(
                alone,
                measures=[probe],
                since=since,
                until=today,
                timezone=timezone,
                base_dir=fetcher.base_dir,
                env=fetcher.env,
            )
        except SourceError as exc:
            lines[name] = Line(f"dataset {name}", FAIL, exc.message)
        except Exception as exc:  # one broken dataset never stops the other checks
            lines[name] = Line(f"dataset {name}", FAIL, f"unexpected error ({type(exc).__name__})")
        else:
            lines[name] = _dataset_line(name, frame[probe], today, datasets.history_days)
    return lines


def _dataset_line(name: str, counts: pd.Series, today: date, days: int) -> Line:
    """`orders on 85 of 90 days, latest 2026-11-24 (1 day old)`, or FAIL when there are none."""
    with_rows = counts[counts.fillna(0) > 0]
    if with_rows.empty:
        return Line(f"dataset {name}", FAIL, f"no rows in the last {plural(days, 'day')}")
    latest: date = with_rows.index[-1]
    return Line(
        f"dataset {name}",
        OK,
        f"{name} on {len(with_rows)} of {plural(days, 'day')}, "
        f"latest {latest.isoformat()} ({how_old(today, latest)})",
    )


def dataset_metric_lines(catalog: MetricCatalog, datasets: dict[str, Line]) -> dict[str, Line]:
    """A dataset metric is fine when the datasets its measure needs are."""
    lines = {}
    for metric in catalog:
        if metric.measure is None:
            continue
        needs = MEASURES[metric.measure].needs
        names = ["orders", "activity"] if needs == "both" else [needs]
        broken = [name for name in names if name in datasets and datasets[name].status != OK]
        detail = f"dataset measure {metric.measure}, from {' and '.join(names)}"
        status, note = (SKIP, f" ({' and '.join(broken)} failed)") if broken else (OK, "")
        lines[metric.key] = Line(f"metric {metric.key}", status, detail + note)
    return lines
