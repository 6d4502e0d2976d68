"""RFM scores and the four customer tiers, from the per-customer summary (summary.py): pure pandas
and numpy, no I/O.

Every customer in the summary is scored 1–5 on recency, frequency and monetary value against
all the others (`scores`), then put in exactly one tier (`tiers`), the first rule that holds
deciding: churned, new, high_value, else potential. TierRules (tier_rules.py) holds the rules'
numbers.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from jobs.customers.tier_rules import BEST_SCORE, TierRules

# Day numbers as local_day.py counts them.
_EPOCH = date(1970, 1, 1)

__all__ = ["BEST_SCORE", "TierRules", "scores", "tiers"]


def scores(summary: pd.DataFrame, as_of: date, rules: TierRules) -> pd.DataFrame:
    """The summary (as of `as_of`, with `rules.window_days`) with seven columns added.

    recency    as_of − last_day, in days
    frequency  orders in the window
    monetary   spend in the window
    age        as_of − first_day, in days (what makes a customer new)
    r_score, f_score, m_score
               each 1–5: ceil(5 × p), p = rank(method="max", pct=True) among all customers in
               the summary, the share of customers whose value is at most this one's. Ties share
               the highest rank, so equal values always get equal scores; the best customers
               score 5. Recency ranks the negated days (fewer days since the last order is
               better). Computed in integers, ceil(5k / n) for rank k of n customers, so that
               no rounding moves a customer across a quintile's edge.

    Raises ValueError when the summary does not fit `as_of` and the window (an order after
    `as_of`, or orders in the window that disagree with the last order's day).
    """
    _check_summary(summary, as_of, rules)
    today = _day_number(as_of)
    scored = summary.copy()
    scored["recency"] = (today - summary["last_day"]).astype("int64")
    scored["frequency"] = summary["orders"].astype("int64")
    scored["monetary"] = summary["spend"].astype("float64")
    scored["age"] = (today - summary["first_day"]).astype("int64")
    scored["r_score"] = _quintile(-scored["recency"])
    scored["f_score"] = _quintile(scored["frequency"])
    scored["m_score"] = _quintile(scored["monetary"])
    return scored


def tiers(
    scored: pd.DataFrame, rules: TierRules, alive: pd.Series[float] | None = None
) -> pd.Series[str]:
    """Each scored customer's tier (named "tier", indexed like `scored`): the first that holds of

    churned     recency > churned_days, or (given `alive` and churn_probability_below) the
                probability of being alive is below churn_probability_below
    new         age < new_days: the first order is less than new_days days before as_of
    high_value  r_score, f_score and m_score each at least high_value's minimum
    potential   everyone else

    `alive` is indexed like `scored`; a missing probability (NaN) churns no one.
    """
    churned = scored["recency"] > rules.churned_days
    if alive is not None and rules.churn_probability_below is not None:
        missing = scored.index.difference(alive.index)
        if len(missing):
            raise ValueError(f"alive has no probability for {len(missing)} scored customers")
        churned |= alive.reindex(scored.index) < rules.churn_probability_below
    new = scored["age"] < rules.new_days
    least = rules.high_value
    high_value = (
        (scored["r_score"] >= least.recency)
        & (scored["f_score"] >= least.frequency)
        & (scored["m_score"] >= least.monetary)
    )
    # np.select takes the first condition that holds: the tiers' precedence.
    named = np.select(
        [churned.to_numpy(bool), new.to_numpy(bool), high_value.to_numpy(bool)],
        ["churned", "new", "high_value"],
        default="potential",
    )
    return pd.Series(named.astype(object), index=scored.index, name="tier")


def _quintile(values: pd.Series[float]) -> pd.Series[int]:
    """ceil(5 × rank(method="max") / n) for each value: 1–5, higher values higher."""
    ranks = values.rank(method="max").to_numpy("int64")
    count = max(len(values), 1)
    scored: pd.Series[int] = pd.Series(
        (BEST_SCORE * ranks + count - 1) // count, index=values.index, dtype="int64"
    )
    return scored


def _check_summary(summary: pd.DataFrame, as_of: date, rules: TierRules) -> None:
    today = _day_number(as_of)
    if (summary["last_day"] > today).any():
        raise ValueError(f"the summary has orders after {as_of}: it is not as of that day")
    # Orders in the window exactly when the last order is in it, if the windows are the same.
    in_window = summary["last_day"] > today - rules.window_days
    if ((summary["orders"] > 0) != in_window).any():
        raise ValueError(
            f"the summary's orders are not those of the {rules.window_days} days ending {as_of}"
        )


def _day_number(day: date) -> int:
    return (day - _EPOCH).days
