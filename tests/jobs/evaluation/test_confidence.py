"""The owner's off-track confidence raises a measured goal to at least yellow."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from jobs.evaluation.classify import classify
from jobs.evaluation.confidence import (
    CONFIDENCE_COLUMN,
    CONFIDENCES,
    confidence_floor,
    raised_by_confidence,
)

DAY = date(2025, 6, 30)
NAN = float("nan")
ABSENT = object()  # no confidence column at all


def goal(goal_id: int = 1, target: float = 100.0, confidence: Any = ABSENT) -> dict[str, Any]:
    """A higher-is-better goal with the playbook's thresholds (10 %, 20 %, 30 % off)."""
    row: dict[str, Any] = {
        "goal_id": goal_id,
        "target": target,
        "direction": "higher",
        "yellow": 0.1,
        "orange": 0.2,
        "red": 0.3,
        "previous_band": None,
    }
    if confidence is not ABSENT:
        row[CONFIDENCE_COLUMN] = confidence
    return row


def bands(goals: list[dict[str, Any]], points: list[tuple[int, int, float]]) -> list[str]:
    """classify's bands on DAY for the goals and (goal_id, days ago, value) points."""
    frame = pd.DataFrame(
        {
            "goal_id": pd.Series([p[0] for p in points], dtype="int64"),
            "day": pd.Series([DAY - timedelta(days=p[1]) for p in points], dtype=object),
            "value": pd.Series([p[2] for p in points], dtype="float64"),
        }
    )
    return list(classify(pd.DataFrame(goals), frame, day=DAY)["band"])


@pytest.mark.parametrize(
    ("value", "confidence", "band"),
    [
        pytest.param(100.0, "off_track", "yellow", id="green-off-track-raised-to-yellow"),
        pytest.param(88.0, "off_track", "yellow", id="yellow-off-track-stays-yellow"),
        pytest.param(75.0, "off_track", "orange", id="orange-off-track-stays-orange"),
        pytest.param(60.0, "off_track", "red", id="red-off-track-stays-red"),
        pytest.param(100.0, "at_risk", "green", id="at-risk-no-effect"),
        pytest.param(100.0, "on_track", "green", id="on-track-no-effect"),
        pytest.param(100.0, None, "green", id="no-confidence-none"),
        pytest.param(100.0, NAN, "green", id="no-confidence-nan"),
        pytest.param(100.0, ABSENT, "green", id="no-column-no-effect"),
        pytest.param(60.0, ABSENT, "red", id="no-column-red-as-before"),
    ],
)
def test_classify_raises_off_track_goals(value: float, confidence: Any, band: str) -> None:
    """An owner saying off track lifts a goal that looks fine to yellow, never lowers one."""
    assert bands([goal(confidence=confidence)], [(1, 0, value)]) == [band]


@pytest.mark.parametrize(
    ("the_goal", "points", "band"),
    [
        pytest.param(goal(confidence="off_track"), [], "no_data", id="no-points-not-raised"),
        pytest.param(
            goal(confidence="off_track"), [(1, 5, 100.0)], "no_data", id="stale-not-raised"
        ),
        pytest.param(
            goal(target=0.0, confidence="off_track"),
            [(1, 0, 100.0)],
            "invalid",
            id="invalid-not-raised",
        ),
    ],
)
def test_classify_leaves_unmeasured_goals(
    the_goal: dict[str, Any], points: list[tuple[int, int, float]], band: str
) -> None:
    """A goal without a fresh value keeps no_data (or invalid): the floor needs a measurement."""
    assert bands([the_goal], points) == [band]


def test_classify_raises_each_goal_by_its_own_confidence() -> None:
    """Confidences line up with their goals across a frame of several goals."""
    goals = [
        goal(1, confidence="off_track"),
        goal(2, confidence=None),
        goal(3, confidence="off_track"),
        goal(4, confidence="at_risk"),
    ]
    points = [(1, 0, 100.0), (2, 0, 100.0), (3, 0, 60.0), (4, 0, 105.0)]
    assert bands(goals, points) == ["yellow", "green", "red", "green"]


def test_classify_keeps_the_numbers_of_a_raised_goal() -> None:
    """The floor changes the band only: the deviation still says the numbers are on target."""
    frame = pd.DataFrame({"goal_id": [1], "day": [DAY], "value": [104.0]})
    for confidence in ("off_track", ABSENT):
        row = classify(pd.DataFrame([goal(confidence=confidence)]), frame, day=DAY).iloc[0]
        assert row["deviation"] == pytest.approx(0.04)


def test_classify_refuses_an_unknown_confidence() -> None:
    """A confidence outside CONFIDENCES breaks the contract, like an unknown direction."""
    with pytest.raises(ValueError, match=CONFIDENCE_COLUMN):
        bands([goal(confidence="doomed")], [(1, 0, 100.0)])


@pytest.mark.parametrize(
    "confidences",
    [
        pytest.param(pd.Series(["off_track", "on_track", "at_risk", None, NAN]), id="series"),
        pytest.param(
            np.array(["off_track", "on_track", "at_risk", None, NAN], dtype=object), id="array"
        ),
    ],
)
def test_confidence_floor(confidences: pd.Series | np.ndarray) -> None:
    """Yellow's rank for off_track, green's for anything else, missing included."""
    assert confidence_floor(confidences).tolist() == [1, 0, 0, 0, 0]


def test_confidence_floor_knows_every_confidence() -> None:
    """Every confidence an owner may give is read; only off_track raises."""
    floors = confidence_floor(pd.Series(CONFIDENCES)).tolist()
    assert dict(zip(CONFIDENCES, floors, strict=True)) == {
        "on_track": 0,
        "at_risk": 0,
        "off_track": 1,
    }


@pytest.mark.parametrize(
    ("band", "confidence", "after"),
    [
        pytest.param("green", "off_track", ("yellow", True), id="green-off-track-raised"),
        pytest.param("yellow", "off_track", ("yellow", False), id="yellow-off-track-as-is"),
        pytest.param("orange", "off_track", ("orange", False), id="orange-off-track-as-is"),
        pytest.param("red", "off_track", ("red", False), id="red-off-track-as-is"),
        pytest.param("green", "at_risk", ("green", False), id="green-at-risk-as-is"),
        pytest.param("green", "on_track", ("green", False), id="green-on-track-as-is"),
        pytest.param("green", None, ("green", False), id="green-no-confidence"),
        pytest.param("no_data", "off_track", ("no_data", False), id="no-data-unchanged"),
        pytest.param("invalid", "off_track", ("invalid", False), id="invalid-unchanged"),
    ],
)
def test_raised_by_confidence(band: str, confidence: str | None, after: tuple[str, bool]) -> None:
    """The band a goal shows after its owner's confidence, and whether that raised it."""
    assert raised_by_confidence(band, confidence) == after


@pytest.mark.parametrize(
    ("band", "confidence", "match"),
    [
        pytest.param("green", "doomed", "doomed", id="unknown-confidence"),
        pytest.param("purple", "off_track", "purple", id="unknown-band"),
    ],
)
def test_raised_by_confidence_refuses_unknown_labels(
    band: str, confidence: str, match: str
) -> None:
    """Labels outside Band and CONFIDENCES are refused, not silently passed through."""
    with pytest.raises(ValueError, match=match):
        raised_by_confidence(band, confidence)
