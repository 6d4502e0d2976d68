"""Customers as of a day, each with RFM scores, tier, probability of being alive and expected
orders: what the tier measures count, the heatmap draws and the at-risk list names.

`scored_customers` reads the per-customer summary where the orders live (summary.py), fits the
churn model (bgnbd.py) on it and scores it (rfm.py). Only customer ids leave this module, never
anything else about a customer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import structlog

from jobs.customers.bgnbd import BgNbd, ModelError, expected_purchases, fit, p_alive
from jobs.customers.datasets import Datasets
from jobs.customers.local_day import day_number
from jobs.customers.measures import AT_RISK_MEASURES, RISK_HORIZON_DAYS
from jobs.customers.rfm import BEST_SCORE, scores, tiers
from jobs.customers.summary import customer_summary
from jobs.metrics.sources.errors import SourceError

FloatArray = np.ndarray[tuple[int], np.dtype[np.float64]]
_log = structlog.get_logger(__name__)


def fitted(summary: pd.DataFrame, day: date) -> BgNbd | None:
    """The churn model fitted on the customers as of `day`; None (logged) when it cannot be
    (too few customers, no repeat buyer): the measures that need it then have no value."""
    try:
        return fit(*model_inputs(summary, day_number(day))).params
    except ModelError as exc:
        _log.warning("churn_model_not_fitted", reason=str(exc), customers=len(summary))
        return None


def model_inputs(summary: pd.DataFrame, today: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """BG/NBD's (x, t_x, T) in days: repeat order days, last order since the first, age."""
    first = summary["first_day"].to_numpy("float64")
    return (
        summary["order_days"].to_numpy("float64") - 1,
        summary["last_day"].to_numpy("float64") - first,
        today - first,
    )


def tiered(
    summary: pd.DataFrame, day: date, datasets: Datasets, model: BgNbd | None
) -> pd.DataFrame:
    """The day's customers scored, with their tier, probability of being alive (`alive`) and
    expected orders in RISK_HORIZON_DAYS (`expected`); both NaN without a model."""
    scored = scores(summary, day, datasets.tiers)
    if model is None or scored.empty:
        scored["alive"] = np.nan
        scored["expected"] = np.nan
    else:
        x, t_x, age = model_inputs(scored, day_number(day))
        scored["alive"] = p_alive(model, x, t_x, age)
        scored["expected"] = expected_purchases(model, RISK_HORIZON_DAYS, x, t_x, age)
    alive = scored["alive"] if model is not None else None
    scored["tier"] = tiers(scored, datasets.tiers, alive)
    return scored


async def scored_customers(
    datasets: Datasets, *, as_of: date, timezone: str, base_dir: Path, env: Mapping[str, str]
) -> pd.DataFrame:
    """Every customer as of `as_of`, scored and tiered (see `tiered`). Raises SourceError when
    the orders dataset is not declared or cannot be read."""
    if datasets.orders is None:
        raise SourceError("orders dataset: not declared under datasets: in metrics.yml")
    summary = await customer_summary(
        datasets.orders,
        as_of=as_of,
        window_days=datasets.tiers.window_days,
        timezone=timezone,
        base_dir=base_dir,
        env=env,
    )
    return tiered(summary, as_of, datasets, fitted(summary, as_of))


class ScoringUnavailable(Exception):
    """The customers could not be scored; the message is one line naming no URL, path or
    secret, safe to show in a channel or a DM."""


async def scored_apart(
    datasets: Datasets,
    *,
    as_of: date,
    timezone: str,
    base_dir: Path,
    env: Mapping[str, str],
    seconds: float,
) -> pd.DataFrame:
    """`scored_customers` on a worker thread's own event loop, waited for at most `seconds`.

    The churn model's fit is seconds of CPU that must not hold the caller's loop. Past the limit
    the thread is left to finish on its own (the dataset's query has its own timeout). Every
    failure is a ScoringUnavailable.
    """
    if datasets.orders is None:
        raise ScoringUnavailable("no orders dataset is declared in metrics.yml")

    def alone() -> pd.DataFrame:
        return asyncio.run(
            scored_customers(datasets, as_of=as_of, timezone=timezone, base_dir=base_dir, env=env)
        )

    try:
        async with asyncio.timeout(seconds):
            return await asyncio.to_thread(alone)
    except TimeoutError:
        raise ScoringUnavailable(f"scoring the customers took longer than {seconds:g} s") from None
    except SourceError as exc:
        raise ScoringUnavailable(f"the orders dataset could not be read ({exc.kind})") from None
    except Exception as exc:  # a surprise is told as one line; its text may name the dataset
        _log.error("customers_not_scored", error=type(exc).__name__)
        raise ScoringUnavailable(f"an unexpected error ({type(exc).__name__})") from None


@dataclass(frozen=True)
class GridCell:
    """One cell of the recency × frequency heatmap: customers with these two scores."""

    r_score: int
    f_score: int
    customers: int
    revenue_share: float  # of everyone's spend in the RFM window; 0 when nobody spent


def rf_grid(scored: pd.DataFrame) -> tuple[GridCell, ...]:
    """All 25 cells (scores 1–5 × 1–5), empty ones included, recency-major."""
    total = float(scored["monetary"].sum()) if len(scored) else 0.0
    grouped = scored.groupby(["r_score", "f_score"])["monetary"]
    sizes, spends = grouped.size().to_dict(), grouped.sum().to_dict()
    return tuple(
        GridCell(
            r,
            f,
            int(sizes.get((r, f), 0)),
            float(spends.get((r, f), 0.0)) / total if total else 0.0,
        )
        for r in range(1, BEST_SCORE + 1)
        for f in range(1, BEST_SCORE + 1)
    )


def at_risk(scored: pd.DataFrame, below: float) -> pd.Series[bool]:
    """Who is at risk: not churned yet, but less likely than `below` to be alive."""
    return (scored["alive"] < below) & (scored["tier"] != "churned")


def at_risk_customers(scored: pd.DataFrame, measure: str, below: float) -> pd.DataFrame:
    """The customers behind an at-risk measure (AT_RISK_MEASURES), riskiest first, as the
    at-risk list's columns (AT_RISK_COLUMNS): ids and scores, nothing else about them."""
    if measure not in AT_RISK_MEASURES:
        raise ValueError(f"{measure} is not an at-risk measure")
    risky = scored[at_risk(scored, below)]
    if measure == "high_value_at_risk":
        risky = risky[risky["tier"] == "high_value"]
    listed = pd.DataFrame(
        {
            "customer_id": risky["customer"].astype(str),
            "tier": risky["tier"],
            "r_score": risky["r_score"],
            "f_score": risky["f_score"],
            "m_score": risky["m_score"],
            "churn_probability": (1 - risky["alive"]).round(4),
            "expected_orders_45d": risky["expected"].round(3),
            "spend_in_window": risky["monetary"].round(2),
        }
    )
    return listed.sort_values(
        ["churn_probability", "spend_in_window"], ascending=[False, False]
    ).reset_index(drop=True)
