"""Derived metrics: a formula over other metrics, evaluated per day with pandas (never `eval`)."""

from __future__ import annotations

import ast
from collections.abc import Mapping

import numpy as np
import pandas as pd

from jobs.metrics.sources.points import as_day, empty_points

_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div)

Operand = pd.Series | float


def derive(formula: str, inputs: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The formula's value on each day every input has a value; NaN and ±inf days are dropped.

    `inputs` maps each metric key in the formula to its (day, value) frame. The formula is
    the validated metrics.yml text: metric keys, numbers, + - * / and parentheses. Anything
    else, or a missing input, is a ValueError (a bug in the caller, not bad data).
    """
    tree = ast.parse(formula, mode="eval")
    names = sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name)})
    absent = [name for name in names if name not in inputs]
    if absent:
        raise ValueError(f"formula {formula!r} needs inputs that were not given: {absent}")
    if not names:
        return empty_points()  # a formula of constants has no days of its own
    aligned = pd.concat(
        {name: _by_day(name, inputs[name]) for name in names}, axis=1, join="inner"
    ).sort_index()
    with np.errstate(all="ignore"):
        result = _evaluate(tree.body, aligned)
    if not isinstance(result, pd.Series):  # pragma: no cover - a name always yields a Series
        raise ValueError(f"formula {formula!r} does not depend on any metric")
    values = result.astype("float64").replace([np.inf, -np.inf], np.nan).dropna()
    if values.empty:
        return empty_points()
    return pd.DataFrame(
        {
            "day": pd.Series(list(values.index), dtype=object),
            "value": pd.Series(values.to_numpy(dtype="float64"), dtype="float64"),
        }
    )


def _by_day(name: str, frame: pd.DataFrame) -> pd.Series:
    if "day" not in frame.columns or "value" not in frame.columns:
        raise ValueError(f"input {name!r} needs `day` and `value` columns")
    days = [as_day(day) for day in frame["day"].tolist()]
    if any(day is None for day in days):
        raise ValueError(f"input {name!r} has rows without a date")
    values = pd.to_numeric(frame["value"], errors="raise").astype("float64").to_numpy()
    series = pd.Series(values, index=pd.Index(days, dtype=object), dtype="float64")
    if series.index.has_duplicates:
        raise ValueError(f"input {name!r} has more than one row for a day")
    # A NaN or infinite input value means "no value that day".
    finite: pd.Series = series[np.isfinite(series.to_numpy())]
    return finite


def _evaluate(node: ast.expr, aligned: pd.DataFrame) -> Operand:
    if isinstance(node, ast.Name):
        column: pd.Series = aligned[node.id]
        return column
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ValueError(f"formula constant {node.value!r} is not a number")
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _evaluate(node.operand, aligned)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and isinstance(node.op, _BINARY):
        left = _evaluate(node.left, aligned)
        right = _evaluate(node.right, aligned)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(left, float) and isinstance(right, float):
            # Constant / constant: IEEE rules (±inf, NaN) rather than ZeroDivisionError.
            return float(np.float64(left) / np.float64(right))
        return left / right
    raise ValueError(f"formula may use metric keys, numbers and + - * / only, not {ast.dump(node)}")
