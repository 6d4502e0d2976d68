"""The user-health dashboard of a digest, from stored points: `jobs.digest.dashboard`."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobs.digest.dashboard import channel_health, dashboard_keys
from jobs.digest.model import BenchmarkGap, HealthIndex
from jobs.metrics.catalog import MetricCatalog, parse_catalog
from tests.support.dashboard_metrics import DATASETS
from tests.support.dashboard_metrics import METRICS as DASHBOARD

DAY = date(2026, 11, 25)
WEEK_AGO = DAY - timedelta(days=7)
METRICS: dict[str, dict[str, Any]] = {
    **DASHBOARD,
    "gmv": {
        "currency": "¥",
        "source": {"kind": "dataset", "measure": "gmv"},
        "benchmark": {"value": 2_000_000, "warn_below": "20%"},
    },
    "dau": {"source": {"kind": "csv", "path": "dau.csv"}},
}
# Each metric's value a week ago and today.
HISTORY = {
    "active_rate": {WEEK_AGO: 0.30, DAY: 0.29},
    "retention": {WEEK_AGO: 0.20, DAY: 0.21},
    "aov_month": {WEEK_AGO: 170.0, DAY: 178.5},
    "health": {WEEK_AGO: 10.2, DAY: 0.29 * 0.21 * 178.5},
    "aov_swing": {DAY: 0.18},
    "gmv": {DAY: 2_100_000.0},
    "dau": {DAY: 120_000.0},
}


def catalog(*leave_out: str) -> MetricCatalog:
    """The metrics above but those named, with the customer datasets."""
    metrics = {key: body for key, body in METRICS.items() if key not in leave_out}
    return parse_catalog({"datasets": DATASETS, "metrics": metrics}, path=Path("metrics.yml"))


def health(
    the_catalog: MetricCatalog, goals: list[str], history: dict[str, dict[date, float]] = HISTORY
) -> HealthIndex | None:
    return channel_health(the_catalog, goals, history, day=DAY, staleness_days=2)


def test_full_dashboard() -> None:
    """The index from its metric, the three factors in the playbook's order with their change
    over the week, AOV volatility and every benchmark gap, the goals' included."""
    found = health(catalog(), ["gmv", "dau"])
    assert found is not None
    assert found.index is not None
    assert found.value == pytest.approx(0.29 * 0.21 * 178.5)
    assert found.index.change_wow == pytest.approx(0.29 * 0.21 * 178.5 / 10.2 - 1)
    assert found.index.unit == "currency"
    assert found.index.currency == "¥"
    assert [(f.metric_key, f.value) for f in found.factors] == [
        ("active_rate", 0.29),
        ("retention", 0.21),
        ("aov_month", 178.5),
    ]
    assert [f.change_wow for f in found.factors] == pytest.approx([0.29 / 0.3 - 1, 0.05, 0.05])
    assert found.undeclared == ()
    assert found.aov_volatility == 0.18
    assert [(b.metric_key, b.benchmark) for b in found.benchmarks] == [
        ("active_rate", BenchmarkGap(benchmark=0.35, gap=0.29 / 0.35 - 1, breached=True)),
        ("gmv", BenchmarkGap(benchmark=2_000_000, gap=2_100_000 / 2_000_000 - 1, breached=False)),
    ]
    assert found.components == {}
    assert found.sparkline[:-1] == (None,) * 6  # the week ends today; a week ago is before it
    assert found.sparkline[-1] == pytest.approx(0.29 * 0.21 * 178.5)


@pytest.mark.parametrize(
    ("leave_out", "history", "expected"),
    [
        pytest.param(
            ("health",),
            HISTORY,
            {"value": 0.29 * 0.21 * 178.5, "wow": 0.29 * 0.21 * 178.5 / (0.3 * 0.2 * 170) - 1},
            id="index-not-declared-is-the-factors-product",
        ),
        pytest.param(
            ("health", "retention"),
            HISTORY,
            {"value": None, "undeclared": ("retention_7d",), "factors": 2},
            id="a-factor-not-declared-is-named-and-no-index",
        ),
        pytest.param(
            ("retention",),
            HISTORY,
            {"value": 0.29 * 0.21 * 178.5, "undeclared": ("retention_7d",), "factors": 2},
            id="a-declared-index-shows-without-a-factor",
        ),
        pytest.param(
            (),
            HISTORY | {"retention": {DAY - timedelta(days=3): 0.2}},
            {"retention": None},
            id="a-factor-three-days-old-has-no-value",
        ),
        pytest.param(
            (),
            HISTORY | {"retention": {DAY - timedelta(days=2): 0.2}},
            {"retention": 0.2},
            id="a-factor-two-days-old-counts",
        ),
        pytest.param(
            ("aov_swing",),
            HISTORY,
            {"volatility": None},
            id="volatility-not-declared-is-left-out",
        ),
        pytest.param(
            (),
            HISTORY | {"active_rate": {DAY: 0.29}},
            {"active_wow": None},
            id="no-value-a-week-before-no-change",
        ),
    ],
)
def test_dashboard_parts(
    leave_out: tuple[str, ...], history: dict[str, dict[date, float]], expected: dict[str, Any]
) -> None:
    """What is not declared is named or left out; what has no recent value has none."""
    found = health(catalog(*leave_out), ["dau", "gmv"], history)
    assert found is not None
    factors = {f.metric_key: f for f in found.factors}
    if "value" in expected:
        assert found.value == pytest.approx(expected["value"])
    if "wow" in expected:
        assert found.index is not None
        assert found.index.change_wow == pytest.approx(expected["wow"])
    if "undeclared" in expected:
        assert found.undeclared == expected["undeclared"]
        assert len(found.factors) == expected["factors"]
    if "retention" in expected:
        assert factors["retention"].value == expected["retention"]
    if "volatility" in expected:
        assert found.aov_volatility is expected["volatility"]
    if "active_wow" in expected:
        assert factors["active_rate"].change_wow is None


def test_no_dashboard_without_dataset_goals() -> None:
    """A channel whose goals are not on dataset metrics gets no dashboard and reads nothing."""
    assert health(catalog(), ["dau"]) is None
    assert dashboard_keys(catalog(), ["dau"]) == set()


def test_dashboard_reads_the_measures_metrics() -> None:
    """The points the dashboard needs: the index's, the factors' and AOV volatility's metrics."""
    assert dashboard_keys(catalog(), ["gmv"]) == {
        "health",
        "active_rate",
        "retention",
        "aov_month",
        "aov_swing",
    }


def test_formula_index_as_before() -> None:
    """Without dataset goals, a `health_index` formula over the channel's goals still shows."""
    document = {
        "metrics": {
            "active_rate_30d": {"unit": "percent", "source": {"kind": "manual"}},
            "retention_7d": {"unit": "percent", "source": {"kind": "manual"}},
            "aov": {"unit": "currency", "source": {"kind": "manual"}},
            "health_index": {"unit": "ratio", "formula": "active_rate_30d * retention_7d * aov"},
        }
    }
    formula = parse_catalog(document, path=Path("metrics.yml"))
    goals = ["active_rate_30d", "retention_7d", "aov"]
    history = {key: {DAY: 2.0} for key in [*goals, "health_index"]}
    assert dashboard_keys(formula, goals) == {"health_index"}
    found = health(formula, goals, history)
    assert found == HealthIndex(
        value=2.0,
        components=dict.fromkeys(sorted(goals), 2.0),
        sparkline=(None,) * 6 + (2.0,),
    )
    assert health(formula, goals[:2], history) is None
