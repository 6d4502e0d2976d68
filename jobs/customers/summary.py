"""The per-customer summary as of day d, computed where the orders live: one row per customer.

The orders are the ones every order measure counts (aggregates.py's `placed_orders`: excluded
statuses dropped, the lines of one `order_id` one order, on its earliest line's day), up to d:
orders whose day is after d are ignored. A customer none of whose orders counts (every one
refunded, say) has no row. The columns, days as day numbers (local_day.py):

  customer     the customer, as text
  first_day    the day of their first order
  last_day     the day of their last order on d or before
  order_days   distinct days with an order on d or before (repeat purchases are this − 1)
  orders       orders in the RFM window: the `window_days` days ending d, d−window_days+1 … d
  spend        the amount of those orders (0 when none)

Local days are exact for HISTORY_DAYS before d; an order older than that, placed within an
hour of local midnight, may be a day off when the zone's offset has changed since.
The statement runs in the dataset's database (sql_aggregates.py) or in DuckDB over its files
(file_aggregates.py); only the summary rows, at most MAX_CUSTOMERS, come back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Double, Integer, Select, TableClause, case, cast, func, select

from jobs.customers.aggregates import Window, placed_orders
from jobs.customers.dataset_rows import dataset_rows
from jobs.customers.datasets import OrdersDataset
from jobs.customers.local_day import LocalDays, day_number, zone_of
from jobs.customers.sql_aggregates import RowCap
from jobs.metrics.sources.sql import SqlRunner

HISTORY_DAYS = 3653  # ten years
MAX_CUSTOMERS = 10_000_000
COLUMNS = ("customer", "first_day", "last_day", "order_days", "orders", "spend")


async def customer_summary(
    orders: OrdersDataset,
    *,
    as_of: date,
    window_days: int,
    timezone: str,
    base_dir: Path,
    env: Mapping[str, str],
) -> pd.DataFrame:
    """One row per customer as of `as_of` (see the module docstring), in no particular order.

    A day is a local date in `timezone`. Raises SourceError (one line naming the dataset) when
    the dataset cannot be read or has more than MAX_CUSTOMERS customers, and ValueError for a
    window of less than one day.
    """
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, not {window_days}")
    zone = zone_of(timezone)
    last = day_number(as_of)
    exact = Window(last - max(HISTORY_DAYS, window_days), last)

    def build(rows: TableClause, days: LocalDays) -> Select[tuple[object, ...]]:
        return summary_statement(rows, orders, days, as_of=last, window_days=window_days)

    runner = SqlRunner()
    try:
        found = await dataset_rows(
            "orders",
            orders,
            build,
            zone=zone,
            window=exact,
            runner=runner,
            base_dir=base_dir,
            env=env,
            cap=RowCap(MAX_CUSTOMERS, "customers"),
        )
    finally:
        await runner.close()
    return _typed(found)


def summary_statement(
    rows: TableClause, dataset: OrdersDataset, days: LocalDays, *, as_of: int, window_days: int
) -> Select[tuple[object, ...]]:
    """The summary's statement over the orders dataset, as of day number `as_of`."""
    placed = placed_orders(rows, dataset, days, first=None, last=as_of)
    # Each customer's order days first (a hash aggregate everywhere), then the customer: no
    # DISTINCT inside an aggregate, which PostgreSQL would sort for.
    by_day = (
        select(
            placed.c.who,
            placed.c.day,
            func.count().label("n_orders"),
            func.sum(placed.c.amount).label("amount"),
        )
        .where(placed.c.who.is_not(None))
        .group_by(placed.c.who, placed.c.day)
        .subquery("gp_customer_days")
    )
    who, day = by_day.c.who, by_day.c.day
    recent = day >= as_of - window_days + 1
    return select(
        who.label("customer"),
        cast(func.min(day), Integer).label("first_day"),
        cast(func.max(day), Integer).label("last_day"),
        cast(func.count(), Integer).label("order_days"),
        cast(func.coalesce(func.sum(case((recent, by_day.c.n_orders))), 0), Integer).label(
            "orders"
        ),
        cast(func.coalesce(func.sum(case((recent, by_day.c.amount))), 0), Double).label("spend"),
    ).group_by(who)


def _typed(found: pd.DataFrame) -> pd.DataFrame:
    """The same columns and dtypes from every engine: text customers, int64 days and counts."""
    frame = found.reindex(columns=list(COLUMNS))
    frame["customer"] = frame["customer"].astype(str)
    for name in ("first_day", "last_day", "order_days", "orders"):
        frame[name] = frame[name].astype("int64")
    frame["spend"] = frame["spend"].astype("float64")
    return frame.reset_index(drop=True)
