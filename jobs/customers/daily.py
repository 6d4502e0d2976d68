"""Per-day aggregates → every built-in measure for every day: pure arithmetic, no I/O.

The aggregates are the frames jobs/customers/aggregates.py's statements return (a `day` column
of day numbers and value columns). Each measure here follows its definition in
jobs/customers/measures.py. Windows look back up to LOOKBACK_DAYS, so a value is only right
from `window.lo + LOOKBACK_DAYS` on; the caller aggregates that much earlier than it reports.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from jobs.customers.aggregates import RETENTION_DAYS, WINDOW_DAYS, Window
from jobs.customers.measures import HEALTH_FACTORS

# health_index_wow on d needs health_index on d−7, whose aov_30d and active_rate_30d need
# days back to d−7−29, and whose retention_7d needs the new users of d−14.
WEEK_DAYS = 7
LOOKBACK_DAYS = WEEK_DAYS + WINDOW_DAYS - 1

Frames = Mapping[str, pd.DataFrame]
FloatArray = np.ndarray[tuple[int], np.dtype[np.float64]]


def _days(window: Window) -> pd.Index[int]:
    return pd.Index(range(window.lo, window.hi + 1), name="day")


def _series(frame: pd.DataFrame, name: str, window: Window) -> pd.Series[float]:
    """Column `name` for every day of the window; days without a row are 0."""
    values = pd.to_numeric(frame.set_index("day")[name], errors="coerce").astype("float64")
    values.index = values.index.astype("int64")
    return values.fillna(0.0).groupby(level=0).sum().reindex(_days(window), fill_value=0.0)


def _ratio(top: pd.Series[float], bottom: pd.Series[float]) -> pd.Series[float]:
    """top ÷ bottom, NaN where bottom is 0 or NaN."""
    return (top / bottom.where(bottom != 0)).astype("float64")


def _covered(frame: pd.DataFrame, window: Window) -> pd.Series[float]:
    """How many intervals cover each day, from per-day starts and stops (last covered days)."""
    starts = _series(frame, "starts", window).cumsum()
    stopped = _series(frame, "stops", window).cumsum().shift(1, fill_value=0.0)
    return starts - stopped


def _window_sum(values: pd.Series[float]) -> pd.Series[float]:
    """The sum over the 30 days ending each day; NaN until 30 days are known."""
    out = np.full(len(values), np.nan)
    if len(values) >= WINDOW_DAYS:
        out[WINDOW_DAYS - 1 :] = sliding_window_view(values.to_numpy(), WINDOW_DAYS).sum(axis=1)
    return pd.Series(out, index=values.index)


def activity_measures(frames: Frames, window: Window) -> pd.DataFrame:
    """dau, active_users_30d, user_base, active_rate_30d, new_users, retention_7d and
    retention_d7 for every day of the window."""
    new_users = _series(frames["new_users"], "users", window)
    earlier = frames["new_users"]
    before = float(earlier.loc[earlier["day"] == window.lo - 1, "users"].sum())
    user_base = before + new_users.cumsum()
    active = _covered(frames["active_30d"], window)
    cohort = new_users.shift(RETENTION_DAYS)
    returned = _series(frames["retention"], "returned", window).shift(RETENTION_DAYS)
    on_day_7 = _series(frames["retention"], "on_day_7", window).shift(RETENTION_DAYS)
    return pd.DataFrame(
        {
            "dau": _series(frames["dau"], "users", window),
            "active_users_30d": active,
            "user_base": user_base,
            "active_rate_30d": _ratio(active, user_base),
            "new_users": new_users,
            "retention_7d": _ratio(returned, cohort),
            "retention_d7": _ratio(on_day_7, cohort),
        }
    )


def _volatility(aov: pd.Series[float]) -> pd.Series[float]:
    """Population standard deviation ÷ mean of the daily aov over the 30 days ending each day,
    days without orders (NaN) left out; NaN with fewer than 2 such days or a mean of 0."""
    out = np.full(len(aov), np.nan)
    if len(aov) >= WINDOW_DAYS:
        windows = sliding_window_view(aov.to_numpy(), WINDOW_DAYS)
        known = ~np.isnan(windows)
        counts = known.sum(axis=1)
        values = np.where(known, windows, 0.0)
        mean = values.sum(axis=1) / np.maximum(counts, 1)
        spread = np.where(known, (windows - mean[:, None]) ** 2, 0.0).sum(axis=1)
        deviation = np.sqrt(spread / np.maximum(counts, 1))
        usable = (counts >= 2) & (mean != 0)
        out[WINDOW_DAYS - 1 :] = np.where(usable, deviation / np.where(usable, mean, 1.0), np.nan)
    return pd.Series(out, index=aov.index)


def order_measures(frames: Frames, window: Window) -> pd.DataFrame:
    """orders, gmv, buyers, aov, aov_30d, aov_volatility and repeat_purchase_rate for every
    day of the window."""
    orders = _series(frames["orders"], "orders", window)
    gmv = _series(frames["orders"], "gmv", window)
    aov = _ratio(gmv, orders)
    return pd.DataFrame(
        {
            "orders": orders,
            "gmv": gmv,
            "buyers": _series(frames["orders"], "buyers", window),
            "aov": aov,
            "aov_30d": _ratio(_window_sum(gmv), _window_sum(orders)),
            "aov_volatility": _volatility(aov),
            "repeat_purchase_rate": _ratio(
                _covered(frames["repeat_30d"], window), _covered(frames["buyers_30d"], window)
            ),
        }
    )


def health_measures(factors: pd.DataFrame) -> pd.DataFrame:
    """health_index (the product of HEALTH_FACTORS) and health_index_wow."""
    health = factors[list(HEALTH_FACTORS)].prod(axis=1, skipna=False)
    week_before = health.shift(WEEK_DAYS)
    return pd.DataFrame(
        {"health_index": health, "health_index_wow": _ratio(health, week_before) - 1.0}
    )
