"""The digest's compact customer-tier line, from stored points. Pure.

A channel with goals on customer-grain measures (jobs/customers/measures.py) gets each tier's
share of customers, in TIERS order, from the metric declared for `{tier}_share`; the tiers its
goals are about also get their week-over-week change in percentage points. Goals on
`customers_at_risk` or `high_value_at_risk` add how many customers are at risk.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import date

from jobs.customers.measures import TIERS
from jobs.digest.dashboard import (
    WEEK,
    History,
    goal_measures,
    is_tier_channel,
    latest_day,
    share_metrics,
)
from jobs.digest.model import AtRisk, TierLine, TierShare
from jobs.metrics.catalog import Metric, MetricCatalog

# The at-risk measures the line mentions, in its order, and the tier each counts (None: all).
AT_RISK = {"customers_at_risk": None, "high_value_at_risk": "high_value"}


def tier_line(
    catalog: MetricCatalog,
    goal_keys: Collection[str],
    history: History,
    *,
    day: date,
    staleness_days: int,
) -> TierLine | None:
    """The tier line for a channel with these goals, from `history` (which holds at least the
    goals' and `dashboard_keys`' points up to `day`); None without customer-grain goals."""
    if not is_tier_channel(catalog, goal_keys):
        return None
    about = {measure.tier for measure in goal_measures(catalog, goal_keys)}
    declared = share_metrics(catalog)
    shares = tuple(
        _share(tier, metric, history.get(metric.key, {}), tier in about, day, staleness_days)
        for tier, metric in declared.items()
    )
    return TierLine(
        shares=shares,
        undeclared=tuple(f"{tier}_share" for tier in TIERS if tier not in declared),
        at_risk=_at_risk(catalog, goal_keys, history, day, staleness_days),
    )


def _share(
    tier: str,
    metric: Metric,
    series: Mapping[date, float],
    with_change: bool,
    day: date,
    staleness_days: int,
) -> TierShare:
    """A tier's latest share as a fraction and, `with_change`, its change in points over the
    week before that day."""
    latest = latest_day(series, day, staleness_days)
    if latest is None:
        return TierShare(tier=tier, value=None)
    # A `scale: percent` metric stores 8.1 for 8.1%, a `fraction` one 0.081.
    in_percent = metric.scale == "percent"
    value = series[latest]
    before = series.get(latest - WEEK)
    change = None
    if with_change and before is not None and math.isfinite(before):
        change = (value - before) * (1 if in_percent else 100)
    return TierShare(tier=tier, value=value / 100 if in_percent else value, change_points=change)


def _at_risk(
    catalog: MetricCatalog,
    goal_keys: Collection[str],
    history: History,
    day: date,
    staleness_days: int,
) -> tuple[AtRisk, ...]:
    """Each at-risk measure a goal's metric computes, with its latest value, in AT_RISK order."""
    keys: dict[str, str] = {}
    for key in sorted(goal_keys):
        measure = metric.measure if (metric := catalog.get(key)) is not None else None
        if measure is not None and measure in AT_RISK:
            keys.setdefault(measure, key)
    found = []
    for measure, tier in AT_RISK.items():
        series = history.get(keys[measure], {}) if measure in keys else {}
        latest = latest_day(series, day, staleness_days)
        if latest is not None:
            found.append(AtRisk(tier=tier, count=series[latest]))
    return tuple(found)
