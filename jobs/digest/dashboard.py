"""The user-health dashboard at the foot of a channel's digest, from stored points. Pure.

A channel with goals on day-grain dataset metrics (metrics.yml `source: {kind: dataset}`) gets
the measure-based dashboard: the health index, its three factors (HEALTH_FACTORS) with their
week-over-week change, AOV volatility, and every benchmark gap. Each value is a stored point of
the metric declared for that measure; a measure no metric computes is named as undeclared.
A channel without, whose goals are the inputs of a `health_index` formula metric, gets that
formula's index and inputs, as before the datasets. A channel with goals on customer-grain
measures gets the tier line instead or as well (tiers.py; `dashboard_keys` reads its points).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from datetime import date, timedelta

from jobs.customers.datasets import Benchmark
from jobs.customers.measures import HEALTH_FACTORS, MEASURES, TIERS, Measure
from jobs.digest.model import BenchmarkGap, HealthIndex, Reading
from jobs.digest.week import week_ending
from jobs.i18n import N_
from jobs.metrics.catalog import Metric, MetricCatalog

HEALTH_INDEX = "health_index"  # the measure, and the key of the formula metric before it
AOV_VOLATILITY = "aov_volatility"
HEALTH_INDEX_TITLE = N_("User health index")  # `_` it where it is shown
WEEK = timedelta(days=7)

# Stored values by metric key, then by day.
History = Mapping[str, Mapping[date, float]]


def benchmark_gap(benchmark: Benchmark | None, value: float | None) -> BenchmarkGap | None:
    """How `value` stands against `benchmark`; None without a benchmark."""
    if benchmark is None:
        return None
    known = value is not None and math.isfinite(value)
    return BenchmarkGap(
        benchmark=benchmark.value,
        gap=benchmark.gap(value) if known and value is not None else None,
        breached=known and value is not None and benchmark.breached(value),
    )


def measure_metrics(catalog: MetricCatalog) -> dict[str, Metric]:
    """The metric computing each built-in measure; the first by key when several do."""
    found: dict[str, Metric] = {}
    for key in catalog.keys:
        metric = catalog.get(key)
        if metric is not None and metric.measure is not None:
            found.setdefault(metric.measure, metric)
    return found


def share_metrics(catalog: MetricCatalog) -> dict[str, Metric]:
    """The metric declared for each tier's `{tier}_share` measure, by tier, in TIERS order."""
    found = measure_metrics(catalog)
    return {tier: found[f"{tier}_share"] for tier in TIERS if f"{tier}_share" in found}


def goal_measures(catalog: MetricCatalog, goal_keys: Iterable[str]) -> list[Measure]:
    """The built-in measures of the goals' metrics, in the goals' order."""
    found = []
    for key in goal_keys:
        metric = catalog.get(key)
        measure = MEASURES.get(metric.measure or "") if metric is not None else None
        if measure is not None:
            found.append(measure)
    return found


def _is_dataset_channel(catalog: MetricCatalog, goal_keys: Iterable[str]) -> bool:
    """Goals on day-grain measures: a channel with only tier goals gets no health dashboard."""
    return any(measure.grain == "day" for measure in goal_measures(catalog, goal_keys))


def is_tier_channel(catalog: MetricCatalog, goal_keys: Iterable[str]) -> bool:
    """Goals on customer-grain measures: the channel gets the tier line."""
    return any(measure.grain == "customer" for measure in goal_measures(catalog, goal_keys))


def _formula_inputs(catalog: MetricCatalog, goal_keys: Collection[str]) -> list[str]:
    """The `health_index` formula's inputs, when every one of them is a goal in the channel."""
    metric = catalog.get(HEALTH_INDEX)
    inputs = sorted(metric.formula_inputs()) if metric is not None else []
    return inputs if inputs and set(inputs) <= set(goal_keys) else []


def dashboard_keys(catalog: MetricCatalog, goal_keys: Collection[str]) -> set[str]:
    """The metric keys, besides the goals', whose points the channel's dashboard and tier
    line read."""
    keys: set[str] = set()
    if _is_dataset_channel(catalog, goal_keys):
        found = measure_metrics(catalog)
        wanted = (HEALTH_INDEX, *HEALTH_FACTORS, AOV_VOLATILITY)
        keys |= {found[measure].key for measure in wanted if measure in found}
    elif _formula_inputs(catalog, goal_keys):
        keys.add(HEALTH_INDEX)
    if is_tier_channel(catalog, goal_keys):
        keys |= {metric.key for metric in share_metrics(catalog).values()}
    return keys


def channel_health(
    catalog: MetricCatalog,
    goal_keys: Collection[str],
    history: History,
    *,
    day: date,
    staleness_days: int,
) -> HealthIndex | None:
    """The dashboard for a channel with these goals, from `history` (which holds at least the
    goals' and `dashboard_keys`' points up to `day`); None when the channel has none."""
    if _is_dataset_channel(catalog, goal_keys):
        return _measure_health(catalog, goal_keys, history, day, staleness_days)
    if inputs := _formula_inputs(catalog, goal_keys):
        series = history.get(HEALTH_INDEX, {})
        return HealthIndex(
            value=series.get(day) or series.get(day - timedelta(days=1)),
            components={key: _latest(history.get(key, {}), day) for key in inputs},
            sparkline=week_ending(series, day),
        )
    return None


def _measure_health(
    catalog: MetricCatalog,
    goal_keys: Collection[str],
    history: History,
    day: date,
    staleness_days: int,
) -> HealthIndex:
    found = measure_metrics(catalog)

    def read(metric: Metric, series: Mapping[date, float]) -> Reading:
        return reading(metric, series, day=day, staleness_days=staleness_days)

    factors = tuple(
        read(found[name], history.get(found[name].key, {}))
        for name in HEALTH_FACTORS
        if name in found
    )
    series = _index_series(found, history)
    index = None
    if HEALTH_INDEX in found:
        index = read(found[HEALTH_INDEX], series)
    elif len(factors) == len(HEALTH_FACTORS):
        index = _computed_index(factors, series, day, staleness_days)
    volatility = None
    if AOV_VOLATILITY in found:
        volatility = read(found[AOV_VOLATILITY], history.get(found[AOV_VOLATILITY].key, {}))
    shown = [m for m in (found.get(HEALTH_INDEX), *(found.get(n) for n in HEALTH_FACTORS)) if m]
    if AOV_VOLATILITY in found:
        shown.append(found[AOV_VOLATILITY])
    shown += [metric for key in sorted(goal_keys) if (metric := catalog.get(key))]
    return HealthIndex(
        value=index.value if index else None,
        components={},
        sparkline=week_ending(series, day),
        index=index,
        factors=factors,
        undeclared=tuple(name for name in HEALTH_FACTORS if name not in found),
        aov_volatility=volatility.value if volatility else None,
        benchmarks=_benchmarks(shown, history, day, staleness_days),
    )


def reading(
    metric: Metric, series: Mapping[date, float], *, day: date, staleness_days: int
) -> Reading:
    """A metric's value on its latest day at most `staleness_days` before `day`, and how it
    changed from seven days before that day."""
    latest = latest_day(series, day, staleness_days)
    value = series[latest] if latest is not None else None
    return Reading(
        metric_key=metric.key,
        title=metric.title,
        unit=metric.unit.value,
        scale=metric.scale,
        currency=metric.currency,
        value=value,
        change_wow=_change(series, latest),
        benchmark=benchmark_gap(metric.benchmark, value),
    )


def _index_series(found: Mapping[str, Metric], history: History) -> dict[date, float]:
    """The health index by day: its metric's points, else the product of the factors' on the
    days all three have one (the measure's definition)."""
    if HEALTH_INDEX in found:
        return dict(history.get(found[HEALTH_INDEX].key, {}))
    if not all(name in found for name in HEALTH_FACTORS):
        return {}
    parts = [history.get(found[name].key, {}) for name in HEALTH_FACTORS]
    days = set(parts[0]).intersection(*parts[1:])
    return {d: math.prod(part[d] for part in parts) for d in days}


def _computed_index(
    factors: tuple[Reading, ...], series: Mapping[date, float], day: date, staleness_days: int
) -> Reading:
    """The index computed from its factors: in the AOV's currency, as the measure is."""
    latest = latest_day(series, day, staleness_days)
    aov = factors[-1]
    return Reading(
        metric_key=HEALTH_INDEX,
        title=HEALTH_INDEX_TITLE,
        unit=MEASURES[HEALTH_INDEX].unit,
        scale="fraction",
        currency=aov.currency,
        value=series[latest] if latest is not None else None,
        change_wow=_change(series, latest),
    )


def _benchmarks(
    metrics: Iterable[Metric], history: History, day: date, staleness_days: int
) -> tuple[Reading, ...]:
    """A reading of each metric with a benchmark, once each, in the order given."""
    seen: set[str] = set()
    found = []
    for metric in metrics:
        if metric.benchmark is None or metric.key in seen:
            continue
        seen.add(metric.key)
        series = history.get(metric.key, {})
        found.append(reading(metric, series, day=day, staleness_days=staleness_days))
    return tuple(found)


def latest_day(series: Mapping[date, float], day: date, staleness_days: int) -> date | None:
    """The latest day with a finite value from `day − staleness_days` to `day`."""
    for back in range(staleness_days + 1):
        candidate = day - timedelta(days=back)
        if candidate in series and math.isfinite(series[candidate]):
            return candidate
    return None


def _change(series: Mapping[date, float], latest: date | None) -> float | None:
    """The value on `latest` ÷ the value a week before − 1; None without both or at zero."""
    if latest is None:
        return None
    before = series.get(latest - WEEK)
    if before is None or before == 0 or not math.isfinite(before):
        return None
    return series[latest] / before - 1


def _latest(history: Mapping[date, float], day: date) -> float | None:
    past = [d for d in history if d <= day]
    return history[max(past)] if past else None
