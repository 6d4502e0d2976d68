"""Customers drawn from a known BG/NBD model, to test that a fit finds its parameters again."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Simulated:
    """Per customer: calibration summary (frequency, recency, age) and purchases in the holdout."""

    frequency: NDArray[np.int64]
    recency: NDArray[np.float64]
    age: NDArray[np.float64]
    holdout: NDArray[np.int64]


def simulate(
    r: float, alpha: float, a: float, b: float, age: NDArray[np.float64], holdout: float, seed: int
) -> Simulated:
    """One customer per entry of `age` (time from first purchase to the end of calibration).

    λ ~ Gamma(r, rate α), p ~ Beta(a, b); repeat purchases follow a Poisson process with rate λ,
    and after each repeat purchase the customer drops out for good with probability p.
    Purchases in (age, age + holdout] are the holdout count.
    """
    rng = np.random.default_rng(seed)
    n = len(age)
    rate = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    dropout = rng.beta(a, b, size=n)
    clock = np.zeros(n)
    frequency = np.zeros(n, dtype=np.int64)
    recency = np.zeros(n)
    later = np.zeros(n, dtype=np.int64)
    active = np.ones(n, dtype=bool)  # alive, and the clock has not passed the holdout's end
    while active.any():
        clock[active] += rng.exponential(1.0 / rate[active])
        active &= clock <= age + holdout
        calibration = active & (clock <= age)
        frequency[calibration] += 1
        recency[calibration] = clock[calibration]
        later[active & ~calibration] += 1
        active &= rng.random(n) >= dropout
    return Simulated(frequency, recency, age, later)
