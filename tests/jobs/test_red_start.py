"""`jobs.goals.service.starts_red`, the check behind refusing a target that starts red, agrees with
evaluation (`jobs.evaluation.classify.classify`) on whether a value is red."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from jobs.evaluation.classify import classify
from jobs.goals.service import starts_red
from storage.models import Direction

DAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("value", "target", "direction", "red"),
    [
        pytest.param(70.0, 100.0, "higher", 0.3, id="higher-on-the-edge"),
        pytest.param(70.01, 100.0, "higher", 0.3, id="higher-just-inside"),
        pytest.param(130.0, 100.0, "lower", 0.3, id="lower-on-the-edge"),
        pytest.param(129.0, 100.0, "lower", 0.3, id="lower-inside"),
        pytest.param(70.0, 100.0, "either", 0.3, id="either-below"),
        pytest.param(131.0, 100.0, "either", 0.3, id="either-above"),
        pytest.param(200.0, 100.0, "higher", 0.3, id="higher-above-target"),
        pytest.param(-150.0, -100.0, "higher", 0.3, id="negative-target"),
        pytest.param(0.24, 0.35, "higher", 0.3, id="percent"),
        pytest.param(0.85, 1.0, "higher", 0.15, id="own-red-edge"),
        pytest.param(0.7, 1.0, "higher", 0.3, id="float-edge"),
        pytest.param(5.0, 0.0, "higher", 0.3, id="zero-target"),
    ],
)
def test_starts_red_agrees_with_evaluation(
    value: float, target: float, direction: str, red: float
) -> None:
    """Same value, target, direction and red edge, no earlier band: red for one iff the other."""
    goals = pd.DataFrame(
        {
            "goal_id": [1],
            "target": [target],
            "direction": [direction],
            "yellow": [red / 3],
            "orange": [red * 2 / 3],
            "red": [red],
            "previous_band": [None],
        }
    )
    points = pd.DataFrame({"goal_id": [1], "day": [DAY], "value": [value]})
    expected = classify(goals, points, day=DAY)["band"].iloc[0] == "red"
    assert starts_red(value, target=target, direction=Direction(direction), red=red) is expected
