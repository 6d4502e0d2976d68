"""The customer measures (grain `customer` in measures.py) for the days asked: each customer's
RFM tier as of the day (rfm.py) from the per-customer summary computed where the orders live
(summary.py), and the BG/NBD churn model (bgnbd.py).

Invariants:
- A day's measures read only orders on that day or before: the summary is taken as of it.
- The churn model is fitted once per call, on the summary as of the last day asked, and scores
  every day's customers with those parameters (a fit is seconds; a day's scoring is a few
  vectorised expressions).
- Only the last CUSTOMER_HISTORY_DAYS days asked get values (each is a summary of all orders);
  earlier days are NaN, which stores nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from jobs.customers.datasets import Datasets, OrdersDataset
from jobs.customers.measures import AT_RISK_MEASURES, MEASURES, TIERS
from jobs.customers.scored import at_risk, fitted, tiered
from jobs.customers.summary import customer_summary
from jobs.metrics.sources.errors import SourceError

CUSTOMER_HISTORY_DAYS = 8  # today and the week before it: week-over-week works on day one
MOVE_DAYS = 7  # moves compare a customer's tier on d with the one on d − 7


@dataclass(frozen=True)
class _Place:
    orders: OrdersDataset
    timezone: str
    base_dir: Path
    env: Mapping[str, str]


class _Summaries:
    """Each day's customer summary, read once however often it is asked for."""

    def __init__(self, place: _Place, window_days: int) -> None:
        self._place, self._window_days = place, window_days
        self._read: dict[date, pd.DataFrame] = {}

    async def as_of(self, day: date) -> pd.DataFrame:
        if day not in self._read:
            place = self._place
            self._read[day] = await customer_summary(
                place.orders,
                as_of=day,
                window_days=self._window_days,
                timezone=place.timezone,
                base_dir=place.base_dir,
                env=place.env,
            )
        return self._read[day]


async def customer_measures(
    datasets: Datasets,
    *,
    measures: Collection[str],
    days: list[date],
    timezone: str,
    base_dir: Path,
    env: Mapping[str, str],
) -> pd.DataFrame:
    """Every day asked (index, ascending) × the asked customer measures (float64, NaN where a
    measure has no value that day). Raises SourceError when the orders cannot be read."""
    names = list(dict.fromkeys(measures))
    frame = pd.DataFrame(np.nan, index=pd.Index(days, name="day"), columns=names)
    if not names or not days:
        return frame
    if datasets.orders is None:
        raise SourceError("orders dataset: not declared under datasets: in metrics.yml")
    rules = datasets.tiers
    place = _Place(datasets.orders, timezone, base_dir, env)
    summaries = _Summaries(place, rules.window_days)
    model = None
    if set(names) & {*AT_RISK_MEASURES, "expected_orders_45d"} or rules.churn_probability_below:
        # The fit and the scoring are seconds of CPU at scale: off the event loop.
        model = await asyncio.to_thread(fitted, await summaries.as_of(days[-1]), days[-1])
    for day in days[-CUSTOMER_HISTORY_DAYS:]:
        today = await asyncio.to_thread(tiered, await summaries.as_of(day), day, datasets, model)
        values = _tier_values(today) | _risk_values(today, datasets.at_risk_below)
        if any(name.startswith("moved_") for name in names):
            earlier = day - timedelta(days=MOVE_DAYS)
            summary = await summaries.as_of(earlier)
            before = await asyncio.to_thread(tiered, summary, earlier, datasets, model)
            values |= _moves(before, today)
        frame.loc[day] = [values.get(name, np.nan) for name in names]
    return frame.astype("float64")


def _tier_values(today: pd.DataFrame) -> dict[str, float]:
    customers = len(today)
    spend = float(today["monetary"].sum())
    values: dict[str, float] = {}
    for tier in TIERS:
        mine = today[today["tier"] == tier]
        values[f"{tier}_customers"] = float(len(mine))
        values[f"{tier}_share"] = len(mine) / customers if customers else np.nan
        values[f"{tier}_revenue_share"] = float(mine["monetary"].sum()) / spend if spend else np.nan
    return values


def _risk_values(today: pd.DataFrame, below: float) -> dict[str, float]:
    if today["alive"].isna().all():
        return {}
    risky = today[at_risk(today, below)]
    return {
        "customers_at_risk": float(len(risky)),
        "high_value_at_risk": float((risky["tier"] == "high_value").sum()),
        "revenue_at_risk": float(risky["monetary"].sum()),
        "expected_orders_45d": float(today["expected"].sum()),
    }


def _moves(before: pd.DataFrame, today: pd.DataFrame) -> dict[str, float]:
    """How many customers went from each tier a week ago to each other tier now."""
    both = before[["customer", "tier"]].merge(
        today[["customer", "tier"]], on="customer", suffixes=("_before", "_now")
    )
    counts = both.groupby(["tier_before", "tier_now"]).size()
    return {
        f"moved_{old}_to_{new}": float(counts.get((old, new), 0))
        for old in TIERS
        for new in TIERS
        if f"moved_{old}_to_{new}" in MEASURES
    }
