"""What the rest of goalpulse needs to know of evaluation without importing numpy or pandas:
the policy goals are judged by, and the confidences an owner may state. Pure.

classify.py and confidence.py re-export these; digests, escalations, the Home tab and check-ins
import them from here, so a process can start without loading the classification.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Confidence = Literal["on_track", "at_risk", "off_track"]
CONFIDENCES: tuple[str, ...] = ("on_track", "at_risk", "off_track")


@dataclass(frozen=True)
class EvaluationPolicy:
    """How goals are judged; the defaults are the playbook's."""

    staleness_days: int = 2  # a value older than day - staleness_days is stale → no_data
    hysteresis: float = 0.02  # adverse margin needed to leave a band downward
    trend_trigger: int = 3  # consecutive adverse moves that raise trend_alert
    forecast_window: int = 14  # days of history for the linear fit
    forecast_horizon: int = 30  # only report red_in_days up to this many days
    volatility_window: int = 30  # days for the coefficient of variation
