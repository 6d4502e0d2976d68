"""The owner's confidence as a floor on a goal's band. Pure.

An owner whose latest check-in says `off_track` raises the goal to at least yellow even when
its numbers look fine; `on_track`, `at_risk` and no confidence at all change nothing. Like a
breached benchmark (benchmarks.py) the floor only raises a measured goal, never lowers one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jobs.evaluation.arrays import Ints, label_codes
from jobs.evaluation.policy import CONFIDENCES
from storage.models import Band

# Optional goal column classify reads: the owner's latest confidence, None or NaN without one.
CONFIDENCE_COLUMN = "confidence"

# Colour ranks as in classify.py: 0 green, 1 yellow, 2 orange, 3 red.
_COLOURS = (Band.GREEN.value, Band.YELLOW.value, Band.ORANGE.value, Band.RED.value)
_RAISED_TO = dict.fromkeys(CONFIDENCES, 0) | {"off_track": 1}


def confidence_floor(confidences: pd.Series | np.ndarray) -> Ints:
    """The colour rank each goal is raised to by its owner's latest confidence: 1 (yellow) for
    off_track, 0 otherwise (missing included). Raises ValueError on an unknown confidence."""
    column = confidences if isinstance(confidences, pd.Series) else pd.Series(confidences)
    return label_codes(column, _RAISED_TO, CONFIDENCE_COLUMN, missing=0)


def raised_by_confidence(band: str, confidence: str | None) -> tuple[str, bool]:
    """The band after the confidence floor, and whether the floor raised it.

    green + off_track → (yellow, True); orange + off_track → (orange, False); no_data and
    invalid are never raised. Raises ValueError on an unknown band or confidence.
    """
    floor = 0 if confidence is None else _rank_of(confidence)
    colour = Band(band).value  # ValueError on an unknown band
    if colour not in _COLOURS:
        return band, False
    rank = _COLOURS.index(colour)
    if floor <= rank:
        return band, False
    return _COLOURS[floor], True


def _rank_of(confidence: str) -> int:
    """The rank an owner's confidence raises a goal to."""
    if confidence not in _RAISED_TO:
        raise ValueError(f"unknown confidence {confidence!r}")
    return _RAISED_TO[confidence]
