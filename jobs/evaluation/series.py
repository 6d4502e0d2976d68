"""Points read once per series, handed to classify per goal. Pure: no I/O, no clock.

Goals on one workspace's metric share its series (storage/points.py `series_points`), so the
points are read once per series and repeated for each goal on it here, in blocks of goals, so
that the repeated points of all goals are never held at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from storage.series_points import SeriesPoints

Ints = npt.NDArray[np.int64]
BLOCK = 25_000  # goals per block handed to classify
_SECONDS_PER_DAY = 86_400


def series_keys(goals: pd.DataFrame) -> Ints:
    """Each goal's series key: the smallest goal id on its (team_id, metric_key), as
    storage/points.py keys the series it reads."""
    if goals.empty:
        return np.zeros(0, dtype=np.int64)
    keys = goals.groupby(["team_id", "metric_key"], sort=False)["goal_id"].transform("min")
    return keys.to_numpy(np.int64)


def all_known(points: SeriesPoints, keys: Ints) -> bool:
    """Whether every series read belongs to one of these goals (no goal changed in between)."""
    if not len(points.series):
        return True
    return not len(np.setdiff1d(np.unique(points.series), keys, assume_unique=False))


def goal_blocks(
    goal_ids: Ints, keys: Ints, points: SeriesPoints, block: int = BLOCK
) -> Iterator[tuple[slice, pd.DataFrame]]:
    """Blocks of goals (slices of their order) with their points as classify takes them:
    goal_id, day (datetime64[s]) and value, each series' points repeated for its goals."""
    order = np.argsort(points.series, kind="stable")
    series = points.series[order]
    stamps = (points.day[order] * _SECONDS_PER_DAY).astype("datetime64[s]")
    values = points.value[order]
    unique, starts, counts = np.unique(series, return_index=True, return_counts=True)
    where = np.minimum(np.searchsorted(unique, keys), max(len(unique) - 1, 0))
    found = (unique[where] == keys) if len(unique) else np.zeros(len(keys), dtype=bool)
    first = np.where(found, starts[where] if len(unique) else 0, 0)
    count = np.where(found, counts[where] if len(unique) else 0, 0)
    for start in range(0, len(goal_ids), block):
        part = slice(start, min(start + block, len(goal_ids)))
        repeats = count[part]
        ends = np.cumsum(repeats)
        rows = np.repeat(first[part] - (ends - repeats), repeats) + np.arange(
            int(ends[-1]) if len(ends) else 0
        )
        frame: dict[str, Any] = {
            "goal_id": np.repeat(goal_ids[part], repeats),
            "day": stamps[rows],
            "value": values[rows],
        }
        yield part, pd.DataFrame(frame, copy=False)
