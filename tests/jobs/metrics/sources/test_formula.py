"""Derived metrics: formulas evaluated per day over their inputs, only where all have values."""

from __future__ import annotations

import math
import re
from datetime import date

import pandas as pd
import pytest

from jobs.metrics.sources import derive

D1, D2, D3, D4 = (date(2026, 11, day) for day in (18, 19, 20, 21))


def frame(*rows: tuple[date, float]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["day", "value"])


def rows(result: pd.DataFrame) -> list[tuple[date, float]]:
    return list(zip(result["day"], result["value"], strict=True))


def test_health_index_is_the_product_on_days_every_input_has() -> None:
    """activity × retention × AOV per day; a day missing from one input is absent."""
    result = derive(
        "active_rate_30d * retention_7d * aov",
        {
            "active_rate_30d": frame((D1, 0.5), (D2, 0.6), (D3, 0.4)),
            "retention_7d": frame((D3, 0.25), (D1, 0.2)),  # no D2, and out of order
            "aov": frame((D1, 100.0), (D2, 110.0), (D3, 120.0), (D4, 130.0)),
        },
    )
    assert list(result.columns) == ["day", "value"]
    assert [day for day, _ in rows(result)] == [D1, D3]
    assert [value for _, value in rows(result)] == pytest.approx([10.0, 12.0])
    assert all(type(day) is date for day in result["day"])
    assert str(result["value"].dtype) == "float64"


CASES = [
    # (id, formula, a's rows, b's rows, expected rows)
    (
        "division-by-zero-dropped",
        "a / b",
        [(D1, 1.0), (D2, 2.0), (D3, 0.0)],
        [(D1, 4.0), (D2, 0.0), (D3, 0.0)],
        [(D1, 0.25)],
    ),
    (
        "unary-minus-and-constants",
        "-a * 2 + b / 4",
        [(D1, 1.0), (D2, 3.0)],
        [(D1, 8.0), (D2, 4.0)],
        [(D1, 0.0), (D2, -5.0)],
    ),
    ("unary-plus", "a - +b * 100", [(D1, 50.0)], [(D1, 0.25)], [(D1, 25.0)]),
    ("mean", "(a + b) / 2", [(D1, 1.0), (D2, 2.0)], [(D2, 4.0), (D3, 6.0)], [(D2, 3.0)]),
    ("constant-divided-by-zero", "a / (1 - 1)", [(D1, 1.0)], [], []),
    ("constant-zero-over-zero", "a * (0 / 0)", [(D1, 1.0)], [], []),
    ("nan-input-is-no-value", "a + b", [(D1, math.nan), (D2, 1.0)], [(D1, 1), (D2, 1)], [(D2, 2)]),
    ("inf-input-is-no-value", "a - b", [(D1, math.inf), (D2, 1.0)], [(D1, 1), (D2, 1)], [(D2, 0)]),
    ("no-input-days", "a * b", [], [], []),
]


@pytest.mark.parametrize(
    ("formula", "a_rows", "b_rows", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_formula_cases(
    formula: str,
    a_rows: list[tuple[date, float]],
    b_rows: list[tuple[date, float]],
    expected: list[tuple[date, float]],
) -> None:
    """Arithmetic per aligned day; NaN and ±inf results (and inputs) leave the day out."""
    inputs = {"a": frame(*a_rows), "b": frame(*b_rows)}
    result = derive(formula, inputs)
    assert list(result.columns) == ["day", "value"]
    assert [day for day, _ in rows(result)] == [day for day, _ in expected]
    assert [value for _, value in rows(result)] == pytest.approx([v for _, v in expected])


def test_inputs_are_not_changed() -> None:
    """derive is pure: the input frames are left as they were."""
    a = frame((D2, 2.0), (D1, 1.0))
    before = a.copy()
    derive("a * 3", {"a": a})
    pd.testing.assert_frame_equal(a, before)


@pytest.mark.parametrize(
    ("formula", "inputs", "fault"),
    [
        ("a * b", {"a": frame((D1, 1.0))}, "needs inputs that were not given: ['b']"),
        ("a ** 2", {"a": frame((D1, 1.0))}, "+ - * / only"),
        ("a(1)", {"a": frame((D1, 1.0))}, "+ - * / only"),
        ("a * 'x'", {"a": frame((D1, 1.0))}, "is not a number"),
        ("a", {"a": frame((D1, 1.0), (D1, 2.0))}, "more than one row for a day"),
    ],
    ids=["missing-input", "power", "call", "string-constant", "duplicate-input-day"],
)
def test_caller_mistakes_are_value_errors(
    formula: str, inputs: dict[str, pd.DataFrame], fault: str
) -> None:
    """A formula that slipped past validation, or an input that is missing, is a ValueError."""
    with pytest.raises(ValueError, match=re.escape(fault)):
        derive(formula, inputs)
