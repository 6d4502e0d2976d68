"""The BG/NBD model of repeat purchases (Fader, Hardie & Lee, "Counting Your Customers the Easy
Way", Marketing Science 24(2), 2005): pure numpy and scipy, no I/O.

Each customer is summarised by frequency x (repeat purchases), recency t_x (time from the first
purchase to the last) and age T (time from the first purchase to now), all in one time unit
that the caller chooses (days, weeks); the parameters, and the horizon t of
`expected_purchases`, are then in that unit too. `fit` estimates r, α, a, b by maximum
likelihood; `p_alive` and `expected_purchases` answer for each customer.

The model is our own rather than `lifetimes` or `btyd`: btyd does not import on Python 3.11, and
lifetimes (no release since 2020) sets a global pandas option on import that pandas 3
deprecates, breaks on pandas 3 (`DataFrame.append`, `fillna(method=)`), ships no types, and on a
failed fit raises mixed error types and prints to stdout. Here every failure of `fit` is a
ModelError and nothing is printed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaln, expit, gammaln, hyp2f1

Floats = NDArray[np.float64]

MIN_CUSTOMERS = 10
"""Fewer customers than this say too little about four parameters."""
_LOG_BOUND = 20.0
"""The fit searches log-parameters in ±_LOG_BOUND; an estimate beyond ±_EDGE is on that edge,
where the likelihood is still rising: no maximum."""
_EDGE = _LOG_BOUND - 1e-3
_GAP = 1e-9
"""How near one of eq. (10)'s edges a counts as on it (see `_evaluable_a`)."""


class ModelError(ValueError):
    """The model cannot be fitted to, or evaluated on, the given customers."""


@dataclass(frozen=True)
class BgNbd:
    """The four parameters: purchase rates λ ~ Gamma(shape r, rate α), drop-out probabilities
    p ~ Beta(a, b). α is in the caller's time unit."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class BgNbdFit:
    """A fit: the parameters, the log-likelihood they reach, and how many customers it used."""

    params: BgNbd
    log_likelihood: float
    customers: int


def log_likelihood(
    params: BgNbd,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """The paper's equation (6) in logs, summed over customers; `weights` counts each
    (frequency, recency, age) row that many times (default: once)."""
    x, t_x, T = _summary(frequency, recency, age)
    each = _log_likelihoods(params, x, t_x, T)
    return float(each.sum() if weights is None else np.dot(np.asarray(weights, float), each))


def fit(frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> BgNbdFit:
    """The maximum-likelihood parameters for these customers.

    Raises ModelError for fewer than MIN_CUSTOMERS customers, no repeat buyer, a summary that
    is not one (see `p_alive`), or an optimiser that does not converge.
    """
    x, t_x, T = (c.ravel() for c in _summary(frequency, recency, age))
    if len(x) < MIN_CUSTOMERS:
        raise ModelError(f"BG/NBD needs at least {MIN_CUSTOMERS} customers, got {len(x)}")
    if not (x > 0).any():
        raise ModelError("BG/NBD needs at least one repeat buyer; every frequency is 0")
    # Equal rows add equal terms: each distinct (x, t_x, T) is evaluated once, weighted.
    rows, counts = np.unique(np.stack([x, t_x, T], axis=1), axis=0, return_counts=True)
    ux, ut_x, uT = rows.T
    share = counts / len(x)

    def cost(log_params: Floats) -> float:
        # The mean rather than the sum keeps the optimiser's tolerances independent of n.
        return -float(np.dot(share, _log_likelihoods(BgNbd(*np.exp(log_params)), ux, ut_x, uT)))

    result = minimize(cost, np.zeros(4), method="L-BFGS-B", bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 4)
    if not result.success or not np.isfinite(result.fun):
        raise ModelError(f"the BG/NBD fit did not converge: {result.message}")
    params = BgNbd(*(float(v) for v in np.exp(result.x)))
    edge = [f.name for f, v in zip(fields(BgNbd), result.x, strict=True) if abs(v) > _EDGE]
    if edge:
        raise ModelError(
            f"the BG/NBD likelihood has no maximum for these customers ({', '.join(edge)}"
            " ran off to 0 or infinity)"
        )
    return BgNbdFit(params, -float(result.fun) * len(x), len(x))


def p_alive(params: BgNbd, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> Floats:
    """Each customer's probability of still being alive at age T:

    1 / (1 + δ(x > 0) · a / (b + x − 1) · ((α + T) / (α + t_x))^(r + x)),

    so 1 for a customer with no repeat purchase. Raises ModelError unless every frequency is a
    whole number ≥ 0, 0 ≤ recency ≤ age, and all are finite.
    """
    x, t_x, T = _summary(frequency, recency, age)
    return _p_alive(params, x, t_x, T)


def expected_purchases(
    params: BgNbd, t: float, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> Floats:
    """Each customer's expected number of purchases in (T, T + t], the paper's equation (10)."""
    if not t >= 0:
        raise ModelError(f"the horizon t must be a time of 0 or more, got {t}")
    x, t_x, T = _summary(frequency, recency, age)
    r, alpha, a, b = params.r, params.alpha, _evaluable_a(params), params.b
    z = t / (alpha + T + t)
    # Eq. (10) has (1 − z)^(r + x) · 2F1(r + x, b + x; a + b + x − 1; z); Euler's transformation
    # turns it into the one below, whose upper parameters do not grow with x: no overflow.
    unseen: Floats = 1 - (1 - z) ** (a - 1) * hyp2f1(a - 1, a + b - 1 - r, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * unseen * _p_alive(params, x, t_x, T)


def _evaluable_a(params: BgNbd) -> float:
    """a, or a + 2·_GAP when within _GAP of an edge where eq. (10) cannot be evaluated: a = 1
    and a + b = 1 give 0 / 0, and a whole r − a makes scipy's hyp2f1 fail near z = 1. The
    expectation moves by about as little as a does."""
    r, a, b = params.r, params.a, params.b
    edges = (a - 1, a + b - 1, r - a - round(r - a))
    return a + 2 * _GAP if min(abs(edge) for edge in edges) < _GAP else a


def _p_alive(params: BgNbd, x: Floats, t_x: Floats, T: Floats) -> Floats:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    # log of a / (b + x − 1) · ((α + T) / (α + t_x))^(r + x), read for repeat buyers only.
    odds = np.log(a / (b + _repeats(x) - 1)) + (r + x) * np.log((alpha + T) / (alpha + t_x))
    return np.asarray(np.where(x > 0, expit(-odds), 1.0), np.float64)


def _log_likelihoods(params: BgNbd, x: Floats, t_x: Floats, T: Floats) -> Floats:
    """Equation (6) in logs, one term per customer."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    alive = -(r + x) * np.log(alpha + T)
    # B(a + 1, b + x − 1) / B(a, b + x) = a / (b + x − 1); only repeat buyers can have left.
    gone = np.log(a / (b + _repeats(x) - 1)) - (r + x) * np.log(alpha + t_x)
    return np.asarray(head + np.where(x > 0, np.logaddexp(alive, gone), alive), np.float64)


def _repeats(x: Floats) -> Floats:
    """x where it is positive, else 1: keeps a term that np.where discards for x = 0 finite."""
    return np.maximum(x, 1.0)


def _summary(frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> tuple[Floats, ...]:
    """The three as float arrays of one shape (broadcast), checked to describe customers."""
    try:
        arrays = [np.atleast_1d(np.asarray(c, np.float64)) for c in (frequency, recency, age)]
    except (TypeError, ValueError) as error:
        raise ModelError(f"frequency, recency and age must be numbers: {error}") from None
    try:
        x, t_x, T = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(str(c.shape) for c in arrays)
        raise ModelError(f"frequency, recency and age differ in shape: {shapes}") from None
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()):
        raise ModelError("frequency, recency and age must be finite numbers (no NaN or inf)")
    if ((x < 0) | (x != np.floor(x))).any():
        raise ModelError("frequency must count repeat purchases: whole numbers, 0 or more")
    outside = int(((t_x < 0) | (t_x > T)).sum())
    if outside:
        raise ModelError(f"recency must lie between 0 and age; it does not for {outside} customers")
    return x, t_x, T
