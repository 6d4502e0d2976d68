"""The evaluation benchmark's baseline: the plain per-goal reference
(tests/jobs/reference_evaluation.py) on what the step classified, which must agree on every
goal."""

from __future__ import annotations

import gc
import math
import statistics
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from jobs.evaluation.classify import COLUMNS

BASELINE_RUNS = 3  # the baseline's figure is the median of this many runs
COMPARED = COLUMNS  # every column classify returns


@dataclass(frozen=True)
class Baseline:
    """Seconds the per-goal Python baseline took: grouping the points by goal, then the rules
    (wall time), and both together in CPU time."""

    grouping: float
    rules: float
    cpu: float

    @property
    def total(self) -> float:
        return self.grouping + self.rules


def baseline(frames: dict[str, Any]) -> Baseline:
    """The per-goal reference on what the step classified; raises on any disagreement.

    Timed (the median of BASELINE_RUNS runs): what a per-goal implementation does from the
    same rows, i.e. gather each series' points, then apply the rules goal by goal, each on
    its series. Not timed: turning the arrays into Python values (dates, floats, dicts).
    """
    from tests.jobs.reference_evaluation import reference_classify

    goals: list[dict[str, Any]] = frames["goals"].to_dict("records")
    keys, series = frames["args"]
    kwargs: dict[str, Any] = frames["kwargs"]
    epoch = date(1970, 1, 1).toordinal()
    rows = list(
        zip(
            series.series.tolist(),
            [date.fromordinal(epoch + day) for day in series.day.tolist()],
            series.value.tolist(),
            strict=True,
        )
    )
    runs: list[tuple[float, float, float]] = []
    for _ in range(BASELINE_RUNS):
        gc.collect()
        started, cpu = time.perf_counter(), time.thread_time()
        histories: dict[int, list[tuple[date, float]]] = {}
        for key, day, value in rows:
            history = histories.get(key)
            if history is None:
                history = histories[key] = []
            history.append((day, value))
        grouped = time.perf_counter()
        expected = [
            reference_classify(goal, histories.get(key, []), **kwargs)
            for goal, key in zip(goals, keys.tolist(), strict=True)
        ]
        runs.append((grouped - started, time.perf_counter() - grouped, time.thread_time() - cpu))

    got = frames["result"].to_dict("records")
    if len(got) != len(expected):
        raise AssertionError(f"classify returned {len(got)} rows for {len(expected)} goals")
    mismatches = []
    for ours, want in zip(got, expected, strict=True):
        ours = {key: _plain(value) for key, value in ours.items()}
        wrong = [key for key in COMPARED if not same(ours[key], want[key])]
        if wrong:
            mismatches.append((want["goal_id"], {k: (ours[k], want[k]) for k in wrong}))
    if mismatches:
        raise AssertionError(
            f"classify disagrees with the per-goal reference on {len(mismatches)} of "
            f"{len(expected)} goals, e.g. {mismatches[:3]}"
        )
    walls = [grouping + rules for grouping, rules, _ in runs]
    grouping, rules, _ = runs[walls.index(statistics.median(walls))]  # (an odd number of runs)
    return Baseline(grouping, rules, cpu=statistics.median(cpu for _, _, cpu in runs))


def same(left: Any, right: Any) -> bool:
    """As in tests/jobs/test_evaluate.py: floats close (rel 1e-9, abs 1e-12), NaN equals NaN."""
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    return bool(left == right) and type(left) is type(right)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
