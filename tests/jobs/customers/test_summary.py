"""customer_summary agrees with the plain reference (reference.py) on every engine — SQLite,
PostgreSQL, DuckDB over CSV and over Parquet files — on random small datasets, and gives the
hand-computed rows of the edge cases; a dataset past the cap or broken is one clear line."""

from __future__ import annotations

import asyncio
import math
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.customers import summary
from jobs.customers.datasets import OrdersDataset
from jobs.customers.local_day import day_of
from jobs.customers.summary import COLUMNS, customer_summary
from jobs.metrics.sources.errors import SourceError
from tests.jobs.customers import backends
from tests.jobs.customers.examples import BASE, EXAMPLES, ZONE
from tests.jobs.customers.reference import Order, Reference
from tests.jobs.customers.reference import customer_summary as reference_summary

Row = tuple[date, date, int, int, float]
"""A customer's summary as (first_day, last_day, order_days, orders, spend)."""

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "csv", "parquet"]


def at(text: str) -> datetime:
    """A naive UTC timestamp."""
    return datetime.fromisoformat(text)


def place(
    engine: str,
    folder: Path,
    rows: list[Order],
    postgres_url: str | None = None,
    *,
    order_ids: bool = True,
    **extra: Any,
) -> OrdersDataset:
    """The orders written for `engine`, and the dataset reading them (metrics.yml in `folder`)."""
    if engine == "sqlite":
        url = backends.write_sqlite(folder / "shop.db", rows, [])
        where: dict[str, Any] = {"sql": {"url": url, "table": "orders"}}
    elif engine == "postgresql":
        assert postgres_url is not None
        table, _ = asyncio.run(backends.write_postgres(postgres_url, rows, []))
        where = {"sql": {"url": postgres_url, "table": table}}
    elif engine == "csv":
        backends.write_csv(folder, rows, [])
        where = {"files": "orders/*.csv"}
    else:
        backends.write_parquet(folder, rows, [])
        where = {"files": "orders.parquet"}
    dataset = backends.datasets(where, {"files": "activity.csv"}, order_ids=order_ids, **extra)
    assert dataset.orders is not None
    return dataset.orders


def summarise(
    orders: OrdersDataset, as_of: date, window_days: int, folder: Path, zone: str = ZONE
) -> pd.DataFrame:
    asked = customer_summary(
        orders, as_of=as_of, window_days=window_days, timezone=zone, base_dir=folder, env={}
    )
    return asyncio.run(asked)


def rows_of(got: pd.DataFrame) -> dict[str, Row]:
    """The summary by customer, days as dates; checks its columns and types on the way."""
    assert tuple(got.columns) == COLUMNS
    assert got["customer"].is_unique
    assert all(isinstance(name, str) for name in got["customer"])
    assert {str(got[name].dtype) for name in COLUMNS[1:5]} == {"int64"}
    assert got["spend"].dtype == "float64"
    return {
        str(customer): (day_of(first), day_of(last), order_days, orders, spend)
        for customer, first, last, order_days, orders, spend in zip(
            *(got[name].tolist() for name in COLUMNS), strict=True
        )
    }


def assert_same(got: dict[str, Row], expected: dict[str, Row]) -> None:
    """Days and counts exactly, spend within 1e-9 relative."""
    assert got.keys() == expected.keys()
    for customer, (*exact, spend) in expected.items():
        *got_exact, got_spend = got[customer]
        assert got_exact == exact, customer
        assert math.isclose(got_spend, spend, rel_tol=1e-9, abs_tol=1e-9), customer


# ---- random datasets against the reference ----------------------------------------------------


def moment(seconds: int, aware: bool) -> datetime:
    """A moment as a naive UTC timestamp, or as a Berlin one with its offset."""
    at = BASE + timedelta(seconds=seconds)
    return at.astimezone(ZoneInfo(ZONE)) if aware else at.replace(tzinfo=None)


# Seven months back from BASE: across the autumn DST change (2023-10-29) as well as the spring
# one, with many moments near local midnight (21:00–02:00 UTC), where a wrong offset shows.
moments = st.builds(
    moment,
    st.one_of(
        st.integers(-200 * 86_400, 50 * 86_400 - 1),
        st.builds(
            lambda day, s: day * 86_400 + s, st.integers(-200, 49), st.integers(75_600, 93_600)
        ),
    ),
    st.booleans(),
)
orders_strategy = st.lists(
    st.builds(
        Order,
        customer=st.sampled_from(["c1", "c2", "c3", "c4", "c5"]),
        at=moments,
        amount=st.integers(0, 20_000).map(lambda cents: cents / 100),
        status=st.sampled_from([None, "paid", "paid", "refunded", "cancelled"]),
        # Some rows without an id: each is an order of its own.
        order_id=st.one_of(st.none(), st.integers(0, 40).map(lambda n: f"o{n}")),
    ),
    max_size=40,
)
examples = st.tuples(
    orders_strategy,
    st.booleans(),  # order ids mapped
    st.integers(-10, 55).map(lambda days: BASE.date() + timedelta(days=days)),  # as of
    st.integers(1, 60),  # window days
)


def expected_of(orders: list[Order], order_ids: bool, as_of: date, window_days: int) -> Any:
    if not order_ids:
        orders = [Order(o.customer, o.at, o.amount, o.status, order_id=None) for o in orders]
    placed = Reference(orders, [], ZoneInfo(ZONE)).placed()
    return {
        customer: (row.first_day, row.last_day, row.order_days, row.orders, row.spend)
        for customer, row in reference_summary(placed, as_of, window_days).items()
    }


def both(engine: str, example: Any, postgres_url: str | None = None) -> tuple[Any, Any]:
    """The engine's summary of the example, and the reference's."""
    orders, order_ids, as_of, window_days = example
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        dataset = place(engine, folder, orders, postgres_url, order_ids=order_ids)
        got = rows_of(summarise(dataset, as_of, window_days, folder))
    return got, expected_of(orders, order_ids, as_of, window_days)


@EXAMPLES
@given(example=examples)
def test_sqlite_agrees_with_the_reference(example: Any) -> None:
    assert_same(*both("sqlite", example))


@pytest.mark.postgres
@EXAMPLES
@given(example=examples)
def test_postgresql_agrees_with_the_reference(postgres_url: str, example: Any) -> None:
    assert_same(*both("postgresql", example, postgres_url))


@EXAMPLES
@given(example=examples)
def test_csv_files_agree_with_the_reference(example: Any) -> None:
    assert_same(*both("csv", example))


@EXAMPLES
@given(example=examples)
def test_parquet_files_agree_with_the_reference(example: Any) -> None:
    assert_same(*both("parquet", example))


# ---- hand-computed edge cases -------------------------------------------------------------------

MARCH_5 = date(2024, 3, 5)
LINES = [
    Order("ana", at("2024-03-03 10:00:00"), 10.0, "paid", "o1"),
    Order("ana", at("2024-03-05 10:00:00"), 5.0, "paid", "o1"),
    Order("ana", at("2024-03-05 11:00:00"), 7.0, "paid", "o2"),
]


def march(day: int) -> date:
    return date(2024, 3, day)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("orders", "zone", "as_of", "window_days", "expected"),
    [
        pytest.param(
            # 23:59 in New York on 15 January is 04:59 UTC on the 16th.
            [Order("ana", at("2024-01-16 04:59:00"), 20.0, "paid", "o1")],
            "America/New_York",
            date(2024, 1, 15),
            1,
            {"ana": (date(2024, 1, 15), date(2024, 1, 15), 1, 1, 20.0)},
            id="23:59-local-is-the-next-day-in-utc",
        ),
        pytest.param(
            [Order("ana", at("2024-01-16 04:59:00"), 20.0, "paid", "o1")],
            "America/New_York",
            date(2024, 1, 14),
            1,
            {},
            id="the-same-order-is-after-the-day-before",
        ),
        pytest.param(
            LINES,
            ZONE,
            MARCH_5,
            2,
            # o1 is one order on 3 March (its first line), outside the 2 days; o2 is in them.
            {"ana": (march(3), march(5), 2, 1, 7.0)},
            id="lines-of-one-order-are-one-order-on-its-first-day",
        ),
        pytest.param(
            LINES,
            ZONE,
            MARCH_5,
            3,
            {"ana": (march(3), march(5), 2, 2, 22.0)},
            id="lines-of-one-order-sum-to-its-amount",
        ),
        pytest.param(
            [
                Order("ana", at("2024-03-05 10:00:00"), 20.0, "paid", "o1"),
                Order("ana", at("2024-03-04 10:00:00"), 500.0, "refunded", "o2"),
                Order("bo", at("2024-03-05 11:00:00"), 500.0, "refunded", "o3"),
                Order("cy", at("2024-03-05 12:00:00"), 70.0, "cancelled", "o4"),
                Order("dee", at("2024-03-05 13:00:00"), 40.0, None, "o5"),
            ],
            ZONE,
            MARCH_5,
            30,
            {
                "ana": (march(5), march(5), 1, 1, 20.0),
                "dee": (march(5), march(5), 1, 1, 40.0),
            },
            id="excluded-statuses-count-nowhere-and-only-refunded-is-absent",
        ),
        pytest.param(
            [
                Order("ana", at("2024-03-01 10:00:00"), 10.0, "paid", "o1"),
                Order("ana", at("2024-03-06 10:00:00"), 30.0, "paid", "o2"),
                Order("bo", at("2024-03-06 10:00:00"), 30.0, "paid", "o3"),
                # 23:30 UTC on the 5th is already the 6th in Berlin.
                Order("cy", at("2024-03-05 23:30:00"), 30.0, "paid", "o4"),
            ],
            ZONE,
            MARCH_5,
            30,
            {"ana": (march(1), march(1), 1, 1, 10.0)},
            id="rows-after-as-of-are-ignored",
        ),
        pytest.param(
            [
                Order("ana", at("2024-03-01 10:00:00"), 1.0, "paid", "o1"),
                Order("ana", at("2024-03-02 10:00:00"), 2.0, "paid", "o2"),
                Order("ana", at("2024-03-05 10:00:00"), 4.0, "paid", "o3"),
                Order("ana", at("2024-03-05 12:00:00"), 8.0, "paid", "o4"),
            ],
            ZONE,
            MARCH_5,
            4,
            # The 4 days are 2–5 March: 1 March counts in the history, not in the window.
            {"ana": (march(1), march(5), 3, 3, 14.0)},
            id="the-window-is-the-days-ending-as-of",
        ),
        pytest.param(
            [Order("ana", at("2023-03-05 10:00:00"), 9.0, "paid", "o1")],
            ZONE,
            MARCH_5,
            365,
            {"ana": (date(2023, 3, 5), date(2023, 3, 5), 1, 0, 0.0)},
            id="no-order-in-the-window-spends-nothing",
        ),
        pytest.param(
            # 22:30 UTC on 10 August is 00:30 on the 11th in Berlin's summer time (+2), not in
            # its winter time (+1) of as_of.
            [
                Order("ana", at("2023-08-10 22:30:00"), 9.0, "paid", "o1"),
                Order("ana", at("2023-08-11 21:30:00"), 9.0, "paid", "o2"),
            ],
            ZONE,
            MARCH_5,
            30,
            {"ana": (date(2023, 8, 11), date(2023, 8, 11), 1, 0, 0.0)},
            id="an-old-order-near-midnight-keeps-its-local-day",
        ),
        pytest.param([], ZONE, MARCH_5, 30, {}, id="no-orders-no-customers"),
    ],
)
def test_hand_computed_summaries(
    engine: str,
    orders: list[Order],
    zone: str,
    as_of: date,
    window_days: int,
    expected: dict[str, Row],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    url = request.getfixturevalue("postgres_url") if engine == "postgresql" else None
    dataset = place(engine, tmp_path, orders, url)
    assert_same(rows_of(summarise(dataset, as_of, window_days, tmp_path, zone)), expected)


TWO_LINES = [
    Order("ana", at("2024-03-04 10:00:00"), 10.0, "paid", "o1"),
    Order("ana", at("2024-03-05 10:00:00"), 5.0, "test", "o1"),
]


@pytest.mark.parametrize("engine", ["sqlite", "csv"])
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param({}, (march(4), march(4), 1, 1, 15.0), id="one-order-of-two-lines"),
        pytest.param(
            {"order_ids": False}, (march(4), march(5), 2, 2, 15.0), id="without-ids-two-orders"
        ),
        pytest.param(
            {"orders": {"exclude_statuses": ["test"]}},
            (march(4), march(4), 1, 1, 10.0),
            id="own-excluded-statuses",
        ),
    ],
)
def test_what_counts_is_configured(
    engine: str, options: dict[str, Any], expected: Row, tmp_path: Path
) -> None:
    dataset = place(engine, tmp_path, TWO_LINES, **options)
    assert_same(rows_of(summarise(dataset, MARCH_5, 30, tmp_path)), {"ana": expected})


# ---- failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["sqlite", "csv"])
def test_more_customers_than_the_cap_is_one_clear_line(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(summary, "MAX_CUSTOMERS", 2)
    orders = [Order(name, at("2024-03-05 10:00:00"), 1.0, "paid", name) for name in "abc"]
    dataset = place(engine, tmp_path, orders)
    with pytest.raises(SourceError) as raised:
        summarise(dataset, MARCH_5, 30, tmp_path)
    assert raised.value.message == (
        "orders dataset: more than 2 customers, the most goalpulse reads at once"
    )
    assert len(summarise(dataset, date(2024, 3, 4), 30, tmp_path)) == 0  # none yet: fine


@pytest.mark.parametrize(
    ("engine", "message"),
    [
        pytest.param(
            "sqlite",
            "orders dataset: query failed on SQLite file {folder}/shop.db: no such column:"
            " orders.amount_cents (OperationalError)",
            id="sqlite",
        ),
        pytest.param(
            "csv", "orders dataset: column 'amount_cents' is missing from orders/*.csv", id="csv"
        ),
    ],
)
def test_a_missing_column_is_one_clear_line(engine: str, message: str, tmp_path: Path) -> None:
    dataset = place(engine, tmp_path, [Order("ana", at("2024-03-05 10:00:00"), 1.0)])
    columns = dataset.columns.model_copy(update={"amount": "amount_cents"})
    broken = dataset.model_copy(update={"columns": columns})
    with pytest.raises(SourceError) as raised:
        summarise(broken, MARCH_5, 30, tmp_path)
    assert raised.value.message == message.format(folder=tmp_path)


def test_a_window_of_no_days_is_refused(tmp_path: Path) -> None:
    dataset = place("sqlite", tmp_path, [])
    with pytest.raises(ValueError, match="window_days must be at least 1, not 0"):
        summarise(dataset, MARCH_5, 0, tmp_path)
