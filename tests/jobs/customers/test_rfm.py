"""RFM scores and tiers on customers worked out by hand: quintile edges and ties, one customer,
each tier's rule and their precedence, and the rules' validation messages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from pydantic import ValidationError

from jobs.customers.local_day import day_number
from jobs.customers.measures import TIERS
from jobs.customers.rfm import TierRules, scores, tiers
from tests.jobs.customers.reference import Order, Reference, customer_summary

AS_OF = date(2024, 6, 30)
TODAY = day_number(AS_OF)
RULES = TierRules()


def summary(*customers: dict[str, Any]) -> pd.DataFrame:
    """A summary as of AS_OF from customers given as days ago: `first` (days since the first
    order), `last` (since the last), `orders` and `spend` in the window; order_days = orders."""
    rows = []
    for number, customer in enumerate(customers):
        last = customer.get("last", 0)
        orders = customer.get("orders", 1 if last < RULES.window_days else 0)
        rows.append(
            {
                "customer": customer.get("name", f"c{number}"),
                "first_day": TODAY - customer.get("first", max(last, 100)),
                "last_day": TODAY - last,
                "order_days": max(orders, 1),
                "orders": orders,
                "spend": float(customer.get("spend", 10.0 * orders)),
            }
        )
    return pd.DataFrame(rows)


def scored(*customers: dict[str, Any], rules: TierRules = RULES) -> pd.DataFrame:
    return scores(summary(*customers), AS_OF, rules)


# ---- scores --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [
        pytest.param("orders", [1, 2, 3, 4, 5], [1, 2, 3, 4, 5], id="five-customers-one-each"),
        pytest.param(
            "orders", list(range(1, 11)), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5], id="ten-two-a-quintile"
        ),
        # ranks (max) 1, 3, 3, 4 of 4: ceil(5/4) = 2, ceil(15/4) = 4, ceil(20/4) = 5.
        pytest.param("orders", [1, 2, 2, 3], [2, 4, 4, 5], id="a-tie-takes-the-higher-rank"),
        # ranks 2, 2, 5, 5, 5 of 5: a tie across the first edge lifts both to 2.
        pytest.param("orders", [1, 1, 2, 2, 2], [2, 2, 5, 5, 5], id="ties-across-an-edge"),
        # ranks 1, 2, 3 of 3: ceil(5/3) = 2, ceil(10/3) = 4.
        pytest.param("orders", [1, 2, 3], [2, 4, 5], id="three-customers-skip-scores"),
        pytest.param("orders", [3, 3, 3, 3], [5, 5, 5, 5], id="all-equal-all-best"),
        pytest.param("orders", [7], [5], id="a-single-customer-is-the-best"),
        pytest.param(
            "spend", [0.0, 0.0, 99.5, 12.25, 12.25], [2, 2, 5, 4, 4], id="money-ties-exactly"
        ),
    ],
)
def test_frequency_and_monetary_scores(
    column: str, values: list[float], expected: list[int]
) -> None:
    customers = [{"last": 1, column: value} for value in values]
    if column == "spend":
        customers = [{**customer, "orders": 1} for customer in customers]
    got = scored(*customers)
    score = "f_score" if column == "orders" else "m_score"
    assert got[score].tolist() == expected


@pytest.mark.parametrize(
    ("days_ago", "expected"),
    [
        # fewer days is better: ranks of −days (max) are 4, 3, 3, 1 of 4.
        pytest.param([0, 10, 10, 100], [5, 4, 4, 2], id="fewer-days-score-higher"),
        pytest.param([400, 400], [5, 5], id="ties-even-outside-the-window"),
        pytest.param([30], [5], id="a-single-customer-is-the-best"),
    ],
)
def test_recency_scores(days_ago: list[int], expected: list[int]) -> None:
    got = scored(*({"last": days} for days in days_ago))
    assert got["r_score"].tolist() == expected
    assert got["recency"].tolist() == days_ago


def test_scores_add_the_rfm_values_and_keep_the_summary() -> None:
    base = summary({"name": "ana", "first": 200, "last": 3, "orders": 4, "spend": 55.5})
    got = scores(base, AS_OF, RULES)
    added = got[["recency", "frequency", "monetary", "age"]].to_dict("records")
    assert added == [{"recency": 3, "frequency": 4, "monetary": 55.5, "age": 200}]
    pd.testing.assert_frame_equal(got[base.columns], base)
    assert {str(got[name].dtype) for name in ("r_score", "f_score", "m_score")} == {"int64"}


def test_no_customers_no_scores_and_no_tiers() -> None:
    empty = summary().reindex(
        columns=["customer", "first_day", "last_day", "order_days", "orders", "spend"]
    )
    got = scores(empty, AS_OF, RULES)
    assert got.empty
    assert {"r_score", "f_score", "m_score"} <= set(got.columns)
    assert tiers(got, RULES).empty


@pytest.mark.parametrize(
    ("customer", "message"),
    [
        pytest.param({"last": -1}, "the summary has orders after 2024-06-30", id="after-as-of"),
        pytest.param(
            {"last": 400, "orders": 2},
            "the summary's orders are not those of the 365 days ending 2024-06-30",
            id="orders-outside-the-window",
        ),
        pytest.param(
            {"last": 10, "orders": 0},
            "the summary's orders are not those of the 365 days ending 2024-06-30",
            id="no-orders-inside-the-window",
        ),
    ],
)
def test_a_summary_of_another_day_or_window_is_refused(
    customer: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        scored(customer)


# ---- tiers ---------------------------------------------------------------------------------------

TOP = {"last": 1, "orders": 9, "spend": 900.0}  # the best scores among LOW customers
LOW = [{"last": 60, "orders": 1, "spend": 5.0}] * 4


@pytest.mark.parametrize(
    ("customer", "alive", "rules", "expected"),
    [
        pytest.param({"last": 91}, None, RULES, "churned", id="91-days-without-an-order-churned"),
        pytest.param({"last": 90}, None, RULES, "potential", id="90-days-not-yet-churned"),
        pytest.param(
            {"last": 10, "first": 10}, None, RULES, "new", id="first-order-10-days-ago-new"
        ),
        pytest.param({"last": 29, "first": 29}, None, RULES, "new", id="29-days-still-new"),
        pytest.param(
            {"last": 30, "first": 30, "spend": 1.0}, None, RULES, "potential", id="30-days-not-new"
        ),
        pytest.param(TOP, None, RULES, "high_value", id="every-score-at-least-4-high-value"),
        pytest.param(
            TOP,
            None,
            TierRules(high_value={"recency": 5, "frequency": 5, "monetary": 5}),
            "high_value",
            id="own-minimums-met",
        ),
        pytest.param(
            {**TOP, "spend": 1.0}, None, RULES, "potential", id="one-low-score-is-not-enough"
        ),
        pytest.param(
            {**TOP, "first": 5, "last": 5},
            None,
            RULES,
            "new",
            id="new-comes-before-high-value",
        ),
        pytest.param(
            {"last": 95, "first": 400, "orders": 1, "spend": 900.0},
            None,
            TierRules(high_value={"recency": 1, "frequency": 1, "monetary": 1}),
            "churned",
            id="churned-comes-before-high-value",
        ),
        pytest.param(
            TOP,
            0.2,
            TierRules(churn_probability_below=0.3),
            "churned",
            id="unlikely-alive-churned",
        ),
        pytest.param(
            {"last": 2, "first": 2},
            0.2,
            TierRules(churn_probability_below=0.3),
            "churned",
            id="churned-comes-before-new",
        ),
        pytest.param(
            TOP,
            0.3,
            TierRules(churn_probability_below=0.3),
            "high_value",
            id="at-the-probability-not-churned",
        ),
        pytest.param(TOP, 0.01, RULES, "high_value", id="no-probability-rule-no-churn"),
        pytest.param(
            TOP,
            float("nan"),
            TierRules(churn_probability_below=0.3),
            "high_value",
            id="a-missing-probability-churns-no-one",
        ),
    ],
)
def test_tier_rules_and_precedence(
    customer: dict[str, Any], alive: float | None, rules: TierRules, expected: str
) -> None:
    """The customer is the first of five; the other four order less, less often, longer ago."""
    got = scored(customer, *LOW, rules=rules)
    chances = None if alive is None else pd.Series([alive, 0.9, 0.9, 0.9, 0.9])
    named = tiers(got, rules, chances)
    assert named.name == "tier"
    assert named.iloc[0] == expected
    assert set(named) <= set(TIERS)


def test_alive_needs_every_scored_customer() -> None:
    got = scored(TOP, *LOW)
    with pytest.raises(ValueError, match="alive has no probability for 2 scored customers"):
        tiers(got, TierRules(churn_probability_below=0.5), pd.Series([0.9, 0.9, 0.9]))


def test_a_customer_whose_only_order_was_refunded_has_no_tier() -> None:
    at = datetime(2024, 6, 20, 10, 0, tzinfo=UTC)
    orders = [
        Order("ana", at, 30.0, "paid", "o1"),
        Order("bo", at, 500.0, "refunded", "o2"),
        Order("cy", at, 20.0, "paid", "o3"),
        Order("cy", at, 20.0, "cancelled", "o4"),
    ]
    placed = Reference(orders, [], ZoneInfo("Europe/Berlin")).placed()
    rows = customer_summary(placed, AS_OF, RULES.window_days)
    base = pd.DataFrame(
        [
            {
                "customer": name,
                "first_day": day_number(row.first_day),
                "last_day": day_number(row.last_day),
                "order_days": row.order_days,
                "orders": row.orders,
                "spend": row.spend,
            }
            for name, row in rows.items()
        ]
    )
    got = scores(base, AS_OF, RULES)
    named = dict(zip(got["customer"], tiers(got, RULES), strict=True))
    assert named == {"ana": "new", "cy": "new"}
    assert got.set_index("customer").loc["cy", "monetary"] == 20.0


# ---- the rules -----------------------------------------------------------------------------------


def test_default_rules() -> None:
    assert RULES.model_dump() == {
        "window_days": 365,
        "new_days": 30,
        "churned_days": 90,
        "high_value": {"recency": 4, "frequency": 4, "monetary": 4},
        "churn_probability_below": None,
    }


@pytest.mark.parametrize(
    ("given", "message"),
    [
        pytest.param(
            {"window_days": 0}, "window_days: 0 is not a positive number of days", id="window"
        ),
        pytest.param({"new_days": -3}, "new_days: -3 is not a positive number of days", id="new"),
        pytest.param(
            {"churned_days": 0}, "churned_days: 0 is not a positive number of days", id="churned"
        ),
        pytest.param(
            {"high_value": {"recency": 6}},
            "recency: 6 is not a score (scores are 1–5)",
            id="score-above-5",
        ),
        pytest.param(
            {"high_value": {"monetary": 0}},
            "monetary: 0 is not a score (scores are 1–5)",
            id="score-below-1",
        ),
        pytest.param(
            {"churn_probability_below": 1.0},
            "churn_probability_below: 1 is not a probability between 0 and 1 (both excluded)",
            id="probability-one",
        ),
        pytest.param(
            {"churn_probability_below": 0},
            "churn_probability_below: 0 is not a probability between 0 and 1 (both excluded)",
            id="probability-zero",
        ),
        pytest.param({"churned": 90}, "Extra inputs are not permitted", id="unknown-rule"),
        pytest.param(
            {"high_value": {"recent": 4}}, "Extra inputs are not permitted", id="unknown-score"
        ),
    ],
)
def test_rules_are_checked(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        TierRules.model_validate(given)
    assert message in str(raised.value)


def test_rules_are_frozen() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        RULES.new_days = 7  # type: ignore[misc]
