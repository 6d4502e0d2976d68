"""Evaluation rules (README, "How goals are measured").

Bands, hysteresis, staleness, trend, forecast, volatility.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from jobs.customers.datasets import Benchmark
from jobs.evaluation import arrays
from jobs.evaluation.benchmarks import BENCHMARK_COLUMNS
from jobs.evaluation.classify import COLUMNS, EvaluationPolicy, classify
from jobs.evaluation.service import benchmark_columns
from tests.jobs.reference_evaluation import reference_classify

DAY = date(2025, 6, 30)
DEFAULT = EvaluationPolicy()
NAN = float("nan")

# (days before DAY, value); 0 is DAY itself.
History = Sequence[tuple[int, float]]


def goal(
    target: float = 100.0,
    direction: str = "higher",
    previous: str | None = None,
    goal_id: int = 1,
) -> dict[str, Any]:
    """A goal row with the playbook's default thresholds."""
    return {
        "goal_id": goal_id,
        "target": target,
        "direction": direction,
        "yellow": 0.1,
        "orange": 0.2,
        "red": 0.3,
        "previous_band": previous,
    }


def ending_today(*values: float) -> list[tuple[int, float]]:
    """Values on consecutive days, the last one on DAY."""
    return [(len(values) - 1 - i, value) for i, value in enumerate(values)]


def points_frame(rows: Sequence[tuple[int, date, float]]) -> pd.DataFrame:
    """A points frame from (goal_id, day, value) rows."""
    return pd.DataFrame(
        {
            "goal_id": pd.Series([r[0] for r in rows], dtype="int64"),
            "day": pd.Series([r[1] for r in rows], dtype=object),
            "value": pd.Series([r[2] for r in rows], dtype="float64"),
        }
    )


def evaluate(
    the_goal: dict[str, Any], history: History = (), policy: EvaluationPolicy = DEFAULT
) -> dict[str, Any]:
    """Classify one goal on DAY and return its row."""
    rows = [(the_goal["goal_id"], DAY - timedelta(days=ago), v) for ago, v in history]
    result = classify(pd.DataFrame([the_goal]), points_frame(rows), day=DAY, policy=policy)
    assert len(result) == 1
    return {str(key): value for key, value in result.to_dict("records")[0].items()}


def same(left: Any, right: Any) -> bool:
    """Equal, with floats close (rel 1e-9, abs 1e-12) and NaN equal to NaN."""
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    return bool(left == right) and type(left) is type(right)


BOUNDARIES = [
    # (direction, target, value, band)
    ("higher", 150000.0, 135150.0, "green"),
    ("higher", 150000.0, 135000.0, "yellow"),
    ("higher", 150000.0, 120150.0, "yellow"),
    ("higher", 150000.0, 120000.0, "orange"),
    ("higher", 150000.0, 105150.0, "orange"),
    ("higher", 150000.0, 105000.0, "red"),
    ("higher", 0.35, 0.28, "orange"),
    ("higher", 150000.0, 180000.0, "green"),
    ("lower", 0.02, 0.02198, "green"),
    ("lower", 0.02, 0.022, "yellow"),
    ("lower", 0.02, 0.02398, "yellow"),
    ("lower", 0.02, 0.024, "orange"),
    ("lower", 0.02, 0.02598, "orange"),
    ("lower", 0.02, 0.026, "red"),
    ("lower", 0.02, 0.005, "green"),
    ("either", 100.0, 109.9, "green"),
    ("either", 100.0, 110.0, "yellow"),
    ("either", 100.0, 119.9, "yellow"),
    ("either", 100.0, 120.0, "orange"),
    ("either", 100.0, 129.9, "orange"),
    ("either", 100.0, 130.0, "red"),
    ("either", 100.0, 90.1, "green"),
    ("either", 100.0, 90.0, "yellow"),
    ("either", 100.0, 80.1, "yellow"),
    ("either", 100.0, 80.0, "orange"),
    ("either", 100.0, 70.1, "orange"),
    ("either", 100.0, 70.0, "red"),
    ("either", 100.0, 100.0, "green"),
]
BOUNDARY_IDS = [
    "higher-9.9%-green",
    "higher-10%-yellow",
    "higher-19.9%-yellow",
    "higher-20%-orange",
    "higher-29.9%-orange",
    "higher-30%-red",
    "higher-0.28-vs-0.35-float-noise-orange",
    "higher-above-target-green",
    "lower-9.9%-green",
    "lower-10%-yellow",
    "lower-19.9%-yellow",
    "lower-20%-orange",
    "lower-29.9%-orange",
    "lower-30%-red",
    "lower-below-target-green",
    "either-above-9.9%-green",
    "either-above-10%-yellow",
    "either-above-19.9%-yellow",
    "either-above-20%-orange",
    "either-above-29.9%-orange",
    "either-above-30%-red",
    "either-below-9.9%-green",
    "either-below-10%-yellow",
    "either-below-19.9%-yellow",
    "either-below-20%-orange",
    "either-below-29.9%-orange",
    "either-below-30%-red",
    "either-on-target-green",
]


@pytest.mark.parametrize(("direction", "target", "value", "band"), BOUNDARIES, ids=BOUNDARY_IDS)
def test_band_boundaries(direction: str, target: float, value: float, band: str) -> None:
    """Bands are half-open: exactly 10/20/30 % off is the higher band, just below is not."""
    assert evaluate(goal(target, direction), [(0, value)])["band"] == band


STORY = [
    # (target, direction, value, band, deviation)
    (150000.0, "higher", 120000.0, "orange", -0.2),
    (0.35, "higher", 0.24, "red", -0.11 / 0.35),
    (1_000_000.0, "higher", 1_030_000.0, "green", 0.03),
    (0.02, "lower", 0.025, "orange", 0.25),
]


@pytest.mark.parametrize(
    ("target", "direction", "value", "band", "deviation"),
    STORY,
    ids=["dau-120k-of-150k", "retention-0.24-of-0.35", "gmv-on-track", "complaints-2.5%-of-2%"],
)
def test_product_story(
    target: float, direction: str, value: float, band: str, deviation: float
) -> None:
    """The playbook's examples land in the bands the story expects."""
    row = evaluate(goal(target, direction), [(0, value)])
    assert row["band"] == band
    assert row["deviation"] == pytest.approx(deviation, rel=1e-9)
    assert row["adverse"] == pytest.approx(deviation if direction == "lower" else -deviation)
    assert row["value"] == value
    assert row["value_day"] == DAY


HYSTERESIS = [
    # (previous band, adverse deviation as percent below a 100 target, band)
    ("green", 20.0, "orange"),
    ("green", 35.0, "red"),
    ("yellow", 31.0, "red"),
    ("orange", 19.0, "orange"),
    ("orange", 18.0, "orange"),
    ("orange", 17.9, "yellow"),
    ("red", 28.5, "red"),
    ("red", 27.0, "orange"),
    ("red", 19.0, "orange"),
    ("red", 15.0, "yellow"),
    ("red", 5.0, "green"),
    ("yellow", 9.0, "yellow"),
    ("yellow", 7.9, "green"),
    ("orange", 5.0, "green"),
    (None, 19.0, "yellow"),
    ("no_data", 19.0, "yellow"),
    ("invalid", 29.0, "orange"),
]


@pytest.mark.parametrize(
    ("previous", "percent_off", "band"),
    HYSTERESIS,
    ids=[
        "up-green-to-orange-at-once",
        "up-green-to-red-at-once",
        "up-yellow-to-red",
        "orange-held-within-margin",
        "orange-held-at-exactly-margin",
        "orange-drops-past-margin",
        "red-held-within-margin",
        "red-drops-one-band",
        "red-drops-but-held-at-orange-edge",
        "red-drops-two-bands",
        "red-drops-to-green",
        "yellow-held-within-margin",
        "yellow-drops-past-margin",
        "orange-drops-to-green",
        "no-previous-is-raw",
        "previous-no-data-is-raw",
        "previous-invalid-is-raw",
    ],
)
def test_hysteresis(previous: str | None, percent_off: float, band: str) -> None:
    """Rising is immediate; leaving a band downward needs the 2-point margin below its edge."""
    row = evaluate(goal(100.0, "higher", previous), [(0, 100.0 - percent_off)])
    assert row["band"] == band


def test_hysteresis_missing_previous_as_nan() -> None:
    """A NaN previous band (as pandas stores a missing one) means no hysteresis."""
    goals = pd.DataFrame([goal(goal_id=1, previous="orange"), goal(goal_id=2)])
    goals.loc[1, "previous_band"] = NAN
    points = points_frame([(1, DAY, 81.0), (2, DAY, 81.0)])
    assert classify(goals, points, day=DAY)["band"].tolist() == ["orange", "yellow"]


@pytest.mark.parametrize(
    ("history", "value"),
    [([(0, 80.0)], 80.0), ([], NAN)],
    ids=["with-a-value", "without-points"],
)
def test_target_zero_is_invalid(history: History, value: float) -> None:
    """A zero target is a configuration error: invalid (even without data), no deviation."""
    row = evaluate(goal(0.0), history)
    assert row["band"] == "invalid"
    assert same(row["value"], value)
    assert math.isnan(row["deviation"])
    assert math.isnan(row["adverse"])
    assert math.isnan(row["red_in_days"])


def test_no_points_is_no_data() -> None:
    """A goal without points is no_data, with nothing measured."""
    row = evaluate(goal())
    assert row["band"] == "no_data"
    assert row["value_day"] is None
    assert all(math.isnan(row[k]) for k in ("value", "deviation", "adverse", "volatility"))
    assert row["consecutive_adverse"] == 0
    assert row["trend_alert"] is False


STALENESS = [
    # (history, band, value_day offset or None)
    ([(2, 95.0)], "green", 2),
    ([(3, 95.0)], "no_data", None),
    ([(-1, 95.0)], "no_data", None),
    ([(3, 95.0), (-1, 50.0)], "no_data", None),
    ([(1, 95.0), (-1, 50.0)], "green", 1),
    ([(2, 95.0), (0, 75.0), (-2, 50.0)], "orange", 0),
]


@pytest.mark.parametrize(
    ("history", "band", "ago"),
    STALENESS,
    ids=[
        "exactly-staleness-days-old-counts",
        "one-day-older-is-no-data",
        "only-a-future-point-is-no-data",
        "future-point-does-not-freshen",
        "future-point-is-ignored",
        "latest-up-to-day-wins",
    ],
)
def test_staleness(history: History, band: str, ago: int | None) -> None:
    """The value is the latest point in [day - staleness_days, day]; later points are ignored."""
    row = evaluate(goal(), history)
    assert row["band"] == band
    assert row["value_day"] == (None if ago is None else DAY - timedelta(days=ago))


def test_stale_goal_still_has_trend_and_volatility() -> None:
    """no_data still reports the adverse streak and volatility of the history up to the day."""
    row = evaluate(goal(), [(6, 100.0), (5, 99.0), (4, 98.0), (3, 97.0)])
    assert row["band"] == "no_data"
    assert row["consecutive_adverse"] == 3
    assert row["trend_alert"] is True
    assert row["volatility"] == pytest.approx(math.sqrt(1.25) / 98.5)


STREAKS = [
    # (direction, target, history, consecutive adverse moves)
    ("higher", 100.0, ending_today(100, 99, 98, 97), 3),
    ("higher", 100.0, ending_today(100, 99, 98), 2),
    ("higher", 100.0, ending_today(100, 99, 99, 98), 1),
    ("higher", 100.0, ending_today(100, 99, 98, 98), 0),
    ("higher", 100.0, [(4, 100.0), (3, 99.0), (2, 98.0), (0, 97.0)], 0),
    ("higher", 100.0, [(5, 100.0), (3, 99.0), (2, 98.0), (1, 97.0), (0, 96.0)], 3),
    ("higher", 100.0, ending_today(100, 99, 101, 100), 1),
    ("higher", 100.0, ending_today(90, 91, 92, 93), 0),
    ("higher", 100.0, ending_today(90), 0),
    ("lower", 0.02, ending_today(0.01, 0.011, 0.012, 0.013), 3),
    ("lower", 0.02, ending_today(0.013, 0.012, 0.011, 0.01), 0),
    ("either", 100.0, ending_today(98, 96, 94, 92), 3),
    ("either", 100.0, ending_today(101, 102, 103), 2),
    ("either", 100.0, ending_today(103, 101, 99.5, 97), 1),
    ("either", 100.0, ending_today(97, 103), 0),
]


@pytest.mark.parametrize(
    ("direction", "target", "history", "streak"),
    STREAKS,
    ids=[
        "three-falling-days",
        "two-falling-days",
        "flat-day-breaks",
        "flat-latest-day-is-zero",
        "missing-day-breaks",
        "missing-day-before-the-streak",
        "favourable-move-breaks",
        "rising-is-not-adverse",
        "single-point",
        "lower-is-better-rising",
        "lower-is-better-falling",
        "either-moving-away-below",
        "either-moving-away-above",
        "either-crossing-target",
        "either-same-distance-other-side",
    ],
)
def test_consecutive_adverse_moves(
    direction: str, target: float, history: History, streak: int
) -> None:
    """Adverse moves are counted back from the latest point over consecutive calendar days."""
    row = evaluate(goal(target, direction), history)
    assert row["consecutive_adverse"] == streak
    assert row["trend_alert"] is (streak >= 3)


def test_trend_trigger_comes_from_the_policy() -> None:
    """trend_alert uses the policy's trigger, not a fixed 3."""
    row = evaluate(goal(), ending_today(100, 99, 98), EvaluationPolicy(trend_trigger=2))
    assert row["trend_alert"] is True


def falling(per_day: float, days: int = 14, today: float = 95.0) -> list[tuple[int, float]]:
    """A higher-is-better value falling by `per_day` each day, `today` on DAY."""
    return [(ago, today + per_day * ago) for ago in range(days - 1, -1, -1)]


FORECASTS = [
    # (goal, history, policy, red_in_days)
    (goal(), falling(1.0), DEFAULT, 25.0),
    (goal(), falling(1.0, days=3), DEFAULT, 25.0),
    (goal(), [*falling(1.0), (14, 500.0), (20, -50.0)], DEFAULT, 25.0),
    (goal(direction="lower"), [(ago, 105.0 - ago) for ago in range(14)], DEFAULT, 25.0),
    (goal(), falling(0.5), DEFAULT, NAN),
    (goal(), falling(1.0), EvaluationPolicy(forecast_horizon=20), NAN),
    (goal(), falling(-1.0), DEFAULT, NAN),
    (goal(), falling(0.0), DEFAULT, NAN),
    (goal(), falling(1.0, days=2), DEFAULT, NAN),
    (goal(), falling(1.0, today=65.0), DEFAULT, NAN),
    (goal(), [(ago + 3, v) for ago, v in falling(1.0)], DEFAULT, NAN),
    (goal(0.0), falling(1.0), DEFAULT, NAN),
]


@pytest.mark.parametrize(
    ("the_goal", "history", "policy", "red_in_days"),
    FORECASTS,
    ids=[
        "steady-adverse-slope",
        "three-points-suffice",
        "points-outside-window-ignored",
        "lower-is-better-rising",
        "beyond-horizon",
        "beyond-custom-horizon",
        "favourable-slope",
        "flat",
        "too-few-points",
        "already-red",
        "stale-value",
        "invalid-target",
    ],
)
def test_forecast(
    the_goal: dict[str, Any], history: History, policy: EvaluationPolicy, red_in_days: float
) -> None:
    """A least-squares line over the window says when an adverse trend reaches red."""
    assert same(evaluate(the_goal, history, policy)["red_in_days"], red_in_days)


VOLATILITY = [
    # (history, coefficient of variation)
    ([(7 - i, v) for i, v in enumerate([2.0, 4, 4, 4, 5, 5, 7, 9])], 0.4),
    ([(1, 90.0), (0, 110.0)], 0.1),
    ([(1, -90.0), (0, -110.0)], 0.1),
    ([(30, 1000.0), (29, 90.0), (0, 110.0)], 0.1),
    ([(0, 100.0)], NAN),
    ([(1, -1.0), (0, 1.0)], NAN),
    ([(1, 5.0), (0, 5.0)], 0.0),
]


@pytest.mark.parametrize(
    ("history", "volatility"),
    VOLATILITY,
    ids=[
        "known-cv",
        "two-points",
        "negative-mean-uses-magnitude",
        "older-than-window-ignored",
        "one-point",
        "zero-mean",
        "constant",
    ],
)
def test_volatility(history: History, volatility: float) -> None:
    """Population std over |mean| across the last 30 days; NaN below 2 points or at mean 0."""
    assert same(evaluate(goal(), history)["volatility"], volatility)


PLAYBOOK = Benchmark(value=0.35, warn_below=0.15)  # warn 15% under a 35% benchmark
BENCHMARKS = [
    # (goal, benchmark, history, band, whether the latest value breaches the benchmark)
    (goal(0.30), PLAYBOOK, [(0, 0.29)], "orange", True),
    (goal(0.30), PLAYBOOK, [(0, 0.2975)], "green", False),
    (goal(0.30), PLAYBOOK, [(0, 0.35 * (1 - 0.15))], "green", False),
    (goal(0.30), PLAYBOOK, [(0, 0.30)], "green", False),
    (goal(0.30), Benchmark(value=0.35, warn_below=0.15, band="yellow"), [(0, 0.2)], "red", True),
    (
        goal(0.30),
        Benchmark(value=0.35, warn_below=0.15, band="yellow"),
        [(0, 0.29)],
        "yellow",
        True,
    ),
    (goal(0.30), Benchmark(value=0.35, warn_below=0.15, band="red"), [(0, 0.29)], "red", True),
    (goal(0.30, "either"), Benchmark(value=0.35, warn_below=0.15), [(0, 0.29)], "orange", True),
    (goal(0.2, "lower"), Benchmark(value=0.16, warn_above=0.25), [(0, 0.21)], "orange", True),
    (goal(0.2, "lower"), Benchmark(value=0.16, warn_above=0.25), [(0, 0.19)], "green", False),
    (goal(0.30), Benchmark(value=0.35), [(0, 0.01)], "red", False),
    (goal(0.30), Benchmark(value=0.35), [(0, 0.29)], "green", False),
    (goal(0.30), PLAYBOOK, [(3, 0.29)], "no_data", True),
    (goal(0.0), PLAYBOOK, [(0, 0.29)], "invalid", True),
    (goal(0.30, previous="orange"), PLAYBOOK, [(0, 0.2976)], "green", False),
    (goal(0.30, previous="orange"), PLAYBOOK, [(0, 0.25)], "orange", True),
    (goal(0.30), None, [(0, 0.29)], "green", False),
]


@pytest.mark.parametrize(
    ("the_goal", "benchmark", "history", "band", "breached"),
    BENCHMARKS,
    ids=[
        "green-goal-17%-under-benchmark-raised-to-orange",
        "just-within-the-warning-stays-green",
        "exactly-15%-under-is-not-more-than-15%",
        "on-target-and-near-benchmark-green",
        "never-lowered-below-the-goal's-own-red",
        "yellow-benchmark-raises-green-to-yellow",
        "red-benchmark-raises-green-to-red",
        "either-direction-goal-raised-too",
        "lower-is-better-over-warn-above-raised",
        "lower-is-better-within-warn-above-green",
        "no-warning-bounds-never-breach",
        "no-warning-bounds-green-stays-green",
        "stale-value-stays-no-data",
        "invalid-target-stays-invalid",
        "recovered-drops-as-hysteresis-allows",
        "still-breached-stays-orange",
        "no-benchmark-as-before",
    ],
)
def test_benchmark_raises_the_band(
    the_goal: dict[str, Any],
    benchmark: Benchmark | None,
    history: History,
    band: str,
    breached: bool,
) -> None:
    """A value breaching its metric's benchmark raises the goal to at least the benchmark's band
    (never lower); classify, the plain reference and `Benchmark.breached` agree."""
    the_goal = the_goal | benchmark_columns(benchmark)
    row = evaluate(the_goal, history)
    assert row["band"] == band
    points = [(DAY - timedelta(days=ago), value) for ago, value in history]
    want = reference_classify(the_goal, points, day=DAY, policy=DEFAULT)
    assert all(same(_plain(row[key]), want[key]) for key in COLUMNS), (row, want)
    if benchmark is not None:
        assert benchmark.breached(history[-1][1]) is breached


def test_benchmark_red_has_no_forecast() -> None:
    """A goal raised to red by its benchmark is red now: no "red in N days" forecast."""
    the_goal = goal() | benchmark_columns(Benchmark(value=200.0, warn_below=0.2, band="red"))
    assert evaluate(the_goal, falling(1.0))["band"] == "red"
    assert math.isnan(evaluate(the_goal, falling(1.0))["red_in_days"])
    assert same(evaluate(goal(), falling(1.0))["red_in_days"], 25.0)


def test_unknown_benchmark_band_is_refused() -> None:
    """A benchmark band other than yellow, orange or red breaks the contract."""
    the_goal = goal() | benchmark_columns(PLAYBOOK) | {"benchmark_band": "purple"}
    with pytest.raises(ValueError, match="benchmark_band"):
        classify(pd.DataFrame([the_goal]), points_frame([]), day=DAY)


DTYPES = {
    "goal_id": "int64",
    "day": "object",
    "value": "float64",
    "value_day": "object",
    "target": "float64",
    "deviation": "float64",
    "adverse": "float64",
    "band": "str",
    "consecutive_adverse": "int64",
    "trend_alert": "bool",
    "red_in_days": "float64",
    "volatility": "float64",
}


def test_output_order_and_dtypes() -> None:
    """One row per goal in input order, a fresh index, the documented columns and dtypes."""
    goals = pd.DataFrame([goal(goal_id=30), goal(goal_id=10, target=0.0), goal(goal_id=20)])
    goals.index = pd.Index([7, 8, 9])
    points = points_frame([(20, DAY, 75.0), (30, DAY, 99.0), (99, DAY, 1.0), (10, DAY, 5.0)])
    result = classify(goals, points, day=DAY)
    assert list(result.columns) == list(COLUMNS)
    assert {name: str(dtype) for name, dtype in result.dtypes.items()} == DTYPES
    assert result.index.equals(pd.RangeIndex(3))
    assert result["goal_id"].tolist() == [30, 10, 20]
    assert result["band"].tolist() == ["green", "invalid", "orange"]
    assert result["day"].tolist() == [DAY] * 3
    assert result["value_day"].tolist() == [DAY] * 3


def test_empty_goals() -> None:
    """No goals gives an empty frame with the same columns and dtypes."""
    goals = pd.DataFrame(columns=list(goal()))
    result = classify(goals, points_frame([(1, DAY, 5.0)]), day=DAY)
    assert result.empty
    assert {name: str(dtype) for name, dtype in result.dtypes.items()} == DTYPES


def test_empty_goals_with_benchmark_columns() -> None:
    """No goals, benchmark columns included, still gives the empty frame."""
    goals = pd.DataFrame(columns=[*goal(), *BENCHMARK_COLUMNS])
    result = classify(goals, points_frame([(1, DAY, 5.0)]), day=DAY)
    assert result.empty
    assert {name: str(dtype) for name, dtype in result.dtypes.items()} == DTYPES


def test_empty_points() -> None:
    """Goals with an empty points frame (object columns, as pandas makes it) are no_data."""
    points = pd.DataFrame(columns=["goal_id", "day", "value"])
    result = classify(pd.DataFrame([goal(goal_id=1), goal(goal_id=2)]), points, day=DAY)
    assert result["band"].tolist() == ["no_data", "no_data"]


def test_datetime64_days_match_date_objects() -> None:
    """Point days may be date objects or datetime64, in any row order."""
    rows = [(1, DAY - timedelta(days=ago), v) for ago, v in falling(1.0)]
    as_dates = points_frame(rows)
    as_datetimes = as_dates.assign(day=pd.to_datetime(as_dates["day"])).iloc[::-1]
    goals = pd.DataFrame([goal()])
    pd.testing.assert_frame_equal(
        classify(goals, as_dates, day=DAY), classify(goals, as_datetimes, day=DAY)
    )


@pytest.mark.parametrize(
    ("goals", "points", "message"),
    [
        ([goal(direction="sideways")], [], "direction"),
        ([goal(previous="purple")], [], "previous_band"),
        ([goal(), goal()], [], "goal_id"),
        ([goal()], [(1, DAY, 1.0), (1, DAY - timedelta(days=1), 2.0), (1, DAY, 3.0)], "one value"),
    ],
    ids=["unknown-direction", "unknown-previous-band", "duplicate-goal", "duplicate-point-day"],
)
def test_bad_input_is_refused(
    goals: list[dict[str, Any]], points: list[tuple[int, date, float]], message: str
) -> None:
    """Inputs that break the contract raise instead of being guessed at."""
    with pytest.raises(ValueError, match=message):
        classify(pd.DataFrame(goals), points_frame(points), day=DAY)


def random_goal(
    rng: random.Random, goal_id: int
) -> tuple[dict[str, Any], list[tuple[date, float]]]:
    """A goal with a random history: gaps, flats, drifts, future points, exact thresholds."""
    direction = rng.choice(["higher", "lower", "either"])
    if rng.random() < 0.05:
        target = 0.0
    else:
        target = rng.choice(
            [rng.uniform(0.01, 1.0), rng.uniform(100, 200_000), -rng.uniform(1, 50)]
        )
    yellow = rng.choice([0.1, rng.uniform(0.02, 0.15)])
    orange = yellow + rng.choice([0.1, rng.uniform(0.02, 0.1)])
    red = orange + rng.choice([0.1, rng.uniform(0.02, 0.1)])
    previous = rng.choice(["green", "yellow", "orange", "red", "no_data", "invalid", None, NAN])
    the_goal = {
        "goal_id": goal_id,
        "target": target,
        "direction": direction,
        "yellow": yellow,
        "orange": orange,
        "red": red,
        "previous_band": previous,
    }
    history: list[tuple[date, float]] = []
    value = abs(target or 1.0) * rng.uniform(0.6, 1.4)
    drift = rng.choice([-0.02, -0.005, 0.0, 0.005, 0.02])
    last = rng.randint(-4, 3)
    for ago in range(rng.randint(0, 50), last - 1, -1):
        step = rng.random()
        if step < 0.15:
            continue  # a gap
        if step < 0.3:
            pass  # a flat day
        elif step < 0.35:
            value = target * (1 + rng.choice([-1, 1]) * rng.choice([yellow, orange, red]))
        else:
            value *= 1 + drift + rng.gauss(0, 0.01)
        history.append((DAY - timedelta(days=ago), value))
    return the_goal | random_benchmark(goal_id, the_goal, history), history


def random_benchmark(
    goal_id: int, the_goal: dict[str, Any], history: list[tuple[date, float]]
) -> dict[str, Any]:
    """Half the goals get a benchmark near their values, some exactly on a warning edge.

    Drawn from a generator of its own, so the histories are those drawn without benchmarks.
    """
    rng = random.Random(f"benchmark-{goal_id}")
    if rng.random() < 0.5:
        return benchmark_columns(None)
    last = history[-1][1] if history else abs(the_goal["target"] or 1.0)
    below = rng.choice([None, 0.15, rng.uniform(0.01, 0.5)])
    above = rng.choice([None, 0.25, rng.uniform(0.01, 1.0)])
    value = last * rng.uniform(0.7, 1.4)
    if below is not None and rng.random() < 0.2:
        value = last / (1 - below)  # the latest value lands on the edge
    band = rng.choice(["yellow", "orange", "red"])
    return benchmark_columns(Benchmark(value=value, warn_below=below, warn_above=above, band=band))


CUSTOM = EvaluationPolicy(
    staleness_days=0,
    hysteresis=0.05,
    trend_trigger=2,
    forecast_window=7,
    forecast_horizon=60,
    volatility_window=10,
)


@pytest.mark.parametrize(
    ("policy", "datetimes"),
    [(DEFAULT, False), (CUSTOM, True)],
    ids=["default-policy-shuffled-date-objects", "custom-policy-sorted-datetime64"],
)
def test_agrees_with_reference(policy: EvaluationPolicy, datetimes: bool) -> None:
    """On 500 random goals, the vectorised classify matches the plain per-goal reference."""
    rng = random.Random(20250630)
    cases = [random_goal(rng, goal_id) for goal_id in range(1, 501)]
    goals = pd.DataFrame([the_goal for the_goal, _ in cases])
    rows = [(g["goal_id"], d, v) for g, history in cases for d, v in history]
    points = points_frame(rows)
    if datetimes:
        points["day"] = pd.to_datetime(points["day"])
    else:
        points = points.sample(frac=1, random_state=1)
    result = classify(goals, points, day=DAY, policy=policy).to_dict("records")

    expected = [reference_classify(g, h, day=DAY, policy=policy) for g, h in cases]
    for got, want in zip(result, expected, strict=True):
        got = {key: _plain(value) for key, value in got.items()}
        mismatched = [key for key in COLUMNS if not same(got[key], want[key])]
        assert not mismatched, (want["goal_id"], {k: (got[k], want[k]) for k in mismatched})
    bands = {row["band"] for row in expected}
    assert bands == {"green", "yellow", "orange", "red", "no_data", "invalid"}
    unraised = [reference_classify(g | benchmark_columns(None), h, day=DAY, policy=policy)
                for g, h in cases]  # fmt: skip
    assert sum(a["band"] != b["band"] for a, b in zip(expected, unraised, strict=True)) >= 20
    assert any(row["trend_alert"] for row in expected)
    assert sum(not math.isnan(row["red_in_days"]) for row in expected) >= 10


def _plain(value: Any) -> Any:
    """numpy scalars as the Python values the reference returns."""
    return value.item() if isinstance(value, np.generic) else value


def test_unusable_points_are_ignored() -> None:
    """NaN values, missing days and unknown goals (any id) leave the goal's own points alone."""
    goals = pd.DataFrame([goal(goal_id=7), goal(goal_id=9)])
    rows = [(7, DAY - timedelta(days=ago), v) for ago, v in falling(1.0)]
    clean = classify(goals, points_frame(rows), day=DAY)
    noisy = points_frame(
        [
            *rows,
            (9, DAY, NAN),
            (9, DAY - timedelta(days=1), 90.0),
            (8, DAY, 1.0),
            (-3, DAY, 1.0),
            (10**15, DAY, 1.0),
        ]
    )
    noisy.loc[len(noisy)] = [9, pd.NaT, 50.0]
    result = classify(goals, noisy, day=DAY)
    pd.testing.assert_frame_equal(result.iloc[:1], clean.iloc[:1])
    assert result["value"].tolist()[1] == 90.0
    assert result["value_day"].tolist()[1] == DAY - timedelta(days=1)


@pytest.mark.parametrize(
    "ids",
    [[1, 2, 3], [10**12, 5, 10**13], [-4, 0, 7]],
    ids=["small-ids", "huge-ids", "negative-ids"],
)
def test_any_goal_ids(ids: list[int]) -> None:
    """Goal ids are only labels: huge or negative ids classify like small ones."""
    histories = [falling(1.0), falling(0.0, today=75.0), falling(-1.0, days=3)]
    goals = pd.DataFrame([goal(goal_id=i) for i in ids])
    rows = [
        (i, DAY - timedelta(days=ago), v)
        for i, history in zip(ids, histories, strict=True)
        for ago, v in history
    ]
    result = classify(goals, points_frame(rows), day=DAY)
    assert result["goal_id"].tolist() == ids
    assert result["band"].tolist() == ["green", "orange", "green"]
    assert same(result["red_in_days"].tolist()[0], 25.0)
    assert result["consecutive_adverse"].tolist() == [13, 0, 0]


def test_long_histories_and_streaks() -> None:
    """A streak is counted over the whole history passed in, however long, as the reference."""
    rows = [(1, DAY - timedelta(days=ago), 500.0 - ago) for ago in range(400)]  # rising
    rows += [(2, DAY - timedelta(days=900), 10.0), (2, DAY, 95.0)]
    goals = pd.DataFrame([goal(goal_id=1, direction="lower"), goal(goal_id=2)])
    result = classify(goals, points_frame(rows), day=DAY).to_dict("records")
    histories = {1: [(d, v) for _, d, v in rows[:400]], 2: [(d, v) for _, d, v in rows[400:]]}
    for got in result:
        want = reference_classify(
            goals.set_index("goal_id").loc[got["goal_id"]].to_dict() | {"goal_id": got["goal_id"]},
            histories[got["goal_id"]],
            day=DAY,
            policy=DEFAULT,
        )
        got = {key: _plain(value) for key, value in got.items()}
        assert all(same(got[key], want[key]) for key in COLUMNS), (got, want)
    assert result[0]["consecutive_adverse"] == 399


@pytest.mark.parametrize("cells", [1, 150, 5000], ids=["goal-by-goal", "small-blocks", "blocks"])
def test_long_histories_go_in_blocks(monkeypatch: pytest.MonkeyPatch, cells: int) -> None:
    """When old points would make one day-by-goal grid too large, goals are classified in
    blocks of similar history length, with the same results."""
    rng = random.Random(11)
    cases = [random_goal(rng, goal_id) for goal_id in range(1, 201)]
    rows = [(g["goal_id"], d, v) for g, history in cases for d, v in history]
    rows += [(goal_id, DAY - timedelta(days=2000 + goal_id), 1.0) for goal_id in (3, 50, 51)]
    goals = pd.DataFrame([the_goal for the_goal, _ in cases] + [goal(goal_id=999)])
    points = points_frame(rows).sample(frac=1, random_state=3)
    whole = classify(goals, points, day=DAY)
    monkeypatch.setattr(arrays, "_MAX_CELLS", cells)
    pd.testing.assert_frame_equal(classify(goals, points, day=DAY), whole)
