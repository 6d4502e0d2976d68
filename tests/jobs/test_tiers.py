"""The digest's customer-tier line, from stored points: `jobs.digest.tiers`, and how it stays
apart from the user-health dashboard (`jobs.digest.dashboard`)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobs.digest.dashboard import channel_health, dashboard_keys
from jobs.digest.model import AtRisk, TierLine
from jobs.digest.tiers import tier_line
from jobs.metrics.catalog import MetricCatalog, parse_catalog
from tests.support.dashboard_metrics import DATASETS, TIER_METRICS
from tests.support.dashboard_metrics import METRICS as DASHBOARD

DAY = date(2026, 11, 25)
WEEK_AGO = DAY - timedelta(days=7)
METRICS: dict[str, dict[str, Any]] = {
    **DASHBOARD,
    **TIER_METRICS,
    "revenue_risk": {
        "currency": "¥",
        "source": {"kind": "dataset", "measure": "revenue_at_risk"},
        "benchmark": {"value": 50_000, "warn_above": "20%"},
    },
}
SHARES = ("hv_share", "potential", "new", "churned")
# Each share a week ago and today; the at-risk counts today and yesterday.
HISTORY: dict[str, dict[date, float]] = {
    "hv_share": {WEEK_AGO: 0.087, DAY: 0.081},
    "potential": {WEEK_AGO: 0.30, DAY: 0.31},
    "new": {WEEK_AGO: 0.125, DAY: 0.12},
    "churned": {WEEK_AGO: 0.485, DAY: 0.489},
    "hv_at_risk": {DAY: 312.0},
    "at_risk": {DAY - timedelta(days=1): 1204.0},
    "revenue_risk": {DAY: 62_000.0},
    "active_rate": {DAY: 0.29},
}


def catalog(*leave_out: str, **changed: dict[str, Any]) -> MetricCatalog:
    """The metrics above but those named, some with settings changed, and the datasets."""
    metrics = {
        key: body | changed.get(key, {}) for key, body in METRICS.items() if key not in leave_out
    }
    return parse_catalog({"datasets": DATASETS, "metrics": metrics}, path=Path("metrics.yml"))


def line(
    the_catalog: MetricCatalog, goals: list[str], history: dict[str, dict[date, float]] = HISTORY
) -> TierLine | None:
    return tier_line(the_catalog, goals, history, day=DAY, staleness_days=2)


def shares(found: TierLine) -> dict[str, tuple[float | None, float | None]]:
    """Each tier's (share, change in points), rounded past float noise."""

    def rounded(x: float | None) -> float | None:
        return None if x is None else round(x, 9)

    return {s.tier: (rounded(s.value), rounded(s.change_points)) for s in found.shares}


ALL_FOUR = {
    "high_value": (0.081, -0.6),
    "potential": (0.31, None),
    "new": (0.12, None),
    "churned": (0.489, None),
}


@pytest.mark.parametrize(
    ("leave_out", "changed", "goals", "history", "expected"),
    [
        pytest.param(
            (), {}, ["hv_at_risk"], HISTORY, ALL_FOUR, id="all-four-declared-in-tiers-order"
        ),
        pytest.param(
            ("new",),
            {},
            ["hv_at_risk"],
            HISTORY,
            {t: v for t, v in ALL_FOUR.items() if t != "new"},
            id="one-missing-is-left-out",
        ),
        pytest.param(
            (),
            {},
            ["lapsing"],
            HISTORY,
            ALL_FOUR | {"high_value": (0.081, None), "churned": (0.489, 0.4)},
            id="a-move-into-churned-changes-only-churned",
        ),
        pytest.param(
            (),
            {},
            ["hv_at_risk", "at_risk", "lapsing"],
            HISTORY,
            ALL_FOUR | {"churned": (0.489, 0.4)},
            id="changes-for-every-goal-tier",
        ),
        pytest.param(
            (),
            {},
            ["expected"],
            HISTORY,
            ALL_FOUR | {"high_value": (0.081, None)},
            id="a-goal-about-no-tier-changes-none",
        ),
        pytest.param(
            (),
            {},
            ["hv_at_risk"],
            HISTORY
            | {
                "hv_share": {DAY - timedelta(days=3): 0.09},
                "potential": {DAY - timedelta(days=9): 0.3, DAY - timedelta(days=2): 0.32},
            },
            ALL_FOUR | {"high_value": (None, None), "potential": (0.32, None)},
            id="stale-points-ignored-two-days-old-counts",
        ),
        pytest.param(
            (),
            {},
            ["hv_at_risk"],
            HISTORY | {"hv_share": {DAY - timedelta(days=9): 0.09, DAY - timedelta(days=2): 0.08}},
            ALL_FOUR | {"high_value": (0.08, -1.0)},
            id="change-from-a-week-before-the-latest-day",
        ),
        pytest.param(
            (),
            {"hv_share": {"scale": "percent"}},
            ["hv_at_risk"],
            HISTORY | {"hv_share": {WEEK_AGO: 8.7, DAY: 8.1}},
            ALL_FOUR,
            id="a-percent-scale-metric-reads-the-same",
        ),
        pytest.param(
            (),
            {},
            ["hv_at_risk"],
            HISTORY | {"hv_share": {DAY: 0.081}},
            ALL_FOUR | {"high_value": (0.081, None)},
            id="no-value-a-week-before-no-change",
        ),
    ],
)
def test_tier_shares(
    leave_out: tuple[str, ...],
    changed: dict[str, dict[str, Any]],
    goals: list[str],
    history: dict[str, dict[date, float]],
    expected: dict[str, tuple[float | None, float | None]],
) -> None:
    """Each declared tier's latest share, in TIERS order; the change in points only for the
    tiers the goals are about; what has no recent point has no value."""
    found = line(catalog(*leave_out, **changed), goals, history)
    assert found is not None
    assert shares(found) == expected
    assert list(shares(found)) == list(expected)  # in TIERS order
    assert found.undeclared == tuple(f"{key}_share" for key in leave_out)


def test_no_share_declared_names_them() -> None:
    """Without any share metric the line has no shares and names the four measures."""
    found = line(catalog(*SHARES), ["hv_at_risk"])
    assert found == TierLine(
        shares=(),
        undeclared=("high_value_share", "potential_share", "new_share", "churned_share"),
        at_risk=(AtRisk(tier="high_value", count=312.0),),
    )


@pytest.mark.parametrize(
    ("goals", "history", "expected"),
    [
        pytest.param(
            ["hv_at_risk", "at_risk"],
            HISTORY,
            (AtRisk(tier=None, count=1204.0), AtRisk(tier="high_value", count=312.0)),
            id="both-all-customers-first",
        ),
        pytest.param(["lapsing"], HISTORY, (), id="no-at-risk-goal-no-mention"),
        pytest.param(
            ["hv_at_risk", "at_risk"],
            HISTORY | {"at_risk": {DAY - timedelta(days=3): 1204.0}},
            (AtRisk(tier="high_value", count=312.0),),
            id="a-stale-count-is-left-out",
        ),
    ],
)
def test_at_risk(
    goals: list[str], history: dict[str, dict[date, float]], expected: tuple[AtRisk, ...]
) -> None:
    """The at-risk counts the channel has goals on, with a recent value."""
    found = line(catalog(), goals, history)
    assert found is not None
    assert found.at_risk == expected


def test_no_tier_goals_no_line() -> None:
    """A channel without goals on customer-grain measures gets no line and reads no shares."""
    assert line(catalog(), ["active_rate"]) is None
    assert line(catalog(), []) is None
    assert not set(SHARES) & dashboard_keys(catalog(), ["active_rate"])


@pytest.mark.parametrize(
    ("goals", "keys", "dashboard"),
    [
        pytest.param(["hv_at_risk"], set(SHARES), False, id="tier-goals-only-no-health"),
        pytest.param(
            ["hv_at_risk", "active_rate"],
            {*SHARES, "health", "active_rate", "retention", "aov_month", "aov_swing"},
            True,
            id="tier-and-day-goals-both",
        ),
    ],
)
def test_health_and_tiers_apart(goals: list[str], keys: set[str], dashboard: bool) -> None:
    """The health dashboard only for goals on day-grain measures; the share metrics' points
    read for goals on customer-grain ones."""
    assert dashboard_keys(catalog(), goals) == keys
    health = channel_health(catalog(), goals, HISTORY, day=DAY, staleness_days=2)
    assert (health is not None) is dashboard


def test_dashboard_lists_tier_goal_benchmarks() -> None:
    """A tier goal's benchmark gap is listed in the health dashboard with the others."""
    health = channel_health(
        catalog(), ["active_rate", "revenue_risk"], HISTORY, day=DAY, staleness_days=2
    )
    assert health is not None
    assert [b.metric_key for b in health.benchmarks] == ["active_rate", "revenue_risk"]
