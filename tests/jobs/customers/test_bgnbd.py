"""The BG/NBD model: the paper's CDNOW estimates reproduced, simulated parameters recovered,
P(alive) at its edges, and every unfittable input a ModelError."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from jobs.customers import bgnbd
from jobs.customers.bgnbd import (
    BgNbd,
    ModelError,
    expected_purchases,
    fit,
    log_likelihood,
    p_alive,
)
from tests.support.bgnbd_simulation import simulate

CDNOW = Path(__file__).parents[2] / "data" / "cdnow" / "cdnow_customers_summary.csv"
PAPER = BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426)
"""Fader, Hardie & Lee (2005), the BG/NBD estimates on CDNOW in weeks; log-likelihood −9582.4."""

Summary = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]


@pytest.fixture(scope="module")
def cdnow() -> Summary:
    """Frequency, recency and T (weeks) of the 2,357 CDNOW customers."""
    data = np.loadtxt(CDNOW, delimiter=",", skiprows=1)
    return data[:, 1], data[:, 2], data[:, 3]


def test_cdnow_reproduces_the_paper(cdnow: Summary) -> None:
    fitted = fit(*cdnow)
    assert fitted.customers == 2357
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fitted.params, name) == pytest.approx(getattr(PAPER, name), rel=0.01), name
    assert fitted.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert log_likelihood(fitted.params, *cdnow) == pytest.approx(fitted.log_likelihood)


def test_cdnow_customer_one_expects_what_the_excel_workbook_computes() -> None:
    """Fader, Hardie & Lee's workbook bgnbd.xls (with their 2005 note "Implementing the BG/NBD
    Model for Customer Base Analysis in Excel"): x = 2, t_x = 30.43, T = 38.86 expects 1.226
    purchases in the next 39 weeks."""
    assert expected_purchases(PAPER, 39, 2, 30.43, 38.86)[0] == pytest.approx(1.226, abs=5e-4)


def test_weights_count_equal_rows(cdnow: Summary) -> None:
    rows, counts = np.unique(np.stack(cdnow, axis=1), axis=0, return_counts=True)
    x, t_x, T = rows.T
    weighted = log_likelihood(PAPER, x, t_x, T, weights=counts)
    assert weighted == pytest.approx(log_likelihood(PAPER, *cdnow))


TRUE = BgNbd(r=1.0, alpha=20.0, a=1.0, b=4.0)  # in days
# Over 60 other seeds the estimates' spread (one standard deviation) was r 0.7%, α 1.1%,
# a 2.2%, b 3.0% and the holdout total 1.0%: each tolerance is at least three of those.
TOLERANCE = {"r": 0.05, "alpha": 0.05, "a": 0.10, "b": 0.10}


def test_simulated_customers_give_back_their_parameters() -> None:
    age = np.random.default_rng(1).uniform(180, 365, 40_000)
    sim = simulate(TRUE.r, TRUE.alpha, TRUE.a, TRUE.b, age=age, holdout=45, seed=7)
    fitted = fit(sim.frequency, sim.recency, sim.age)
    for name, tolerance in TOLERANCE.items():
        assert getattr(fitted.params, name) == pytest.approx(getattr(TRUE, name), rel=tolerance)
    predicted = expected_purchases(fitted.params, 45, sim.frequency, sim.recency, sim.age)
    assert predicted.sum() == pytest.approx(sim.holdout.sum(), rel=0.05)


@pytest.mark.parametrize(
    "age",
    [pytest.param(1.0, id="new"), pytest.param(30.0, id="month"), pytest.param(500.0, id="old")],
)
def test_no_repeat_purchase_is_alive(age: float) -> None:
    assert p_alive(PAPER, [0], [0.0], [age])[0] == 1.0


@pytest.mark.parametrize(
    ("frequency", "recency"),
    [
        pytest.param(1, 5.0, id="one-repeat"),
        pytest.param(10, 20.0, id="ten-repeats"),
        pytest.param(200, 30.0, id="two-hundred-repeats"),
    ],
)
def test_p_alive_falls_with_silence(frequency: int, recency: float) -> None:
    ages = recency + np.array([0.0, 5, 20, 80])
    alive = p_alive(PAPER, frequency, recency, ages)
    assert np.all(np.diff(alive) < 0)
    assert np.all((alive > 0) & (alive <= 1))


@pytest.mark.parametrize(
    ("params", "frequency", "recency", "age", "horizon", "exact"),
    [
        # Untransformed, scipy's hyp2f1 overflows here: inf · 0.
        pytest.param(PAPER, 1000, 38.86, 38.86, 52, 857.280817, id="frequent-buyer"),
        pytest.param(PAPER, 300, 38.0, 38.86, 39, 98.841061, id="frequent-buyer-quiet"),
        # r − a whole: scipy's hyp2f1 alone returns inf here.
        pytest.param(BgNbd(0.5, 1, 1.5, 0.2), 100, 1, 1, 45, 157.433957, id="r-a-whole"),
    ],
)
def test_expected_purchases_hold_at_the_edges(
    params: BgNbd, frequency: int, recency: float, age: float, horizon: float, exact: float
) -> None:
    """Against eq. (10) evaluated in 50-digit arithmetic (mpmath), untransformed."""
    expected = expected_purchases(params, horizon, frequency, recency, age)[0]
    assert expected == pytest.approx(exact, rel=1e-6)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(BgNbd(1.0, 20.0, 1.0, 4.0), id="a=1"),
        pytest.param(BgNbd(1.0, 20.0, 0.25, 0.75), id="a+b=1"),
    ],
)
def test_expected_purchases_are_continuous_where_eq_10_is_0_over_0(params: BgNbd) -> None:
    x, t_x, T = np.array([0, 1, 5]), np.array([0.0, 10, 40]), np.array([50.0, 50, 50])
    nearby = BgNbd(params.r, params.alpha, params.a + 1e-6, params.b)
    at_edge = expected_purchases(params, 45, x, t_x, T)
    assert at_edge == pytest.approx(expected_purchases(nearby, 45, x, t_x, T), rel=1e-4)


def test_no_time_no_purchases(cdnow: Summary) -> None:
    assert np.all(expected_purchases(PAPER, 0, *cdnow) == 0)


@pytest.mark.parametrize(
    ("frequency", "recency", "age", "message"),
    [
        pytest.param([1, 0, 2], [5.0, 0, 9], [30.0] * 3, "at least 10 customers", id="too-few"),
        pytest.param([0] * 50, [0.0] * 50, [30.0] * 50, "repeat buyer", id="no-repeat-buyers"),
        pytest.param([1] * 20, [40.0] * 20, [30.0] * 20, "between 0 and age", id="recency>age"),
        pytest.param([1] * 20, [-1.0] * 20, [30.0] * 20, "between 0 and age", id="recency<0"),
        pytest.param([1] * 20, [np.nan] * 20, [30.0] * 20, "finite", id="not-a-number"),
        pytest.param([-1] * 20, [0.0] * 20, [30.0] * 20, "whole numbers", id="negative-count"),
        pytest.param([1.5] * 20, [3.0] * 20, [30.0] * 20, "whole numbers", id="fractional-count"),
        pytest.param([1] * 20, [3.0] * 19, [30.0] * 20, "differ in shape", id="lengths-differ"),
        pytest.param(["x"] * 20, [3.0] * 20, [30.0] * 20, "must be numbers", id="text"),
        # Identical customers who never go quiet: the likelihood rises without end.
        pytest.param([5] * 1000, [100.0] * 1000, [100.0] * 1000, "no maximum", id="no-maximum"),
    ],
)
def test_unfittable_data_is_a_model_error(
    frequency: list[Any],
    recency: list[float],
    age: list[float],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ModelError, match=message) as raised:
        fit(frequency, recency, age)
    assert isinstance(raised.value, ValueError)
    assert "\n" not in str(raised.value)
    assert capsys.readouterr() == ("", "")


def test_an_optimiser_that_gives_up_is_a_model_error(
    cdnow: Summary, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = SimpleNamespace(success=False, fun=np.nan, x=np.zeros(4), message="ABNORMAL")
    monkeypatch.setattr(bgnbd, "minimize", lambda *_args, **_kwargs: failed)
    with pytest.raises(ModelError, match="did not converge: ABNORMAL"):
        fit(*cdnow)


def test_a_negative_horizon_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="horizon"):
        expected_purchases(PAPER, -1, [1], [2.0], [3.0])
