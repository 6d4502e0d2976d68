"""Industry benchmarks as a floor on a goal's band: a fresh value that breaches its metric's
benchmark raises the goal to at least the benchmark's band, never lowers it. Pure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from jobs.evaluation.arrays import Bools, Floats, Ints, label_codes
from storage.models import Band

# Optional goal columns: the metric's benchmark value, its warn_below and warn_above fractions
# (NaN when not set) and the band a breach raises the goal to (blank: no benchmark).
BENCHMARK_COLUMNS = ("benchmark", "benchmark_below", "benchmark_above", "benchmark_band")
_RAISED_TO = {Band.YELLOW.value: 1, Band.ORANGE.value: 2, Band.RED.value: 3}


@dataclass(frozen=True)
class Benchmarks:
    """Each goal's benchmark: NaN value and bounds and a zero rank where it has none."""

    value: Floats
    below: Floats
    above: Floats
    rank: Ints  # the colour rank a breach raises the goal to

    def floor(self, block: slice | Ints, latest: Floats, measured: Bools) -> Ints:
        """The rank each measured goal in `block` is raised to: 0 unless its value breaches.

        The same comparisons as `Benchmark.breached`: under value × (1 − below) or over
        value × (1 + above), exactly (a NaN bound or value never breaches).
        """
        value, below, above = self.value[block], self.below[block], self.above[block]
        breached = (latest < value * (1 - below)) | (latest > value * (1 + above))
        return np.where(measured & breached, self.rank[block], 0)


def goal_benchmarks(goals: pd.DataFrame) -> Benchmarks:
    """The goals' benchmarks from BENCHMARK_COLUMNS; none for a frame without them."""
    count = len(goals)
    if "benchmark" not in goals:
        nothing = np.full(count, np.nan)
        return Benchmarks(nothing, nothing, nothing, np.zeros(count, dtype=np.int64))
    value, below, above = (goals[name].to_numpy(np.float64) for name in BENCHMARK_COLUMNS[:3])
    rank = label_codes(goals["benchmark_band"], _RAISED_TO, "benchmark_band", missing=0)
    return Benchmarks(value=value, below=below, above=above, rank=rank)
