"""Numbers as people type them (`150k`, `1.2M`, `30%`, `¥520`) and as goals store them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from jobs.errors import UsageError, quoted
from jobs.metrics import Metric, Unit

_QUANTITY = re.compile(
    r"^(?P<currency>[$€£¥])?(?P<number>[0-9]+(?:[.,][0-9]+)?|[.][0-9]+)"
    r"(?P<suffix>[kKmMbB%])?$"
)
_MULTIPLIERS = {"k": 1e3, "m": 1e6, "b": 1e9}
CURRENCY_SYMBOLS = "$€£¥"


@dataclass(frozen=True)
class Quantity:
    """A number as typed: its value and any `%` or currency sign."""

    value: float
    percent: bool = False
    currency: str | None = None
    text: str = ""


def parse_quantity(text: str) -> Quantity | None:
    """`150k` → 150000; `30%` → 30 with percent set; None when it is not a number."""
    match = _QUANTITY.match(text.strip())
    if match is None:
        return None
    value = float(match["number"].replace(",", "."))
    suffix = (match["suffix"] or "").lower()
    value *= _MULTIPLIERS.get(suffix, 1.0)
    if not math.isfinite(value):
        return None
    return Quantity(value=value, percent=suffix == "%", currency=match["currency"], text=text)


def target_for(metric: Metric, quantity: Quantity) -> float:
    """The target in the metric's own scale, or UsageError saying what is wrong with it."""
    example = f"/goal set {metric.key} {example_target(metric)}"
    if quantity.percent and metric.unit is not Unit.PERCENT:
        raise UsageError(
            f"`{metric.key}` is a {metric.unit.value} metric, so its target cannot be a "
            "percentage.",
            example=example,
        )
    if quantity.currency and metric.unit is not Unit.CURRENCY:
        raise UsageError(
            f"`{metric.key}` is a {metric.unit.value} metric, not money.", example=example
        )
    if quantity.value == 0:
        raise UsageError(
            "A target of 0 cannot measure drift (deviation is relative to the target).",
            example=example,
        )
    if metric.unit is Unit.PERCENT:
        if quantity.value > 100:
            raise UsageError(
                f"{quoted(quantity.text)} is over 100%; percent targets are between 0 and 100.",
                example=example,
            )
        return quantity.value / 100 if metric.scale == "fraction" else quantity.value
    return quantity.value


def example_target(metric: Metric) -> str:
    """A plausible target to show in examples for this kind of metric."""
    return {
        Unit.COUNT: "150k",
        Unit.PERCENT: "35%",
        Unit.CURRENCY: f"{metric.currency}520",
        Unit.RATIO: "1.5",
    }[metric.unit]


def format_value(
    metric_unit: str, value: float, *, scale: str = "fraction", currency: str = "$"
) -> str:
    """A stored value as people read it: `120k`, `24.1%`, `¥520`, `1.25`."""
    if metric_unit == Unit.PERCENT:
        percent = value * 100 if scale == "fraction" else value
        return f"{_trim(percent, 1)}%"
    if metric_unit == Unit.RATIO:
        return _trim(value, 2)
    prefix = currency if metric_unit == Unit.CURRENCY else ""
    return f"{'-' if value < 0 else ''}{prefix}{_compact(abs(value))}"


def format_metric_value(metric: Metric, value: float) -> str:
    """`format_value` with the metric's own unit settings."""
    return format_value(metric.unit.value, value, scale=metric.scale, currency=metric.currency)


def _compact(value: float) -> str:
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= threshold:
            return f"{_trim(value / threshold, 1)}{suffix}"
    return _trim(value, 2)


def _trim(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
