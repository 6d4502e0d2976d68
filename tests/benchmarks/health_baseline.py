"""The health benchmark's baseline: the built-in measures the plain pandas way.

Everything is read with `pandas.read_parquet` (pyarrow), every column of every file, then
grouped in memory, one measure after another, as the definitions in jobs/customers/measures.py
read. Written for clarity, not speed; it must agree with compute_measures value for value.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

WINDOW = 30  # days in the "30 days ending d" windows
COHORT_AGE = 7  # retention looks at the users who joined 7 days before
EXCLUDED = ("refunded", "cancelled")


def local_days(stamps: pd.Series, timezone: str) -> pd.Series:
    """Each naive UTC timestamp's date in `timezone`, as a midnight timestamp."""
    return stamps.dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()


def compute(
    folder: Path, *, measures: Collection[str], since: date, until: date, timezone: str
) -> pd.DataFrame:
    """The measures for every day from `since` to `until`: the same frame compute_measures gives."""
    days = pd.date_range(since, until, freq="D")
    activity = pd.read_parquet(folder / "activity", engine="pyarrow")
    orders = pd.read_parquet(folder / "orders", engine="pyarrow")
    # Health-index-wow on `since` needs the health index a week earlier.
    reach = pd.date_range(pd.Timestamp(since) - pd.Timedelta(days=COHORT_AGE), until, freq="D")
    columns = _activity_measures(activity, reach, timezone) | _order_measures(
        orders, reach, timezone
    )
    index = _health(columns)
    columns["health_index"] = index
    before = index.shift(COHORT_AGE)
    columns["health_index_wow"] = index / before.where(before != 0) - 1
    frame = pd.DataFrame(columns).reindex(days)[list(measures)].astype("float64")
    frame.index = pd.Index([d.date() for d in frame.index])
    return frame


def _activity_measures(
    activity: pd.DataFrame, days: pd.DatetimeIndex, timezone: str
) -> dict[str, pd.Series]:
    pairs = pd.DataFrame(
        {"user": activity["user_id"], "day": local_days(activity["occurred_at"], timezone)}
    ).drop_duplicates()
    first = pairs.groupby("user")["day"].min()
    pairs["joined"] = pairs["user"].map(first)
    age = (pairs["day"] - pairs["joined"]).dt.days

    new_users = first.value_counts().reindex(days, fill_value=0)
    joined = np.sort(first.to_numpy())
    user_base = pd.Series(np.searchsorted(joined, days.to_numpy(), side="right"), index=days)
    recent = pairs[pairs["day"] > days[0] - pd.Timedelta(days=WINDOW)]
    active_30d = pd.Series(
        [
            recent.loc[
                (recent["day"] > day - pd.Timedelta(days=WINDOW)) & (recent["day"] <= day), "user"
            ].nunique()
            for day in days
        ],
        index=days,
    )
    week_earlier = days - pd.Timedelta(days=COHORT_AGE)
    cohort = _share(first.value_counts(), week_earlier, days)  # users who joined on d − 7
    returned = pairs[(age >= 1) & (age <= COHORT_AGE)].groupby("joined")["user"].nunique()
    on_day_7 = pairs[age == COHORT_AGE].groupby("joined")["user"].nunique()
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "dau": pairs.groupby("day").size().reindex(days, fill_value=0),
            "active_users_30d": active_30d,
            "user_base": user_base,
            "active_rate_30d": active_30d / user_base.where(user_base > 0),
            "new_users": new_users,
            "retention_7d": _share(returned, week_earlier, days) / cohort.where(cohort > 0),
            "retention_d7": _share(on_day_7, week_earlier, days) / cohort.where(cohort > 0),
        }


def _share(counts: pd.Series, keys: pd.DatetimeIndex, days: pd.DatetimeIndex) -> pd.Series:
    """counts[key] for each day's key (0 when absent), indexed by the days."""
    return pd.Series(counts.reindex(keys, fill_value=0).to_numpy(), index=days)


def _order_measures(
    orders: pd.DataFrame, days: pd.DatetimeIndex, timezone: str
) -> dict[str, pd.Series]:
    kept = orders[~orders["status"].isin(EXCLUDED)].copy()
    kept["day"] = local_days(kept["ordered_at"], timezone)
    # Every calendar day from a window before the first asked day, days without orders at 0.
    span = pd.date_range(days[0] - pd.Timedelta(days=2 * WINDOW), days[-1], freq="D")
    daily = (
        kept.groupby("day")
        .agg(orders=("order_id", "size"), gmv=("amount", "sum"), buyers=("customer_id", "nunique"))
        .reindex(span, fill_value=0)
    )
    aov = daily["gmv"] / daily["orders"].where(daily["orders"] > 0)
    rolling_orders = daily["orders"].rolling(WINDOW).sum()
    mean = aov.rolling(WINDOW, min_periods=2).mean()
    recent = kept[kept["day"] > days[0] - pd.Timedelta(days=WINDOW)]
    repeat = []
    for day in days:
        counts = recent.loc[
            (recent["day"] > day - pd.Timedelta(days=WINDOW)) & (recent["day"] <= day),
            "customer_id",
        ].value_counts()
        repeat.append(float((counts >= 2).mean()) if len(counts) else np.nan)
    return {
        "orders": daily["orders"].reindex(days),
        "gmv": daily["gmv"].reindex(days),
        "buyers": daily["buyers"].reindex(days),
        "aov": aov.reindex(days),
        "aov_30d": (
            daily["gmv"].rolling(WINDOW).sum() / rolling_orders.where(rolling_orders > 0)
        ).reindex(days),
        "aov_volatility": (aov.rolling(WINDOW, min_periods=2).std(ddof=0) / mean).reindex(days),
        "repeat_purchase_rate": pd.Series(repeat, index=days),
    }


def _health(columns: dict[str, pd.Series]) -> pd.Series:
    return columns["active_rate_30d"] * columns["retention_7d"] * columns["aov_30d"]
