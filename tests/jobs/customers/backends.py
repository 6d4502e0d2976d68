"""Rows written where datasets live — a SQLite file, a PostgreSQL database, CSV or Parquet
files — and the `datasets:` section that points at them."""

from __future__ import annotations

import csv
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pyarrow as pa
import pyarrow.parquet as pq

from jobs.customers.datasets import Datasets
from tests.jobs.customers.reference import Event, Order

ORDER_COLUMNS = ("customer", "at", "amount", "status", "order_id")
EVENT_COLUMNS = ("user", "at", "event")


def text_time(at: datetime) -> str:
    """ISO-8601 text: `2024-03-31 01:30:00`, with `+02:00` when `at` has a zone."""
    return at.isoformat(sep=" ")


def order_tuples(orders: list[Order]) -> list[tuple[Any, ...]]:
    return [(o.customer, o.at, o.amount, o.status, o.order_id) for o in orders]


def event_tuples(events: list[Event]) -> list[tuple[Any, ...]]:
    return [(e.user, e.at, e.event) for e in events]


def datasets(
    orders_place: dict[str, Any],
    activity_place: dict[str, Any],
    *,
    order_ids: bool = True,
    **extra: Any,
) -> Datasets:
    """The datasets section for rows written by the functions below."""
    columns = {"customer": "customer", "at": "at", "amount": "amount", "status": "status"}
    if order_ids:
        columns["order_id"] = "order_id"
    return Datasets.model_validate(
        {
            "orders": {**orders_place, "columns": columns, **extra.get("orders", {})},
            "activity": {
                **activity_place,
                "columns": {"user": "user", "at": "at", "event": "event"},
                **extra.get("activity", {}),
            },
        }
    )


def write_sqlite(path: Path, orders: list[Order], events: list[Event]) -> str:
    """Both datasets as tables `orders` and `activity` in a SQLite file; its URL."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE orders (customer TEXT, at TEXT, amount REAL, status TEXT, order_id TEXT)"
        )
        connection.execute('CREATE TABLE activity ("user" TEXT, at TEXT, event TEXT)')
        connection.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?)",
            [(c, text_time(at), a, s, o) for c, at, a, s, o in order_tuples(orders)],
        )
        connection.executemany(
            "INSERT INTO activity VALUES (?, ?, ?)",
            [(u, text_time(at), e) for u, at, e in event_tuples(events)],
        )
    connection.close()
    return f"sqlite:///{path}"


async def write_postgres(url: str, orders: list[Order], events: list[Event]) -> tuple[str, str]:
    """Both datasets as new tables (unique names) in the PostgreSQL database at `url`: orders
    with a `timestamptz` column, activity with a `timestamp` one (UTC); their names."""
    suffix = uuid.uuid4().hex[:8]
    order_table, event_table = f"orders_{suffix}", f"activity_{suffix}"
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            f"CREATE TABLE {order_table} (customer text, at timestamptz, amount numeric,"
            " status text, order_id text)"
        )
        await connection.execute(
            f'CREATE TABLE {event_table} ("user" text, at timestamp, event text)'
        )
        await connection.copy_records_to_table(
            order_table,
            records=[(c, _aware(at), a, s, o) for c, at, a, s, o in order_tuples(orders)],
        )
        await connection.copy_records_to_table(
            event_table, records=[(u, _naive(at), e) for u, at, e in event_tuples(events)]
        )
    finally:
        await connection.close()
    return order_table, event_table


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _naive(at: datetime) -> datetime:
    return at if at.tzinfo is None else at.astimezone(UTC).replace(tzinfo=None)


def write_csv(folder: Path, orders: list[Order], events: list[Event]) -> None:
    """orders/*.csv (split in two files, columns in different orders) and activity.csv."""
    (folder / "orders").mkdir(parents=True, exist_ok=True)
    rows = [dict(zip(ORDER_COLUMNS, row, strict=True)) for row in order_tuples(orders)]
    half = len(rows) // 2
    for name, part, fields in (
        ("a.csv", rows[:half], ORDER_COLUMNS),
        ("b.csv", rows[half:], tuple(reversed(ORDER_COLUMNS))),
    ):
        with (folder / "orders" / name).open("w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=fields)
            writer.writeheader()
            for row in part:
                writer.writerow({**row, "at": text_time(row["at"])})
    with (folder / "activity.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(EVENT_COLUMNS)
        writer.writerows((u, text_time(at), e) for u, at, e in event_tuples(events))


def write_parquet(folder: Path, orders: list[Order], events: list[Event]) -> None:
    """orders.parquet (UTC-aware timestamps) and activity.parquet (naive UTC timestamps)."""
    order_rows = order_tuples(orders)
    pq.write_table(
        pa.table(
            {
                "customer": pa.array([r[0] for r in order_rows], pa.string()),
                "at": pa.array([_aware(r[1]) for r in order_rows], pa.timestamp("us", tz="UTC")),
                "amount": pa.array([r[2] for r in order_rows], pa.float64()),
                "status": pa.array([r[3] for r in order_rows], pa.string()),
                "order_id": pa.array([r[4] for r in order_rows], pa.string()),
            }
        ),
        folder / "orders.parquet",
    )
    event_rows = event_tuples(events)
    pq.write_table(
        pa.table(
            {
                "user": pa.array([r[0] for r in event_rows], pa.string()),
                "at": pa.array([_naive(r[1]) for r in event_rows], pa.timestamp("us")),
                "event": pa.array([r[2] for r in event_rows], pa.string()),
            }
        ),
        folder / "activity.parquet",
    )


def local_datasets(
    engine: str, folder: Path, order_rows: list[Order], event_rows: list[Event], **extra: Any
) -> Datasets:
    """The rows written for `engine` ("sqlite" or "csv") in `folder`, and the datasets section
    reading them."""
    if engine == "sqlite":
        url = write_sqlite(folder / "shop.db", order_rows, event_rows)
        return datasets(
            {"sql": {"url": url, "table": "orders"}},
            {"sql": {"url": url, "table": "activity"}},
            **extra,
        )
    write_csv(folder, order_rows, event_rows)
    return datasets({"files": "orders/*.csv"}, {"files": "activity.csv"}, **extra)
