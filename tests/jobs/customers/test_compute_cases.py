"""compute_measures on small datasets whose answers are worked out by hand, on SQLite and on
CSV files, and the one-line errors a broken dataset gives."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from jobs.customers.compute import compute_measures
from jobs.customers.datasets import Datasets
from jobs.customers.measures import DAY_MEASURES
from jobs.metrics.sources.errors import SourceError
from tests.jobs.customers import backends
from tests.jobs.customers.reference import Event, Order

NAN = float("nan")
BERLIN = "Europe/Berlin"
ENGINES = ["sqlite", "csv"]


def at(text: str) -> datetime:
    """A naive UTC timestamp."""
    return datetime.fromisoformat(text)


async def measures_on(
    datasets: Datasets,
    day: date,
    folder: Path,
    zone: str = BERLIN,
    measures: Sequence[str] = tuple(DAY_MEASURES),
    **env: str,
) -> Mapping[str, float]:
    got = await compute_measures(
        datasets,
        measures=measures,
        since=day,
        until=day,
        timezone=zone,
        base_dir=folder,
        env=env,
    )
    assert list(got.index) == [day]
    return {name: float(got.at[day, name]) for name in got.columns}


def same(value: float, expected: float) -> bool:
    return math.isnan(value) if math.isnan(expected) else math.isclose(value, expected)


MARCH_5 = date(2024, 3, 5)
ONE_ORDER = Order("ana", at("2024-03-05 10:00:00"), 20.0, "paid", "o1")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("orders", "events", "zone", "day", "expected"),
    [
        pytest.param(
            [ONE_ORDER],
            [],
            BERLIN,
            date(2024, 3, 6),
            {"orders": 0, "gmv": 0, "buyers": 0, "aov": NAN, "aov_30d": 20.0},
            id="a-day-without-orders",
        ),
        pytest.param(
            [
                ONE_ORDER,
                Order("ana", at("2024-03-05 18:00:00"), 30.0, "paid", "o2"),
                Order("ana", at("2024-02-20 09:00:00"), 10.0, "paid", "o3"),
            ],
            [],
            BERLIN,
            MARCH_5,
            {
                "orders": 2,
                "gmv": 50.0,
                "buyers": 1,
                "aov": 25.0,
                "aov_30d": 20.0,  # 60 over 3 orders
                "aov_volatility": 7.5 / 17.5,  # daily aov 10 and 25: mean 17.5, deviation 7.5
                "repeat_purchase_rate": 1.0,
            },
            id="a-single-customer",
        ),
        pytest.param(
            [
                ONE_ORDER,
                Order("bo", at("2024-03-05 11:00:00"), 500.0, "refunded", "o2"),
                Order("cy", at("2024-03-05 12:00:00"), 70.0, "cancelled", "o3"),
                Order("dee", at("2024-03-05 13:00:00"), 40.0, None, "o4"),
            ],
            [],
            BERLIN,
            MARCH_5,
            {"orders": 2, "gmv": 60.0, "buyers": 2, "aov": 30.0, "repeat_purchase_rate": 0.0},
            id="refunds-and-cancellations-count-nowhere",
        ),
        pytest.param(
            [
                ONE_ORDER,
                Order("bo", at("2024-03-05 11:00:00"), 5.0, "paid", None),
                Order("cy", at("2024-03-05 12:00:00"), 7.0, "paid", None),
                Order("cy", at("2024-02-10 12:00:00"), 3.0, "paid", None),
            ],
            [],
            BERLIN,
            MARCH_5,
            {"orders": 3, "gmv": 32.0, "buyers": 3, "repeat_purchase_rate": 1 / 3},
            id="rows-without-an-order-id-are-orders-of-their-own",
        ),
        pytest.param(
            # 23:59 in New York on 15 January is 04:59 UTC on the 16th.
            [Order("ana", at("2024-01-16 04:59:00"), 20.0, "paid", "o1")],
            [Event("ana", at("2024-01-16 04:59:00"))],
            "America/New_York",
            date(2024, 1, 15),
            {"orders": 1, "gmv": 20.0, "dau": 1, "new_users": 1, "user_base": 1},
            id="23:59-local-is-the-next-day-in-utc",
        ),
    ],
)
async def test_hand_computed_measures(
    engine: str,
    orders: list[Order],
    events: list[Event],
    zone: str,
    day: date,
    expected: dict[str, float],
    tmp_path: Path,
) -> None:
    got = await measures_on(
        backends.local_datasets(engine, tmp_path, orders, events), day, tmp_path, zone
    )
    wrong = {name: got[name] for name, want in expected.items() if not same(got[name], want)}
    assert not wrong, f"expected {expected}"


ONCE = [Event("ana", at("2024-03-05 10:00:00")), Event("bo", at("2024-03-01 10:00:00"))]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(
            MARCH_5,
            {"dau": 1, "new_users": 1, "user_base": 2, "active_users_30d": 2, "retention_7d": NAN},
            id="the-day-they-came",
        ),
        pytest.param(
            date(2024, 3, 12),
            {"dau": 0, "new_users": 0, "user_base": 2, "retention_7d": 0.0, "retention_d7": 0.0},
            id="a-week-later-they-did-not-return",
        ),
        pytest.param(
            date(2024, 4, 3),
            {"active_users_30d": 1, "user_base": 2, "active_rate_30d": 0.5},
            id="day-30-still-active-in-30-days",
        ),
        pytest.param(
            date(2024, 4, 4),
            {"active_users_30d": 0, "user_base": 2, "active_rate_30d": 0.0, "dau": 0},
            id="day-31-gone-but-still-in-the-base",
        ),
    ],
)
async def test_a_user_active_only_once(
    engine: str, day: date, expected: dict[str, float], tmp_path: Path
) -> None:
    got = await measures_on(backends.local_datasets(engine, tmp_path, [], ONCE), day, tmp_path)
    wrong = {name: got[name] for name, want in expected.items() if not same(got[name], want)}
    assert not wrong, f"expected {expected}"


@pytest.mark.parametrize("engine", ENGINES)
async def test_an_empty_dataset_counts_zero_and_has_no_ratios(engine: str, tmp_path: Path) -> None:
    got = await measures_on(backends.local_datasets(engine, tmp_path, [], []), MARCH_5, tmp_path)
    counts = {name for name, measure in DAY_MEASURES.items() if measure.unit == "count"}
    assert {name: got[name] for name in counts} == dict.fromkeys(counts, 0.0)
    assert all(math.isnan(got[name]) for name in DAY_MEASURES if name not in counts | {"gmv"})
    assert got["gmv"] == 0.0


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param({}, {"dau": 2, "orders": 2}, id="every-event-and-status"),
        pytest.param(
            {"activity": {"events": ["open"]}}, {"dau": 1, "orders": 2}, id="listed-events-only"
        ),
        pytest.param(
            {"orders": {"exclude_statuses": ["test"]}},
            {"dau": 2, "orders": 1},
            id="own-excluded-statuses",
        ),
    ],
)
async def test_what_counts_is_configured(
    engine: str, extra: dict[str, Any], expected: dict[str, float], tmp_path: Path
) -> None:
    orders = [ONE_ORDER, Order("bo", at("2024-03-05 11:00:00"), 5.0, "test", "o2")]
    events = [
        Event("ana", at("2024-03-05 10:00:00"), "open"),
        Event("bo", at("2024-03-05 10:00:00"), "ping"),
    ]
    datasets = backends.local_datasets(engine, tmp_path, orders, events, **extra)
    got = await measures_on(datasets, MARCH_5, tmp_path)
    assert {name: got[name] for name in expected} == expected


async def test_local_timestamps_are_read_as_local_time(tmp_path: Path) -> None:
    """With `timestamps: local`, 23:30 is 23:30 in Berlin, not 00:30 the next day."""
    orders = [Order("ana", at("2024-03-05 23:30:00"), 20.0, "paid", "o1")]
    local = {"orders": {"timestamps": "local"}}
    as_local = backends.local_datasets("sqlite", tmp_path, orders, [], **local)
    assert (await measures_on(as_local, MARCH_5, tmp_path))["orders"] == 1
    (tmp_path / "shop.db").unlink()
    as_utc = backends.local_datasets("sqlite", tmp_path, orders, [])
    assert (await measures_on(as_utc, MARCH_5, tmp_path))["orders"] == 0


async def test_a_late_row_changes_its_day_when_recomputed(tmp_path: Path) -> None:
    datasets = backends.local_datasets("sqlite", tmp_path, [ONE_ORDER], [])
    before = await measures_on(datasets, MARCH_5, tmp_path)
    with sqlite3.connect(tmp_path / "shop.db") as connection:
        connection.execute(
            "INSERT INTO orders VALUES ('bo', '2024-03-05 15:00:00', 30.0, 'paid', 'o9')"
        )
    connection.close()
    after = await measures_on(datasets, MARCH_5, tmp_path)
    assert (before["orders"], before["gmv"], before["buyers"]) == (1, 20.0, 1)
    assert (after["orders"], after["gmv"], after["buyers"]) == (2, 50.0, 2)


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
async def test_a_missing_column_is_one_clear_line(
    engine: str, message: str, tmp_path: Path
) -> None:
    datasets = backends.local_datasets(engine, tmp_path, [ONE_ORDER], [])
    orders = datasets.orders
    assert orders is not None
    columns = orders.columns.model_copy(update={"amount": "amount_cents"})
    broken = datasets.model_copy(update={"orders": orders.model_copy(update={"columns": columns})})
    with pytest.raises(SourceError) as raised:
        await measures_on(broken, MARCH_5, tmp_path)
    assert raised.value.message == message.format(folder=tmp_path)


async def test_no_matching_files_is_one_clear_line(tmp_path: Path) -> None:
    datasets = backends.datasets({"files": "missing/*.parquet"}, {"files": "activity.csv"})
    with pytest.raises(SourceError) as raised:
        await measures_on(datasets, MARCH_5, tmp_path, measures=["orders"])
    assert raised.value.message == (
        f"orders dataset: no parquet files match {tmp_path}/missing/*.parquet"
    )


@pytest.mark.postgres
async def test_a_database_error_never_shows_the_password(postgres_url: str) -> None:
    order_table, _ = await backends.write_postgres(postgres_url, [ONE_ORDER], [])
    with_password = postgres_url.replace("postgresql://postgres@", "postgresql://postgres:s3cr3t@")
    datasets = Datasets.model_validate(
        {
            "orders": {
                "sql": {"url": "${SHOP_DB}", "table": order_table},
                "columns": {"customer": "customer", "at": "at", "amount": "no_such_column"},
            }
        }
    )
    with pytest.raises(SourceError) as raised:
        await measures_on(datasets, MARCH_5, Path.cwd(), measures=["gmv"], SHOP_DB=with_password)
    shown = with_password.replace("postgresql://", "postgresql+asyncpg://").replace("s3cr3t", "***")
    assert raised.value.message == (
        f"orders dataset: query failed on {shown}: column {order_table}.no_such_column does not"
        " exist (UndefinedColumnError)"
    )
