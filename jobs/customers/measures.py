"""The built-in measures goalpulse computes from the customer datasets, and their definitions.

Every definition counts days in the deployment's timezone: a row's day is the local date of its
timestamp. "The 30 days ending d" are d−29 … d. The README's "Customer datasets" section
repeats these definitions; tests/test_readme.py holds the two to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from jobs.i18n import N_

Needs = Literal["orders", "activity", "both"]


@dataclass(frozen=True)
class Measure:
    """One built-in measure: the dataset it needs, how it is shown, and what it means.

    A `customer` measure is computed from each customer's orders as of d (their RFM tier and
    churn probability, jobs/customers/tier_measures.py), not summed per day; `tier` names the
    tier it is about, whose treatment heads a remediation's checklist.
    """

    name: str
    needs: Needs
    unit: Literal["count", "percent", "currency", "ratio"]
    direction: Literal["higher", "lower"]
    definition: str
    grain: Literal["day", "customer"] = "day"
    tier: str | None = None


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

TIERS = ("high_value", "potential", "new", "churned")
"""The four customer tiers, in the order the digest lists them."""
# Tier names in English, marked for the catalogs: `_(TIER_WORDS[tier])` where people read them.
TIER_WORDS = {
    "high_value": N_("high-value"),
    "potential": N_("potential"),
    "new": N_("new"),
    "churned": N_("churned"),
}
RISK_HORIZON_DAYS = 45
"""How far ahead the churn warning looks: expected orders in the next 45 days."""
# The measures that count customers at risk (scored.py), and the columns of their list: only
# customer ids and their scores, nothing else about a customer (jobs/goals/at_risk_list.py).
AT_RISK_MEASURES = ("customers_at_risk", "high_value_at_risk", "revenue_at_risk")
AT_RISK_COLUMNS = (
    "customer_id",
    "tier",
    "r_score",
    "f_score",
    "m_score",
    "churn_probability",
    "expected_orders_45d",
    "spend_in_window",
)


def _tier_measures() -> list[Measure]:
    found = []
    for tier in TIERS:
        words = TIER_WORDS[tier]
        fewer: Literal["higher", "lower"] = "lower" if tier == "churned" else "higher"
        found += [
            Measure(
                f"{tier}_customers",
                "orders",
                "count",
                fewer,
                f"customers in the {words} tier as of d",
                grain="customer",
                tier=tier,
            ),
            Measure(
                f"{tier}_share",
                "orders",
                "percent",
                fewer,
                f"{tier}_customers ÷ every customer with an order on d or before",
                grain="customer",
                tier=tier,
            ),
            Measure(
                f"{tier}_revenue_share",
                "orders",
                "percent",
                fewer,
                f"the {words} tier's spend in the RFM window ending d ÷ every customer's",
                grain="customer",
                tier=tier,
            ),
        ]
    # Nobody moves into `new`: a customer in any tier a week ago placed a first order too long
    # ago to be new again.
    for before in TIERS:
        for after in TIERS:
            if after in (before, "new"):
                continue
            worse = after == "churned" or before == "high_value"
            found.append(
                Measure(
                    f"moved_{before}_to_{after}",
                    "orders",
                    "count",
                    "lower" if worse else "higher",
                    f"customers {TIER_WORDS[before]} on d−7 and {TIER_WORDS[after]} on d",
                    grain="customer",
                    tier=before if before == "high_value" else after,
                )
            )
    found += [
        Measure(
            "customers_at_risk",
            "orders",
            "count",
            "lower",
            "customers not churned on d whose probability of being alive (BG/NBD) is below "
            "the at-risk threshold",
            grain="customer",
            tier="churned",
        ),
        Measure(
            "high_value_at_risk",
            "orders",
            "count",
            "lower",
            "high-value customers on d among customers_at_risk",
            grain="customer",
            tier="high_value",
        ),
        Measure(
            "revenue_at_risk",
            "orders",
            "currency",
            "lower",
            "the spend in the RFM window ending d of customers_at_risk",
            grain="customer",
            tier="churned",
        ),
        Measure(
            "expected_orders_45d",
            "orders",
            "count",
            "higher",
            "the orders every customer is expected (BG/NBD) to place in the 45 days after d",
            grain="customer",
        ),
    ]
    return found


DAY_MEASURES = dict(MEASURES)
"""The measures summed per day (grain `day`): what jobs/customers/daily.py computes."""
MEASURES |= {measure.name: measure for measure in _tier_measures()}

HEALTH_FACTORS = ("active_rate_30d", "retention_7d", "aov_30d")
"""What the health index multiplies, in the playbook's order: activity × retention × value."""
