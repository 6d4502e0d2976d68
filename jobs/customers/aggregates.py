"""The aggregate queries behind every measure, as SQLAlchemy Core statements.

One definition serves every engine: compiled for PostgreSQL and SQLite, and with the PostgreSQL
dialect for DuckDB over files. Each statement returns at most one row per day (days are
numbers, see local_day.py), never a raw row; jobs/customers/daily.py turns them into measures.

Columns of the rows each statement returns, by name:
  dau         day, users        distinct active users
  new_users   day, users        users by first active day; day `lo − 1` holds everyone earlier
  active_30d  day, starts, stops  intervals of days a user counts as active in 30 days
  retention   day, returned, on_day_7  of day's new users: active again on days 1–7, on day 7
  orders      day, orders, gmv, buyers
  buyers_30d  day, starts, stops  intervals of days a customer has an order in the 30 days
  repeat_30d  day, starts, stops  intervals of days a customer has two orders in the 30 days
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    CTE,
    Double,
    Integer,
    Select,
    TableClause,
    and_,
    case,
    cast,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from jobs.customers.datasets import ActivityDataset, OrdersDataset
from jobs.customers.local_day import DayOf

# Every CTE and subquery is named gp_…, so none shadows the dataset's own table.
WINDOW_DAYS = 30
RETENTION_DAYS = 7


@dataclass(frozen=True)
class Window:
    """The days aggregated, as day numbers, both ends included."""

    lo: int
    hi: int


def source_table(name: str, columns: list[str]) -> TableClause:
    """`name` (or `schema.name`) with the given columns; SQLAlchemy quotes what needs it."""
    schema, _, bare = name.rpartition(".")
    return table(bare, *(column(c) for c in dict.fromkeys(columns)), schema=schema or None)


def activity_statements(
    rows: TableClause, dataset: ActivityDataset, day_of: DayOf, window: Window
) -> dict[str, Select[tuple[object, ...]]]:
    """The statements over the activity dataset, by name (see the module docstring)."""
    names = dataset.columns
    user = rows.c[names.user]
    events = select(user.label("who"), day_of(rows.c[names.at]).label("day")).where(
        user.is_not(None)
    )
    if dataset.events is not None and names.event is not None:
        events = events.where(rows.c[names.event].in_(dataset.events))
    listed = events.cte("gp_events")
    # Distinct (user, day) pairs up to the window's end, from the whole history before it:
    # a user's first active day may lie long before the window.
    active = (
        select(listed.c.who, listed.c.day)
        .where(listed.c.day <= window.hi)
        .distinct()
        .cte("gp_active_days")
    )
    joined = (
        select(active.c.who, func.min(active.c.day).label("joined"))
        .group_by(active.c.who)
        .cte("gp_joined")
    )
    return {
        "dau": _dau(active, window),
        "new_users": _new_users(joined, window),
        "active_30d": _coverage(active, window, lambda spans: spans.c.day + (WINDOW_DAYS - 1)),
        "retention": _retention(active, joined, window),
    }


def order_statements(
    rows: TableClause, dataset: OrdersDataset, day_of: DayOf, window: Window
) -> dict[str, Select[tuple[object, ...]]]:
    """The statements over the orders dataset, by name (see the module docstring)."""
    orders = _orders(rows, dataset, day_of)
    daily = (
        select(
            orders.c.day,
            func.count().label("orders"),
            func.sum(orders.c.amount).label("gmv"),
            func.count(orders.c.who.distinct()).label("buyers"),
        )
        .where(orders.c.day.between(window.lo, window.hi))
        .group_by(orders.c.day)
    )
    customer_days = (
        select(orders.c.who, orders.c.day, func.count().label("n_orders"))
        .where(
            orders.c.who.is_not(None),
            orders.c.day.between(window.lo - (WINDOW_DAYS - 1), window.hi),
        )
        .group_by(orders.c.who, orders.c.day)
        .cte("gp_customer_days")
    )
    return {
        "orders": daily,
        "buyers_30d": _coverage(
            customer_days, window, lambda spans: spans.c.day + (WINDOW_DAYS - 1)
        ),
        "repeat_30d": _coverage(customer_days, window, _second_order_reach),
    }


def _orders(rows: TableClause, dataset: OrdersDataset, day_of: DayOf) -> CTE:
    """One row per order (who, day, amount), excluded statuses dropped.

    With `order_id`, rows sharing an id are the lines of one order: its amount is their sum,
    its day the earliest, its customer the least.
    """
    names = dataset.columns
    picked = [
        rows.c[names.customer].label("who"),
        day_of(rows.c[names.at]).label("day"),
        # Double precision everywhere: a header-only CSV file reads every column as text.
        cast(rows.c[names.amount], Double).label("amount"),
    ]
    if names.order_id is not None:
        picked.append(rows.c[names.order_id].label("order_key"))
    lines = select(*picked)
    if names.status is not None and dataset.exclude_statuses:
        status = rows.c[names.status]
        # NOT IN is unknown for a missing status: such an order is not excluded, so it counts.
        lines = lines.where(or_(status.is_(None), status.not_in(dataset.exclude_statuses)))
    if names.order_id is None:
        return lines.cte("gp_orders")
    listed = lines.cte("gp_order_lines")
    return (
        select(
            func.min(listed.c.who).label("who"),
            func.min(listed.c.day).label("day"),
            func.sum(listed.c.amount).label("amount"),
        )
        .group_by(listed.c.order_key)
        .cte("gp_orders")
    )


def _dau(active: CTE, window: Window) -> Select[tuple[object, ...]]:
    return (
        select(active.c.day, func.count().label("users"))
        .where(active.c.day >= window.lo)
        .group_by(active.c.day)
    )


def _new_users(joined: CTE, window: Window) -> Select[tuple[object, ...]]:
    bucket = select(
        case((joined.c.joined < window.lo, window.lo - 1), else_=joined.c.joined).label("day")
    ).subquery("gp_buckets")
    return select(bucket.c.day, func.count().label("users")).group_by(bucket.c.day)


def _retention(active: CTE, joined: CTE, window: Window) -> Select[tuple[object, ...]]:
    later = and_(
        active.c.who == joined.c.who,
        active.c.day > joined.c.joined,
        active.c.day <= joined.c.joined + RETENTION_DAYS,
    )
    on_day_7 = case((active.c.day == joined.c.joined + RETENTION_DAYS, 1), else_=0)
    return (
        select(
            joined.c.joined.label("day"),
            func.count(active.c.who.distinct()).label("returned"),
            func.sum(on_day_7).label("on_day_7"),
        )
        .select_from(joined.join(active, later))
        .where(joined.c.joined >= window.lo)
        .group_by(joined.c.joined)
    )


Reach = Callable[[Subquery], ColumnElement[int]]
"""The last day one (who, day) row keeps its `who` counted by its own rule (NULL: none)."""


def _second_order_reach(spans: Subquery) -> ColumnElement[int]:
    # Two orders within the 30 days ending d: both on this row's day, or this row's day and the
    # customer's previous order day (the 30 days must reach back to it).
    return case(
        (spans.c.n_orders >= 2, spans.c.day + (WINDOW_DAYS - 1)),
        (spans.c.prior_day.is_not(None), spans.c.prior_day + (WINDOW_DAYS - 1)),
    )


def _coverage(days: CTE, window: Window, reach: Reach) -> Select[tuple[object, ...]]:
    """For distinct (who, day) rows: per day, how many intervals start and how many stop.

    A row covers the days from its own day to its reach, cut short the day before the next
    row of the same `who` (which covers from there on at least as far), so one `who`'s
    intervals never overlap: the number covering d is the number of `who` counted on d.
    """
    who, day = days.c.who, days.c.day
    spans = (
        select(
            *days.c,
            func.lag(day).over(partition_by=who, order_by=day).label("prior_day"),
            func.lead(day).over(partition_by=who, order_by=day).label("next_day"),
        )
        .where(days.c.day >= window.lo - (WINDOW_DAYS - 1))
        .subquery("gp_spans")
    )
    own = reach(spans)
    stop = case(
        (spans.c.next_day.is_(None), own),
        (spans.c.next_day - 1 < own, spans.c.next_day - 1),
        else_=own,
    )
    start = case((spans.c.day < window.lo, window.lo), else_=spans.c.day)
    intervals = (
        select(start.label("start"), stop.label("stop"))
        .where(stop >= spans.c.day, stop >= window.lo)
        .subquery("gp_intervals")
    )
    one, zero = literal_column("1", Integer), literal_column("0", Integer)
    ends = union_all(
        select(intervals.c.start.label("day"), one.label("starts"), zero.label("stops")),
        select(intervals.c.stop.label("day"), zero.label("starts"), one.label("stops")),
    ).subquery("gp_ends")
    return select(
        ends.c.day, func.sum(ends.c.starts).label("starts"), func.sum(ends.c.stops).label("stops")
    ).group_by(ends.c.day)
