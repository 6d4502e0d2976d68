"""The built-in measures goalpulse computes from the customer datasets, and their definitions.

Every definition counts days in the deployment's timezone: a row's day is the local date of its
timestamp. "The 30 days ending d" are d−29 … d. The README's "Customer datasets" section
repeats these definitions; tests/test_readme.py holds the two to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Needs = Literal["orders", "activity", "both"]


@dataclass(frozen=True)
class Measure:
    """One built-in measure: the dataset it needs, how it is shown, and what it means."""

    name: str
    needs: Needs
    unit: Literal["count", "percent", "currency", "ratio"]
    direction: Literal["higher", "lower"]
    definition: str


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure(
            "dau", "activity", "count", "higher", "users with at least one activity event on d"
        ),
        Measure(
            "active_users_30d",
            "activity",
            "count",
            "higher",
            "users with an activity event on any of the 30 days ending d",
        ),
        Measure(
            "user_base",
            "activity",
            "count",
            "higher",
            "users whose first activity event is on d or before (everyone seen so far)",
        ),
        Measure(
            "active_rate_30d",
            "activity",
            "percent",
            "higher",
            "active_users_30d ÷ user_base",
        ),
        Measure("new_users", "activity", "count", "higher", "users whose first activity is on d"),
        Measure(
            "retention_7d",
            "activity",
            "percent",
            "higher",
            "of the users whose first activity was on d−7, the share active again on any of "
            "d−6 … d (days 1–7 after joining); no value when d−7 had no new users",
        ),
        Measure(
            "retention_d7",
            "activity",
            "percent",
            "higher",
            "of the users whose first activity was on d−7, the share active on d itself "
            "(day 7 after joining); no value when d−7 had no new users",
        ),
        Measure("orders", "orders", "count", "higher", "orders placed on d"),
        Measure("gmv", "orders", "currency", "higher", "the sum of the amounts of d's orders"),
        Measure("buyers", "orders", "count", "higher", "customers with an order on d"),
        Measure(
            "aov", "orders", "currency", "higher", "gmv ÷ orders on d; no value without orders"
        ),
        Measure(
            "aov_30d",
            "orders",
            "currency",
            "higher",
            "the gmv of the 30 days ending d ÷ their orders",
        ),
        Measure(
            "aov_volatility",
            "orders",
            "ratio",
            "lower",
            "the coefficient of variation of daily aov over the 30 days ending d (population "
            "standard deviation ÷ mean, days without orders left out; needs 2 days)",
        ),
        Measure(
            "repeat_purchase_rate",
            "orders",
            "percent",
            "higher",
            "of the customers with an order in the 30 days ending d, the share with two or more",
        ),
        Measure(
            "health_index",
            "both",
            "currency",
            "higher",
            "active_rate_30d × retention_7d × aov_30d",
        ),
        Measure(
            "health_index_wow",
            "both",
            "percent",
            "higher",
            "health_index on d ÷ health_index on d−7 − 1",
        ),
    )
}
"""Every built-in measure by name, in the order the README lists them."""

HEALTH_FACTORS = ("active_rate_30d", "retention_7d", "aov_30d")
"""What the health index multiplies, in the playbook's order: activity × retention × value."""
