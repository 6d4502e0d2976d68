"""Numbers as typed (`150k`, `30%`, `¥520`), as stored for a metric, and as shown back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.commands.parse import SetGoal, parse_command
from bot.render.text import error_text, example_text
from jobs.errors import UsageError
from jobs.metrics.catalog import Metric, Unit, load_catalog
from jobs.metrics.quantities import (
    Quantity,
    format_metric_value,
    format_value,
    fraction_of_percent,
    parse_quantity,
    target_for,
    tick_labels,
)

CATALOG = load_catalog(Path(__file__).parents[1] / "support" / "metrics.yml")
SCORE = Metric.model_validate(
    {
        "key": "csat",
        "title": "CSAT",
        "unit": "percent",
        "scale": "percent",
        "source": {"kind": "manual"},
    }
)


def metric(key: str) -> Metric:
    if key == SCORE.key:
        return SCORE
    found = CATALOG.get(key)
    assert found is not None, key
    return found


PARSED = [
    # (text, value, percent, currency)
    ("150000", 150000.0, False, None),
    ("150k", 150000.0, False, None),
    ("150K", 150000.0, False, None),
    ("1.2M", 1200000.0, False, None),
    ("1.2m", 1200000.0, False, None),
    ("2B", 2e9, False, None),
    ("0.07k", 70.0, False, None),
    ("2.3M", 2300000.0, False, None),
    ("30%", 30.0, True, None),
    ("12.5%", 12.5, True, None),
    ("35", 35.0, False, None),
    ("0", 0.0, False, None),
    ("007", 7.0, False, None),
    (".5", 0.5, False, None),
    ("¥520", 520.0, False, "¥"),
    ("$1.5k", 1500.0, False, "$"),
    ("€0.99", 0.99, False, "€"),
    ("₹999", 999.0, False, "₹"),
    ("-5", -5.0, False, None),
    ("-2.5%", -2.5, True, None),
    ("-¥5", -5.0, False, "¥"),
    (" 42 ", 42.0, False, None),
    ("３０", 30.0, False, None),
    ("9" * 300, float("9" * 300), False, None),
]


@pytest.mark.parametrize(
    ("text", "value", "percent", "currency"), PARSED, ids=[case[0][:12] for case in PARSED]
)
def test_parse_quantity_reads_what_people_type(
    text: str, value: float, percent: bool, currency: str | None
) -> None:
    """Digits with an optional minus, currency sign, decimal point and k/M/B or % suffix."""
    assert parse_quantity(text) == Quantity(value, percent=percent, currency=currency, text=text)


NOT_NUMBERS = [
    ("empty", ""),
    ("blank", "   "),
    ("word", "lots"),
    ("comma-decimal", "1,5k"),
    ("comma-thousands", "1,000"),
    ("comma-groups", "1,000,000"),
    ("space-groups", "1 000"),
    ("exponent", "1e5"),
    ("inf", "inf"),
    ("infinity", "Infinity"),
    ("nan", "nan"),
    ("trailing-point", "1."),
    ("two-points", "1.2.3"),
    ("plus", "+5"),
    ("double-minus", "--5"),
    ("minus-after-currency", "¥-5"),
    ("currency-after", "5¥"),
    ("currency-code", "EUR5"),
    ("letter-prefix", "a5"),
    ("not-a-currency-sign", "#5"),
    ("two-suffixes", "5kk"),
    ("k-and-percent", "5k%"),
    ("double-percent", "5%%"),
    ("suffix-only", "k"),
    ("percent-only", "%"),
    ("currency-only", "¥"),
    ("arabic-indic-digits", "٣٠"),
    ("overflow", "1" + "0" * 400),
    ("overflow-after-suffix", "9" * 300 + "b"),
]


@pytest.mark.parametrize("text", [text for _, text in NOT_NUMBERS], ids=[i for i, _ in NOT_NUMBERS])
def test_parse_quantity_refuses_what_is_not_a_plain_number(text: str) -> None:
    """Commas, exponents, inf/nan, stray signs and overflowing numbers are not numbers."""
    assert parse_quantity(text) is None


@pytest.mark.parametrize(
    ("percent", "fraction"),
    [(35, 0.35), (35.5, 0.355), (1.1, 0.011), (12.5, 0.125), (0.5, 0.005), (100, 1.0)],
    ids=["35", "35.5", "1.1", "12.5", "0.5", "100"],
)
def test_fraction_of_percent_is_exact(percent: float, fraction: float) -> None:
    """A typed percentage becomes the fraction as written, without float noise."""
    assert fraction_of_percent(percent) == fraction


TARGETS = [
    ("dau", "150k", 150000.0),
    ("dau", "1.5", 1.5),
    ("next_day_retention", "30%", 0.3),
    ("next_day_retention", "35", 0.35),
    ("next_day_retention", "35.5%", 0.355),
    ("next_day_retention", "1.1", 0.011),
    ("next_day_retention", "100%", 1.0),
    ("complaint_rate", "2%", 0.02),
    ("csat", "35%", 35.0),
    ("csat", "35", 35.0),
    ("aov", "¥520", 520.0),
    ("aov", "520", 520.0),
    ("aov", "¥1.2k", 1200.0),
    ("nps", "1.25", 1.25),
    ("nps", "-0.5", -0.5),
]


@pytest.mark.parametrize(
    ("key", "text", "target"), TARGETS, ids=[f"{key}-{text}" for key, text, _ in TARGETS]
)
def test_target_for_stores_the_metric_scale(key: str, text: str, target: float) -> None:
    """Percent metrics store fractions (unless scale: percent); other units store the number."""
    quantity = parse_quantity(text)
    assert quantity is not None
    assert target_for(metric(key), quantity) == target


BAD_TARGETS = [
    ("dau", "30%", "`dau` is a count metric, so its target cannot be a percentage"),
    ("nps", "5%", "`nps` is a ratio metric, so its target cannot be a percentage"),
    ("aov", "30%", "cannot be a percentage"),
    ("dau", "¥5", "`dau` is a count metric, not money"),
    ("nps", "$1", "`nps` is a ratio metric, not money"),
    ("next_day_retention", "$30", "not money"),
    ("aov", "$520", "`aov` is counted in ¥, not $"),
    ("dau", "0", "A target of 0 cannot measure drift"),
    ("next_day_retention", "0%", "A target of 0"),
    ("nps", "0", "A target of 0"),
    ("dau", "-5", "`-5` is negative; a count target must be above 0"),
    ("aov", "-¥5", "a currency target must be above 0"),
    ("next_day_retention", "-5%", "a percent target must be above 0"),
    ("next_day_retention", "101", "`101` is over 100%"),
    ("next_day_retention", "100.5%", "`100.5%` is over 100%"),
    ("csat", "150", "is over 100%"),
]


@pytest.mark.parametrize(
    ("key", "text", "fragment"), BAD_TARGETS, ids=[f"{key}-{text}" for key, text, _ in BAD_TARGETS]
)
def test_target_for_refuses_targets_that_do_not_fit_the_metric(
    key: str, text: str, fragment: str
) -> None:
    """A target in the wrong unit, zero, negative or over 100% is a UsageError with an example."""
    quantity = parse_quantity(text)
    assert quantity is not None
    with pytest.raises(UsageError) as caught:
        target_for(metric(key), quantity)
    assert fragment in error_text(caught.value)
    example = example_text(caught.value)
    assert example is not None
    assert example.startswith(f"/goal set {key} ")
    if key in CATALOG:
        command = example.removeprefix("/goal ")
        parsed = parse_command(command, catalog=CATALOG, today=date(2026, 11, 25))
        assert isinstance(parsed, SetGoal)


FORMATTED = [
    # (unit, value, options, shown)
    ("count", 120000, {}, "120k"),
    ("count", 1500000, {}, "1.5M"),
    ("count", 150000, {}, "150k"),
    ("count", 1234, {}, "1.2k"),
    ("count", 999, {}, "999"),
    ("count", 12.5, {}, "12.5"),
    ("count", 0, {}, "0"),
    ("count", 0.004, {}, "0"),
    ("count", 999.994, {}, "999.99"),
    ("count", 999.999, {}, "1k"),
    ("count", 1000, {}, "1k"),
    ("count", 99949, {}, "99.9k"),
    ("count", 99950, {}, "100k"),
    ("count", 999949, {}, "999.9k"),
    ("count", 999950, {}, "1M"),
    ("count", 999999, {}, "1M"),
    ("count", 999_999_999, {}, "1B"),
    ("count", 2.5e9, {}, "2.5B"),
    ("count", 1e12, {}, "1000B"),
    ("count", -1500, {}, "-1.5k"),
    ("count", -999999, {}, "-1M"),
    ("count", -12, {}, "-12"),
    ("count", -0.004, {}, "0"),
    ("count", float("nan"), {}, "—"),
    ("count", float("inf"), {}, "—"),
    ("percent", 0.241, {}, "24.1%"),
    ("percent", 0.35, {}, "35%"),
    ("percent", 1, {}, "100%"),
    ("percent", 0, {}, "0%"),
    ("percent", 0.0001, {}, "0%"),
    ("percent", -0.05, {}, "-5%"),
    ("percent", -0.0001, {}, "0%"),
    ("percent", 24.1, {"scale": "percent"}, "24.1%"),
    ("percent", float("-inf"), {}, "—"),
    ("currency", 520, {"currency": "¥"}, "¥520"),
    ("currency", 1200, {"currency": "¥"}, "¥1.2k"),
    ("currency", 19.99, {}, "$19.99"),
    ("currency", 999999, {"currency": "€"}, "€1M"),
    ("currency", -520, {"currency": "¥"}, "-¥520"),
    ("currency", -0.001, {"currency": "¥"}, "¥0"),
    ("ratio", 1.25, {}, "1.25"),
    ("ratio", 1.5, {}, "1.5"),
    ("ratio", 2, {}, "2"),
    ("ratio", 12345, {}, "12345"),
    ("ratio", -0.75, {}, "-0.75"),
    ("ratio", -0.001, {}, "0"),
]


@pytest.mark.parametrize(
    ("unit", "value", "options", "shown"),
    FORMATTED,
    ids=[
        f"{unit}-{value}-{'-'.join(options.values())}".rstrip("-")
        for unit, value, options, _ in FORMATTED
    ],
)
def test_format_value_reads_naturally(
    unit: str, value: float, options: dict[str, str], shown: str
) -> None:
    """Stored values print compactly; rounding never gives `1000k` or `-0`."""
    assert format_value(unit, value, **options) == shown
    assert format_value(Unit(unit), value, **options) == shown


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [("dau", 120000, "120k"), ("next_day_retention", 0.241, "24.1%"), ("aov", 520, "¥520"),
     ("nps", 1.25, "1.25"), ("csat", 24.1, "24.1%")],
    ids=["count", "percent", "currency", "ratio", "percent-scale"],
)  # fmt: skip
def test_format_metric_value_uses_the_metric_settings(key: str, value: float, shown: str) -> None:
    """A metric's unit, scale and currency sign decide how its values print."""
    assert format_metric_value(metric(key), value) == shown


@pytest.mark.parametrize(
    "text", ["150k", "1.2M", "999", "¥520", "35%", "1.25"], ids=lambda text: text
)
def test_shown_values_read_back_as_numbers(text: str) -> None:
    """What format_value prints for a typed target parses back to a number."""
    quantity = parse_quantity(text)
    assert quantity is not None
    unit = "percent" if quantity.percent else "currency" if quantity.currency else "count"
    value = quantity.value / 100 if quantity.percent else quantity.value
    shown = format_value(unit, value, currency=quantity.currency or "$")
    assert shown == text


@pytest.mark.parametrize(
    ("values", "unit", "options", "labels"),
    [
        pytest.param(
            [2_500_000, 2_550_000, 2_600_000], "currency", {"currency": "¥"},
            ["¥2.5M", "¥2.55M", "¥2.6M"], id="currency-2.5M-to-2.6M",
        ),
        pytest.param(
            [2_480_000, 2_520_000, 2_560_000, 2_600_000], "currency", {"currency": "¥"},
            ["¥2.48M", "¥2.52M", "¥2.56M", "¥2.6M"], id="currency-demo-gmv",
        ),
        pytest.param(
            [0.022, 0.0225, 0.023], "percent", {}, ["2.2%", "2.25%", "2.3%"],
            id="percent-2.2-to-2.3",
        ),
        pytest.param(
            [2.2, 2.25, 2.3], "percent", {"scale": "percent"}, ["2.2%", "2.25%", "2.3%"],
            id="percent-scale-2.2-to-2.3",
        ),
        pytest.param(
            [-0.0225, -0.022], "percent", {}, ["-2.25%", "-2.2%"], id="percent-negative",
        ),
        pytest.param([0.0225], "percent", {}, ["2.25%"], id="percent-single-tick"),
        pytest.param(
            [149_800, 149_850, 149_900, 149_950, 150_000], "count", {},
            ["149.8k", "149.85k", "149.9k", "149.95k", "150k"], id="count-149.8k-step-50",
        ),
        pytest.param(
            [149_800, 149_900, 150_000, 150_100, 150_200], "count", {},
            ["149.8k", "149.9k", "150k", "150.1k", "150.2k"], id="count-149.8k-step-100",
        ),
        pytest.param(
            [999_000, 999_500, 1_000_000, 1_000_500], "count", {},
            ["999k", "999.5k", "1M", "1.0005M"], id="count-across-suffixes",
        ),
        pytest.param(
            [1.2, 1.205, 1.21], "ratio", {}, ["1.2", "1.205", "1.21"], id="ratio-narrow",
        ),
        pytest.param(
            [0, 50_000, 100_000, 150_000], "count", {}, ["0", "50k", "100k", "150k"],
            id="count-wide-stays-short",
        ),
        pytest.param(
            [-50_000, 0, 50_000], "currency", {}, ["-$50k", "$0", "$50k"],
            id="currency-wide-stays-short",
        ),
        pytest.param([0, 0.25, 0.5], "percent", {}, ["0%", "25%", "50%"], id="percent-wide"),
        pytest.param(
            [0.1 + 0.2, 0.4, 0.5], "ratio", {}, ["0.3", "0.4", "0.5"], id="float-noise-ignored",
        ),
        pytest.param(
            [-1e-17, 0.5, 1.0], "ratio", {}, ["0", "0.5", "1"], id="near-zero-tick-is-zero",
        ),
        pytest.param([float("nan"), 1, 2], "count", {}, ["—", "1", "2"], id="not-a-number"),
        pytest.param([], "count", {}, [], id="no-ticks"),
    ],
)  # fmt: skip
def test_tick_labels_add_digits_until_ticks_differ(
    values: list[float], unit: str, options: dict[str, str], labels: list[str]
) -> None:
    """Neighbouring ticks never share a label or round off their tick; no digit is wasted."""
    assert tick_labels(values, unit, **options) == labels
