"""Guardrails: a guard metric worse by its threshold while the goal is green alerts once."""

from __future__ import annotations

import math
from typing import Any

import pytest

from jobs.evaluation.guardrails import (
    DEFAULT_GUARD_THRESHOLD,
    Guard,
    GuardCheck,
    check_guard,
    check_guards,
)

NAN = float("nan")
AOV = Guard("aov", "higher", 0.10, 100.0)  # average order value: higher is better
COMPLAINTS = Guard("complaint_rate", "lower", 0.10, 0.05)  # lower is better
STOCK = Guard("stock_days", "either", 0.10, 40.0)  # either way off is bad
LOSS = Guard("margin", "higher", 0.10, -100.0)  # a negative baseline: -110 is 10 % worse


@pytest.mark.parametrize(
    ("guard", "value", "band", "alerted", "adverse", "breached", "alert", "cleared"),
    [
        pytest.param(AOV, 90.0, "green", False, 0.10, True, True, False, id="higher-10%-fall"),
        pytest.param(AOV, 90.01, "green", False, 0.0999, False, False, False, id="higher-9.99%"),
        pytest.param(AOV, 150.0, "green", False, -0.5, False, False, False, id="higher-rise-good"),
        pytest.param(COMPLAINTS, 0.055, "green", False, 0.1, True, True, False, id="lower-10%"),
        pytest.param(
            COMPLAINTS, 0.054995, "green", False, 0.0999, False, False, False, id="lower-9.99%"
        ),
        pytest.param(
            COMPLAINTS, 0.03, "green", False, -0.4, False, False, False, id="lower-fall-good"
        ),
        pytest.param(STOCK, 44.0, "green", False, 0.1, True, True, False, id="either-rise-10%"),
        pytest.param(STOCK, 36.0, "green", False, 0.1, True, True, False, id="either-fall-10%"),
        pytest.param(STOCK, 43.9, "green", False, 0.0975, False, False, False, id="either-9.75%"),
        pytest.param(
            LOSS, -110.0, "green", False, 0.1, True, True, False, id="negative-baseline-10%-worse"
        ),
        pytest.param(
            Guard("aov", "higher", 0.25, 100.0),
            80.0,
            "green",
            False,
            0.2,
            False,
            False,
            False,
            id="own-threshold-25%-not-reached",
        ),
        pytest.param(AOV, 80.0, "yellow", False, 0.2, True, False, False, id="goal-yellow"),
        pytest.param(AOV, 80.0, "red", False, 0.2, True, False, False, id="goal-red"),
        pytest.param(AOV, 80.0, "no_data", False, 0.2, True, False, False, id="goal-no-data"),
        pytest.param(AOV, 80.0, "green", True, 0.2, True, False, False, id="already-alerted"),
        pytest.param(
            AOV, 91.0, "green", True, 0.09, False, False, False, id="alerted-9%-not-cleared"
        ),
        pytest.param(
            AOV, 92.0, "green", True, 0.08, False, False, False, id="alerted-exactly-8%-not-cleared"
        ),
        pytest.param(
            AOV, 92.5, "green", True, 0.075, False, False, True, id="alerted-7.5%-cleared"
        ),
        pytest.param(
            AOV, 95.0, "yellow", True, 0.05, False, False, True, id="cleared-whatever-the-goal"
        ),
        pytest.param(
            AOV,
            95.0,
            "green",
            False,
            0.05,
            False,
            False,
            False,
            id="never-alerted-nothing-to-clear",
        ),
    ],
)
def test_check_guard(
    guard: Guard,
    value: float,
    band: str,
    alerted: bool,
    adverse: float,
    breached: bool,
    alert: bool,
    cleared: bool,
) -> None:
    """Breach at the threshold in the guard's bad direction; alert only when green and new."""
    check = check_guard(guard, value=value, goal_band=band, alerted=alerted)
    assert check.metric_key == guard.metric_key
    assert check.value == value
    assert check.adverse == pytest.approx(adverse)
    assert (check.breached, check.alert, check.cleared) == (breached, alert, cleared)


def test_change_is_signed_and_relative() -> None:
    """The change keeps its sign; the adverse part is its bad-news share."""
    rise = check_guard(COMPLAINTS, value=0.06, goal_band="green", alerted=False)
    fall = check_guard(AOV, value=75.0, goal_band="green", alerted=False)
    assert [rise.change, rise.adverse] == pytest.approx([0.2, 0.2])
    assert [fall.change, fall.adverse] == pytest.approx([-0.25, 0.25])


@pytest.mark.parametrize(
    ("guard", "value", "shown"),
    [
        pytest.param(Guard("aov", "higher", 0.1, None), 10.0, 10.0, id="no-baseline"),
        pytest.param(Guard("aov", "higher", 0.1, 0.0), 10.0, 10.0, id="zero-baseline"),
        pytest.param(AOV, None, None, id="missing-value"),
        pytest.param(AOV, NAN, None, id="nan-value"),
    ],
)
@pytest.mark.parametrize("alerted", [False, True])
def test_unknown_change_breaches_and_clears_nothing(
    guard: Guard, value: float | None, shown: float | None, alerted: bool
) -> None:
    """Without a value or a usable baseline nothing is judged: no breach, no alert, no clear."""
    check = check_guard(guard, value=value, goal_band="green", alerted=alerted)
    assert check == GuardCheck(guard.metric_key, shown, None, None, False, False, False)


def run(guard: Guard, days: list[tuple[float, str]]) -> list[bool]:
    """Check the guard day after day, storing `alerted` as the caller does; the alerts."""
    alerted, alerts = False, []
    for value, band in days:
        check = check_guard(guard, value=value, goal_band=band, alerted=alerted)
        alerts.append(check.alert)
        alerted = (alerted or check.alert) and not check.cleared
    return alerts


@pytest.mark.parametrize(
    ("days", "alerts"),
    [
        pytest.param(
            [(90.0, "green"), (85.0, "green"), (91.0, "green"), (89.0, "green")],
            [True, False, False, False],
            id="one-breach-one-alert-even-dipping-under-the-threshold",
        ),
        pytest.param(
            [(90.0, "green"), (93.0, "green"), (90.0, "green")],
            [True, False, True],
            id="cleared-below-8%-then-breach-again-alerts-again",
        ),
        pytest.param(
            [(90.0, "green"), (92.0, "green"), (90.0, "green")],
            [True, False, False],
            id="back-to-exactly-8%-does-not-clear",
        ),
        pytest.param(
            [(85.0, "yellow"), (85.0, "orange"), (85.0, "green"), (85.0, "green")],
            [False, False, True, False],
            id="breach-while-off-track-alerts-once-the-goal-is-green",
        ),
    ],
)
def test_alerts_over_days(days: list[tuple[float, str]], alerts: list[bool]) -> None:
    """The owner hears about each breach once; a cleared guard can alert again."""
    assert run(AOV, days) == alerts


def test_check_guards_in_order_with_defaults() -> None:
    """One check per guard, in order; a missing value is unknown, a missing flag not alerted."""
    checks = check_guards(
        [COMPLAINTS, AOV, STOCK],
        {"aov": 80.0, "stock_days": 50.0},
        goal_band="green",
        alerted={"stock_days": True},
    )
    assert [c.metric_key for c in checks] == ["complaint_rate", "aov", "stock_days"]
    assert [c.value for c in checks] == [None, 80.0, 50.0]
    assert [c.alert for c in checks] == [False, True, False]
    assert [c.breached for c in checks] == [False, True, True]


def test_check_guards_refuses_a_metric_guarded_twice() -> None:
    """Alerts are remembered per metric, so a goal guards a metric once."""
    with pytest.raises(ValueError, match="guarded"):
        check_guards([AOV, AOV], {"aov": 80.0}, goal_band="green", alerted={})


@pytest.mark.parametrize("guard", [AOV, COMPLAINTS, Guard("x", "either", 0.2, None)])
def test_guard_round_trips_through_a_dict(guard: Guard) -> None:
    """What to_dict stores, from_dict reads back as the same guard."""
    assert Guard.from_dict(guard.to_dict()) == guard


def test_guard_from_dict_defaults() -> None:
    """A stored guard without threshold or baseline: the default threshold, baseline unknown."""
    guard = Guard.from_dict({"metric_key": "aov", "direction": "lower"})
    assert guard == Guard("aov", "lower", DEFAULT_GUARD_THRESHOLD, None)


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        pytest.param({"direction": "up"}, "direction", id="unknown-direction"),
        pytest.param({"threshold": 0.0}, "threshold", id="zero-threshold"),
        pytest.param({"threshold": -0.1}, "threshold", id="negative-threshold"),
        pytest.param({"threshold": NAN}, "threshold", id="nan-threshold"),
        pytest.param({"baseline": math.inf}, "baseline", id="infinite-baseline"),
        pytest.param({"metric_key": ""}, "metric_key", id="blank-metric"),
    ],
)
def test_bad_guard_is_refused(fields: dict[str, Any], match: str) -> None:
    """A guard that could never be judged sensibly is refused when made."""
    with pytest.raises(ValueError, match=match):
        Guard.from_dict(AOV.to_dict() | fields)
