"""The aggregate query behind every measure, one per dataset, as SQLAlchemy Core statements.

One definition serves every engine: compiled for PostgreSQL and SQLite, and with the PostgreSQL
dialect for DuckDB over files. Each dataset is read in one statement: its rows are reduced once
to small materialised CTEs (distinct (user, day) pairs of the window, each user's first day,
the window's orders), and the parts below are computed from those and `UNION ALL`-ed, each row
tagged with its part. Days are numbers (see local_day.py); no raw row is ever returned.
jobs/customers/daily.py turns the parts into measures.

Only the first-day aggregates (and orders with a line near the window) read the whole history;
every other read is limited to the window's days by a filter on the raw timestamp column
(widened by two days for any UTC offset), which Parquet row-group statistics and a timestamp
index can use. Nothing before `lo` is read, so a part looking back 30 days (active_30d,
buyers_30d, repeat_30d) is right from `lo + 29` on: the caller starts the window early enough
(daily.py's LOOKBACK_DAYS).

The parts and their value columns, by name:
  dau         users        distinct active users
  new_users   users        users by first active day; day `lo − 1` holds everyone earlier
  active_30d  starts, stops  intervals of days a user counts as active in 30 days
  retention   returned, on_day_7  of day's new users: active again on days 1–7, on day 7
  orders      orders, gmv, buyers
  buyers_30d  starts, stops  intervals of days a customer has an order in the 30 days
  repeat_30d  starts, stops  intervals of days a customer has two orders in the 30 days
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    CompoundSelect,
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
from sqlalchemy.sql.selectable import Join, Subquery

from jobs.customers.datasets import ActivityDataset, OrdersDataset
from jobs.customers.local_day import LocalDays, day_of
from jobs.customers.parts import combined

# Every CTE and subquery is named gp_…, so none shadows the dataset's own table.
WINDOW_DAYS = 30
RETENTION_DAYS = 7
# A local day lies within 14 hours of the UTC day of the same date: two days either side of a
# window hold every row whose local day is in it, whatever the stored offset.
_MARGIN_DAYS = 2


@dataclass(frozen=True)
class Window:
    """The days aggregated, as day numbers, both ends included."""

    lo: int
    hi: int


def source_table(name: str, columns: list[str]) -> TableClause:
    """`name` (or `schema.name`) with the given columns; SQLAlchemy quotes what needs it."""
    schema, _, bare = name.rpartition(".")
    return table(bare, *(column(c) for c in dict.fromkeys(columns)), schema=schema or None)


def _materialised(cte: CTE) -> CTE:
    # PostgreSQL (and DuckDB) compute it once, however often the statement refers to it.
    return cte.prefix_with("MATERIALIZED", dialect="postgresql")


def _moment(day: int) -> ColumnElement[object]:
    """The start of day number `day` as a literal the column's own type reads (timestamp,
    timestamp with zone in the session's zone, ISO text compared as text)."""
    text = f"{day_of(day).isoformat()} 00:00:00"
    return literal_column(f"'{text}'")


def _near(at: ColumnElement[object], first: int | None, last: int) -> list[ColumnElement[bool]]:
    """Raw-column bounds keeping every row whose local day is in first … last (and a few more);
    no lower bound when `first` is None."""
    upper = at < _moment(last + 1 + _MARGIN_DAYS)
    return [upper] if first is None else [at >= _moment(first - _MARGIN_DAYS), upper]


def activity_statement(
    rows: TableClause, dataset: ActivityDataset, days: LocalDays, window: Window
) -> CompoundSelect[tuple[object, ...]]:
    """The statement over the activity dataset (see the module docstring)."""
    names = dataset.columns
    user, at = rows.c[names.user], rows.c[names.at]
    kept = [user.is_not(None)]
    if dataset.events is not None and names.event is not None:
        kept.append(rows.c[names.event].in_(dataset.events))
    first = window.lo
    recent = (
        select(user.label("who"), days.day(at).label("day"))
        .where(*kept, *_near(at, first, window.hi))
        .subquery("gp_events")
    )
    # Distinct (user, day) pairs of the days any part looks at.
    active = _materialised(
        select(recent.c.who, recent.c.day)
        .where(recent.c.day.between(first, window.hi))
        .distinct()
        .cte("gp_active_days")
    )
    # Each user's first active day up to the window's end, from the whole history before it.
    firsts = (
        select(user.label("who"), days.first_day(at).label("joined"))
        .where(*kept, _near(at, first, window.hi)[1])
        .group_by(user)
        .subquery("gp_firsts")
    )
    joined = _materialised(
        select(firsts.c.who, firsts.c.joined).where(firsts.c.joined <= window.hi).cte("gp_joined")
    )
    return combined(
        {
            "dau": _dau(active, window),
            "new_users": _new_users(joined, window),
            "active_30d": _coverage("active_30d", active, window, _own_reach),
            "retention": _retention(active, joined, window),
        }
    )


def order_statement(
    rows: TableClause, dataset: OrdersDataset, days: LocalDays, window: Window
) -> CompoundSelect[tuple[object, ...]]:
    """The statement over the orders dataset (see the module docstring)."""
    orders = _materialised(placed_orders(rows, dataset, days, first=window.lo, last=window.hi))
    daily = (
        select(
            orders.c.day,
            func.count().label("orders"),
            func.sum(orders.c.amount).label("gmv"),
            func.count(orders.c.who.distinct()).label("buyers"),
        )
        .where(orders.c.day >= window.lo)
        .group_by(orders.c.day)
    )
    customer_days = _materialised(
        select(orders.c.who, orders.c.day, func.count().label("n_orders"))
        .where(orders.c.who.is_not(None))
        .group_by(orders.c.who, orders.c.day)
        .cte("gp_customer_days")
    )
    return combined(
        {
            "orders": daily,
            "buyers_30d": _coverage("buyers_30d", customer_days, window, _own_reach),
            "repeat_30d": _coverage("repeat_30d", customer_days, window, _second_order_reach),
        }
    )


def placed_orders(
    rows: TableClause, dataset: OrdersDataset, days: LocalDays, *, first: int | None, last: int
) -> CTE:
    """One row per order (who, day, amount) whose day is in first … last (every day up to `last`
    when `first` is None), excluded statuses dropped: the orders every order measure counts.

    With `order_id`, rows sharing an id are the lines of one order: its amount is their sum,
    its day the earliest, its customer the least. Its lines may lie anywhere in the history, so
    the orders with a line near the days are grouped from all their rows; without ids only
    the rows near the days are read.
    """
    names = dataset.columns
    counted = _counted(rows, dataset)
    if names.order_id is None:
        listed = _own_orders(rows, dataset, days, counted, first, last).subquery("gp_order_lines")
    else:
        # A row without an id is an order of its own.
        alone = [*counted, rows.c[names.order_id].is_(None)]
        listed = union_all(
            _whole_orders(rows, dataset, days, counted, first, last),
            _own_orders(rows, dataset, days, alone, first, last),
        ).subquery("gp_order_lines")
    kept = listed.c.day <= last if first is None else listed.c.day.between(first, last)
    return select(listed.c.who, listed.c.day, listed.c.amount).where(kept).cte("gp_orders")


def _own_orders(
    rows: TableClause,
    dataset: OrdersDataset,
    days: LocalDays,
    kept: list[ColumnElement[bool]],
    first: int | None,
    last: int,
) -> Select[tuple[object, ...]]:
    """Each kept row near the days as one order (who, day, amount)."""
    at = rows.c[dataset.columns.at]
    return select(
        rows.c[dataset.columns.customer].label("who"),
        days.day(at).label("day"),
        _amount(rows, dataset).label("amount"),
    ).where(*kept, *_near(at, first, last))


def _counted(rows: TableClause, dataset: OrdersDataset) -> list[ColumnElement[bool]]:
    """The condition a row's status must meet to count: none when nothing is excluded."""
    names = dataset.columns
    if names.status is None or not dataset.exclude_statuses:
        return []
    status = rows.c[names.status]
    # NOT IN is unknown for a missing status: such an order is not excluded, so it counts.
    return [or_(status.is_(None), status.not_in(dataset.exclude_statuses))]


def _amount(rows: TableClause, dataset: OrdersDataset) -> ColumnElement[float]:
    # Double precision everywhere: a header-only CSV file reads every column as text.
    return cast(rows.c[dataset.columns.amount], Double)


def _whole_orders(
    rows: TableClause,
    dataset: OrdersDataset,
    days: LocalDays,
    counted: list[ColumnElement[bool]],
    first: int | None,
    last: int,
) -> Select[Any, int, float]:
    """The orders with an id (who, day, amount), grouped from all their lines by `order_id`."""
    names = dataset.columns
    assert names.order_id is not None  # only called with order ids
    at, key = rows.c[names.at], rows.c[names.order_id]
    lines: TableClause | Join = rows
    grouped = list(counted)
    if first is not None:
        # Only an order with a line near the days can fall in them.
        # From the beginning (no `first`) every order is grouped: no join is needed.
        near = (
            select(key.label("order_key"))
            .where(*counted, key.is_not(None), *_near(at, first, last))
            .distinct()
            .subquery("gp_near_orders")
        )
        lines = rows.join(near, key == near.c.order_key)
    else:
        grouped.append(key.is_not(None))
    return (
        select(
            func.min(rows.c[names.customer]).label("who"),
            days.first_day(at).label("day"),
            func.sum(_amount(rows, dataset)).label("amount"),
        )
        .select_from(lines)
        .where(*grouped)
        .group_by(key)
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


def _own_reach(spans: Subquery) -> ColumnElement[int]:
    return spans.c.day + (WINDOW_DAYS - 1)


def _second_order_reach(spans: Subquery) -> ColumnElement[int]:
    # Two orders within the 30 days ending d: both on this row's day, or this row's day and the
    # customer's previous order day (the 30 days must reach back to it).
    return case(
        (spans.c.n_orders >= 2, spans.c.day + (WINDOW_DAYS - 1)),
        (spans.c.prior_day.is_not(None), spans.c.prior_day + (WINDOW_DAYS - 1)),
    )


def _coverage(name: str, days: CTE, window: Window, reach: Reach) -> Select[tuple[object, ...]]:
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
        .where(days.c.day >= window.lo)
        .subquery("gp_spans")
    )
    own = reach(spans)
    stop = case(
        (spans.c.next_day.is_(None), own),
        (spans.c.next_day - 1 < own, spans.c.next_day - 1),
        else_=own,
    )
    start = case((spans.c.day < window.lo, window.lo), else_=spans.c.day)
    intervals = _materialised(
        select(start.label("start"), stop.label("stop"))
        .where(stop >= spans.c.day, stop >= window.lo)
        .cte(f"gp_{name}_intervals")
    )
    one, zero = literal_column("1", Integer), literal_column("0", Integer)
    ends = union_all(
        select(intervals.c.start.label("day"), one.label("starts"), zero.label("stops")),
        select(intervals.c.stop.label("day"), zero.label("starts"), one.label("stops")),
    ).subquery("gp_ends")
    return select(
        ends.c.day, func.sum(ends.c.starts).label("starts"), func.sum(ends.c.stops).label("stops")
    ).group_by(ends.c.day)
