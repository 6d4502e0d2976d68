"""A small orders export with customers who clearly lapsed and customers who did not: what the
at-risk list's tests read.

Steady customers have ordered every 10–12 days for ten months, up to the day. Lapsed ones
ordered every 5 days for eight months and stopped 60 days ago: frequent buyers gone quiet, so
the churn model finds them unlikely to be alive, while recency (90 days) does not yet call
them churned. Nobody is high-value and at risk.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

STEADY = tuple(f"steady-{n:02d}" for n in range(12))
LAPSED = tuple(f"lapsed-{n:02d}" for n in range(6))
ORDERS: dict[str, Any] = {
    "files": "orders/*.csv",
    "columns": {
        "customer": "customer_id",
        "at": "ordered_at",
        "amount": "amount",
        "order_id": "order_id",
    },
}
"""The orders dataset as metrics.yml declares it, files relative to metrics.yml's folder."""


def write_orders(folder: Path, today: date) -> Path:
    """`folder`/orders/orders.csv, the orders up to `today`; returns the file."""
    rows: list[tuple[str, str, str, float]] = []

    def every(customer: str, first: date, last: date, days: int, amount: float) -> None:
        day = first
        while day <= last:
            rows.append((f"o{len(rows) + 1}", customer, f"{day}T12:00:00", amount))
            day += timedelta(days=days)

    for n, customer in enumerate(STEADY):
        every(customer, today - timedelta(days=300 - n), today, 10 + n % 3, 40.0 + n)
    for n, customer in enumerate(LAPSED):
        every(customer, today - timedelta(days=300 + n), today - timedelta(days=60), 5, 90.0 + n)
    path = folder / "orders" / "orders.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["order_id", "customer_id", "ordered_at", "amount"])
        writer.writerows(rows)
    return path
