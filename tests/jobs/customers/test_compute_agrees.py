"""compute_measures agrees with the plain reference (reference.py) for every measure and every
day, on every engine: SQLite, PostgreSQL, DuckDB over CSV and over Parquet files.

The random datasets are small: a few customers and users, timestamps over ~50 days around the
spring DST change in Europe/Berlin, many near local midnight, some long before the window,
refunds, repeated orders and order lines sharing an id.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.customers.compute import compute_measures
from jobs.customers.datasets import Datasets
from jobs.customers.measures import DAY_MEASURES
from tests.jobs.customers import backends
from tests.jobs.customers.examples import BASE, EXAMPLES, ZONE
from tests.jobs.customers.reference import Event, Order, Reference, Value

SINCE, UNTIL = date(2024, 3, 25), date(2024, 4, 14)
DAYS = [SINCE + timedelta(days=n) for n in range((UNTIL - SINCE).days + 1)]


def _moment(seconds: int, aware: bool) -> datetime:
    """A moment as a naive UTC timestamp, or as a Berlin one with its offset."""
    at = BASE + timedelta(seconds=seconds)
    return at.astimezone(ZoneInfo(ZONE)) if aware else at.replace(tzinfo=None)


moments = st.builds(
    _moment,
    st.one_of(
        st.integers(0, 50 * 86_400 - 1),
        # 21:00–02:00 UTC: local midnight in Berlin in winter (23:00) and summer (22:00).
        st.builds(lambda day, s: day * 86_400 + s, st.integers(0, 49), st.integers(75_600, 93_600)),
        st.integers(-120 * 86_400, -1),
    ),
    st.booleans(),
)
orders_strategy = st.lists(
    st.builds(
        Order,
        customer=st.sampled_from(["c1", "c2", "c3", "c4"]),
        at=moments,
        amount=st.integers(0, 20_000).map(lambda cents: cents / 100),
        status=st.sampled_from([None, "paid", "paid", "refunded", "cancelled"]),
        # Some rows without an id: each is an order of its own.
        order_id=st.one_of(st.none(), st.integers(0, 40).map(lambda n: f"o{n}")),
    ),
    max_size=40,
)
events_strategy = st.lists(
    st.builds(
        Event,
        user=st.sampled_from(["u1", "u2", "u3", "u4", "u5", "u6"]),
        at=moments,
        event=st.sampled_from(["open", "click"]),
    ),
    max_size=60,
)


@dataclass(frozen=True)
class Example:
    orders: list[Order]
    events: list[Event]
    order_ids: bool

    def reference(self) -> dict[str, dict[date, Value]]:
        if self.order_ids:
            return Reference(self.orders, self.events, ZoneInfo(ZONE)).measures(DAYS)
        unnamed = [Order(o.customer, o.at, o.amount, o.status, order_id=None) for o in self.orders]
        return Reference(unnamed, self.events, ZoneInfo(ZONE)).measures(DAYS)


examples = st.builds(Example, orders_strategy, events_strategy, st.booleans())


def compute(datasets: Datasets, base_dir: Path) -> pd.DataFrame:
    return asyncio.run(
        compute_measures(
            datasets,
            measures=list(DAY_MEASURES),
            since=SINCE,
            until=UNTIL,
            timezone=ZONE,
            base_dir=base_dir,
            env={},
        )
    )


def assert_agrees(got: pd.DataFrame, expected: dict[str, dict[date, Value]]) -> None:
    """Counts exactly, money and ratios within 1e-9 relative; no value is NaN."""
    assert list(got.index) == DAYS
    wrong = []
    for name, measure in DAY_MEASURES.items():
        for day in DAYS:
            value, want = float(got.at[day, name]), expected[name][day]
            if want is None:
                same = math.isnan(value)
            elif measure.unit == "count":
                same = value == want
            else:
                same = math.isclose(value, want, rel_tol=1e-9, abs_tol=1e-12)
            if not same:
                wrong.append(f"{name} on {day}: got {value}, expected {want}")
    assert not wrong, "\n".join(wrong[:20])


@EXAMPLES
@given(example=examples)
def test_sqlite_agrees_with_the_reference(example: Example) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = backends.write_sqlite(Path(folder) / "shop.db", example.orders, example.events)
        datasets = backends.datasets(
            {"sql": {"url": url, "table": "orders"}},
            {"sql": {"url": url, "table": "activity"}},
            order_ids=example.order_ids,
        )
        assert_agrees(compute(datasets, Path(folder)), example.reference())


@pytest.mark.postgres
@EXAMPLES
@given(example=examples)
def test_postgresql_agrees_with_the_reference(postgres_url: str, example: Example) -> None:
    order_table, event_table = asyncio.run(
        backends.write_postgres(postgres_url, example.orders, example.events)
    )
    datasets = backends.datasets(
        {"sql": {"url": postgres_url, "table": order_table}},
        {"sql": {"url": postgres_url, "table": event_table}},
        order_ids=example.order_ids,
    )
    assert_agrees(compute(datasets, Path.cwd()), example.reference())


@EXAMPLES
@given(example=examples)
def test_csv_files_agree_with_the_reference(example: Example) -> None:
    with tempfile.TemporaryDirectory() as folder:
        backends.write_csv(Path(folder), example.orders, example.events)
        datasets = backends.datasets(
            {"files": "orders/*.csv"}, {"files": "activity.csv"}, order_ids=example.order_ids
        )
        assert_agrees(compute(datasets, Path(folder)), example.reference())


@EXAMPLES
@given(example=examples)
def test_parquet_files_agree_with_the_reference(example: Example) -> None:
    with tempfile.TemporaryDirectory() as folder:
        backends.write_parquet(Path(folder), example.orders, example.events)
        datasets = backends.datasets(
            {"files": "orders.parquet"}, {"files": "activity.parquet"}, order_ids=example.order_ids
        )
        assert_agrees(compute(datasets, Path(folder)), example.reference())
