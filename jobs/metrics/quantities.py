"""Numbers as people type them (`150k`, `1.2M`, `30%`, `¥520`) and as goals store them."""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from jobs.errors import Code, CommandLine, Typed, UsageError, phrase
from jobs.i18n import N_, _
from jobs.metrics.catalog import Metric, Unit

# A number is typed with an optional minus, an optional currency sign, digits with at most one
# decimal point (`.5` is fine), and then either an optional `k`/`M`/`B` or `%`, or an optional
# Chinese magnitude (`千`, `万`, `亿`, `万亿`) and an optional `元`. Only one magnitude: `1.2万万`
# and `1.2k万` are refused. Commas are refused: `1,000` (a thousand) and `1,5` (one and a half)
# cannot be told apart. No exponents, `inf` or `nan`.
_QUANTITY = re.compile(
    r"(?P<sign>-)?(?P<currency>[^0-9\s.,+\-%])?(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
    r"(?:(?P<suffix>[kKmMbB%])|(?P<magnitude>千|万亿|万|亿)?(?P<yuan>元)?)"
)
_MULTIPLIERS = {
    "k": 1000,
    "m": 1_000_000,
    "b": 1_000_000_000,
    "千": 1000,
    "万": 10_000,
    "亿": 100_000_000,
    "万亿": 1_000_000_000_000,
}
# `元` after the number is the yuan, written `¥` in front.
_YUAN_SIGN = "¥"
# The most decimals `tick_labels` adds to those `format_value` shows by default.
_MAX_EXTRA_DIGITS = 6


@dataclass(frozen=True)
class Quantity:
    """A number as typed: its value and any `%` or currency sign."""

    value: float
    percent: bool = False
    currency: str | None = None
    text: str = ""


def is_currency_symbol(text: str) -> bool:
    """True for one Unicode currency sign such as `$`, `€`, `£`, `¥` or `₹`."""
    return len(text) == 1 and unicodedata.category(text) == "Sc"


def parse_quantity(text: str) -> Quantity | None:
    """`150k` → 150000; `30%` → 30 with percent set; `5亿元` → 5e8 in ¥; None if not a number.

    Full-width forms (`１２％`, `￥５`) read as their ASCII twins.
    """
    match = _QUANTITY.fullmatch(_narrow(text).strip())
    if match is None:
        return None
    currency = match["currency"]
    if currency is not None and not is_currency_symbol(currency):
        return None
    if match["yuan"]:
        if currency is not None:  # `¥5元` names the money twice
            return None
        currency = _YUAN_SIGN
    suffix = (match["suffix"] or match["magnitude"] or "").lower()
    # Decimal keeps `0.07k` at exactly 70 rather than 70.00000000000001.
    number = Decimal(match["number"]) * _MULTIPLIERS.get(suffix, 1)
    value = -float(number) if match["sign"] else float(number)
    if not math.isfinite(value):
        return None
    return Quantity(value=value, percent=suffix == "%", currency=currency, text=text)


def _narrow(text: str) -> str:
    """The text with full-width forms (U+FF01–U+FFEE) NFKC-normalised: `１２％` → `12%`.

    Only that block is normalised, so `5²` or `①` stay unreadable instead of becoming digits.
    """
    return "".join(
        unicodedata.normalize("NFKC", char) if "\uff01" <= char <= "\uffee" else char
        for char in text
    )


def fraction_of_percent(percent: float) -> float:
    """35.5 (percent) → 0.355 exactly as written, not 0.35500000000000004."""
    return float(Decimal(repr(percent)) / 100)


# Refusals that name the metric's unit, one whole sentence per unit (the combinations that can
# happen: a percent metric is never refused a percentage, a ratio is never negative).
_PERCENT_TARGET = {
    Unit.COUNT: N_("{key} is a count metric, so its target cannot be a percentage."),
    Unit.CURRENCY: N_("{key} is a currency metric, so its target cannot be a percentage."),
    Unit.RATIO: N_("{key} is a ratio metric, so its target cannot be a percentage."),
}
_PERCENT_VALUE = {
    Unit.COUNT: N_("{key} is a count metric, so its value cannot be a percentage."),
    Unit.CURRENCY: N_("{key} is a currency metric, so its value cannot be a percentage."),
    Unit.RATIO: N_("{key} is a ratio metric, so its value cannot be a percentage."),
}
_NOT_MONEY = {
    Unit.COUNT: N_("{key} is a count metric, not money."),
    Unit.PERCENT: N_("{key} is a percent metric, not money."),
    Unit.RATIO: N_("{key} is a ratio metric, not money."),
}
_NEGATIVE_TARGET = {
    Unit.COUNT: N_("{typed} is negative; a count target must be above 0."),
    Unit.PERCENT: N_("{typed} is negative; a percent target must be above 0."),
    Unit.CURRENCY: N_("{typed} is negative; a currency target must be above 0."),
}
_NEGATIVE_VALUE = {
    Unit.COUNT: N_("{typed} is negative; a count value cannot be."),
    Unit.PERCENT: N_("{typed} is negative; a percent value cannot be."),
    Unit.CURRENCY: N_("{typed} is negative; a currency value cannot be."),
}


def target_for(metric: Metric, quantity: Quantity) -> float:
    """The target in the metric's own scale, or UsageError saying what is wrong with it."""
    example = CommandLine("set", metric.key, example_target(metric))
    key = Code(metric.key)
    if quantity.percent and not metric.is_percent:
        raise UsageError(*phrase(_(_PERCENT_TARGET[metric.unit]), key=key), example=example)
    if quantity.currency and metric.unit is not Unit.CURRENCY:
        raise UsageError(*phrase(_(_NOT_MONEY[metric.unit]), key=key), example=example)
    if quantity.currency and quantity.currency != metric.currency:
        raise UsageError(
            *phrase(
                _(
                    "{key} is counted in {currency}, not {given}; "
                    "write the target as {currency}520 or just 520."
                ),
                key=key,
                currency=metric.currency,
                given=quantity.currency,
            ),
            example=example,
        )
    if quantity.value == 0:
        raise UsageError(
            _("A target of 0 cannot measure drift (deviation is relative to the target)."),
            example=example,
        )
    if quantity.value < 0 and metric.unit is not Unit.RATIO:
        raise UsageError(
            *phrase(_(_NEGATIVE_TARGET[metric.unit]), typed=Typed(quantity.text)),
            example=example,
        )
    if metric.is_percent:
        if quantity.value > 100:
            raise UsageError(
                *phrase(
                    _("{typed} is over 100%; percent targets are between 0 and 100."),
                    typed=Typed(quantity.text),
                ),
                example=example,
            )
        return fraction_of_percent(quantity.value) if metric.scale == "fraction" else quantity.value
    return quantity.value


def reading_for(metric: Metric, quantity: Quantity) -> float:
    """A checked-in value in the metric's own scale (0 is a fine reading; a target is not)."""
    example = CommandLine("checkin", metric.key, example_target(metric))
    key = Code(metric.key)
    if quantity.percent and not metric.is_percent:
        raise UsageError(*phrase(_(_PERCENT_VALUE[metric.unit]), key=key), example=example)
    if quantity.currency and quantity.currency != metric.currency:
        raise UsageError(
            *phrase(_("{key} is counted in {currency}."), key=key, currency=metric.currency),
            example=example,
        )
    if quantity.value < 0 and metric.unit is not Unit.RATIO:
        raise UsageError(
            *phrase(_(_NEGATIVE_VALUE[metric.unit]), typed=Typed(quantity.text)),
            example=example,
        )
    if metric.is_percent:
        if quantity.value > 100:
            raise UsageError(
                *phrase(
                    _("{typed} is over 100%; percentages are between 0 and 100."),
                    typed=Typed(quantity.text),
                ),
                example=example,
            )
        return fraction_of_percent(quantity.value) if metric.scale == "fraction" else quantity.value
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
    metric_unit: str,
    value: float,
    *,
    scale: str = "fraction",
    currency: str = "$",
    extra_digits: int = 0,
) -> str:
    """A stored value as people read it: `120k`, `24.1%`, `¥520`, `1.25`, `-3.5k`.

    `extra_digits` keeps that many more decimals before trailing zeros are trimmed.
    """
    if not math.isfinite(value):
        return "—"
    if metric_unit == Unit.PERCENT:
        percent = value * 100 if scale == "fraction" else value
        return f"{_signed(_trim(percent, 1 + extra_digits))}%"
    if metric_unit == Unit.RATIO:
        return _signed(_trim(value, 2 + extra_digits))
    prefix = currency if metric_unit == Unit.CURRENCY else ""
    shown = _compact(abs(value), extra_digits)
    return f"-{prefix}{shown}" if value < 0 and shown != "0" else f"{prefix}{shown}"


def format_metric_value(metric: Metric, value: float) -> str:
    """`format_value` with the metric's own unit settings."""
    return format_value(metric.unit.value, value, scale=metric.scale, currency=metric.currency)


def tick_labels(
    values: Iterable[float], metric_unit: str, *, scale: str = "fraction", currency: str = "$"
) -> list[str]:
    """Labels for a chart axis's ticks, in the metric's unit, with as few decimals as will do.

    Decimals are added until distinct ticks get distinct labels and every label reads back
    within 1% of the tick spacing, so 2.25% shows as `2.25%`, never `2.3%`.
    """
    ticks = [float(value) for value in values]
    finite = sorted({tick for tick in ticks if math.isfinite(tick)})
    gaps = [high - low for low, high in itertools.pairwise(finite)]
    tolerance = min(gaps, default=abs(finite[0]) if finite else 0.0) / 100
    labels: list[str] = []
    for extra in range(_MAX_EXTRA_DIGITS + 1):
        labels = [
            format_value(metric_unit, tick, scale=scale, currency=currency, extra_digits=extra)
            for tick in ticks
        ]
        shown = {
            label: tick for label, tick in zip(labels, ticks, strict=True) if math.isfinite(tick)
        }
        if len(shown) == len(finite) and all(
            abs(_read_back(label, metric_unit, scale, currency) - tick) <= tolerance
            for label, tick in shown.items()
        ):
            break
    return labels


def _read_back(label: str, metric_unit: str, scale: str, currency: str) -> float:
    """The stored value a finite `format_value` label stands for (NaN if it is unreadable)."""
    number = label.replace(currency, "") if metric_unit == Unit.CURRENCY else label
    quantity = parse_quantity(number)
    if quantity is None:
        return math.nan
    if metric_unit == Unit.PERCENT and scale == "fraction":
        return quantity.value / 100
    return quantity.value


def _compact(value: float, extra_digits: int = 0) -> str:
    """A non-negative value, shortened with k, M or B from a thousand on.

    The rounded figure picks the suffix, so 999999 is `1M` (never `1000k`) and 999.999 is `1k`.
    """
    shown = _trim(value, 2 + extra_digits)
    if float(shown) < 1000:
        return shown
    for threshold, suffix in ((1e3, "k"), (1e6, "M"), (1e9, "B")):
        shown = _trim(value / threshold, 1 + extra_digits)
        if float(shown) < 1000 or suffix == "B":
            return f"{shown}{suffix}"
    raise AssertionError("unreachable: B is the last suffix")  # pragma: no cover


def _trim(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _signed(text: str) -> str:
    """Drop the sign of a value that rounded to zero: `-0` → `0`."""
    return "0" if text == "-0" else text
