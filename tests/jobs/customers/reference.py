"""The built-in measures computed the plain way: lists of rows in, every measure for every day
out, each written from its definition in jobs/customers/measures.py, and the per-customer
summary (jobs/customers/summary.py) likewise. Slow and obvious on purpose; compute_measures
and customer_summary must agree with it."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

Value = float | None


@dataclass(frozen=True)
class Order:
    """One row of the orders dataset."""

    customer: str
    at: datetime
    amount: float
    status: str | None = None
    order_id: str | None = None


@dataclass(frozen=True)
class Event:
    """One row of the activity dataset."""

    user: str
    at: datetime
    event: str | None = None


@dataclass(frozen=True)
class Placed:
    """One order as the measures count it."""

    customer: str
    day: date
    amount: float


def local_day(at: datetime, zone: ZoneInfo, timestamps: str = "utc") -> date:
    """The date of `at` in `zone`; a naive `at` is UTC, or already local with `local`."""
    if at.tzinfo is None:
        if timestamps == "local":
            return at.date()
        at = at.replace(tzinfo=UTC)
    return at.astimezone(zone).date()


def last_30(day: date) -> list[date]:
    """The 30 days ending `day`."""
    return [day - timedelta(days=back) for back in range(30)]


def ratio(top: float, bottom: float) -> Value:
    return top / bottom if bottom else None


@dataclass
class Reference:
    """The datasets' rows, read the way the definitions read them."""

    orders: list[Order]
    events: list[Event]
    zone: ZoneInfo
    timestamps: str = "utc"
    exclude_statuses: tuple[str, ...] = ("refunded", "cancelled")
    counted_events: tuple[str, ...] | None = None

    def active_days(self) -> dict[str, set[date]]:
        """Each user's local days with a counted activity event."""
        days: dict[str, set[date]] = defaultdict(set)
        for row in self.events:
            if self.counted_events is None or row.event in self.counted_events:
                days[row.user].add(local_day(row.at, self.zone, self.timestamps))
        return days

    def placed(self) -> list[Placed]:
        """The orders that count; rows sharing an order id are the lines of one order."""
        kept = [row for row in self.orders if row.status not in self.exclude_statuses]
        lines: dict[object, list[Order]] = defaultdict(list)
        for number, row in enumerate(kept):
            lines[row.order_id if row.order_id is not None else ("row", number)].append(row)
        return [
            Placed(
                customer=min(line.customer for line in group),
                day=min(local_day(line.at, self.zone, self.timestamps) for line in group),
                amount=sum(line.amount for line in group),
            )
            for group in lines.values()
        ]

    def measures(self, days: list[date]) -> dict[str, dict[date, Value]]:
        """Every built-in measure for every day in `days`."""
        out: dict[str, dict[date, Value]] = defaultdict(dict)
        active, placed = self.active_days(), self.placed()
        for day in days:
            for name, value in activity_on(active, day).items():
                out[name][day] = value
            for name, value in orders_on(placed, day).items():
                out[name][day] = value
            out["health_index"][day] = health_on(active, placed, day)
            before = health_on(active, placed, day - timedelta(days=7))
            now = out["health_index"][day]
            out["health_index_wow"][day] = None if now is None or not before else now / before - 1
        return dict(out)


def activity_on(active: dict[str, set[date]], day: date) -> dict[str, Value]:
    """The activity measures on `day`."""
    window = set(last_30(day))
    first = {user: min(days) for user, days in active.items()}
    active_30 = sum(1 for days in active.values() if days & window)
    base = sum(1 for joined in first.values() if joined <= day)
    cohort = [user for user, joined in first.items() if joined == day - timedelta(days=7)]
    week = {day - timedelta(days=back) for back in range(7)}  # d−6 … d
    return {
        "dau": sum(1 for days in active.values() if day in days),
        "active_users_30d": active_30,
        "user_base": base,
        "active_rate_30d": ratio(active_30, base),
        "new_users": sum(1 for joined in first.values() if joined == day),
        "retention_7d": ratio(sum(1 for user in cohort if active[user] & week), len(cohort)),
        "retention_d7": ratio(sum(1 for user in cohort if day in active[user]), len(cohort)),
    }


def orders_on(placed: list[Placed], day: date) -> dict[str, Value]:
    """The order measures on `day`."""
    today = [order for order in placed if order.day == day]
    window = set(last_30(day))
    in_window = [order for order in placed if order.day in window]
    daily_aov = [
        sum(order.amount for order in placed if order.day == other)
        / sum(1 for order in placed if order.day == other)
        for other in sorted(window)
        if any(order.day == other for order in placed)
    ]
    per_customer: dict[str, int] = defaultdict(int)
    for order in in_window:
        per_customer[order.customer] += 1
    gmv = sum(order.amount for order in today)
    return {
        "orders": len(today),
        "gmv": gmv,
        "buyers": len({order.customer for order in today}),
        "aov": ratio(gmv, len(today)),
        "aov_30d": ratio(sum(order.amount for order in in_window), len(in_window)),
        "aov_volatility": volatility(daily_aov),
        "repeat_purchase_rate": ratio(
            sum(1 for count in per_customer.values() if count >= 2), len(per_customer)
        ),
    }


def volatility(values: list[float]) -> Value:
    """Population standard deviation ÷ mean; None for fewer than 2 values or a mean of 0."""
    if len(values) < 2 or statistics.fmean(values) == 0:
        return None
    return statistics.pstdev(values) / statistics.fmean(values)


def health_on(active: dict[str, set[date]], placed: list[Placed], day: date) -> Value:
    """active_rate_30d × retention_7d × aov_30d on `day`, None when a factor has no value."""
    activity, orders = activity_on(active, day), orders_on(placed, day)
    factors = [activity["active_rate_30d"], activity["retention_7d"], orders["aov_30d"]]
    if any(factor is None for factor in factors):
        return None
    product = 1.0
    for factor in factors:
        assert factor is not None
        product *= factor
    return product


@dataclass(frozen=True)
class Summary:
    """One customer's row of the per-customer summary (jobs/customers/summary.py)."""

    first_day: date
    last_day: date
    order_days: int
    orders: int
    spend: float


def customer_summary(placed: list[Placed], as_of: date, window_days: int) -> dict[str, Summary]:
    """Each customer with a counted order on `as_of` or before: their first and last order days,
    distinct order days, and the orders and spend of the `window_days` days ending `as_of`."""
    opens = as_of - timedelta(days=window_days - 1)
    mine: dict[str, list[Placed]] = defaultdict(list)
    for order in placed:
        if order.day <= as_of:
            mine[order.customer].append(order)
    return {
        customer: Summary(
            first_day=min(order.day for order in orders),
            last_day=max(order.day for order in orders),
            order_days=len({order.day for order in orders}),
            orders=sum(1 for order in orders if order.day >= opens),
            spend=sum(order.amount for order in orders if order.day >= opens),
        )
        for customer, orders in mine.items()
    }
