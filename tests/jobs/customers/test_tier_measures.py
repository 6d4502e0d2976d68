"""The customer measures through compute_measures, on customers whose tiers are worked out by
hand, on SQLite and on CSV files; and on a larger random base, against the reference summary
scored by the same rules."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from jobs.customers.compute import compute_measures
from jobs.customers.local_day import day_number
from jobs.customers.measures import MEASURES, TIERS
from jobs.customers.rfm import TierRules, scores, tiers
from jobs.customers.scored import at_risk_customers, scored_customers
from tests.jobs.customers.backends import local_datasets
from tests.jobs.customers.reference import Order, Reference, customer_summary

BERLIN = "Europe/Berlin"
ENGINES = ["sqlite", "csv"]
CUSTOMER_MEASURES = [name for name, m in MEASURES.items() if m.grain == "customer"]
MARCH_31 = date(2024, 3, 31)


def orders_of(customer: str, days: list[str], amount: float) -> list[Order]:
    return [
        Order(
            customer, datetime.fromisoformat(f"{day} 10:00:00"), amount, "paid", f"{customer}-{i}"
        )
        for i, day in enumerate(days)
    ]


# Five customers, so each score is the customer's rank (1–5) on that axis.
FIVE = [
    *orders_of("gone", ["2023-10-01", "2023-11-02"], 25.0),  # last order 150 days ago: churned
    *orders_of("pot", ["2024-01-10", "2024-02-01", "2024-03-01"], 100 / 3),
    *orders_of("new1", ["2024-03-25"], 10.0),  # first order 6 days ago: new
    *orders_of("hv1", ["2024-01-05"] + [f"2024-03-{d:02d}" for d in (5, 10, 15, 20, 25, 30)], 80),
    *orders_of("hv2", ["2024-01-03"] + [f"2024-03-{d:02d}" for d in range(3, 32, 4)], 100.0),
    Order("hv2", datetime.fromisoformat("2024-03-31 11:00:00"), 999.0, "refunded", "hv2-r"),
]


@pytest.mark.parametrize("engine", ENGINES)
async def test_five_customers_by_hand(engine: str, tmp_path: Path) -> None:
    """Ranks: hv2 (5, 5, 5) and hv1 (4, 4, 4) are high-value; pot (2, 3, 3) is potential; new1
    and gone fall to their rules first. Five customers are too few to fit the churn model, so
    the at-risk measures have no value."""
    datasets = local_datasets(engine, tmp_path, FIVE, [])
    got = await compute_measures(
        datasets,
        measures=CUSTOMER_MEASURES,
        since=MARCH_31,
        until=MARCH_31,
        timezone=BERLIN,
        base_dir=tmp_path,
        env={},
    )
    row = got.loc[MARCH_31]
    assert row["high_value_customers"] == 2
    assert row["high_value_share"] == pytest.approx(0.4)
    assert row["potential_share"] == pytest.approx(0.2)
    assert row["new_share"] == pytest.approx(0.2)
    assert row["churned_customers"] == 1
    assert row["high_value_revenue_share"] == pytest.approx(1460 / 1620)
    assert row["churned_revenue_share"] == pytest.approx(50 / 1620)
    # A week before, new1 had not ordered and the others were in the same tiers.
    assert all(row[name] == 0 for name in CUSTOMER_MEASURES if name.startswith("moved_"))
    assert math.isnan(row["customers_at_risk"])
    assert math.isnan(row["expected_orders_45d"])


async def test_a_high_value_customer_who_lapses_moves(tmp_path: Path) -> None:
    """hv1 and hv2 stop ordering: more than 90 days after their last orders they are churned,
    and the week that crosses the line counts two moves from high-value to churned (a week
    earlier both were still high-value: a steady customer and lapsed ones rank below)."""
    hv1_last = date(2024, 3, 30)
    day = hv1_last + timedelta(days=94)
    others = [
        *orders_of("steady", [str(day - timedelta(days=d)) for d in range(0, 120, 10)], 10.0),
        *orders_of("pot", [str(day - timedelta(days=5))], 5.0),
    ]
    rows = [*FIVE, *others]
    datasets = local_datasets("csv", tmp_path, rows, [])
    got = await compute_measures(
        datasets,
        measures=["moved_high_value_to_churned", "high_value_customers"],
        since=day,
        until=day,
        timezone=BERLIN,
        base_dir=tmp_path,
        env={},
    )
    assert got.at[day, "moved_high_value_to_churned"] == 2
    assert got.at[day, "high_value_customers"] == 1  # steady, now top on all three


async def test_random_base_agrees_with_the_reference_summary(tmp_path: Path) -> None:
    """400 random customers: compute_measures' tier shares are the reference summary's, scored
    and tiered by the same rules; the fitted model flags at-risk customers among them."""
    rng = random.Random(7)
    rows = []
    for n in range(400):
        start = rng.randrange(0, 300)
        rate = rng.choice([3, 10, 30])
        stop = start + rng.randrange(0, 300)
        day = start
        while day <= min(stop, 364):
            rows.append(
                Order(
                    f"c{n}",
                    datetime(2023, 4, 1, tzinfo=UTC) + timedelta(days=day, hours=rng.randrange(24)),
                    round(rng.uniform(5, 200), 2),
                    "paid",
                    f"o{n}-{day}",
                )
            )
            day += rng.randrange(1, 2 * rate)
    as_of = date(2024, 3, 30)
    datasets = local_datasets("csv", tmp_path, rows, [])
    got = await compute_measures(
        datasets,
        measures=CUSTOMER_MEASURES,
        since=as_of,
        until=as_of,
        timezone=BERLIN,
        base_dir=tmp_path,
        env={},
    )
    placed = Reference(rows, [], ZoneInfo(BERLIN)).placed()
    summary = customer_summary(placed, as_of, TierRules().window_days)
    frame = pd.DataFrame(
        [
            (who, day_number(row.first_day), day_number(row.last_day), row.order_days, *rest)
            for who, row in summary.items()
            for rest in [(row.orders, row.spend)]
        ],
        columns=["customer", "first_day", "last_day", "order_days", "orders", "spend"],
    )
    expected = tiers(scores(frame, as_of, TierRules()), TierRules())
    for tier in TIERS:
        assert got.at[as_of, f"{tier}_share"] == pytest.approx((expected == tier).mean()), tier
    assert got.at[as_of, "customers_at_risk"] > 0
    assert got.at[as_of, "expected_orders_45d"] > 0
    scored = await scored_customers(
        datasets, as_of=as_of, timezone=BERLIN, base_dir=tmp_path, env={}
    )
    listed = at_risk_customers(scored, "customers_at_risk", datasets.at_risk_below)
    assert len(listed) == got.at[as_of, "customers_at_risk"]
    assert set(listed["tier"]) <= {"new", "potential", "high_value"}
