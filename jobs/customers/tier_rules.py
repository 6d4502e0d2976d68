"""TierRules: the numbers behind the customer tiers and the RFM window, as metrics.yml's
`datasets:` states them. Validation only: scoring (rfm.py) needs pandas, reading the settings does
not, so start-up reads them without importing it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

BEST_SCORE = 5


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MinimumScores(_Strict):
    """The least recency, frequency and monetary scores of a high-value customer; all three
    must hold."""

    recency: int = 4
    frequency: int = 4
    monetary: int = 4

    @field_validator("recency", "frequency", "monetary")
    @classmethod
    def _a_score(cls, score: int, info: ValidationInfo) -> int:
        if not 1 <= score <= BEST_SCORE:
            raise ValueError(f"{info.field_name}: {score} is not a score (scores are 1–5)")
        return score


class TierRules(_Strict):
    """The numbers behind the tiers, and the RFM window.

    window_days: orders and spend are counted over the `window_days` days ending d (365).
    new_days: a customer whose first order is less than `new_days` days before d is new (30).
    churned_days: a customer with no order for more than `churned_days` days is churned (90).
    high_value: the least scores of a high-value customer, all three (4, 4 and 4).
    churn_probability_below: when set, a customer whose probability of being alive (from the
    BG/NBD model) is below it is churned too (unset: recency alone decides).
    """

    window_days: int = 365
    new_days: int = 30
    churned_days: int = 90
    high_value: MinimumScores = MinimumScores()
    churn_probability_below: float | None = None

    @field_validator("window_days", "new_days", "churned_days")
    @classmethod
    def _positive_days(cls, days: int, info: ValidationInfo) -> int:
        if days < 1:
            raise ValueError(f"{info.field_name}: {days} is not a positive number of days")
        return days

    @field_validator("churn_probability_below")
    @classmethod
    def _a_probability(cls, below: float | None) -> float | None:
        if below is not None and not 0 < below < 1:
            raise ValueError(
                f"churn_probability_below: {below:g} is not a probability between 0 and 1"
                " (both excluded)"
            )
        return below
